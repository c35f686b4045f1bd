"""Telegram and Discord as the member sees them: the profile page's linking and the dashboard's "Accès" block. State
and links come from channels_sync (its rules); a platform this server has no bot for is not shown at all."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from channels_sync.clients import platform_configured
from channels_sync.models import ChannelMembership, Platform
from channels_sync.selectors import channel_status_for

State = ChannelMembership.State
NOT_LINKED_STATES = (State.NOT_LINKED, State.LINK_PENDING)
LABELS = {Platform.TELEGRAM: _("Telegram"), Platform.DISCORD: _("Discord")}
# A payment the member declared waits for an admin while they are not covered: say so, not "renouvelez".
ACCESS_KEPT_WHILE_VERIFIED = _(
    "Votre paiement est en cours de vérification : votre accès est maintenu en attendant sa validation."
)
ACCESS_OPENS_ONCE_VERIFIED = _("Votre paiement est en cours de vérification : votre accès s'ouvrira dès sa validation.")


@dataclass(frozen=True)
class ChannelState:
    platform: str
    label: str
    username: str
    state: str
    state_label: str
    linked: bool
    next_step: str
    invite_link: str | None
    link_url_name: str | None


def link_available(platform: str) -> bool:
    """Same switches as the channels_sync link endpoints: a platform without its settings offers no link."""
    if platform == Platform.TELEGRAM:
        return bool(settings.TELEGRAM_BOT_USERNAME)
    return bool(settings.DISCORD_CLIENT_ID)


def platforms_shown() -> list[Platform]:
    """The platforms this server has a bot for, in the order every page shows them."""
    return [platform for platform in (Platform.TELEGRAM, Platform.DISCORD) if platform_configured(platform)]


def channel_states(*, user) -> list[ChannelState]:
    statuses = channel_status_for(user)
    usernames = {Platform.TELEGRAM: user.telegram_username, Platform.DISCORD: user.discord_username}
    return [
        ChannelState(
            platform=platform,
            label=str(LABELS[platform]),
            username=usernames[platform],
            state=statuses[platform]["state"],
            state_label=statuses[platform]["state_label"],
            linked=statuses[platform]["state"] not in NOT_LINKED_STATES,
            next_step=str(statuses[platform]["next_step"]),
            invite_link=statuses[platform]["invite_link"],
            link_url_name=f"member_space:link_{platform}" if link_available(platform) else None,
        )
        for platform in platforms_shown()
    ]


def access_entries(*, statuses: dict, payment_pending: bool, covered: bool) -> list[dict]:
    """The dashboard's "Accès" block: per platform configured here, its state, the invitation to open or whether
    the member should link an account (`action`: "join", "link" or None), and one French next step.

    `statuses`: channels_sync's `channel_status_for`; `covered`: the member has a subscription not ended yet;
    `payment_pending`: a payment of theirs waits for an admin."""
    entries = []
    for platform in platforms_shown():
        status = statuses[platform]
        state, step = status["state"], str(status["next_step"])
        if payment_pending and not covered and state in (State.MEMBER, State.INVITED):
            step = str(ACCESS_KEPT_WHILE_VERIFIED)
        elif payment_pending and not covered and state in (State.LINKED, State.REMOVED):
            step = str(ACCESS_OPENS_ONCE_VERIFIED)
        if status["invite_link"]:
            action = "join"
        elif state in (*NOT_LINKED_STATES, State.LEFT) and link_available(platform):
            action = "link"
        else:
            action = None
        entries.append(
            {
                "platform": platform,
                "name": str(LABELS[platform]),
                "state": state,
                "state_label": status["state_label"],
                "invite_link": status["invite_link"],
                "action": action,
                "next_step": step,
            }
        )
    return entries

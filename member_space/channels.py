"""Telegram and Discord linking for the profile page: state and links come from channels_sync (its rules)."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from channels_sync.models import ChannelMembership, Platform
from channels_sync.selectors import channel_status_for

State = ChannelMembership.State
NOT_LINKED_STATES = (State.NOT_LINKED, State.LINK_PENDING)


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


def channel_states(*, user) -> list[ChannelState]:
    statuses = channel_status_for(user)
    usernames = {Platform.TELEGRAM: user.telegram_username, Platform.DISCORD: user.discord_username}
    labels = {Platform.TELEGRAM: _("Telegram"), Platform.DISCORD: _("Discord")}
    return [
        ChannelState(
            platform=platform,
            label=str(labels[platform]),
            username=usernames[platform],
            state=statuses[platform]["state"],
            state_label=statuses[platform]["state_label"],
            linked=statuses[platform]["state"] not in NOT_LINKED_STATES,
            next_step=str(statuses[platform]["next_step"]),
            invite_link=statuses[platform]["invite_link"],
            link_url_name=f"member_space:link_{platform}" if link_available(platform) else None,
        )
        for platform in (Platform.TELEGRAM, Platform.DISCORD)
    ]

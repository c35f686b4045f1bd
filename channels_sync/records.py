"""What both the sync run and the bot's incoming updates write: the action log entry, and a membership's new
state with what follows from it (the subscriptions' "added" flags)."""

from datetime import datetime

from django.db import transaction

from channels_sync import selectors
from channels_sync.models import ChannelAction, ChannelMembership, Platform
from core import clock
from subscriptions.models import Subscription

# Telegram's chat member statuses of someone in the channel.
JOINED_STATUSES = {"member", "administrator", "creator", "restricted"}
ADDED_FLAG: dict[str, str] = {Platform.TELEGRAM: "telegram_added", Platform.DISCORD: "discord_added"}


def action_entry(
    *, user, platform: str, action: str, outcome: str, remote_id: str = "", response=None, error: str = ""
) -> ChannelAction:
    """An unsaved action log row (saved alone, or with others in one bulk insert)."""
    return ChannelAction(
        user=user,
        platform=platform,
        action=action,
        outcome=outcome,
        remote_id=str(remote_id or ""),
        response=response if isinstance(response, dict) else {"result": response},
        error=error[:2000],
    )


@transaction.atomic
def membership_update(
    *,
    membership: ChannelMembership,
    changes: dict,
    at: datetime,
    added: bool | None = None,
    lease_owner: str | None = None,
) -> bool:
    """Writes `changes` to the membership row. `added` True (the member is in the channel) or False (out of it)
    sets the subscriptions' flag for the platform the same way: True on the subscriptions entitled at `at` only.
    With `lease_owner`, writes only while that run holds the row and returns False (nothing written) when it does
    not."""
    rows = ChannelMembership.objects.filter(pk=membership.pk)
    if lease_owner is not None:
        rows = rows.filter(lease_owner=lease_owner)
    if not rows.update(**changes, updated_at=clock.now()):
        return False
    if added is not None:
        flag = ADDED_FLAG[membership.platform]
        subscriptions = Subscription.objects.filter(user_id=membership.user_id)
        if added:
            subscriptions = subscriptions.filter(
                selectors.entitled_subscriptions_q(platform=membership.platform, at=at)
            )
        subscriptions.exclude(**{flag: added}).update(**{flag: added})
    return True

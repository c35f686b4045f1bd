"""What both the sync run and the bot's incoming updates write: the action log entry, and the subscriptions'
"added" flags that follow a member joining or leaving a channel."""

from datetime import datetime

from channels_sync import selectors
from channels_sync.models import ChannelAction, Platform
from subscriptions.dashboard_cache import dashboard_cache_forget
from subscriptions.models import Subscription

# Telegram's chat member statuses of someone in the channel.
JOINED_STATUSES = {"member", "administrator", "creator", "restricted"}
ADDED_FLAG = {Platform.TELEGRAM: "telegram_added", Platform.DISCORD: "discord_added"}


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


def subscriptions_added_set(*, user_id: int, platform: str, value: bool, at: datetime) -> None:
    flag = ADDED_FLAG[platform]
    subscriptions = Subscription.objects.filter(user_id=user_id)
    if value:
        subscriptions = subscriptions.filter(selectors.entitled_subscriptions_q(platform=platform, at=at))
    subscriptions.exclude(**{flag: value}).update(**{flag: value})
    dashboard_cache_forget(user_ids=[user_id])  # the subscriptions' telegram_added / discord_added

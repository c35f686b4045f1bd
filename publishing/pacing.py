"""Spacing the messages in each chat across every worker and host: one `PostingSlot` row per chat, locked by whoever
posts there. A task that finds the slot taken does not sleep: it asks to run again at the slot's time
(docs/architecture/publishing.md#pacing)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from channels_sync.models import Platform
from core import clock
from publishing.models import PostingSlot


def slot_interval(platform: str) -> timedelta:
    seconds = (
        settings.PUBLISHING_TELEGRAM_INTERVAL_SECONDS
        if platform == Platform.TELEGRAM
        else settings.PUBLISHING_DISCORD_INTERVAL_SECONDS
    )
    return timedelta(seconds=seconds)


@transaction.atomic
def slot_take(*, platform: str, chat_id: str) -> datetime | None:
    """Takes the chat's slot if it is free now (None: go ahead), else returns when it frees up (take it then).

    The row is locked until the caller's transaction ends, so two workers never take the same slot."""
    interval = slot_interval(platform)
    if not interval:
        return None
    PostingSlot.objects.get_or_create(platform=platform, chat_id=chat_id)
    slot = PostingSlot.objects.select_for_update().get(platform=platform, chat_id=chat_id)
    now = clock.now()
    if slot.next_at > now:
        return slot.next_at
    slot.next_at = now + interval
    slot.save(update_fields=["next_at"])
    return None

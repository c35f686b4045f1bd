"""Channel access as a task of the queue (core/tasks.py): a member's Telegram and Discord access brought in line
with their subscriptions within seconds of the change (a confirmed payment), instead of at the next cron run."""

import logging

from channels_sync.models import Platform
from channels_sync.sync import channel_sync
from core.tasks import task, task_enqueue

logger = logging.getLogger("calmnessfi.channels")


class MemberAccessSyncFailed(Exception):
    """A platform's sync raised: the queue tries the task again (core.tasks.retry_delay)."""


@task()
def member_access_sync(*, user_id: int) -> None:
    """Syncs this member on every configured platform, each on its own: one that fails does not stop the other.

    Best effort, as the cron run (`manage_channel_members`) catches up anyway: what channel_sync records itself (a
    member's failure, with its backoff; a platform refusing the bot, in its report) is left to that run and to the
    admin. An unexpected error is raised once every platform was tried, so the queue tries the task again; a retry
    repeats nothing already done (channel_sync acts only on differences, on rows it holds)."""
    failed = []
    for platform in Platform.values:
        try:
            report = channel_sync(platform=platform, user_ids=[user_id])
        except Exception:
            logger.exception("member access sync failed", extra={"platform": platform, "user_id": user_id})
            failed.append(platform)
            continue
        if report.error:
            logger.warning("member access sync stopped", extra={"platform": platform, "error": report.error})
    if failed:
        raise MemberAccessSyncFailed(f"member {user_id}: {', '.join(failed)}")


def member_access_sync_enqueue(*, user_id: int) -> None:
    """Asks for `member_access_sync` as part of the current transaction (a payment's confirmation): it runs in the
    task worker right after the commit, and never if the transaction rolls back."""
    task_enqueue(member_access_sync, user_id=user_id)

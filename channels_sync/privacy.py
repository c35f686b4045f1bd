"""The member's Telegram and Discord data in their export, and its erasure (accounts.privacy,
docs/architecture/personal-data.md).

Erasing drops the links (ids, usernames, OAuth tokens) the way a proven address does (`member_links_drop`: an
account that had access is kept as `stale_remote_id`), and asks the task worker to remove that access now:
`member_erased_access_remove` runs the sync for the member (the member is banned from the Telegram channel, loses
the Discord role), then blanks the ids the action log wrote on the way and any id a switched-off platform left."""

import logging

from accounts.privacy import iso
from channels_sync.clients import platform_configured
from channels_sync.linking import member_links_drop
from channels_sync.models import AccountLink, ChannelAction, ChannelMembership, LinkToken, Platform
from channels_sync.sync import channel_sync
from core.tasks import task, task_enqueue

logger = logging.getLogger("calmnessfi.channels")


def channels_export(user) -> dict:
    """Links (OAuth tokens are secrets of the link, not exported), access on each platform and the action log."""
    return {
        "links": [
            {
                "platform": link.platform,
                "remote_id": link.remote_id,
                "remote_username": link.remote_username,
                "linked_at": iso(link.linked_at),
            }
            for link in AccountLink.objects.filter(user=user).order_by("platform")
        ],
        "link_requests": [
            {"platform": token.platform, "created_at": iso(token.created_at), "used_at": iso(token.used_at)}
            for token in LinkToken.objects.filter(user=user).order_by("created_at", "pk")
        ],
        "access": [
            {
                "platform": membership.platform,
                "state": membership.state,
                "has_access": membership.has_access,
                "invite_expires_at": iso(membership.invite_expires_at),
                "updated_at": iso(membership.updated_at),
            }
            for membership in ChannelMembership.objects.filter(user=user).order_by("platform")
        ],
        "actions": [
            {
                "platform": action.platform,
                "action": action.action,
                "outcome": action.outcome,
                "remote_id": action.remote_id,
                "error": action.error,
                "created_at": iso(action.created_at),
            }
            for action in ChannelAction.objects.filter(user=user).order_by("created_at", "pk")
        ],
    }


def member_channels_erase(*, user) -> None:
    """Drops the member's links and link tokens, blanks what the log and the access rows say of their accounts,
    and enqueues the removal of their access (run right after the commit)."""
    member_links_drop(user=user)
    _log_anonymise(user_id=user.pk)
    task_enqueue(member_erased_access_remove, user_id=user.pk)


def _log_anonymise(*, user_id: int) -> None:
    ChannelAction.objects.filter(user_id=user_id).update(remote_id="", response={}, error="")
    ChannelMembership.objects.filter(user_id=user_id).update(last_error="")


class ErasedAccessRemovalFailed(Exception):
    """A platform could not act: the queue tries the task again (core.tasks.retry_delay)."""


@task()
def member_erased_access_remove(*, user_id: int) -> None:
    """Removes an erased member from the channels now, then forgets the ids that removal needed and logged.

    A platform switched off has nobody to remove: its leftover id is forgotten. A platform that fails keeps the id
    and the task is tried again; a member refused by the platform stays "action required" for the admin."""
    failed = []
    for platform in Platform.values:
        if not platform_configured(platform):
            ChannelMembership.objects.filter(user_id=user_id, platform=platform).update(stale_remote_id="")
            continue
        try:
            report = channel_sync(platform=platform, user_ids=[user_id])
        except Exception:
            logger.exception("erased member access removal failed", extra={"platform": platform, "user_id": user_id})
            failed.append(platform)
            continue
        if report.error:
            failed.append(platform)
    _log_anonymise(user_id=user_id)
    if failed:
        raise ErasedAccessRemovalFailed(f"member {user_id}: {', '.join(failed)}")

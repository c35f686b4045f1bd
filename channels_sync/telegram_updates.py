"""The Telegram bot's incoming updates (webhook or getUpdates): `/start`, join requests, members joining or leaving."""

import logging

from django.conf import settings
from django.utils.translation import gettext as _

from channels_sync import selectors
from channels_sync.clients import MemberActionFailed, PlatformUnavailable, TelegramClient
from channels_sync.linking import telegram_start
from channels_sync.models import AccountLink, ChannelAction, ChannelMembership, Platform
from channels_sync.records import JOINED_STATUSES, action_entry, membership_update
from channels_sync.sync import member_sync_after_link
from core import clock

logger = logging.getLogger("calmnessfi.channels")

State = ChannelMembership.State
Action = ChannelAction.Action
Outcome = ChannelAction.Outcome

# A member in the channel (join request approved, or joined with their link): their invite link is spent.
IN_CHANNEL = {"state": State.MEMBER, "has_access": True, "invite_link": ""}


# The parts of an update the handlers read, with their types. Anything else in an update is not read.
_USER_SHAPE = {"id": int, "username": str, "is_bot": bool}
_CHAT_SHAPE = {"id": (int, str), "type": str}
_CHAT_MEMBER_SHAPE = {"status": str, "user": _USER_SHAPE}
_UPDATE_SHAPE = {
    "update_id": int,
    "message": {"text": str, "from": _USER_SHAPE, "chat": _CHAT_SHAPE},
    "chat_join_request": {"from": _USER_SHAPE, "chat": _CHAT_SHAPE},
    "chat_member": {
        "chat": _CHAT_SHAPE,
        "new_chat_member": _CHAT_MEMBER_SHAPE,
        "old_chat_member": _CHAT_MEMBER_SHAPE,
        "invite_link": {"invite_link": str},
    },
}


def _has_shape(value, shape) -> bool:
    """True when `value` is a dict whose known keys are absent, null or of the expected type (recursively)."""
    if not isinstance(value, dict):
        return False
    for key, expected in shape.items():
        item = value.get(key)
        if item is None:
            continue
        if isinstance(expected, dict):
            if not _has_shape(item, expected):
                return False
        elif not isinstance(item, expected):
            return False
    return True


def telegram_update_handle(*, update: dict, client: TelegramClient | None = None) -> str:
    """Handles one Telegram update: `/start`, a join request, or a member joining or leaving.

    Returns what was done (for logs and the poll command). Remote answers are made after the database
    work is committed. An update whose shape is not the Bot API's is logged and ignored ("malformed"):
    answering an error would only make Telegram deliver it again and again.
    """
    if not _has_shape(update, _UPDATE_SHAPE):
        logger.warning(
            "telegram update malformed, ignored",
            extra={
                "update_id": update.get("update_id") if isinstance(update, dict) else None,
                "keys": sorted(str(key) for key in update)[:10] if isinstance(update, dict) else [],
            },
        )
        return "malformed"
    own_client = client is None
    client = client or TelegramClient()
    try:
        if message := update.get("message"):
            return _on_message(message, client)
        if request := update.get("chat_join_request"):
            return _on_join_request(request, client)
        if change := update.get("chat_member"):
            return _on_chat_member(change, client)
        return "ignored"
    finally:
        if own_client:
            client.close()


def _on_message(message: dict, client: TelegramClient) -> str:
    text = (message.get("text") or "").strip()
    sender = message.get("from") or {}
    chat = message.get("chat") or {}
    if not text.startswith("/start") or chat.get("type") != "private" or not sender.get("id"):
        return "ignored"
    parts = text.split(maxsplit=1)
    token = parts[1].strip() if len(parts) > 1 else ""
    answer = telegram_start(telegram_user_id=sender["id"], username=sender.get("username") or "", token=token)
    link = AccountLink.objects.filter(platform=Platform.TELEGRAM, remote_id=str(sender["id"])).first()
    _telegram_call(
        lambda: client.send_message(user_id=str(sender["id"]), text=answer),
        user=link.user if link else None,
        action=Action.MESSAGE,
        telegram_id=sender["id"],
    )
    if link is not None:
        member_sync_after_link(user=link.user, platform=Platform.TELEGRAM)
    return "start"


def _linked_membership(telegram_user_id: int):
    link = (
        AccountLink.objects.select_related("user")
        .filter(platform=Platform.TELEGRAM, remote_id=str(telegram_user_id))
        .first()
    )
    if link is None:
        return None, None
    return link, ChannelMembership.objects.filter(user=link.user, platform=Platform.TELEGRAM).first()


def _telegram_call(call, *, user, action: str, telegram_id: int) -> bool:
    """Makes one Bot API call about `telegram_id` and logs it. A refusal or an outage is logged, not raised: the
    update is acknowledged either way (the sync redoes what matters)."""
    try:
        response, outcome, error = call(), Outcome.OK, ""
    except (MemberActionFailed, PlatformUnavailable) as exc:
        response, outcome, error = {}, Outcome.FAILED, str(exc)
    action_entry(
        user=user,
        platform=Platform.TELEGRAM,
        action=action,
        outcome=outcome,
        remote_id=str(telegram_id),
        response=response,
        error=error,
    ).save()
    return outcome == Outcome.OK


def _remove(client: TelegramClient, telegram_id: int, *, user) -> None:
    _telegram_call(
        lambda: client.remove_member(user_id=str(telegram_id)), user=user, action=Action.REMOVE, telegram_id=telegram_id
    )


def _on_join_request(request: dict, client: TelegramClient) -> str:
    """Approves only the linked member who is entitled now; declines everyone else."""
    user_id = (request.get("from") or {}).get("id")
    if str((request.get("chat") or {}).get("id")) != str(settings.TELEGRAM_CHANNEL_ID) or not user_id:
        return "ignored"
    link, membership = _linked_membership(user_id)
    user = link.user if link else None
    entitled = user is not None and selectors.is_entitled(user=user, platform=Platform.TELEGRAM)
    if not entitled:
        _telegram_call(
            lambda: client.decline_join_request(user_id=str(user_id)),
            user=user,
            action=Action.DECLINE,
            telegram_id=user_id,
        )
        return "declined"
    if _telegram_call(
        lambda: client.approve_join_request(user_id=str(user_id)),
        user=user,
        action=Action.APPROVE,
        telegram_id=user_id,
    ):
        membership_update(membership=membership, changes=IN_CHANNEL, added=True, at=clock.now())
    return "approved"


def _on_chat_member(change: dict, client: TelegramClient) -> str:
    if str((change.get("chat") or {}).get("id")) != str(settings.TELEGRAM_CHANNEL_ID):
        return "ignored"
    person = (change.get("new_chat_member") or {}).get("user") or {}
    new_status = (change.get("new_chat_member") or {}).get("status")
    old_status = (change.get("old_chat_member") or {}).get("status")
    person_id = person.get("id")
    if not person_id or person.get("is_bot"):
        return "ignored"
    joined = new_status in JOINED_STATUSES and old_status not in JOINED_STATUSES
    left = new_status in ("left", "kicked") and old_status in JOINED_STATUSES
    at = clock.now()
    if joined:
        used_link = ((change.get("invite_link") or {}).get("invite_link")) or ""
        owner = (
            ChannelMembership.objects.select_related("user")
            .filter(platform=Platform.TELEGRAM, invite_link=used_link)
            .first()
            if used_link
            else None
        )
        link, membership = _linked_membership(person_id)
        if owner is not None and (membership is None or owner.pk != membership.pk):
            # Someone joined with another member's personal link: they go, the owner gets a fresh link.
            _remove(client, person_id, user=owner.user)
            changes = {
                "state": State.LINKED,
                "has_access": False,
                "invite_link": "",
                "invite_expires_at": None,
                "next_attempt_at": None,
                "last_error": _("Lien utilisé par un autre compte Telegram (%(id)s).") % {"id": person_id},
            }
            membership_update(membership=owner, changes=changes, at=at)
            return "intruder_removed"
        if membership is None:
            return "ignored"  # not one of ours (added by an admin, for instance)
        if owner is not None and not selectors.is_entitled(user=link.user, platform=Platform.TELEGRAM, at=at):
            _remove(client, person_id, user=link.user)
            return "not_entitled_removed"
        membership_update(membership=membership, changes=IN_CHANNEL, added=True, at=at)
        return "joined"
    if left:
        link, membership = _linked_membership(person_id)
        if membership is None or not membership.has_access:
            return "ignored"  # we removed them ourselves, or not one of ours
        changes = {"state": State.LEFT, "has_access": False, "invite_link": ""}
        membership_update(membership=membership, changes=changes, added=False, at=at)
        return "left"
    return "ignored"

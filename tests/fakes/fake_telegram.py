"""A fake Telegram Bot API (the subset we use), reached by python-telegram-bot through TELEGRAM_API_BASE_URL.

State: the channel's members and bans, invite links, private messages, pending updates, the webhook.
Errors follow the real API's shape: {"ok": false, "error_code", "description", "parameters": {"retry_after"}}.
The channel's own answers: another chat id is `400 Bad Request: chat not found` (what Telegram says for an id
that does not exist or that the bot cannot see), a bot removed from the channel gets `403 Forbidden: bot is not
a member of the channel chat`, and one without the "Ban users" right `400 Bad Request: not enough rights to
restrict/unrestrict chat member`.

Posts in the channel (the signals, publishing/): `sendMessage` to the channel's id stores the message in `posts`
(ids increasing per chat), a reply to an unknown message is `400 Bad Request: message to be replied not found`;
`editMessageText` answers `400 Bad Request: message is not modified: …` for the same text and `message to edit
not found` for an unknown id; a bot without "Post messages" / "Edit messages" (`bot_can_post`, `bot_can_edit`)
gets `400 Bad Request: need administrator rights in the channel chat`. `delay_answer()` holds an answer back after
the request took effect (a read timeout on the client's side).
"""

import itertools
import time

from tests.fakes.base import FakeServer

BOT_ID = 7000000001
BOT_USERNAME = "calmnessfi_test_bot"


class FakeTelegram(FakeServer):
    MUTATING = frozenset(
        {
            "createChatInviteLink",
            "revokeChatInviteLink",
            "sendMessage",
            "banChatMember",
            "unbanChatMember",
            "approveChatJoinRequest",
            "declineChatJoinRequest",
            "setWebhook",
            "editMessageText",
        }
    )

    def __init__(self, *, token: str = "123456:TEST-TOKEN", chat_id: str = "-1001234567890"):
        super().__init__()
        self.token = token
        self.chat_id = str(chat_id)
        self.members: dict[int, str] = {}  # user id -> "member" | "left" | "kicked"
        self.banned: set[int] = set()
        self.invite_links: dict[str, dict] = {}
        self.messages: list[dict] = []
        self.approved: list[int] = []
        self.declined: list[int] = []
        self.unknown_users: set[int] = set()
        self.blocked_bot: set[int] = set()  # users who never opened the bot: sendMessage -> 403
        self.pending_updates: list[dict] = []
        self.garbled: set[str] = set()  # methods answering 200 with a result the library cannot parse
        self.webhook: dict = {}
        self.bot_in_channel = True
        self.bot_can_restrict = True
        self._ids = itertools.count(1)
        self.posts: list[dict] = []  # the channel's messages: chat_id, message_id, text, reply_to, edits
        self.bot_can_post = True
        self.bot_can_edit = True
        self._post_ids: dict[str, itertools.count] = {}

    @property
    def base_url(self) -> str:
        """The value for TELEGRAM_API_BASE_URL (python-telegram-bot appends the token)."""
        return f"{self.url}/bot"

    def name_of(self, method: str, path: str) -> str:
        return path.rsplit("/", 1)[-1]

    # answers
    @staticmethod
    def ok(result):
        return 200, {"ok": True, "result": result}, {}

    @staticmethod
    def error(status: int, description: str, parameters: dict | None = None):
        payload = {"ok": False, "error_code": status, "description": description}
        if parameters:
            payload["parameters"] = parameters
        return status, payload, {}

    def rate_limited(self, wait: float):
        return self.error(
            429, f"Too Many Requests: retry after {max(1, round(wait))}", {"retry_after": max(1, round(wait))}
        )

    def failed(self, failure):
        if failure.status == 429:
            retry = failure.retry_after or 1
            return self.error(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        descriptions = {
            400: "Bad Request: PARTICIPANT_ID_INVALID",
            403: "Forbidden: bot is not a member of the channel chat",
            500: "Internal Server Error",
        }
        return self.error(failure.status, failure.description or descriptions.get(failure.status, "Error"))

    def bot_user(self) -> dict:
        return {"id": BOT_ID, "is_bot": True, "first_name": "CalmnessFi", "username": BOT_USERNAME}

    def route(self, method, path, body, headers):
        prefix, _, name = path.rpartition("/")
        if prefix != f"/bot{self.token}":
            return self.error(401, "Unauthorized")
        handler = getattr(self, f"api_{name}", None)
        if handler is None:
            return self.error(404, "Not Found")
        if name in self.garbled:
            return self.ok("garbled")
        if "chat_id" in body and name != "sendMessage":
            if str(body["chat_id"]) != self.chat_id:
                return self.error(400, "Bad Request: chat not found")
            if not self.bot_in_channel:
                return self.error(403, "Forbidden: bot is not a member of the channel chat")
            if name in ("banChatMember", "unbanChatMember") and not self.bot_can_restrict:
                return self.error(400, "Bad Request: not enough rights to restrict/unrestrict chat member")
        return handler(body)

    def api_getMe(self, body):
        return self.ok(self.bot_user())

    def api_setWebhook(self, body):
        self.webhook = body
        return self.ok(True)

    def api_deleteWebhook(self, body):
        self.webhook = {}
        return self.ok(True)

    def api_getUpdates(self, body):
        offset = int(body.get("offset") or 0)
        self.pending_updates = [u for u in self.pending_updates if u["update_id"] >= offset]
        return self.ok(list(self.pending_updates))

    def api_createChatInviteLink(self, body):
        link = f"https://t.me/+fake{next(self._ids):06d}"
        invite = {
            "invite_link": link,
            "creator": self.bot_user(),
            "creates_join_request": bool(body.get("creates_join_request", False)),
            "is_primary": False,
            "is_revoked": False,
        }
        for key in ("name", "expire_date", "member_limit"):
            if key in body:
                invite[key] = int(body[key]) if key != "name" else body[key]
        self.invite_links[link] = invite
        return self.ok(invite)

    def api_revokeChatInviteLink(self, body):
        invite = self.invite_links.get(body.get("invite_link"))
        if invite is None:
            return self.error(400, "Bad Request: INVITE_HASH_EXPIRED")
        invite["is_revoked"] = True
        return self.ok(invite)

    def channel_posts(self, chat_id: str | None = None) -> list[dict]:
        chat = chat_id or self.chat_id
        return [post for post in self.posts if post["chat_id"] == chat]

    def _channel_refusal(self, chat_id: str, *, right: bool):
        if chat_id != self.chat_id:
            return self.error(400, "Bad Request: chat not found")
        if not self.bot_in_channel:
            return self.error(403, "Forbidden: bot is not a member of the channel chat")
        if not right:
            return self.error(400, "Bad Request: need administrator rights in the channel chat")
        return None

    def _post_in_channel(self, body):
        chat_id = str(body["chat_id"])
        refusal = self._channel_refusal(chat_id, right=self.bot_can_post)
        if refusal:
            return refusal
        reply_parameters = body.get("reply_parameters") or {}
        reply_to = body.get("reply_to_message_id") or reply_parameters.get("message_id")
        if reply_to and not any(p["message_id"] == int(reply_to) for p in self.channel_posts(chat_id)):
            return self.error(400, "Bad Request: message to be replied not found")
        message_id = next(self._post_ids.setdefault(chat_id, itertools.count(1)))
        post = {"chat_id": chat_id, "message_id": message_id, "text": body.get("text", ""), "edits": 0}
        post["reply_to"] = int(reply_to) if reply_to else None
        self.posts.append(post)
        return self.ok(self._channel_message(post))

    def _channel_message(self, post: dict) -> dict:
        message = {
            "message_id": post["message_id"],
            "date": int(time.time()),
            "chat": {"id": int(post["chat_id"]), "type": "channel", "title": "CalmnessFi"},
            "text": post["text"],
        }
        if post["edits"]:
            message["edit_date"] = int(time.time())
        return message

    def api_editMessageText(self, body):
        chat_id = str(body["chat_id"])
        refusal = self._channel_refusal(chat_id, right=self.bot_can_edit)
        if refusal:
            return refusal
        post = next((p for p in self.channel_posts(chat_id) if p["message_id"] == int(body["message_id"])), None)
        if post is None:
            return self.error(400, "Bad Request: message to edit not found")
        if post["text"] == body.get("text", ""):
            return self.error(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message",
            )
        post["text"], post["edits"] = body.get("text", ""), post["edits"] + 1
        return self.ok(self._channel_message(post))

    def api_sendMessage(self, body):
        if str(body["chat_id"]).startswith("-"):  # a group or channel, not a person
            return self._post_in_channel(body)
        chat_id = int(body["chat_id"])
        if chat_id in self.blocked_bot:
            return self.error(403, "Forbidden: bot can't initiate conversation with a user")
        self.messages.append({"chat_id": chat_id, "text": body.get("text", "")})
        return self.ok(
            {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": body.get("text", ""),
            }
        )

    def _user(self, body) -> int | None:
        user_id = int(body["user_id"])
        return None if user_id in self.unknown_users else user_id

    def api_banChatMember(self, body):
        user_id = self._user(body)
        if user_id is None:
            return self.error(400, "Bad Request: PARTICIPANT_ID_INVALID")
        self.banned.add(user_id)
        self.members[user_id] = "kicked"
        return self.ok(True)

    def api_unbanChatMember(self, body):
        user_id = self._user(body)
        if user_id is None:
            return self.error(400, "Bad Request: PARTICIPANT_ID_INVALID")
        only_if_banned = body.get("only_if_banned") in (True, "true")
        if user_id in self.banned:
            self.banned.discard(user_id)
            self.members[user_id] = "left"
        elif not only_if_banned:
            self.members.pop(user_id, None)  # the real API removes a member when not only_if_banned
        return self.ok(True)

    def api_approveChatJoinRequest(self, body):
        user_id = int(body["user_id"])
        self.approved.append(user_id)
        self.members[user_id] = "member"
        return self.ok(True)

    def api_declineChatJoinRequest(self, body):
        self.declined.append(int(body["user_id"]))
        return self.ok(True)

    def api_getChatMember(self, body):
        user_id = self._user(body)
        if user_id is None:
            return self.error(400, "Bad Request: PARTICIPANT_ID_INVALID")
        status = self.members.get(user_id, "left")
        member = {"status": status, "user": {"id": user_id, "is_bot": False, "first_name": "Membre"}}
        if status == "kicked":
            member["until_date"] = 0
        return self.ok(member)

    # helpers for tests: updates as Telegram would send them
    def start_update(self, *, user_id: int, text: str, update_id: int | None = None) -> dict:
        return {
            "update_id": update_id or next(self._ids),
            "message": {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private"},
                "from": {"id": user_id, "is_bot": False, "first_name": "Membre", "username": f"u{user_id}"},
                "text": text,
                "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
            },
        }

    def join(self, *, user_id: int, invite_link: str | None) -> dict:
        """Someone joins the channel (with a link); returns the chat_member update Telegram would send."""
        self.members[user_id] = "member"
        invite = self.invite_links.get(invite_link) if invite_link else None
        return self._chat_member_update(user_id, "left", "member", invite)

    def leave(self, *, user_id: int) -> dict:
        self.members[user_id] = "left"
        return self._chat_member_update(user_id, "member", "left", None)

    def join_request_update(self, *, user_id: int) -> dict:
        return {
            "update_id": next(self._ids),
            "chat_join_request": {
                "chat": {"id": int(self.chat_id), "type": "channel", "title": "CalmnessFi"},
                "from": {"id": user_id, "is_bot": False, "first_name": "Inconnu"},
                "user_chat_id": user_id,
                "date": int(time.time()),
            },
        }

    def _chat_member_update(self, user_id: int, old: str, new: str, invite: dict | None) -> dict:
        user = {"id": user_id, "is_bot": False, "first_name": "Membre"}
        update = {
            "chat": {"id": int(self.chat_id), "type": "channel", "title": "CalmnessFi"},
            "from": user,
            "date": int(time.time()),
            "old_chat_member": {"status": old, "user": user},
            "new_chat_member": {"status": new, "user": user},
        }
        if invite:
            update["invite_link"] = invite
        return {"update_id": next(self._ids), "chat_member": update}

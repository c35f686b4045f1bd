"""A fake Discord HTTP API (v10 subset), reached by discord.py through DISCORD_API_BASE_URL / Route.BASE.

Like the real one: JSON with the content type exactly `application/json`, 204 without body, 429 with
`retry_after` in the body AND a `Via` header (discord.py treats a 429 without `Via` as a Cloudflare ban),
error bodies `{"message", "code"}`. State: guild members and their roles, the guild's roles (position and
permissions, the bot's included), bans, OAuth grants (single-use refresh tokens).

Permissions as Discord documents them: the bot acts with the union of its roles' permissions (and @everyone's);
it may only grant or remove a role below its own highest role, and only kick a member whose highest role is
below its own (403 `50013 Missing Permissions` otherwise); a banned user cannot be added (403 `40007 The user is
banned from this guild.`).

The signals channel (publishing/): `POST /channels/{id}/messages` stores the message (snowflake ids increasing);
with `enforce_nonce` a nonce already used in that channel within NONCE_WINDOW_SECONDS returns the message it
created instead of a new one, as Discord does; a reply (`message_reference`) to an unknown message is `400 50035
Invalid Form Body`; `PATCH /channels/{id}/messages/{mid}` edits (`404 10008 Unknown Message`). An unknown channel
is `404 10003 Unknown Channel`, a bot without Send Messages (or Read Message History, for a reply) in it `403 50013
Missing Permissions`. `delay_answer()` holds an answer back after the request took effect (a client timeout).
"""

import itertools
import re
import secrets
import time

from tests.fakes.base import FakeServer

BOT_USER_ID = "900000000000000001"
APPLICATION_ID = "900000000000000002"
BOT_ROLE_ID = "800000000000000003"
STAFF_ROLE_ID = "800000000000000004"

# Permission bits (https://discord.com/developers/docs/topics/permissions)
CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
ADMINISTRATOR = 1 << 3
MANAGE_ROLES = 1 << 28

MEMBER = re.compile(r"^/guilds/(?P<guild>\d+)/members/(?P<user>\d+)$")
ROLE = re.compile(r"^/guilds/(?P<guild>\d+)/members/(?P<user>\d+)/roles/(?P<role>\d+)$")
GUILD_ROLES = re.compile(r"^/guilds/(?P<guild>\d+)/roles$")
CHANNEL_MESSAGES = re.compile(r"^/channels/(?P<channel>\d+)/messages$")
CHANNEL_MESSAGE = re.compile(r"^/channels/(?P<channel>\d+)/messages/(?P<message>\d+)$")
SIGNALS_CHANNEL_ID = "700000000000000001"
NONCE_WINDOW_SECONDS = 300


class FakeDiscord(FakeServer):
    MUTATING = frozenset(
        {"add_member", "kick", "add_role", "remove_role", "oauth_token", "create_message", "edit_message"}
    )
    PREFIX = "/api/v10"

    def __init__(
        self,
        *,
        bot_token: str = "discord-bot-token",
        guild_id: str = "800000000000000001",
        role_id: str = "800000000000000002",
        client_id: str = "client-id",
        client_secret: str = "secret",
    ):
        super().__init__()
        self.bot_token = bot_token
        self.guild_id = guild_id
        self.role_id = role_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.members: dict[str, set[str]] = {}  # user id -> role ids
        self.codes: dict[str, str] = {}  # authorisation code -> user id
        self.access_tokens: dict[str, str] = {}  # access token -> user id
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> user id (deleted once used)
        self.unknown_users: set[str] = set()
        self.banned: set[str] = set()
        self.roles: dict[str, dict] = {
            guild_id: self.role_payload(guild_id, "@everyone", 0, 0),
            role_id: self.role_payload(role_id, "Abonné", 1, 0),
            BOT_ROLE_ID: self.role_payload(
                BOT_ROLE_ID, "CalmnessFi", 5, CREATE_INSTANT_INVITE | KICK_MEMBERS | MANAGE_ROLES
            ),
        }
        self.bot_roles: set[str] = {BOT_ROLE_ID}
        self._ids = itertools.count(1)
        self.signals_channel_id = SIGNALS_CHANNEL_ID
        self.channel_messages: dict[str, list[dict]] = {SIGNALS_CHANNEL_ID: []}
        self.bot_can_send_messages = True
        self.bot_can_read_history = True
        self._nonces: dict[tuple[str, str], tuple[dict, float]] = {}  # (channel, nonce) -> (message, when)
        self._message_ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        return f"{self.url}{self.PREFIX}"

    def name_of(self, method: str, path: str) -> str:
        path = path.removeprefix(self.PREFIX)
        if CHANNEL_MESSAGES.match(path):
            return "create_message" if method == "POST" else "get_messages"
        if CHANNEL_MESSAGE.match(path):
            return "edit_message" if method == "PATCH" else "message"
        if GUILD_ROLES.match(path):
            return "get_roles"
        if ROLE.match(path):
            return "add_role" if method == "PUT" else "remove_role"
        if MEMBER.match(path):
            return {"PUT": "add_member", "DELETE": "kick", "GET": "get_member"}.get(method, path)
        return {"/users/@me": "me", "/oauth2/applications/@me": "application", "/oauth2/token": "oauth_token"}.get(
            path, path
        )

    # answers
    @staticmethod
    def json(status: int, payload):
        return status, payload, {}

    @staticmethod
    def no_content():
        return 204, None, {}

    @staticmethod
    def error(status: int, message: str, code: int):
        return status, {"message": message, "code": code}, {}

    def rate_limited(self, wait: float):
        payload = {"message": "You are being rate limited.", "retry_after": round(wait, 3), "global": False}
        return 429, payload, {"Via": "1.1 google", "Retry-After": str(max(1, round(wait))), "X-RateLimit-Scope": "user"}

    def failed(self, failure):
        if failure.status == 429:
            return self.rate_limited(failure.retry_after or 0.05)
        errors = {
            403: ("Missing Permissions", 50013),
            404: ("Unknown User", 10013),
            500: ("500: Internal Server Error", 0),
            400: ("Invalid OAuth2 access token", 50025),
        }
        message, code = errors.get(failure.status, ("Error", 0))
        return self.error(failure.status, failure.description or message, code)

    # OAuth helpers for tests
    def authorise(self, *, user_id: str) -> str:
        """The member clicked "Authorise" for `user_id`: returns the code Discord would pass to the callback."""
        code = f"code-{secrets.token_hex(6)}"
        self.codes[code] = user_id
        return code

    def grant(self, *, user_id: str) -> tuple[str, str]:
        access, refresh = f"access-{secrets.token_hex(8)}", f"refresh-{secrets.token_hex(8)}"
        self.access_tokens[access] = user_id
        self.refresh_tokens[refresh] = user_id
        return access, refresh

    def expire_access_tokens(self) -> None:
        self.access_tokens.clear()

    # Moderation and permissions, as set up on the server by its admins
    def ban(self, *, user_id: str) -> None:
        """The server's moderators banned this user: they leave the server and cannot be added back."""
        self.banned.add(user_id)
        self.members.pop(user_id, None)

    def give_staff_role(self, *, user_id: str) -> None:
        """A "Modération" role placed above the bot's role, given to a member (so the bot cannot kick them)."""
        self.roles.setdefault(STAFF_ROLE_ID, self.role_payload(STAFF_ROLE_ID, "Modération", 10, KICK_MEMBERS))
        self.members.setdefault(user_id, set()).add(STAFF_ROLE_ID)

    def take_bot_permission(self, permission: int) -> None:
        """An admin unticked a permission of the bot's role."""
        role = self.roles[BOT_ROLE_ID]
        role["permissions"] = str(int(role["permissions"]) & ~permission)

    @staticmethod
    def role_payload(role_id: str, name: str, position: int, permissions: int) -> dict:
        return {
            "id": role_id,
            "name": name,
            "color": 0,
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": position,
            "permissions": str(permissions),
            "managed": role_id == BOT_ROLE_ID,
            "mentionable": False,
            "flags": 0,
        }

    def _bot_permissions(self) -> int:
        permissions = 0
        for role_id in {self.guild_id, *self.bot_roles}:
            permissions |= int(self.roles[role_id]["permissions"])
        return ~0 if permissions & ADMINISTRATOR else permissions

    def _top_position(self, role_ids) -> int:
        return max((self.roles[r]["position"] for r in role_ids if r in self.roles), default=0)

    def _bot_may(self, permission: int, *, below: int = -1) -> bool:
        """The bot holds `permission` and its highest role is above position `below`."""
        return bool(self._bot_permissions() & permission) and self._top_position(self.bot_roles) > below

    def missing_permissions(self):
        return self.error(403, "Missing Permissions", 50013)

    def route(self, method, path, body, headers):
        path = path.removeprefix(self.PREFIX)
        auth = headers.get("Authorization", "")
        if path == "/oauth2/token" and method == "POST":
            return self.oauth_token(body)
        if auth.startswith("Bearer "):
            user_id = self.access_tokens.get(auth.removeprefix("Bearer "))
            if path == "/users/@me" and user_id:
                return self.json(200, self.user(user_id))
            return self.error(401, "401: Unauthorized", 0)
        if auth != f"Bot {self.bot_token}":
            return self.error(401, "401: Unauthorized", 0)
        if path == "/users/@me":
            return self.json(200, {**self.user(BOT_USER_ID), "bot": True})
        if path == "/oauth2/applications/@me":
            return self.json(200, self.application())
        if match := GUILD_ROLES.match(path):
            if match["guild"] != self.guild_id:
                return self.error(404, "Unknown Guild", 10004)
            return self.json(200, sorted(self.roles.values(), key=lambda role: role["position"]))
        if match := ROLE.match(path):
            return self.role(method, match)
        if match := MEMBER.match(path):
            return self.member(method, match, body)
        if (match := CHANNEL_MESSAGES.match(path)) and method == "POST":
            return self.create_message(match["channel"], body)
        if (match := CHANNEL_MESSAGE.match(path)) and method == "PATCH":
            return self.edit_message(match["channel"], match["message"], body)
        return self.error(404, "404: Not Found", 0)

    # The signals channel
    def messages_in(self, channel_id: str | None = None) -> list[dict]:
        return self.channel_messages.get(channel_id or self.signals_channel_id, [])

    def create_message(self, channel_id: str, body: dict):
        if channel_id not in self.channel_messages:
            return self.error(404, "Unknown Channel", 10003)
        reference = body.get("message_reference") or {}
        if not self.bot_can_send_messages or (reference and not self.bot_can_read_history):
            return self.missing_permissions()
        nonce = str(body.get("nonce") or "")
        if nonce and body.get("enforce_nonce"):
            seen = self._nonces.get((channel_id, nonce))
            if seen and time.monotonic() - seen[1] < NONCE_WINDOW_SECONDS:
                return self.json(200, seen[0])  # the message the first request created
        reply_to = str(reference.get("message_id") or "")
        if reply_to and not any(m["id"] == reply_to for m in self.channel_messages[channel_id]):
            return self.error(400, "Invalid Form Body", 50035)
        message = {
            "id": str(1_100_000_000_000_000_000 + next(self._message_ids)),
            "channel_id": channel_id,
            "author": {**self.user(BOT_USER_ID), "bot": True},
            "content": body.get("content", ""),
            "nonce": nonce or None,
            "flags": int(body.get("flags") or 0),
            "allowed_mentions": body.get("allowed_mentions"),
            "message_reference": {"message_id": reply_to, "channel_id": channel_id} if reply_to else None,
            "edited_timestamp": None,
            "timestamp": "2026-01-01T00:00:00+00:00",
            "type": 19 if reply_to else 0,
        }
        self.channel_messages[channel_id].append(message)
        if nonce:
            self._nonces[(channel_id, nonce)] = (message, time.monotonic())
        return self.json(200, message)

    def edit_message(self, channel_id: str, message_id: str, body: dict):
        if channel_id not in self.channel_messages:
            return self.error(404, "Unknown Channel", 10003)
        message = next((m for m in self.channel_messages[channel_id] if m["id"] == message_id), None)
        if message is None:
            return self.error(404, "Unknown Message", 10008)
        if message["author"]["id"] != BOT_USER_ID:
            return self.error(403, "Cannot edit a message authored by another user", 50005)
        message["content"] = body.get("content", message["content"])
        message["edited_timestamp"] = "2026-01-01T00:01:00+00:00"
        return self.json(200, message)

    def user(self, user_id: str) -> dict:
        return {
            "id": user_id,
            "username": f"membre{user_id[-4:]}",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
        }

    def application(self) -> dict:
        return {
            "id": APPLICATION_ID,
            "name": "CalmnessFi",
            "icon": None,
            "description": "",
            "rpc_origins": [],
            "bot_public": False,
            "bot_require_code_grant": False,
            "owner": self.user("900000000000000003"),
            "summary": "",
            "verify_key": "0" * 64,
            "flags": 0,
        }

    def member_payload(self, user_id: str) -> dict:
        if user_id == BOT_USER_ID:
            return self.member_payload_for({**self.user(BOT_USER_ID), "bot": True}, self.bot_roles)
        return self.member_payload_for(self.user(user_id), self.members[user_id])

    @staticmethod
    def member_payload_for(user: dict, roles) -> dict:
        return {
            "user": user,
            "roles": sorted(roles),
            "joined_at": "2026-01-01T00:00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
            "avatar": None,
        }

    def oauth_token(self, body):
        if body.get("client_id") != self.client_id or body.get("client_secret") != self.client_secret:
            return self.json(401, {"error": "invalid_client"})
        if body.get("grant_type") == "authorization_code":
            user_id = self.codes.pop(body.get("code", ""), None)
        elif body.get("grant_type") == "refresh_token":
            user_id = self.refresh_tokens.pop(body.get("refresh_token", ""), None)  # single use
        else:
            return self.json(400, {"error": "unsupported_grant_type"})
        if user_id is None:
            return self.json(400, {"error": "invalid_grant"})
        access, refresh = self.grant(user_id=user_id)
        return self.json(
            200,
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": 604800,
                "refresh_token": refresh,
                "scope": "identify guilds.join",
            },
        )

    def member(self, method, match, body):
        if match["guild"] != self.guild_id:
            return self.error(404, "Unknown Guild", 10004)
        user_id = match["user"]
        if user_id in self.unknown_users:
            return self.error(404, "Unknown User", 10013)
        if method == "GET":
            if user_id not in self.members and user_id != BOT_USER_ID:
                return self.error(404, "Unknown Member", 10007)
            return self.json(200, self.member_payload(user_id))
        if method == "PUT":
            if user_id in self.members:
                return self.no_content()  # already a member: Discord ignores the roles then
            roles = {str(role) for role in body.get("roles", [])}
            if any(role not in self.roles for role in roles):
                return self.error(404, "Unknown Role", 10011)
            if not self._bot_may(CREATE_INSTANT_INVITE) or (
                roles and not self._bot_may(MANAGE_ROLES, below=self._top_position(roles))
            ):
                return self.missing_permissions()
            if user_id in self.banned:
                return self.error(403, "The user is banned from this guild.", 40007)
            if self.access_tokens.get(body.get("access_token", "")) != user_id:
                return self.error(403, "Invalid OAuth2 access token", 50025)
            self.members[user_id] = roles
            return self.json(201, self.member_payload(user_id))
        if method == "DELETE":
            if user_id not in self.members:
                return self.error(404, "Unknown Member", 10007)
            if not self._bot_may(KICK_MEMBERS, below=self._top_position(self.members[user_id])):
                return self.missing_permissions()
            del self.members[user_id]
            return self.no_content()
        return self.error(405, "405: Method Not Allowed", 0)

    def role(self, method, match):
        if match["guild"] != self.guild_id:
            return self.error(404, "Unknown Guild", 10004)
        if match["role"] not in self.roles:
            return self.error(404, "Unknown Role", 10011)
        user_id = match["user"]
        if user_id in self.unknown_users or user_id not in self.members:
            return self.error(404, "Unknown Member", 10007)
        if not self._bot_may(MANAGE_ROLES, below=self.roles[match["role"]]["position"]):
            return self.missing_permissions()
        if method == "PUT":
            self.members[user_id].add(match["role"])
        else:
            self.members[user_id].discard(match["role"])
        return self.no_content()

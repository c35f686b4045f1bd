"""Thin synchronous wrappers over the real libraries: python-telegram-bot and discord.py (HTTP only).

Each wrapper owns one asyncio event loop and runs one library call at a time on it, so the Django ORM
stays synchronous between calls. Nothing connects until the first call: a run with nothing to do
makes no request at all. Errors are sorted into three kinds:

- `PlatformUnavailable`: the bot itself cannot act (no rights, wrong chat/guild, token refused); the
  run stops for that platform.
- `MemberActionFailed`: this member only (unknown user, outage, expired OAuth token); retried later.
- rate limits: waited for and retried here (Telegram `RetryAfter`) or by discord.py itself.
"""

import asyncio
import logging
import os
import time
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta

# Opt in to python-telegram-bot's time periods as timedelta (the v22 default warns on every RetryAfter).
os.environ.setdefault("PTB_TIMEDELTA", "true")

import discord
import httpx
import telegram
from discord import http as discord_http
from django.conf import settings
from django.utils.translation import gettext as _
from telegram import error as tg_error
from telegram.request import HTTPXRequest
from telegram.warnings import PTBUserWarning

logger = logging.getLogger("calmnessfi.channels")

MAX_RATE_LIMIT_RETRIES = 5
MAX_RATE_LIMIT_WAIT_SECONDS = 60


class PlatformUnavailable(Exception):
    """The bot cannot act on the chat or guild: stop this platform for this run."""


class MemberActionFailed(Exception):
    """One member's action failed; `needs_member` when only the member can fix it (re-link)."""

    def __init__(self, message: str, *, response: dict | None = None, needs_member: bool = False):
        super().__init__(message)
        self.response = response or {}
        self.needs_member = needs_member


class Pacer:
    """Spaces requests to at most `per_second` (0 = no pacing), so the API's limit is rarely hit."""

    def __init__(self, per_second: float):
        self.interval = 1.0 / per_second if per_second else 0.0
        self._next = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if self._next > now:
            time.sleep(self._next - now)
        self._next = max(now, self._next) + self.interval


def telegram_configured() -> bool:
    return bool(settings.TELEGRAM_BOT_TOKEN and settings.TELEGRAM_CHANNEL_ID)


def discord_configured() -> bool:
    return bool(settings.DISCORD_BOT_TOKEN and settings.DISCORD_GUILD_ID and settings.DISCORD_ROLE_ID)


def _to_dict(result) -> dict:
    if hasattr(result, "to_dict"):
        return result.to_dict()
    return {"result": result}


_CHAT_ERRORS = (
    "not enough rights",
    "chat not found",
    "chat_admin_required",
    "not a member of the channel",
    "have no rights",
    "need administrator rights",
)


class _SyncClient:
    """Runs an async library's calls synchronously on a private event loop, opened on first use.

    Subclasses implement `_start()` (log in) and `_stop()` (close sessions) as coroutine functions.
    """

    loop: asyncio.AbstractEventLoop | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    async def _start(self) -> None:
        raise NotImplementedError

    async def _stop(self) -> None:
        raise NotImplementedError

    def _ensure(self) -> None:
        if self.loop is not None:
            return
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(self._start())

    def close(self) -> None:
        if self.loop is None:
            return
        try:
            self.loop.run_until_complete(self._stop())
        finally:
            self.loop.close()
            self.loop = None


class TelegramClient(_SyncClient):
    """python-telegram-bot's `Bot`, pointed at settings.TELEGRAM_API_BASE_URL, used synchronously."""

    def __init__(self):
        self.chat_id = settings.TELEGRAM_CHANNEL_ID
        self.bot = telegram.Bot(
            settings.TELEGRAM_BOT_TOKEN,
            base_url=settings.TELEGRAM_API_BASE_URL,
            request=HTTPXRequest(connection_pool_size=8, read_timeout=15, connect_timeout=10),
        )
        self.pacer = Pacer(settings.TELEGRAM_MAX_REQUESTS_PER_SECOND)
        self.rate_limited = 0  # 429s answered and waited for

    async def _start(self) -> None:
        try:
            await self.bot.initialize()  # getMe
        except tg_error.InvalidToken as exc:
            raise PlatformUnavailable(_("Telegram : le jeton du bot est refusé (TELEGRAM_BOT_TOKEN).")) from exc
        except tg_error.TelegramError as exc:
            raise PlatformUnavailable(_("Telegram injoignable : %(error)s") % {"error": exc}) from exc

    async def _stop(self) -> None:
        await self.bot.shutdown()

    def _call(self, make_coro, *, chat_level: bool):
        """Run one Bot API call: waits out 429s (bounded), sorts errors into the module's kinds."""
        self._ensure()
        for attempt in range(MAX_RATE_LIMIT_RETRIES + 1):
            self.pacer.wait()
            try:
                return self.loop.run_until_complete(make_coro())
            except tg_error.RetryAfter as exc:
                retry_after = exc.retry_after
                wait = retry_after.total_seconds() if hasattr(retry_after, "total_seconds") else float(retry_after)
                self.rate_limited += 1
                if attempt == MAX_RATE_LIMIT_RETRIES or wait > MAX_RATE_LIMIT_WAIT_SECONDS:
                    raise MemberActionFailed(
                        _("Telegram limite le débit (réessayer dans %(s)s s).") % {"s": wait},
                        response={"retry_after": wait},
                    ) from exc
                time.sleep(wait)
            except tg_error.InvalidToken as exc:
                raise PlatformUnavailable(_("Telegram : le jeton du bot est refusé (TELEGRAM_BOT_TOKEN).")) from exc
            except (tg_error.Forbidden, tg_error.BadRequest) as exc:
                message = str(exc)
                chat_problem = isinstance(exc, tg_error.Forbidden) or any(
                    marker in message.lower() for marker in _CHAT_ERRORS
                )
                if chat_level and chat_problem:
                    raise PlatformUnavailable(
                        _(
                            "Telegram : le bot n'a pas les droits nécessaires dans le canal %(chat)s "
                            "(il doit être administrateur avec les droits « Inviter des utilisateurs » et "
                            "« Bannir des utilisateurs »). Réponse : %(error)s"
                        )
                        % {"chat": self.chat_id, "error": message}
                    ) from exc
                raise MemberActionFailed(message, response={"description": message}) from exc
            except tg_error.TelegramError as exc:  # NetworkError, TimedOut, 5xx
                raise MemberActionFailed(str(exc), response={"description": str(exc)}) from exc
        raise AssertionError("unreachable")

    # operations
    def create_invite(self, *, name: str, expires_at: datetime) -> dict:
        link = self._call(
            lambda: self.bot.create_chat_invite_link(
                chat_id=self.chat_id, name=name[:32], expire_date=expires_at, member_limit=1
            ),
            chat_level=True,
        )
        return _to_dict(link)

    def revoke_invite(self, *, invite_link: str) -> dict:
        return _to_dict(
            self._call(
                lambda: self.bot.revoke_chat_invite_link(chat_id=self.chat_id, invite_link=invite_link),
                chat_level=True,
            )
        )

    def send_message(self, *, user_id: str, text: str) -> dict:
        return _to_dict(self._call(lambda: self.bot.send_message(chat_id=int(user_id), text=text), chat_level=False))

    def remove_member(self, *, user_id: str) -> dict:
        """Ban then unban: the person leaves the channel and may come back after a renewal."""
        self._call(lambda: self.bot.ban_chat_member(chat_id=self.chat_id, user_id=int(user_id)), chat_level=True)
        self._call(
            lambda: self.bot.unban_chat_member(chat_id=self.chat_id, user_id=int(user_id), only_if_banned=True),
            chat_level=True,
        )
        return {"banned": True, "unbanned": True}

    def approve_join_request(self, *, user_id: str) -> dict:
        return _to_dict(
            self._call(
                lambda: self.bot.approve_chat_join_request(chat_id=self.chat_id, user_id=int(user_id)),
                chat_level=True,
            )
        )

    def decline_join_request(self, *, user_id: str) -> dict:
        return _to_dict(
            self._call(
                lambda: self.bot.decline_chat_join_request(chat_id=self.chat_id, user_id=int(user_id)),
                chat_level=True,
            )
        )

    def member_status(self, *, user_id: str) -> str:
        member = self._call(
            lambda: self.bot.get_chat_member(chat_id=self.chat_id, user_id=int(user_id)), chat_level=True
        )
        return member.status

    def get_updates(self, *, offset: int | None, timeout: int) -> list:
        """The raw updates (JSON values): `Bot.get_updates` parses them all at once, so one malformed
        update would fail every call and block the poll loop on it forever."""
        api_kwargs = {"timeout": timeout, "allowed_updates": ALLOWED_UPDATES}
        if offset is not None:
            api_kwargs["offset"] = offset

        async def raw_updates():
            with warnings.catch_warnings():
                # do_api_request warns that Bot.get_updates exists; the parsing it does is what we avoid.
                warnings.filterwarnings("ignore", message="Please use 'Bot.get_updates'", category=PTBUserWarning)
                return await self.bot.do_api_request("get_updates", api_kwargs=api_kwargs, read_timeout=timeout + 10)

        result = self._call(raw_updates, chat_level=False)
        return result if isinstance(result, list) else []

    def set_webhook(self, *, url: str, secret: str) -> bool:
        return self._call(
            lambda: self.bot.set_webhook(url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES),
            chat_level=False,
        )


ALLOWED_UPDATES = ["message", "chat_join_request", "chat_member"]

_DISCORD_MEMBER_ERRORS = {10007, 10013}  # Unknown Member, Unknown User
_DISCORD_TOKEN_ERRORS = {50025}  # Invalid OAuth2 access token
_DISCORD_UNKNOWN_GUILD = 10004
_DISCORD_UNKNOWN_ROLE = 10011


class DiscordClient(_SyncClient):
    """discord.py's HTTPClient logged in with the bot token, without any gateway connection."""

    def __init__(self):
        self.guild_id = settings.DISCORD_GUILD_ID
        self.role_id = settings.DISCORD_ROLE_ID
        self.pacer = Pacer(settings.DISCORD_MAX_REQUESTS_PER_SECOND)
        self.http: discord_http.HTTPClient | None = None
        # discord.py builds every URL from this class attribute (set before any Route is made).
        discord_http.Route.BASE = settings.DISCORD_API_BASE_URL.rstrip("/")

    async def _start(self) -> None:
        self.http = discord_http.HTTPClient(self.loop)
        try:
            await self.http.static_login(settings.DISCORD_BOT_TOKEN)  # GET /users/@me
        except discord.LoginFailure as exc:
            raise PlatformUnavailable(_("Discord : le jeton du bot est refusé (DISCORD_BOT_TOKEN).")) from exc
        except (discord.HTTPException, OSError) as exc:
            raise PlatformUnavailable(_("Discord injoignable : %(error)s") % {"error": exc}) from exc

    async def _stop(self) -> None:
        await self.http.close()

    def _call(self, make_coro):
        self._ensure()
        self.pacer.wait()
        try:
            return self.loop.run_until_complete(make_coro())
        except discord.Forbidden as exc:
            if exc.code in _DISCORD_TOKEN_ERRORS:
                raise MemberActionFailed(exc.text, response={"code": exc.code}, needs_member=True) from exc
            raise PlatformUnavailable(
                _(
                    "Discord : le bot n'a pas les droits nécessaires sur le serveur %(guild)s (« Gérer les rôles », "
                    "« Créer une invitation », « Expulser des membres », et son rôle au-dessus du rôle "
                    "abonné). Réponse : %(error)s"
                )
                % {"guild": self.guild_id, "error": exc.text}
            ) from exc
        except discord.HTTPException as exc:  # NotFound, 5xx after discord.py's retries, 400
            # A wrong guild or role id is a setting to fix, not each member's problem: stop the platform.
            if exc.code == _DISCORD_UNKNOWN_GUILD:
                raise PlatformUnavailable(
                    _(
                        "Discord : le serveur %(guild)s est inconnu (« Unknown Guild »). Vérifiez DISCORD_GUILD_ID "
                        "(identifiant du serveur) et que le bot y a bien été invité."
                    )
                    % {"guild": self.guild_id}
                ) from exc
            if exc.code == _DISCORD_UNKNOWN_ROLE:
                raise PlatformUnavailable(
                    _(
                        "Discord : le rôle %(role)s est inconnu sur le serveur %(guild)s (« Unknown Role »). "
                        "Vérifiez DISCORD_ROLE_ID (identifiant du rôle abonné)."
                    )
                    % {"role": self.role_id, "guild": self.guild_id}
                ) from exc
            raise MemberActionFailed(exc.text or str(exc), response={"status": exc.status, "code": exc.code}) from exc
        except discord.RateLimited as exc:
            raise MemberActionFailed(str(exc), response={"retry_after": exc.retry_after}) from exc
        except OSError as exc:
            raise MemberActionFailed(str(exc)) from exc

    def add_member(self, *, user_id: str, access_token: str) -> dict:
        """Adds the member with the subscriber role; a person already in the guild only gets the role."""
        route = discord_http.Route(
            "PUT", "/guilds/{guild_id}/members/{user_id}", guild_id=self.guild_id, user_id=user_id
        )
        payload = {"access_token": access_token, "roles": [self.role_id]}
        data = self._call(lambda: self.http.request(route, json=payload))
        if not data:  # 204: already in the guild, Discord ignored `roles`
            self._call(lambda: self.http.add_role(self.guild_id, user_id, self.role_id, reason="Abonnement actif"))
            return {"already_member": True, "role_added": True}
        return data if isinstance(data, dict) else {"result": data}

    def remove_member(self, *, user_id: str) -> dict:
        """Removes the role (or kicks, DISCORD_REMOVAL_MODE=kick). Someone already gone counts as removed."""
        try:
            if settings.DISCORD_REMOVAL_MODE == "kick":
                self._call(lambda: self.http.kick(user_id, self.guild_id, reason="Abonnement terminé"))
                return {"kicked": True}
            self._call(lambda: self.http.remove_role(self.guild_id, user_id, self.role_id, reason="Abonnement terminé"))
            return {"role_removed": True}
        except MemberActionFailed as exc:
            if exc.response.get("code") in _DISCORD_MEMBER_ERRORS:
                return {"already_gone": True, "code": exc.response["code"]}
            raise


@dataclass(frozen=True)
class OAuthTokens:
    access_token: str
    refresh_token: str
    expires_at: datetime


class OAuthError(Exception):
    pass


def _oauth_post(data: dict, now: datetime) -> OAuthTokens:
    """The OAuth2 token endpoint (not a bot call, so plain httpx)."""
    data = {**data, "client_id": settings.DISCORD_CLIENT_ID, "client_secret": settings.DISCORD_CLIENT_SECRET}
    try:
        response = httpx.post(f"{settings.DISCORD_API_BASE_URL}/oauth2/token", data=data, timeout=15)
    except httpx.HTTPError as exc:
        raise OAuthError(str(exc)) from exc
    if response.status_code != 200:
        raise OAuthError(f"{response.status_code} {response.text[:200]}")
    body = response.json()
    return OAuthTokens(
        access_token=body["access_token"],
        refresh_token=body.get("refresh_token", ""),
        expires_at=now + timedelta(seconds=int(body.get("expires_in", 0))),
    )


def discord_exchange_code(*, code: str, now: datetime) -> OAuthTokens:
    return _oauth_post(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": settings.DISCORD_REDIRECT_URI}, now
    )


def discord_refresh(*, refresh_token: str, now: datetime) -> OAuthTokens:
    return _oauth_post({"grant_type": "refresh_token", "refresh_token": refresh_token}, now)


def discord_user_for_token(*, access_token: str) -> dict:
    try:
        response = httpx.get(
            f"{settings.DISCORD_API_BASE_URL}/users/@me",
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=15,
        )
    except httpx.HTTPError as exc:
        raise OAuthError(str(exc)) from exc
    if response.status_code != 200:
        raise OAuthError(f"{response.status_code} {response.text[:200]}")
    return response.json()

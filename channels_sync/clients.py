"""Thin synchronous wrappers over the real libraries: python-telegram-bot and discord.py (HTTP only).

Each wrapper owns one asyncio event loop and runs one library call at a time on it, so the Django ORM
stays synchronous between calls. Nothing connects until the first call: a run with nothing to do
makes no request at all. Errors are sorted into three kinds:

- `PlatformUnavailable`: the bot itself cannot act (its rights, its token, a wrong chat, guild or role id);
  the run stops for that platform, with a French message naming what to fix.
- `MemberActionFailed`: this member only, retried later: a passing failure (outage, timeout, long rate
  limit), or a refusal of this member that only a person can lift (`refusal`: banned from the server, a role
  above the bot's, an account that no longer exists, an OAuth grant revoked).
- rate limits: waited for and retried here (Telegram `RetryAfter`) or by discord.py itself, within bounds.

Posting to the signals channels (publishing/, docs/architecture/publishing.md) sorts its errors differently, since
a message, unlike a member's access, must never be sent twice: `PostFailed` (nothing was posted: safe to try
again), `PostOutcomeUnknown` (the request may have arrived: a read timeout), `PostRefused` (the platform refused
this message for good), and `PlatformUnavailable` for the bot's rights or a wrong channel. Those calls do not wait
out rate limits: the task queue tries them again later.

Every call ends within CALL_TIMEOUT_SECONDS, its retries and rate-limit waits included: the sync renews its
lease on a member before each call (sync.LEASE, 10 minutes), so no call outlives the lease.
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
from telegram import LinkPreviewOptions, ReplyParameters
from telegram import error as tg_error
from telegram.request import HTTPXRequest
from telegram.warnings import PTBUserWarning

from channels_sync.models import ChannelMembership, Platform

logger = logging.getLogger("calmnessfi.channels")
Reason = ChannelMembership.Reason

MAX_RATE_LIMIT_RETRIES = 5
MAX_RATE_LIMIT_WAIT_SECONDS = 60  # Telegram: a longer flood wait fails the member's action (retried later)
DISCORD_MAX_RATE_LIMIT_WAIT_SECONDS = 30  # discord.py's smallest `max_ratelimit_timeout`: longer raises RateLimited
CALL_TIMEOUT_SECONDS = 120  # one call, its retries and waits included (logging in counts as one more call)


class PlatformUnavailable(Exception):
    """The bot cannot act on the chat or guild: stop this platform for this run."""


class PlatformUnreachable(PlatformUnavailable):
    """The platform did not answer when logging in (network, timeout): a passing failure, not a setting to fix."""


class PostFailed(Exception):
    """A post or edit failed before the platform acted on it (connection refused, 5xx, 429): safe to try again."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PostOutcomeUnknown(Exception):
    """The request was sent but no answer came (read timeout): the message may have been posted."""


class PostRefused(Exception):
    """The platform refused this message for good (the message to reply to or to edit no longer exists…)."""


class MemberActionFailed(Exception):
    """One member's action failed. `refusal` (a ChannelMembership.Reason) when the platform refused this member
    for good: someone (the member, or the server's admins) must act before a retry can succeed."""

    def __init__(self, message: str, *, response: dict | None = None, refusal: str = ""):
        super().__init__(message)
        self.response = response or {}
        self.refusal = refusal


def _timed_out(platform: str) -> MemberActionFailed:
    return MemberActionFailed(
        _("%(platform)s n'a pas répondu en %(s)s s (attentes et nouvelles tentatives comprises).")
        % {"platform": platform, "s": CALL_TIMEOUT_SECONDS}
    )


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


def platform_configured(platform: str) -> bool:
    """Whether this server has the platform's bot settings: a platform that is off invites and removes nobody,
    and is not shown to members."""
    return telegram_configured() if platform == Platform.TELEGRAM else discord_configured()


def _to_dict(result) -> dict:
    if hasattr(result, "to_dict"):
        return result.to_dict()
    return {"result": result}


_CHAT_RIGHTS_ERRORS = ("not enough rights", "chat_admin_required", "have no rights", "need administrator rights")


def _telegram_chat_problem(exc: tg_error.TelegramError, chat_id: str) -> str | None:
    """The French message for a refusal that concerns the bot in the channel (not one member), else None."""
    message = str(exc)
    lowered = message.lower()
    if "chat not found" in lowered:
        # Telegram's answer for an id that does not exist, and for a private channel the bot was never added to.
        return _(
            "Telegram : le canal %(chat)s est introuvable (« Chat not found »). Vérifiez TELEGRAM_CHANNEL_ID "
            "(l'identifiant numérique du canal, -100…) et que le bot a bien été ajouté au canal."
        ) % {"chat": chat_id}
    if isinstance(exc, tg_error.Forbidden):
        return _(
            "Telegram : le bot n'est pas (ou plus) membre du canal %(chat)s. Ajoutez-le comme administrateur avec "
            "les droits « Inviter des utilisateurs » et « Bannir des utilisateurs ». Réponse : %(error)s"
        ) % {"chat": chat_id, "error": message}
    if any(marker in lowered for marker in _CHAT_RIGHTS_ERRORS):
        return _(
            "Telegram : le bot n'a pas les droits nécessaires dans le canal %(chat)s (il doit être administrateur "
            "avec les droits « Inviter des utilisateurs » et « Bannir des utilisateurs »). Réponse : %(error)s"
        ) % {"chat": chat_id, "error": message}
    return None


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

    def _run(self, make_coro, timeout: float):
        """One library call on the loop, cancelled after `timeout` seconds (raises TimeoutError)."""
        if self.loop is None:
            raise RuntimeError("client not started (_ensure)")
        return self.loop.run_until_complete(asyncio.wait_for(make_coro(), timeout))

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

    def __init__(self, *, chat_id: str = ""):
        self.chat_id = chat_id or settings.TELEGRAM_CHANNEL_ID
        self.bot = telegram.Bot(
            settings.TELEGRAM_BOT_TOKEN,
            base_url=settings.TELEGRAM_API_BASE_URL,
            request=HTTPXRequest(connection_pool_size=8, read_timeout=15, connect_timeout=10),
        )
        self.pacer = Pacer(settings.TELEGRAM_MAX_REQUESTS_PER_SECOND)
        self.rate_limited = 0  # 429s answered and waited for

    async def _start(self) -> None:
        try:
            await asyncio.wait_for(self.bot.initialize(), CALL_TIMEOUT_SECONDS)  # getMe
        except TimeoutError as exc:
            raise PlatformUnreachable(
                _("Telegram injoignable : pas de réponse en %(s)s s.") % {"s": CALL_TIMEOUT_SECONDS}
            ) from exc
        except tg_error.InvalidToken as exc:
            raise PlatformUnavailable(_("Telegram : le jeton du bot est refusé (TELEGRAM_BOT_TOKEN).")) from exc
        except tg_error.NetworkError as exc:
            raise PlatformUnreachable(_("Telegram injoignable : %(error)s") % {"error": exc}) from exc
        except tg_error.TelegramError as exc:
            raise PlatformUnavailable(_("Telegram injoignable : %(error)s") % {"error": exc}) from exc

    async def _stop(self) -> None:
        await self.bot.shutdown()

    def _call(self, make_coro, *, chat_level: bool):
        """Run one Bot API call: waits out 429s (bounded, and all within CALL_TIMEOUT_SECONDS), sorts errors into
        the module's kinds."""
        self._ensure()
        deadline = time.monotonic() + CALL_TIMEOUT_SECONDS
        for attempt in range(MAX_RATE_LIMIT_RETRIES + 1):
            self.pacer.wait()
            try:
                return self._run(make_coro, max(deadline - time.monotonic(), 0.001))
            except TimeoutError as exc:
                raise _timed_out("Telegram") from exc
            except tg_error.RetryAfter as exc:
                retry_after = exc.retry_after
                wait = retry_after.total_seconds() if hasattr(retry_after, "total_seconds") else float(retry_after)
                self.rate_limited += 1
                if (
                    attempt == MAX_RATE_LIMIT_RETRIES
                    or wait > MAX_RATE_LIMIT_WAIT_SECONDS
                    or time.monotonic() + wait >= deadline
                ):
                    raise MemberActionFailed(
                        _("Telegram limite le débit (réessayer dans %(s)s s).") % {"s": wait},
                        response={"retry_after": wait},
                    ) from exc
                time.sleep(wait)
            except tg_error.InvalidToken as exc:
                raise PlatformUnavailable(_("Telegram : le jeton du bot est refusé (TELEGRAM_BOT_TOKEN).")) from exc
            except (tg_error.Forbidden, tg_error.BadRequest) as exc:
                problem = _telegram_chat_problem(exc, self.chat_id) if chat_level else None
                if problem:
                    raise PlatformUnavailable(problem) from exc
                message = str(exc)
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

    # Posting to the signals channel (publishing/): errors sorted for messages that must never be sent twice.
    def post_message(self, *, text: str, reply_to_message_id: str = "") -> str:
        """Posts `text` to the chat (a reply when `reply_to_message_id`); returns the new message's id. Raises
        PostOutcomeUnknown when the request went out but its answer did not come back: Telegram has no idempotency
        key, so the caller must not simply post again."""
        reply = ReplyParameters(message_id=int(reply_to_message_id)) if reply_to_message_id else None
        message = self._post_call(
            lambda: self.bot.send_message(
                chat_id=self.chat_id,
                text=text,
                reply_parameters=reply,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                read_timeout=settings.PUBLISHING_READ_TIMEOUT_SECONDS,
                write_timeout=settings.PUBLISHING_READ_TIMEOUT_SECONDS,
            )
        )
        return str(message.message_id)

    def edit_message(self, *, message_id: str, text: str) -> bool:
        """Replaces the message's text; False when it already reads so ("message is not modified": done)."""
        try:
            self._post_call(
                lambda: self.bot.edit_message_text(
                    text=text,
                    chat_id=self.chat_id,
                    message_id=int(message_id),
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                    read_timeout=settings.PUBLISHING_READ_TIMEOUT_SECONDS,
                    write_timeout=settings.PUBLISHING_READ_TIMEOUT_SECONDS,
                )
            )
        except PostRefused as exc:
            if "message is not modified" in str(exc).lower():
                return False
            raise
        return True

    def _post_call(self, make_coro):
        self._ensure()
        try:
            # The overall bound is only a safety net: the library's own read timeout comes first.
            return self._run(make_coro, CALL_TIMEOUT_SECONDS)
        except TimeoutError as exc:
            raise PostOutcomeUnknown(_("Telegram n'a pas répondu à temps.")) from exc
        except tg_error.TimedOut as exc:
            # Only a timeout before the request was sent (connecting, waiting for a pooled connection) is sure.
            if isinstance(exc.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout):
                raise PostFailed(_("Telegram injoignable : %(error)s") % {"error": exc}) from exc
            raise PostOutcomeUnknown(_("Telegram n'a pas répondu à temps : %(error)s") % {"error": exc}) from exc
        except tg_error.RetryAfter as exc:
            retry_after = exc.retry_after
            wait = retry_after.total_seconds() if hasattr(retry_after, "total_seconds") else float(retry_after)
            raise PostFailed(
                _("Telegram limite le débit (réessayer dans %(s)s s).") % {"s": wait}, retry_after=wait
            ) from exc
        except tg_error.InvalidToken as exc:
            raise PlatformUnavailable(_("Telegram : le jeton du bot est refusé (TELEGRAM_BOT_TOKEN).")) from exc
        except (tg_error.Forbidden, tg_error.BadRequest) as exc:
            problem = _telegram_signals_chat_problem(exc, self.chat_id)
            if problem:
                raise PlatformUnavailable(problem) from exc
            raise PostRefused(str(exc)) from exc
        except tg_error.NetworkError as exc:
            # Connection refused, or a 5xx answer: nothing was posted. A connection lost once the request was out
            # (the server hung up before answering) may have been.
            if isinstance(exc.__cause__, httpx.TransportError) and not isinstance(exc.__cause__, httpx.ConnectError):
                raise PostOutcomeUnknown(_("Telegram n'a pas répondu : %(error)s") % {"error": exc}) from exc
            raise PostFailed(str(exc)) from exc
        except tg_error.TelegramError as exc:
            raise PostRefused(str(exc)) from exc


def _telegram_signals_chat_problem(exc: tg_error.TelegramError, chat_id: str) -> str | None:
    """The French message for a refusal of the bot in the signals chat, naming the setting and the rights."""
    message = str(exc)
    lowered = message.lower()
    if "chat not found" in lowered:
        return _(
            "Telegram : le canal des signaux %(chat)s est introuvable (« Chat not found »). Vérifiez "
            "TELEGRAM_SIGNALS_CHAT_ID (ou TELEGRAM_CHANNEL_ID s'il est vide) et que le bot a été ajouté au canal."
        ) % {"chat": chat_id}
    if isinstance(exc, tg_error.Forbidden) or any(marker in lowered for marker in _CHAT_RIGHTS_ERRORS):
        return _(
            "Telegram : le bot ne peut pas publier dans le canal des signaux %(chat)s (TELEGRAM_SIGNALS_CHAT_ID). "
            "Ajoutez-le comme administrateur avec les droits « Publier des messages » et « Modifier les messages "
            "des autres ». Réponse : %(error)s"
        ) % {"chat": chat_id, "error": message}
    return None


ALLOWED_UPDATES = ["message", "chat_join_request", "chat_member"]

# Discord's JSON error codes (https://discord.com/developers/docs/topics/opcodes-and-status-codes#json)
_DISCORD_UNKNOWN_CHANNEL = 10003
_DISCORD_UNKNOWN_GUILD = 10004
_DISCORD_UNKNOWN_MEMBER = 10007
_DISCORD_UNKNOWN_ROLE = 10011
_DISCORD_UNKNOWN_USER = 10013
_DISCORD_BANNED = 40007
_DISCORD_MISSING_ACCESS = 50001
_DISCORD_MISSING_PERMISSIONS = 50013
_DISCORD_INVALID_OAUTH_TOKEN = 50025
_DISCORD_GONE = {_DISCORD_UNKNOWN_MEMBER, _DISCORD_UNKNOWN_USER}  # removing someone no longer there is done
_DISCORD_SUPPRESS_EMBEDS = 1 << 2  # a message flag: no preview card under the signal's link
_KICK_MEMBERS = 1 << 1
_ADMINISTRATOR = 1 << 3


class DiscordClient(_SyncClient):
    """discord.py's HTTPClient logged in with the bot token, without any gateway connection."""

    def __init__(self):
        self.guild_id = settings.DISCORD_GUILD_ID
        self.role_id = settings.DISCORD_ROLE_ID
        self.pacer = Pacer(settings.DISCORD_MAX_REQUESTS_PER_SECOND)
        self.http: discord_http.HTTPClient | None = None
        self.bot_user_id = ""
        # discord.py builds every URL from this class attribute (set before any Route is made).
        discord_http.Route.BASE = settings.DISCORD_API_BASE_URL.rstrip("/")

    async def _start(self) -> None:
        # A 429 asking to wait longer than the cap raises RateLimited instead of sleeping (the member is retried).
        self.http = discord_http.HTTPClient(
            asyncio.get_running_loop(), max_ratelimit_timeout=DISCORD_MAX_RATE_LIMIT_WAIT_SECONDS
        )
        try:
            me = await asyncio.wait_for(self.http.static_login(settings.DISCORD_BOT_TOKEN), CALL_TIMEOUT_SECONDS)
        except discord.LoginFailure as exc:
            raise PlatformUnavailable(_("Discord : le jeton du bot est refusé (DISCORD_BOT_TOKEN).")) from exc
        except TimeoutError as exc:
            raise PlatformUnreachable(
                _("Discord injoignable : pas de réponse en %(s)s s.") % {"s": CALL_TIMEOUT_SECONDS}
            ) from exc
        except OSError as exc:
            raise PlatformUnreachable(_("Discord injoignable : %(error)s") % {"error": exc}) from exc
        except discord.HTTPException as exc:
            if exc.status >= 500:
                raise PlatformUnreachable(_("Discord injoignable : %(error)s") % {"error": exc}) from exc
            raise PlatformUnavailable(_("Discord injoignable : %(error)s") % {"error": exc}) from exc
        self.bot_user_id = str(me["id"])

    async def _stop(self) -> None:
        if self.http is not None:
            await self.http.close()

    @property
    def api(self) -> discord_http.HTTPClient:
        """discord.py's HTTP client, once `_start` has logged in."""
        if self.http is None:
            raise RuntimeError("client not started (_ensure)")
        return self.http

    def _missing_permissions(self, exc: discord.HTTPException) -> PlatformUnavailable:
        return PlatformUnavailable(
            _(
                "Discord : le bot n'a pas les droits nécessaires sur le serveur %(guild)s (« Gérer les rôles », "
                "« Créer une invitation », « Expulser des membres », et son rôle au-dessus du rôle "
                "abonné). Réponse : %(error)s"
            )
            % {"guild": self.guild_id, "error": exc.text}
        )

    def _call(self, make_coro, *, on_missing_permissions=None):
        """Run one discord.py call, sorting errors into the module's kinds. `on_missing_permissions(exc)` decides
        what a 50013 means for a call where it may concern the member rather than the bot."""
        self._ensure()
        self.pacer.wait()
        try:
            return self._run(make_coro, CALL_TIMEOUT_SECONDS)
        except discord.Forbidden as exc:
            if exc.code == _DISCORD_INVALID_OAUTH_TOKEN:
                raise MemberActionFailed(
                    _("Discord refuse l'autorisation du membre (« %(error)s ») : il doit reconnecter son compte.")
                    % {"error": exc.text},
                    response={"code": exc.code},
                    refusal=Reason.TOKEN,
                ) from exc
            if exc.code == _DISCORD_BANNED:
                raise MemberActionFailed(
                    _(
                        "Discord refuse l'ajout : ce compte est banni du serveur (« %(error)s »). Levez le "
                        "bannissement dans les paramètres du serveur (Bannissements), puis « Resynchroniser "
                        "maintenant »."
                    )
                    % {"error": exc.text},
                    response={"status": exc.status, "code": exc.code},
                    refusal=Reason.BANNED,
                ) from exc
            if exc.code == _DISCORD_MISSING_ACCESS:
                raise PlatformUnavailable(
                    _(
                        "Discord : le bot n'a pas accès au serveur %(guild)s (« Missing Access ») : invitez-le sur le "
                        "serveur et vérifiez DISCORD_GUILD_ID."
                    )
                    % {"guild": self.guild_id}
                ) from exc
            if exc.code == _DISCORD_MISSING_PERMISSIONS and on_missing_permissions is not None:
                raise on_missing_permissions(exc) from exc
            raise self._missing_permissions(exc) from exc
        except TimeoutError as exc:  # before OSError, its parent
            raise _timed_out("Discord") from exc
        except discord.HTTPException as exc:  # NotFound, 5xx after discord.py's retries, 400, 401
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
            if exc.status == 401:
                raise PlatformUnavailable(_("Discord : le jeton du bot est refusé (DISCORD_BOT_TOKEN).")) from exc
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
        try:
            data = self._call(lambda: self.api.request(route, json=payload))
        except MemberActionFailed as exc:
            if exc.response.get("code") == _DISCORD_UNKNOWN_USER:
                raise MemberActionFailed(
                    _(
                        "Discord ne connaît pas ce compte (« Unknown User », supprimé ?) : le membre doit relier "
                        "son compte Discord actuel."
                    ),
                    response=exc.response,
                    refusal=Reason.UNKNOWN_ACCOUNT,
                ) from exc
            raise
        if not data:  # 204: already in the guild, Discord ignored `roles`
            self._call(lambda: self.api.add_role(self.guild_id, user_id, self.role_id, reason="Abonnement actif"))
            return {"already_member": True, "role_added": True}
        return data if isinstance(data, dict) else {"result": data}

    def remove_member(self, *, user_id: str) -> dict:
        """Removes the role (or kicks, DISCORD_REMOVAL_MODE=kick). Someone already gone counts as removed."""
        try:
            if settings.DISCORD_REMOVAL_MODE == "kick":
                self._kick(user_id)
                return {"kicked": True}
            self._call(lambda: self.api.remove_role(self.guild_id, user_id, self.role_id, reason="Abonnement terminé"))
            return {"role_removed": True}
        except MemberActionFailed as exc:
            if exc.response.get("code") in _DISCORD_GONE:
                return {"already_gone": True, "code": exc.response["code"]}
            raise

    def _kick(self, user_id: str) -> None:
        self._call(
            lambda: self.api.kick(user_id, self.guild_id, reason="Abonnement terminé"),
            on_missing_permissions=self._kick_refused,
        )

    def _kick_refused(self, exc: discord.Forbidden) -> Exception:
        """Discord answers 50013 both when the bot lacks "Kick Members" and when the member's highest role is not
        below the bot's (or the member owns the server): the bot's own permissions tell which of the two."""
        if not self._bot_may_kick():
            return self._missing_permissions(exc)
        return MemberActionFailed(
            _(
                "Discord refuse l'expulsion : le rôle le plus haut de ce membre n'est pas sous celui du bot (ou il "
                "possède le serveur). Retirez-lui l'accès à la main, ou placez le rôle du bot au-dessus du sien, "
                "puis « Resynchroniser maintenant »."
            ),
            response={"status": exc.status, "code": exc.code},
            refusal=Reason.ROLE_ABOVE_BOT,
        )

    def _bot_may_kick(self) -> bool:
        """Whether the bot's roles (and @everyone's) grant Kick Members or Administrator."""
        roles = {
            str(role["id"]): int(role["permissions"]) for role in self._call(lambda: self.api.get_roles(self.guild_id))
        }
        me = self._call(lambda: self.api.get_member(self.guild_id, self.bot_user_id))
        permissions = roles.get(str(self.guild_id), 0)
        for role_id in me.get("roles", []):
            permissions |= roles.get(str(role_id), 0)
        return bool(permissions & (_KICK_MEMBERS | _ADMINISTRATOR))

    # Posting to the signals channel (publishing/): errors sorted for messages that must never be sent twice.
    def post_message(self, *, channel_id: str, text: str, nonce: str, reply_to_message_id: str = "") -> str:
        """Creates a message in the channel (a reply when `reply_to_message_id`); returns its id. `nonce` with
        `enforce_nonce`: Discord answers a second request with the same nonce, within a few minutes, with the message
        the first one created, so a retry after PostOutcomeUnknown must reuse the same nonce."""
        payload: dict = {
            "content": text,
            "nonce": nonce,
            "enforce_nonce": True,
            "allowed_mentions": {"parse": []},  # nothing in a signal pings anyone
            "flags": _DISCORD_SUPPRESS_EMBEDS,
        }
        if reply_to_message_id:
            payload["message_reference"] = {"message_id": reply_to_message_id, "fail_if_not_exists": True}
        route = discord_http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
        data = self._post_call(lambda: self.api.request(route, json=payload), channel_id)
        return str(data["id"])

    def edit_message(self, *, channel_id: str, message_id: str, text: str) -> None:
        route = discord_http.Route(
            "PATCH", "/channels/{channel_id}/messages/{message_id}", channel_id=channel_id, message_id=message_id
        )
        self._post_call(lambda: self.api.request(route, json={"content": text}), channel_id)

    def _post_call(self, make_coro, channel_id: str):
        self._ensure()
        self.pacer.wait()
        try:
            return self._run(make_coro, settings.PUBLISHING_READ_TIMEOUT_SECONDS)
        except TimeoutError as exc:  # before OSError, its parent
            raise PostOutcomeUnknown(_("Discord n'a pas répondu à temps.")) from exc
        except discord.Forbidden as exc:
            raise PlatformUnavailable(
                _(
                    "Discord : le bot ne peut pas publier dans le salon des signaux %(channel)s "
                    "(DISCORD_SIGNALS_CHANNEL_ID). Donnez-lui, dans ce salon, les permissions « Envoyer des messages » "
                    "(Send Messages), « Gérer les messages » (Manage Messages) et « Voir les anciens messages » "
                    "(Read Message History). Réponse : %(error)s"
                )
                % {"channel": channel_id, "error": exc.text}
            ) from exc
        except discord.RateLimited as exc:
            raise PostFailed(str(exc), retry_after=exc.retry_after) from exc
        except discord.HTTPException as exc:
            if exc.code == _DISCORD_UNKNOWN_CHANNEL:
                raise PlatformUnavailable(
                    _(
                        "Discord : le salon des signaux %(channel)s est inconnu (« Unknown Channel »). Vérifiez "
                        "DISCORD_SIGNALS_CHANNEL_ID et que le bot voit ce salon."
                    )
                    % {"channel": channel_id}
                ) from exc
            if exc.status == 401:
                raise PlatformUnavailable(_("Discord : le jeton du bot est refusé (DISCORD_BOT_TOKEN).")) from exc
            if exc.status >= 500 or exc.status == 429:  # discord.py already tried again
                raise PostFailed(exc.text or str(exc)) from exc
            raise PostRefused(exc.text or str(exc)) from exc
        except OSError as exc:  # connection refused or reset
            raise PostFailed(str(exc)) from exc


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

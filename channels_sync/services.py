"""Writes for channel access: linking accounts, the sync run, and the bot's incoming updates.

Remote calls never happen inside an open transaction: rows are claimed (lease) in a short transaction,
the call is made, and the outcome is recorded in another. A run acts on a row only while it holds it: the lease
is renewed by a compare-and-set before each remote call (and the outcome recorded the same way), so a run
slower than its lease leaves the rows another run took over to that run.
"""

import contextlib
import hashlib
import logging
import re
import secrets
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from channels_sync import crypto, selectors
from channels_sync.clients import (
    DiscordClient,
    MemberActionFailed,
    OAuthError,
    PlatformUnavailable,
    TelegramClient,
    discord_configured,
    discord_exchange_code,
    discord_refresh,
    discord_user_for_token,
    telegram_configured,
)
from channels_sync.models import AccountLink, ChannelAction, ChannelMembership, LinkToken, Platform
from core import clock
from subscriptions.dashboard_cache import dashboard_cache_forget
from subscriptions.models import Subscription

logger = logging.getLogger("calmnessfi.channels")

State = ChannelMembership.State
Reason = ChannelMembership.Reason
Action = ChannelAction.Action
Outcome = ChannelAction.Outcome

# Renewed before each remote call, which ends within clients.CALL_TIMEOUT_SECONDS (2 minutes, plus as much
# for logging in): a call never outlives the lease.
LEASE = timedelta(minutes=10)
BACKOFF_CAP_MINUTES = 24 * 60
DISCORD_STATE_SALT = "channels_sync.discord.link"
DISCORD_STATE_MAX_AGE = 15 * 60
BROWSER_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}")  # secrets.token_urlsafe(24)
JOINED_STATUSES = {"member", "administrator", "creator", "restricted"}
ADDED_FLAG = {Platform.TELEGRAM: "telegram_added", Platform.DISCORD: "discord_added"}


class LinkError(Exception):
    """A linking attempt failed; the message is French and shown to the member."""


class EmailNotVerified(LinkError):
    """Linking needs a verified e-mail: otherwise whoever registered someone else's address could link their own
    account, and receive the paid invitation once the real owner takes the account back, verifies it and pays."""


def ensure_may_link(*, user) -> None:
    if not user.is_verified:
        raise EmailNotVerified(
            _("Confirmez d'abord votre adresse e-mail (lien reçu par e-mail) pour lier Telegram ou Discord.")
        )


@transaction.atomic
def member_links_drop(*, user) -> int:
    """Forget every Telegram and Discord account linked so far, and every pending link token; returns how many
    accounts were unlinked. Run when someone proves they own the address (first verification, password reset):
    links made before may be an intruder's. An account that was granted access is revoked by the next sync
    (`stale_remote_id`, its outstanding Telegram invite included)."""
    LinkToken.objects.filter(user=user).delete()
    links = list(AccountLink.objects.filter(user=user))
    for link in links:
        membership = _membership(user=user, platform=link.platform, lock=True)
        if membership.has_access and not membership.stale_remote_id:
            membership.stale_remote_id = link.remote_id
        membership.state = State.NOT_LINKED
        membership.attempts, membership.next_attempt_at, membership.last_error = 0, None, ""
        membership.save()
        link.delete()
    if links:
        logger.info("channel links dropped", extra={"user_id": user.pk, "count": len(links)})
        dashboard_cache_forget(user_ids=[user.pk])
    return len(links)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _membership(*, user, platform: str, lock: bool = False) -> ChannelMembership:
    membership, _created = ChannelMembership.objects.get_or_create(user=user, platform=platform)
    if lock:
        membership = ChannelMembership.objects.select_for_update().get(pk=membership.pk)
    return membership


def _log(*, user, platform: str, action: str, outcome: str, remote_id: str = "", response=None, error: str = ""):
    return ChannelAction(
        user=user,
        platform=platform,
        action=action,
        outcome=outcome,
        remote_id=str(remote_id or ""),
        response=response if isinstance(response, dict) else {"result": response},
        error=error[:2000],
    )


def _set_added(*, user_id: int, platform: str, value: bool, at: datetime) -> None:
    flag = ADDED_FLAG[platform]
    subscriptions = Subscription.objects.filter(user_id=user_id)
    if value:
        subscriptions = subscriptions.filter(selectors.entitled_subscriptions_q(platform=platform, at=at))
    subscriptions.exclude(**{flag: value}).update(**{flag: value})
    dashboard_cache_forget(user_ids=[user_id])  # the subscriptions' telegram_added / discord_added


def _link_account(*, user, platform: str, remote_id: str, username: str = "", tokens=None) -> AccountLink:
    """Stores the account; a different account than before is remembered as stale so its grant is revoked first.

    Must run inside a transaction. Raises LinkError when the account is already another member's.
    """
    at = clock.now()
    ensure_may_link(user=user)
    if AccountLink.objects.filter(platform=platform, remote_id=remote_id).exclude(user=user).exists():
        raise LinkError(_("Ce compte est déjà lié à un autre membre CalmnessFi."))
    membership = _membership(user=user, platform=platform, lock=True)
    link = AccountLink.objects.filter(user=user, platform=platform).first()
    if link and link.remote_id != remote_id and membership.has_access:
        membership.stale_remote_id = link.remote_id
    if link is None:
        link = AccountLink(user=user, platform=platform, linked_at=at)
    link.remote_id = remote_id
    link.remote_username = username[:100]
    link.linked_at = at
    if tokens is not None:
        link.access_token_encrypted = crypto.encrypt(tokens.access_token)
        link.refresh_token_encrypted = crypto.encrypt(tokens.refresh_token)
        link.token_expires_at = tokens.expires_at
    link.save()
    if membership.stale_remote_id:
        # The old account keeps its access until the sync revokes it; the new one is granted after that.
        membership.state, membership.has_access, membership.invite_link = State.LINKED, False, ""
    elif not membership.has_access and membership.state in (
        State.NOT_LINKED,
        State.LINK_PENDING,
        State.LEFT,
        State.ACTION_REQUIRED,
        State.REMOVED,
    ):
        membership.state, membership.invite_link = State.LINKED, ""
    membership.attempts = 0
    membership.next_attempt_at = None
    membership.last_error = ""
    membership.save()
    return link


# Telegram linking
@transaction.atomic
def telegram_link_create(*, user) -> dict:
    """A fresh one-time deep link `https://t.me/<bot>?start=<token>`; earlier unused tokens stop working.

    Raises EmailNotVerified for a member whose address is not verified."""
    ensure_may_link(user=user)
    at = clock.now()
    LinkToken.objects.filter(user=user, platform=Platform.TELEGRAM, used_at__isnull=True).delete()
    token = secrets.token_urlsafe(24)
    expires_at = at + timedelta(minutes=settings.TELEGRAM_LINK_MINUTES)
    LinkToken.objects.create(user=user, platform=Platform.TELEGRAM, token_hash=_hash(token), expires_at=expires_at)
    membership = _membership(user=user, platform=Platform.TELEGRAM, lock=True)
    if membership.state == State.NOT_LINKED:
        membership.state = State.LINK_PENDING
        membership.save(update_fields=["state", "updated_at"])
    elif membership.state == State.LEFT:  # asked for a fresh link after leaving: invite again
        membership.state = State.LINKED
        membership.save(update_fields=["state", "updated_at"])
    return {"url": f"https://t.me/{settings.TELEGRAM_BOT_USERNAME}?start={token}", "expires_at": expires_at}


@transaction.atomic
def telegram_start(*, telegram_user_id: int, username: str, token: str) -> str:
    """`/start <token>` from the bot: links the Telegram id to the token's member. Returns the French answer."""
    at = clock.now()
    if not token:
        return _telegram_start_without_token(telegram_user_id=telegram_user_id)
    link_token = (
        LinkToken.objects.select_for_update()
        .select_related("user")
        .filter(token_hash=_hash(token), platform=Platform.TELEGRAM)
        .first()
    )
    if link_token is None or link_token.used_at is not None or link_token.expires_at <= at:
        return _("Ce lien de liaison est invalide ou expiré. Demandez-en un nouveau depuis votre espace membre.")
    try:
        with transaction.atomic():
            _link_account(
                user=link_token.user, platform=Platform.TELEGRAM, remote_id=str(telegram_user_id), username=username
            )
    except EmailNotVerified as exc:
        return str(exc)
    except (LinkError, IntegrityError):
        return _("Ce compte Telegram est déjà lié à un autre membre CalmnessFi.")
    link_token.used_at = at
    link_token.save(update_fields=["used_at"])
    if selectors.is_entitled(user=link_token.user, platform=Platform.TELEGRAM, at=at):
        return _(
            "Votre compte Telegram est lié à CalmnessFi. Votre lien d'invitation personnel vous est envoyé "
            "ici dans quelques instants."
        )
    return _(
        "Votre compte Telegram est lié à CalmnessFi. Vous recevrez votre invitation dès que votre abonnement "
        "sera actif."
    )


def _telegram_start_without_token(*, telegram_user_id: int) -> str:
    link = AccountLink.objects.filter(platform=Platform.TELEGRAM, remote_id=str(telegram_user_id)).first()
    if link is None:
        return _("Bienvenue ! Pour lier votre compte, utilisez le lien « Lier Telegram » de votre espace membre.")
    membership = _membership(user=link.user, platform=Platform.TELEGRAM, lock=True)
    if membership.state in (State.LEFT, State.ACTION_REQUIRED):
        membership.state = State.LINKED
        membership.has_access = False
        membership.next_attempt_at = None
        membership.save(update_fields=["state", "has_access", "next_attempt_at", "updated_at"])
        return _("C'est noté : un nouveau lien d'invitation vous sera envoyé ici dans quelques minutes.")
    return _("Votre compte Telegram est déjà lié à CalmnessFi.")


# Discord linking
@dataclass(frozen=True)
class DiscordAuthorization:
    url: str
    browser_key: str  # for a cookie of the browser that asked: the callback must come back with it


def discord_link_url(*, user, browser_key: str = "") -> DiscordAuthorization:
    """The OAuth2 authorisation URL; `state` is signed, bound to the member, expires and works once.

    The state's nonce is stored hashed (a `LinkToken` with platform Discord) and consumed by the callback, so
    a state seen once (browser history, a proxy, a replayed callback URL) cannot link an account again. The state
    also holds the hash of `browser_key`, which the caller puts in a cookie of the browser that asked: a state sent
    to someone else (whose browser has no such cookie) cannot link their Discord account to this member. A browser
    that already has a key keeps it (`browser_key`), so the states of several tabs all stay usable.
    Raises EmailNotVerified for a member whose address is not verified.
    """
    ensure_may_link(user=user)
    at = clock.now()
    nonce = secrets.token_urlsafe(24)
    if not BROWSER_KEY_SHAPE.fullmatch(browser_key or ""):
        browser_key = secrets.token_urlsafe(24)
    state = signing.dumps({"u": user.pk, "n": nonce, "b": _hash(browser_key)}, salt=DISCORD_STATE_SALT)
    with transaction.atomic():
        # Older states stay valid until they expire (several tabs); spent and expired ones are dropped.
        LinkToken.objects.filter(user=user, platform=Platform.DISCORD).filter(
            Q(used_at__isnull=False) | Q(expires_at__lte=at)
        ).delete()
        LinkToken.objects.create(
            user=user,
            platform=Platform.DISCORD,
            token_hash=_hash(nonce),
            expires_at=at + timedelta(seconds=DISCORD_STATE_MAX_AGE),
        )
        membership = _membership(user=user, platform=Platform.DISCORD, lock=True)
        if membership.state == State.NOT_LINKED:
            membership.state = State.LINK_PENDING
            membership.save(update_fields=["state", "updated_at"])
    query = urlencode(
        {
            "client_id": settings.DISCORD_CLIENT_ID,
            "redirect_uri": settings.DISCORD_REDIRECT_URI,
            "response_type": "code",
            "scope": "identify guilds.join",
            "state": state,
            "prompt": "consent",
        }
    )
    url = f"{settings.DISCORD_API_BASE_URL}/oauth2/authorize?{query}"
    return DiscordAuthorization(url=url, browser_key=browser_key)


def discord_link_complete(*, code: str, state: str, browser_key: str):
    """OAuth2 callback: checks `state` and that `browser_key` (the asking browser's cookie) is the one it was
    made for, exchanges the code, reads the user id, stores id and encrypted tokens."""
    from accounts.models import User

    try:
        data = signing.loads(state, salt=DISCORD_STATE_SALT, max_age=DISCORD_STATE_MAX_AGE)
        user = User.objects.get(pk=data["u"], is_active=True)
        nonce, browser_hash = str(data["n"]), str(data["b"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, User.DoesNotExist) as exc:
        raise LinkError(_("Lien d'autorisation invalide ou expiré : recommencez depuis votre espace membre.")) from exc
    if not browser_key or not constant_time_compare(_hash(browser_key), browser_hash):
        # Checked before the nonce is spent: the browser that asked can still complete its own link.
        raise LinkError(
            _(
                "Cette autorisation Discord a été demandée depuis un autre navigateur : recommencez depuis votre "
                "espace membre, dans ce navigateur."
            )
        )
    # One UPDATE claims the nonce: of two callbacks with the same state (a replay, a double click) one wins.
    consumed = LinkToken.objects.filter(
        user=user,
        platform=Platform.DISCORD,
        token_hash=_hash(nonce),
        used_at__isnull=True,
        expires_at__gt=clock.now(),
    ).update(used_at=clock.now())
    if not consumed:
        raise LinkError(
            _("Lien d'autorisation invalide, déjà utilisé ou expiré : recommencez depuis votre espace membre.")
        )
    if not code:
        raise LinkError(_("Autorisation refusée sur Discord."))
    at = clock.now()
    try:
        tokens = discord_exchange_code(code=code, now=at)
        remote = discord_user_for_token(access_token=tokens.access_token)
    except OAuthError as exc:
        logger.warning("discord oauth failed", extra={"error": str(exc)})
        raise LinkError(_("Discord n'a pas confirmé l'autorisation. Réessayez dans quelques instants.")) from exc
    try:
        with transaction.atomic():
            _link_account(
                user=user,
                platform=Platform.DISCORD,
                remote_id=str(remote["id"]),
                username=remote.get("username", ""),
                tokens=tokens,
            )
    except IntegrityError as exc:
        raise LinkError(_("Ce compte Discord est déjà lié à un autre membre CalmnessFi.")) from exc
    return user


# The sync
@dataclass
class PlatformReport:
    platform: str
    disabled: bool = False
    error: str = ""
    counts: Counter = field(default_factory=Counter)
    planned: list[str] = field(default_factory=list)
    outlived: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        keys = ("invited", "added", "removed", "failed", "skipped", "lost")
        result = {key: self.counts.get(key, 0) for key in keys}
        result.update(disabled=self.disabled, error=self.error, outlived=len(self.outlived))
        return result


@dataclass
class Done:
    """What a successful action changes on the membership, and the log lines to write."""

    changes: dict
    actions: list[ChannelAction]
    count: str
    added: bool | None = None


class LeaseLost(Exception):
    """This run no longer holds the row (its lease expired, another run may have claimed it): hands off."""


def _claim(*, platform: str, kind: str, ids: list[int], owner: str, at: datetime) -> list[ChannelMembership]:
    """Locks the batch's rows that still need `kind` and leases them to this run (skip rows another host holds).

    `at` is the time of the claim (not of the run's start): the lease runs from now."""
    with transaction.atomic():
        rows = selectors.memberships_with_flags(platform=platform, at=at).filter(
            selectors.work_filter(kind, at=at), pk__in=ids
        )
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        claimed = list(rows.select_related("user"))
        ChannelMembership.objects.filter(pk__in=[m.pk for m in claimed]).update(
            lease_until=at + LEASE, lease_owner=owner
        )
    return claimed


def _release(memberships: list[ChannelMembership], owner: str) -> None:
    ChannelMembership.objects.filter(pk__in=[m.pk for m in memberships], lease_owner=owner).update(
        lease_until=None, lease_owner=""
    )


def _hold(membership: ChannelMembership, owner: str) -> None:
    """Renews this run's lease on the row before a remote call: one compare-and-set UPDATE, which succeeds only
    while the lease is this run's and has not expired. Raises LeaseLost otherwise."""
    now = clock.now()
    held = ChannelMembership.objects.filter(pk=membership.pk, lease_owner=owner, lease_until__gt=now).update(
        lease_until=now + LEASE
    )
    if not held:
        raise LeaseLost(membership.pk)


def _record_lost(membership: ChannelMembership, actions: list[ChannelAction]) -> None:
    """The row went to another run: the calls already made are logged, the row is left to its holder."""
    ChannelAction.objects.bulk_create(actions)
    logger.warning(
        "channel membership taken over by another run",
        extra={"platform": membership.platform, "user_id": membership.user_id, "calls_made": len(actions)},
    )


@transaction.atomic
def _record_success(membership: ChannelMembership, outcome: Done, at: datetime, owner: str) -> bool:
    """Records the outcome if this run still holds the row (False, and only the calls logged, otherwise)."""
    fields = {
        "attempts": 0,
        "next_attempt_at": None,
        "last_error": "",
        "action_reason": "",
        "lease_until": None,
        "lease_owner": "",
    }
    fields.update(outcome.changes)
    held = ChannelMembership.objects.filter(pk=membership.pk, lease_owner=owner).update(
        **fields, updated_at=clock.now()
    )
    if not held:
        _record_lost(membership, outcome.actions)
        return False
    dashboard_cache_forget(user_ids=[membership.user_id])  # the dashboard's channels block
    ChannelAction.objects.bulk_create(outcome.actions)
    if outcome.added is not None:
        _set_added(user_id=membership.user_id, platform=membership.platform, value=outcome.added, at=at)
    return True


@transaction.atomic
def _record_failure(
    membership: ChannelMembership, exc: MemberActionFailed, actions: list, at: datetime, owner: str
) -> bool:
    """Backs the member off (exponentially; 24 h and "action required" at once for a refusal only a person can
    lift). False, and only the calls logged, when this run no longer holds the row."""
    attempts = membership.attempts + 1
    delay = BACKOFF_CAP_MINUTES if exc.refusal else min(2**attempts, BACKOFF_CAP_MINUTES)
    fields = {
        "attempts": attempts,
        "next_attempt_at": at + timedelta(minutes=delay),
        "last_error": str(exc)[:2000],
        "lease_until": None,
        "lease_owner": "",
    }
    if exc.refusal or attempts >= settings.CHANNEL_MAX_ATTEMPTS:
        fields["state"] = State.ACTION_REQUIRED
        fields["action_reason"] = exc.refusal or Reason.REPEATED_FAILURES
    held = ChannelMembership.objects.filter(pk=membership.pk, lease_owner=owner).update(
        **fields, updated_at=clock.now()
    )
    if not held:
        _record_lost(membership, actions)
        return False
    dashboard_cache_forget(user_ids=[membership.user_id])  # the dashboard's channels block
    ChannelAction.objects.bulk_create(actions)
    return True


class _Runner:
    """The platform-specific actions for the rows `owner` (a run) holds. Each returns a Done or raises
    MemberActionFailed; LeaseLost when the run no longer holds the row before a remote call."""

    def __init__(self, platform: str, at: datetime, owner: str):
        self.platform = platform
        self.at = at
        self.owner = owner
        self.links: dict[int, AccountLink] = {}

    def load_links(self, memberships: list[ChannelMembership]) -> None:
        self.links = {
            link.user_id: link
            for link in AccountLink.objects.filter(platform=self.platform, user_id__in=[m.user_id for m in memberships])
        }

    def log(self, membership, action, outcome, remote_id, response=None, error=""):
        return _log(
            user=membership.user,
            platform=self.platform,
            action=action,
            outcome=outcome,
            remote_id=remote_id,
            response=response or {},
            error=error,
        )

    def attempt(self, actions: list, membership, action: str, remote_id: str, call: Callable[[], dict]) -> dict:
        """Runs one remote call, if this run still holds the row, and logs it (success or failure) in `actions`."""
        _hold(membership, self.owner)
        try:
            response = call()
        except MemberActionFailed as exc:
            actions.append(self.log(membership, action, Outcome.FAILED, remote_id, exc.response, str(exc)))
            raise
        except PlatformUnavailable as exc:
            actions.append(self.log(membership, action, Outcome.FAILED, remote_id, {}, str(exc)))
            raise
        actions.append(self.log(membership, action, Outcome.OK, remote_id, response))
        return response


class TelegramRunner(_Runner):
    def __init__(self, at: datetime, owner: str):
        super().__init__(Platform.TELEGRAM, at, owner)
        self.client = TelegramClient()

    def invite(self, membership, actions) -> dict:
        remote_id = self.links[membership.user_id].remote_id
        expires_at = self.at + timedelta(hours=settings.TELEGRAM_INVITE_HOURS)
        invite = self.attempt(
            actions,
            membership,
            Action.INVITE,
            remote_id,
            lambda: self.client.create_invite(name=f"membre-{membership.user_id}", expires_at=expires_at),
        )
        link = invite["invite_link"]
        text = _(
            "Bonjour ! Votre abonnement CalmnessFi vous ouvre le canal. Voici votre lien personnel, "
            "valable %(hours)s h et utilisable une seule fois : %(link)s"
        ) % {"hours": settings.TELEGRAM_INVITE_HOURS, "link": link}
        # The link also shows in the member's dashboard: a failed message does not undo the invite.
        with contextlib.suppress(MemberActionFailed):
            self.attempt(
                actions,
                membership,
                Action.MESSAGE,
                remote_id,
                lambda: self.client.send_message(user_id=remote_id, text=text),
            )
        return {"state": State.INVITED, "has_access": True, "invite_link": link, "invite_expires_at": expires_at}

    def revoke_link(self, membership, actions) -> None:
        if not membership.invite_link:
            return
        with contextlib.suppress(MemberActionFailed):  # an expired or used link cannot be used anyway
            self.attempt(
                actions,
                membership,
                Action.REVOKE,
                "",
                lambda: self.client.revoke_invite(invite_link=membership.invite_link),
            )

    def remove(self, membership, remote_id: str, actions) -> None:
        self.revoke_link(membership, actions)
        self.attempt(
            actions, membership, Action.REMOVE, remote_id, lambda: self.client.remove_member(user_id=remote_id)
        )

    def run(self, kind: str, membership: ChannelMembership, actions: list) -> Done:
        link = self.links.get(membership.user_id)
        if kind == "grant":
            return Done(self.invite(membership, actions), actions, "invited")
        if kind == "remove":
            self.remove(membership, link.remote_id if link else "", actions)
            changes = {"state": State.REMOVED, "has_access": False, "invite_link": "", "invite_expires_at": None}
            return Done(changes, actions, "removed", added=False)
        if kind == "revoke_stale":
            self.remove(membership, membership.stale_remote_id, actions)
            changes = {
                "stale_remote_id": "",
                "has_access": False,
                "invite_link": "",
                "state": _state_after_revoke(link),
            }
            return Done(changes, actions, "removed", added=False)
        if kind == "renew_invite":
            remote_id = link.remote_id
            status = self.attempt(
                actions,
                membership,
                Action.CHECK,
                remote_id,
                lambda: {"status": self.client.member_status(user_id=remote_id)},
            )["status"]
            if status in JOINED_STATUSES:
                return Done({"state": State.MEMBER, "invite_link": ""}, actions, "checked", added=True)
            self.revoke_link(membership, actions)
            return Done(self.invite(membership, actions), actions, "invited")
        raise ValueError(kind)


class DiscordRunner(_Runner):
    def __init__(self, at: datetime, owner: str):
        super().__init__(Platform.DISCORD, at, owner)
        self.client = DiscordClient()

    def access_token(self, membership, link: AccountLink, actions) -> str:
        """A valid access token, refreshed when close to expiry. The new refresh token is saved at once."""
        if link.token_expires_at and link.token_expires_at > self.at + timedelta(minutes=5):
            return crypto.decrypt(link.access_token_encrypted)
        _hold(membership, self.owner)  # the refresh is a remote call too (its refresh token is single-use)
        try:
            tokens = discord_refresh(refresh_token=crypto.decrypt(link.refresh_token_encrypted), now=self.at)
        except OAuthError as exc:
            actions.append(self.log(membership, Action.REFRESH, Outcome.FAILED, link.remote_id, {}, str(exc)))
            raise MemberActionFailed(
                _("Le jeton Discord a expiré : le membre doit reconnecter son compte."), refusal=Reason.TOKEN
            ) from exc
        link.access_token_encrypted = crypto.encrypt(tokens.access_token)
        link.refresh_token_encrypted = crypto.encrypt(tokens.refresh_token)
        link.token_expires_at = tokens.expires_at
        link.save(update_fields=["access_token_encrypted", "refresh_token_encrypted", "token_expires_at", "updated_at"])
        actions.append(
            self.log(membership, Action.REFRESH, Outcome.OK, link.remote_id, {"expires_at": str(tokens.expires_at)})
        )
        return tokens.access_token

    def run(self, kind: str, membership: ChannelMembership, actions: list) -> Done:
        link = self.links.get(membership.user_id)
        if kind == "grant":
            token = self.access_token(membership, link, actions)
            self.attempt(
                actions,
                membership,
                Action.ADD,
                link.remote_id,
                lambda: self.client.add_member(user_id=link.remote_id, access_token=token),
            )
            return Done({"state": State.MEMBER, "has_access": True}, actions, "added", added=True)
        remote_id = membership.stale_remote_id if kind == "revoke_stale" else (link.remote_id if link else "")
        self.attempt(
            actions, membership, Action.REMOVE, remote_id, lambda: self.client.remove_member(user_id=remote_id)
        )
        if kind == "revoke_stale":
            changes = {"stale_remote_id": "", "has_access": False, "state": _state_after_revoke(link)}
            return Done(changes, actions, "removed")
        return Done({"state": State.REMOVED, "has_access": False}, actions, "removed", added=False)


def _state_after_revoke(link: AccountLink | None) -> str:
    """The old account is out: the member's current account is invited next, or they have none (links dropped
    when someone proved they own the address, `member_links_drop`)."""
    return State.LINKED if link else State.NOT_LINKED


KIND_ORDER = ["revoke_stale", "remove", "grant", "renew_invite"]
PLAN_LABELS = {
    "revoke_stale": "retirer l'ancien compte",
    "remove": "retirer",
    "grant": "inviter / ajouter",
    "renew_invite": "vérifier puis réinviter",
}


def channel_sync(
    *, platform: str, dry_run: bool = False, batch_size: int = 100, user_ids: list[int] | None = None
) -> PlatformReport:
    """Brings one platform in line with entitlement: only differences cause remote calls.

    Rows are claimed with a lease so several hosts can run at once, and acted on only while held (a row whose
    lease this run lost is counted as "lost" and left to the run that took it). One member's failure or refusal
    is logged and retried later with backoff; a bot that cannot act at all (its rights, its token, a wrong
    channel, guild or role id) stops the platform (report.error).
    """
    report = PlatformReport(platform=platform)
    configured = telegram_configured() if platform == Platform.TELEGRAM else discord_configured()
    if not configured:
        report.disabled = True
        return report
    at = clock.now()
    work = selectors.sync_work(platform=platform, at=at)
    if user_ids is not None:
        work = {kind: qs.filter(user_id__in=user_ids) for kind, qs in work.items()}
    if user_ids is None:
        report.counts["skipped"] = selectors.entitled_but_waiting_count(platform=platform, at=at)
    if dry_run:
        for kind in KIND_ORDER:
            if kind in work:
                for email in work[kind].values_list("user__email", flat=True).order_by("user__email"):
                    report.planned.append(f"{PLAN_LABELS[kind]} : {email}")
        report.outlived = [m.user.email for m in selectors.outlived_access(platform=platform, at=at)]
        return report

    owner = str(uuid.uuid4())
    runner = TelegramRunner(at, owner) if platform == Platform.TELEGRAM else DiscordRunner(at, owner)
    with runner.client:
        try:
            for kind in KIND_ORDER:
                if kind not in work:
                    continue
                ids = list(work[kind].order_by("pk").values_list("pk", flat=True))
                for start in range(0, len(ids), batch_size):
                    _run_batch(runner, kind, ids[start : start + batch_size], report)
        except PlatformUnavailable as exc:
            report.error = str(exc)
            report.counts["failed"] += 1
            logger.error("channel platform stopped", extra={"platform": platform, "error": str(exc)})
    report.outlived = [m.user.email for m in selectors.outlived_access(platform=platform, at=clock.now())]
    return report


def _run_batch(runner: _Runner, kind: str, ids: list[int], report: PlatformReport) -> None:
    claimed = _claim(platform=runner.platform, kind=kind, ids=ids, owner=runner.owner, at=clock.now())
    runner.load_links(claimed)
    for index, membership in enumerate(claimed):
        actions: list[ChannelAction] = []
        try:
            outcome = runner.run(kind, membership, actions)
        except LeaseLost:
            _record_lost(membership, actions)
            report.counts["lost"] += 1
            continue
        except MemberActionFailed as exc:
            recorded = _record_failure(membership, exc, actions, clock.now(), runner.owner)
            report.counts["failed" if recorded else "lost"] += 1
            continue
        except PlatformUnavailable:
            ChannelAction.objects.bulk_create(actions)
            _release(claimed[index:], runner.owner)
            raise
        recorded = _record_success(membership, outcome, runner.at, runner.owner)
        report.counts[outcome.count if recorded else "lost"] += 1


# Admin actions
def member_sync_after_link(*, user, platform: str) -> None:
    """Right after a member links an account: grant (or revoke a replaced account) now rather than at the
    next cron run. Best effort: whatever fails here, the cron run does it again."""
    try:
        channel_sync(platform=platform, user_ids=[user.pk])
    except Exception:
        logger.exception("sync after link failed", extra={"platform": platform, "user_id": user.pk})


def _busy() -> str:
    return _("Cet accès est en cours de traitement par une autre exécution : réessayez dans quelques minutes.")


def membership_resync_now(*, membership: ChannelMembership) -> PlatformReport:
    """Clears the backoff and syncs this member on this platform right away (unless a run holds the row now:
    that run does it)."""
    ChannelMembership.objects.filter(pk=membership.pk).update(next_attempt_at=None, attempts=0)
    if ChannelMembership.objects.filter(pk=membership.pk, lease_until__gte=clock.now()).exists():
        return PlatformReport(platform=membership.platform, error=_busy())
    return channel_sync(platform=membership.platform, user_ids=[membership.user_id])


def membership_remove_now(*, membership: ChannelMembership) -> PlatformReport:
    """Takes access back now, whatever the subscription says (a still-entitled member is invited again
    at the next run: cancel the subscription to keep someone out). Leases the row like a run, so it never
    acts on a member a running sync holds."""
    at = clock.now()
    report = PlatformReport(platform=membership.platform)
    configured = telegram_configured() if membership.platform == Platform.TELEGRAM else discord_configured()
    if not configured:
        report.disabled = True
        return report
    owner = str(uuid.uuid4())
    leased = (
        ChannelMembership.objects.filter(pk=membership.pk)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=at))
        .update(lease_until=at + LEASE, lease_owner=owner)
    )
    if not leased:
        report.error = _busy()
        return report
    membership = ChannelMembership.objects.select_related("user").get(pk=membership.pk)
    runner = TelegramRunner(at, owner) if membership.platform == Platform.TELEGRAM else DiscordRunner(at, owner)
    runner.load_links([membership])
    actions: list[ChannelAction] = []
    with runner.client:
        try:
            outcome = runner.run("remove", membership, actions)
        except LeaseLost:
            _record_lost(membership, actions)
            report.error = _busy()
            return report
        except MemberActionFailed as exc:
            _record_failure(membership, exc, actions, at, owner)
            report.counts["failed"] += 1
            return report
        except PlatformUnavailable as exc:
            ChannelAction.objects.bulk_create(actions)
            _release([membership], owner)
            report.error = str(exc)
            report.counts["failed"] += 1
            return report
    if _record_success(membership, outcome, at, owner):
        report.counts["removed"] += 1
    return report


# Updates from the bot (webhook or getUpdates)
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


def _reply(client: TelegramClient, *, user, chat_id: int, text: str) -> None:
    try:
        response = client.send_message(user_id=str(chat_id), text=text)
        outcome, error = Outcome.OK, ""
    except (MemberActionFailed, PlatformUnavailable) as exc:
        response, outcome, error = {}, Outcome.FAILED, str(exc)
    _log(
        user=user,
        platform=Platform.TELEGRAM,
        action=Action.MESSAGE,
        outcome=outcome,
        remote_id=str(chat_id),
        response=response,
        error=error,
    ).save()


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
    _reply(client, user=link.user if link else None, chat_id=sender["id"], text=answer)
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


def _remote_action(client, call, *, user, action: str, remote_id: str) -> bool:
    try:
        response = call()
    except (MemberActionFailed, PlatformUnavailable) as exc:
        _log(
            user=user,
            platform=Platform.TELEGRAM,
            action=action,
            outcome=Outcome.FAILED,
            remote_id=remote_id,
            error=str(exc),
        ).save()
        return False
    _log(
        user=user, platform=Platform.TELEGRAM, action=action, outcome=Outcome.OK, remote_id=remote_id, response=response
    ).save()
    return True


def _on_join_request(request: dict, client: TelegramClient) -> str:
    """Approves only the linked member who is entitled now; declines everyone else."""
    user_id = (request.get("from") or {}).get("id")
    if str((request.get("chat") or {}).get("id")) != str(settings.TELEGRAM_CHANNEL_ID) or not user_id:
        return "ignored"
    link, membership = _linked_membership(user_id)
    user = link.user if link else None
    entitled = user is not None and selectors.is_entitled(user=user, platform=Platform.TELEGRAM)
    if not entitled:
        _remote_action(
            client,
            lambda: client.decline_join_request(user_id=str(user_id)),
            user=user,
            action=Action.DECLINE,
            remote_id=str(user_id),
        )
        return "declined"
    if _remote_action(
        client,
        lambda: client.approve_join_request(user_id=str(user_id)),
        user=user,
        action=Action.APPROVE,
        remote_id=str(user_id),
    ):
        with transaction.atomic():
            ChannelMembership.objects.filter(pk=membership.pk).update(
                state=State.MEMBER, has_access=True, invite_link="", updated_at=clock.now()
            )
            dashboard_cache_forget(user_ids=[membership.user_id])
            _set_added(user_id=user.pk, platform=Platform.TELEGRAM, value=True, at=clock.now())
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
            _remote_action(
                client,
                lambda: client.remove_member(user_id=str(person_id)),
                user=owner.user,
                action=Action.REMOVE,
                remote_id=str(person_id),
            )
            ChannelMembership.objects.filter(pk=owner.pk).update(
                state=State.LINKED,
                has_access=False,
                invite_link="",
                invite_expires_at=None,
                next_attempt_at=None,
                last_error=_("Lien utilisé par un autre compte Telegram (%(id)s).") % {"id": person_id},
                updated_at=at,
            )
            dashboard_cache_forget(user_ids=[owner.user_id])
            return "intruder_removed"
        if membership is None:
            return "ignored"  # not one of ours (added by an admin, for instance)
        if owner is not None and not selectors.is_entitled(user=link.user, platform=Platform.TELEGRAM, at=at):
            _remote_action(
                client,
                lambda: client.remove_member(user_id=str(person_id)),
                user=link.user,
                action=Action.REMOVE,
                remote_id=str(person_id),
            )
            return "not_entitled_removed"
        with transaction.atomic():
            ChannelMembership.objects.filter(pk=membership.pk).update(
                state=State.MEMBER, has_access=True, invite_link="", updated_at=at
            )
            dashboard_cache_forget(user_ids=[membership.user_id])
            _set_added(user_id=link.user_id, platform=Platform.TELEGRAM, value=True, at=at)
        return "joined"
    if left:
        link, membership = _linked_membership(person_id)
        if membership is None or not membership.has_access:
            return "ignored"  # we removed them ourselves, or not one of ours
        with transaction.atomic():
            ChannelMembership.objects.filter(pk=membership.pk).update(
                state=State.LEFT, has_access=False, invite_link="", updated_at=at
            )
            dashboard_cache_forget(user_ids=[membership.user_id])
            _set_added(user_id=link.user_id, platform=Platform.TELEGRAM, value=False, at=at)
        return "left"
    return "ignored"

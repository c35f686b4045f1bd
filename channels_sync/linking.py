"""Linking a member's Telegram and Discord accounts: Telegram's one-time deep link and `/start`, Discord's OAuth2
with a state bound to the browser that asked, and dropping links when someone proves they own the address."""

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from channels_sync import crypto, selectors
from channels_sync.clients import OAuthError, discord_exchange_code, discord_user_for_token
from channels_sync.models import AccountLink, ChannelMembership, LinkToken, Platform
from core import clock

logger = logging.getLogger("calmnessfi.channels")

State = ChannelMembership.State

DISCORD_STATE_SALT = "channels_sync.discord.link"
DISCORD_STATE_MAX_AGE = 15 * 60
BROWSER_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}")  # secrets.token_urlsafe(24)


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
    return len(links)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _membership(*, user, platform: str, lock: bool = False) -> ChannelMembership:
    membership, _created = ChannelMembership.objects.get_or_create(user=user, platform=platform)
    if lock:
        membership = ChannelMembership.objects.select_for_update().get(pk=membership.pk)
    return membership


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

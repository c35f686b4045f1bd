"""Writes of the accounts app: registration, e-mail verification, password reset, login, profile."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import update_last_login
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import tasks
from accounts.models import User
from accounts.selectors import user_by_email
from accounts.serializers import PROFILE_WRITABLE_FIELDS
from accounts.signals import address_ownership_proven
from core import clock
from core.tasks import task_enqueue

VERIFY_EMAIL_SALT = "accounts.verify-email"
PASSWORD_RESET_SALT = "accounts.password-reset"


class InvalidToken(Exception):
    """A verification or reset token that cannot be used; the message is French and safe to show."""


class ConsentMissing(ValueError):
    """A registration without consent to the terms and the privacy notice; the message is French."""


class WeakPassword(ValueError):
    """A password the validators (AUTH_PASSWORD_VALIDATORS) refuse; `messages` are French and safe to show."""

    def __init__(self, messages: list[str]):
        super().__init__(" ".join(messages))
        self.messages = messages


def password_validate(*, password: str, user: User) -> None:
    """The one password rule of registration and reset (API and pages): raises WeakPassword."""
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise WeakPassword(list(exc.messages)) from exc


# --- signed, expiring, single-use tokens -----------------------------------------------------------------
# A token is a TimestampSigner-signed {user id, fingerprint}. The fingerprint hashes the state the token is
# meant to change (is_verified for verification, the password hash for a reset), so once used it no longer
# matches: every token works once, and every older token dies with it.


def _fingerprint(*, salt: str, user: User) -> str:
    if salt == VERIFY_EMAIL_SALT:
        state = f"{user.pk}:{user.email.lower()}:{user.is_verified}"
    else:
        last_login = user.last_login.replace(microsecond=0, tzinfo=None) if user.last_login else ""
        state = f"{user.pk}:{user.email.lower()}:{user.password}:{last_login}"
    return salted_hmac(salt, state, algorithm="sha256").hexdigest()[:32]


def _make_token(*, salt: str, user: User) -> str:
    return signing.TimestampSigner(salt=salt).sign_object({"u": user.pk, "f": _fingerprint(salt=salt, user=user)})


def _read_token(*, salt: str, token: str, max_age_hours: int, used_message: str) -> User:
    try:
        payload = signing.TimestampSigner(salt=salt).unsign_object(token or "", max_age=timedelta(hours=max_age_hours))
    except signing.SignatureExpired as exc:
        raise InvalidToken(_("Ce lien a expiré. Demandez-en un nouveau.")) from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise InvalidToken(_("Ce lien est invalide.")) from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int) or not isinstance(payload.get("f"), str):
        raise InvalidToken(_("Ce lien est invalide."))
    user = User.objects.filter(pk=payload["u"], is_active=True).first()
    if user is None:
        raise InvalidToken(_("Ce lien est invalide."))
    if not constant_time_compare(payload["f"], _fingerprint(salt=salt, user=user)):
        raise InvalidToken(used_message)
    return user


def make_email_verification_token(*, user: User) -> str:
    return _make_token(salt=VERIFY_EMAIL_SALT, user=user)


def make_password_reset_token(*, user: User) -> str:
    return _make_token(salt=PASSWORD_RESET_SALT, user=user)


# --- e-mails ---------------------------------------------------------------------------------------------
# Every account e-mail is a task of the queue (accounts/tasks.py), enqueued in the request's transaction: the
# look-ups, tokens and SMTP happen in the worker, never in the answer (no account enumeration by timing), and an
# e-mail asked for in a transaction that rolls back is never sent.


# --- registration and verification ------------------------------------------------------------------------


def user_register(
    *, email: str, password: str, accept_terms: bool, first_name: str = "", last_name: str = ""
) -> User | None:
    """Create an unverified member, with their consent to the terms and the privacy notice (the versions in
    settings, dated), and e-mail them a verification link. Raises ConsentMissing without `accept_terms`.

    Returns None when the address is taken: the caller answers exactly as for a new account, and the owner
    of the address gets a "someone tried to register" notice instead. The database constraint on
    Lower(email) is the guard against two concurrent registrations of the same address. Raises WeakPassword.
    """
    if accept_terms is not True:
        raise ConsentMissing(_("Acceptez les conditions d'utilisation et la politique de confidentialité."))
    email = User.objects.normalize_email((email or "").strip())
    password_validate(password=password, user=User(email=email, first_name=first_name, last_name=last_name))
    if user_by_email(email=email) is not None:
        make_password(password)  # same cost as a real registration
        task_enqueue(tasks.register_notice_send, email=email)
        return None
    try:
        with transaction.atomic():
            at = clock.now()
            user = User.objects.create_user(
                email=email,
                password=password,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                terms_version=settings.TERMS_VERSION,
                terms_accepted_at=at,
                privacy_version=settings.PRIVACY_VERSION,
                privacy_accepted_at=at,
            )
            task_enqueue(tasks.verification_email_send, user_id=user.pk)
    except IntegrityError:
        # Lost a race with a concurrent registration of the same address (any case).
        task_enqueue(tasks.register_notice_send, email=email)
        return None
    return user


@transaction.atomic
def user_verify_email(*, token: str) -> User:
    """Mark the member's e-mail verified and announce `address_ownership_proven` (channels_sync unlinks accounts
    linked before). Raises InvalidToken for an expired, forged or already used token."""
    user = _read_token(
        salt=VERIFY_EMAIL_SALT,
        token=token,
        max_age_hours=settings.EMAIL_VERIFICATION_MAX_AGE_HOURS,
        used_message=_("Ce lien a déjà été utilisé ou n'est plus valide."),
    )
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_verified:
        raise InvalidToken(_("Ce lien a déjà été utilisé ou n'est plus valide."))
    user.is_verified = True
    user.save(update_fields=["is_verified"])
    address_ownership_proven.send(sender=User, user=user)
    return user


def user_resend_verification(*, email: str) -> None:
    """Send a new verification link if the address belongs to an unverified member; silent otherwise.

    The request only enqueues one task, whatever the address: the look-up happens in the worker, so known and
    unknown addresses are answered in the same time."""
    task_enqueue(tasks.verification_email_resend, email=email)


# --- password reset ---------------------------------------------------------------------------------------


def user_request_password_reset(*, email: str) -> None:
    """E-mail a reset link if the address has an active account; silent otherwise (no enumeration).

    Like `user_resend_verification`, the request enqueues one task; the look-up and the token are made in the
    worker."""
    task_enqueue(tasks.password_reset_email_send, email=email)


def user_check_password_reset_token(*, token: str) -> User:
    return _read_token(
        salt=PASSWORD_RESET_SALT,
        token=token,
        max_age_hours=settings.PASSWORD_RESET_MAX_AGE_HOURS,
        used_message=_("Ce lien a déjà été utilisé ou n'est plus valide."),
    )


@transaction.atomic
def user_reset_password(*, token: str, new_password: str) -> User:
    """Set the new password (which kills the token), log the member out everywhere (their JWTs carry the old
    password's hash) and announce `address_ownership_proven` (channels_sync unlinks accounts linked before).

    The token is checked again once the member's row is locked: of two simultaneous uses of one link,
    the second sees the new password's fingerprint and gets InvalidToken. Raises WeakPassword (the link stays
    usable).
    """
    user = user_check_password_reset_token(token=token)
    password_validate(password=new_password, user=user)
    User.objects.select_for_update().filter(pk=user.pk).first()
    user = user_check_password_reset_token(token=token)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    refresh_tokens_blacklist_all(user=user)
    address_ownership_proven.send(sender=User, user=user)
    return user


def refresh_tokens_blacklist_all(*, user: User) -> None:
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )


# --- login and logout -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    user: User
    refresh: RefreshToken


def user_login(*, request, email: str, password: str) -> LoginResult | None:
    """Check the credentials and issue a JWT pair; None when the e-mail or the password is wrong (the caller
    answers one identical message for both)."""
    user = authenticate(request, email=(email or "").strip(), password=password)
    if user is None:
        return None
    refresh = RefreshToken.for_user(user)
    update_last_login(User, user)  # a signal receiver: the sender is not read
    return LoginResult(user=user, refresh=refresh)


def user_logout(*, user: User, refresh: str) -> None:
    """Blacklist the given refresh token of this member. Raises TokenError if it is not a valid one of theirs."""
    # simplejwt annotates its argument as a Token; it is the encoded token, a str.
    token = RefreshToken(refresh)  # type: ignore[arg-type]
    if str(token.payload.get(settings.SIMPLE_JWT.get("USER_ID_CLAIM", "user_id"))) != str(user.pk):
        raise TokenError(_("Jeton invalide ou expiré."))
    token.blacklist()


# --- profile ----------------------------------------------------------------------------------------------


@transaction.atomic
def user_update_profile(*, user: User, data: dict[str, Any]) -> User:
    """Apply validated profile changes. Only the member-writable fields are taken; can_make_payment follows."""
    user = User.objects.select_for_update().get(pk=user.pk)
    changed = [field for field in PROFILE_WRITABLE_FIELDS if field in data]
    for field in changed:
        setattr(user, field, data[field])
    if changed:
        user.save(update_fields=changed)
    return user

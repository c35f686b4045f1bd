"""The account e-mails, run by the task worker (core/tasks.py). Each takes an id or an address, looks the member
up itself and sends one French e-mail (text and HTML, templates/emails/accounts/).

The request only enqueues (accounts/services.py): whether an address has an account is found out here, in the
worker, so nothing of it shows in the answer's timing. A failed send raises, so the queue tries again later."""

import logging
from typing import Any

from django.conf import settings

from accounts import services
from accounts.models import User
from accounts.selectors import user_by_email
from core.emails import email_message
from core.tasks import task

logger = logging.getLogger("calmnessfi.accounts")


@task()
def verification_email_send(*, user_id: int) -> None:
    """The verification link of a member who just registered (nothing once verified or deactivated)."""
    user = User.objects.filter(pk=user_id, is_active=True, is_verified=False).first()
    if user is not None:
        _send(template="verify_email", to=user.email, context=_verification_context(user))


@task()
def verification_email_resend(*, email: str) -> None:
    """A new verification link if the address belongs to an active, unverified member; nothing otherwise."""
    user = user_by_email(email=email)
    if user is not None and user.is_active and not user.is_verified:
        _send(template="verify_email", to=user.email, context=_verification_context(user))


@task()
def password_reset_email_send(*, email: str) -> None:
    """A reset link if the address has an active account; nothing otherwise."""
    user = user_by_email(email=email)
    if user is not None and user.is_active:
        _send(template="password_reset", to=user.email, context=_reset_context(user))


@task()
def register_notice_send(*, email: str) -> None:
    """The "someone tried to register with your address" notice, sent instead of a second account's link."""
    _send(template="register_notice", to=email, context={"email": email})


def _send(*, template: str, to: str, context: dict[str, Any]) -> None:
    try:
        email_message(template=f"accounts/{template}", to=to, context=context).send()
    except Exception:
        # Logged without the address; the queue tries again (core.tasks.retry_delay).
        logger.exception("E-mail %s to user could not be sent", template)
        raise


def _link_context(user: User, *, token: str, path: str, max_age_hours: int) -> dict[str, Any]:
    """What the verification and reset e-mails show: the member, the link carrying the token, its lifetime."""
    return {
        "user": user,
        "token": token,
        "link": f"{settings.FRONTEND_URL.rstrip('/')}/{path}?token={token}",
        "max_age_hours": max_age_hours,
    }


def _verification_context(user: User) -> dict[str, Any]:
    token = services.make_email_verification_token(user=user)
    return _link_context(
        user, token=token, path="verifier-email/", max_age_hours=settings.EMAIL_VERIFICATION_MAX_AGE_HOURS
    )


def _reset_context(user: User) -> dict[str, Any]:
    token = services.make_password_reset_token(user=user)
    return _link_context(
        user, token=token, path="mot-de-passe/reinitialiser/", max_age_hours=settings.PASSWORD_RESET_MAX_AGE_HOURS
    )

"""Reads of the accounts app."""

from typing import TypedDict

from django.db.models import QuerySet

from accounts.models import User


def user_by_email(*, email: str) -> User | None:
    """The member an address names, matched as the login matches it: trimmed, case-insensitive (the database's
    UPPER() on PostgreSQL, so "ſ" matches "s": whoever keys something on an address keys it on this member).

    None for a string no account can have (NUL bytes, lone surrogates, over 254 characters): the database would
    refuse to compare it at all.
    """
    return _matching(email).first()


def member_address(*, email: str) -> str | None:
    """The stored address of the member `email` names (matched as `user_by_email` does), or None. Reads one
    column, so a known address costs the same as an unknown one (throttles run before every answer)."""
    return _matching(email).values_list("email", flat=True).first()


def _matching(email: str) -> QuerySet[User]:
    email = (email or "").strip()
    if not email or len(email) > 254 or "\x00" in email or not _encodable(email):
        return User.objects.none()
    return User.objects.filter(email__iexact=email)


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


class PaymentEligibility(TypedDict):
    can_make_payment: bool
    missing_fields: list[str]


def user_payment_eligibility(*, user: User) -> PaymentEligibility:
    """Whether the member may pay, and what they still have to provide (SPEC: Accounts)."""
    missing = user.missing_profile_fields()
    return {"can_make_payment": not missing, "missing_fields": missing}

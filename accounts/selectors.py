"""Reads of the accounts app."""

from typing import TypedDict

from accounts.models import User


class PaymentEligibility(TypedDict):
    can_make_payment: bool
    missing_fields: list[str]


def user_payment_eligibility(*, user: User) -> PaymentEligibility:
    """Whether the member may pay, and what they still have to provide (SPEC: Accounts)."""
    missing = user.missing_profile_fields()
    return {"can_make_payment": not missing, "missing_fields": missing}

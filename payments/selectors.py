"""Reads about payments and payment methods; a member's payments are always scoped to that member."""

import logging

from django.core.files import File
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.formats import number_format

from core.templatetags.money import currency_symbol
from payments.models import DETAIL_FIELDS, Payment, PaymentKind, PaymentMethod
from payments.proofs import proof_storage
from payments.validators import PLACEHOLDER_RE, CryptoNetwork

logger = logging.getLogger("calmnessfi.payments")


def payments_for_member(*, user) -> QuerySet[Payment]:
    """The member's payments, newest first."""
    return Payment.objects.filter(user=user).select_related("plan", "payment_method").order_by("-created_at", "-id")


def payment_pending_for(*, user) -> Payment | None:
    """The member's payment waiting for an admin (at most one: a unique constraint)."""
    return payments_for_member(user=user).filter(status=Payment.Status.PENDING).first()


def payment_methods_offered() -> QuerySet[PaymentMethod]:
    """The methods members may declare a payment with, in the admin's order. Never a card method: a card is paid
    through the online checkout (billing.checkout), offered only when Stripe is configured."""
    return PaymentMethod.objects.filter(is_active=True).exclude(kind=PaymentKind.CARD).order_by("position", "id")


def payment_instructions(*, payment: Payment) -> str:
    """The payment's method's instructions with {amount} (French format, e.g. 49,00), {currency} (€ or the ISO code),
    {code} and {plan}
    filled in; empty for a payment declared before methods existed."""
    if payment.payment_method is None:
        return ""
    values = {
        "amount": number_format(payment.amount, 2),
        "currency": currency_symbol(payment.currency),  # "49,00 €" as on every page, "100,00 USD" otherwise
        "code": payment.code,
        "plan": payment.plan.name,
    }
    return PLACEHOLDER_RE.sub(
        lambda match: values.get(match.group(1), match.group(0)), payment.payment_method.instructions
    )


def payment_method_details_display(*, method: PaymentMethod | None) -> list[tuple[str, str]]:
    """(French label, value) of each of the method's details, in display order (e-mails, admin)."""
    if method is None:
        return []
    rows = []
    for field in DETAIL_FIELDS.get(method.kind, ()):
        value = str(method.details.get(field.key, ""))
        if field.key == "network" and value in CryptoNetwork.values:
            value = str(CryptoNetwork(value).label)
        rows.append((str(field.label), value))
    return rows


def payment_proof_file(*, payment: Payment) -> File | None:
    """The payment's proof, opened for reading, or None when it has none (or its file is missing)."""
    if not payment.proof_name:
        return None
    try:
        return proof_storage().open(payment.proof_name, "rb")
    except FileNotFoundError:
        # The row says there is a proof: a lost file (a restore without PRIVATE_MEDIA_ROOT, another host's disk).
        logger.error("Proof file missing for payment %s", payment.pk)
        return None


def payment_pending_before_end() -> Exists:
    """For a queryset of subscriptions: whether their member declared, before the subscription's end, a payment an
    admin has not verified yet. Such a member keeps their access for a while after the end (channels_sync) and their
    reminders say the payment is being verified (notifications) instead of asking them to renew."""
    return Exists(
        Payment.objects.filter(
            user=OuterRef("user_id"), status=Payment.Status.PENDING, created_at__lt=OuterRef("ends_at")
        )
    )

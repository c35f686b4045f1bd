"""The member's payments in their data export, and their anonymisation when the member's data is erased
(accounts.privacy, docs/architecture/personal-data.md).

Payments are accounting records, kept 10 years (French commercial code, art. L123-22): the rows stay with their
amounts, codes, methods and dates; what the member wrote (reference, note), the admin's free-text reason and the
proof file go."""

from django.db import transaction

from accounts.privacy import iso
from core import clock
from payments.models import Payment
from payments.proofs import proof_storage
from payments.services import payment_cancel
from subscriptions.models import Subscription


def payments_export(user) -> list[dict]:
    payments = (
        Payment.objects.filter(user=user)
        .select_related("plan", "payment_method", "refund", "coupon")
        .order_by("created_at", "pk")
    )
    rows = []
    for payment in payments:
        refund = getattr(payment, "refund", None)  # a reverse one-to-one: absent when no refund exists
        rows.append(
            {
                "code": payment.code,
                "plan": payment.plan.name,
                "list_price": None if payment.list_price is None else str(payment.list_price),
                "discount": str(payment.discount),
                "coupon": payment.coupon.code if payment.coupon else None,
                "amount": str(payment.amount),
                "currency": payment.currency,
                "method": payment.method,
                "payment_method": payment.payment_method.label if payment.payment_method else None,
                "reference": payment.reference,
                "note": payment.note,
                "status": payment.status,
                "created_at": iso(payment.created_at),
                "confirmed_at": iso(payment.confirmed_at),
                "rejected_at": iso(payment.rejected_at),
                "rejection_reason": payment.rejection_reason,
                "cancelled_at": iso(payment.cancelled_at),
                "proof_type": payment.proof_type,
                "proof_uploaded_at": iso(payment.proof_uploaded_at),
                "refund": None
                if refund is None
                else {
                    "amount": str(refund.amount),
                    "currency": refund.currency,
                    "recorded_at": iso(refund.recorded_at),
                    "access_ends": refund.access_ends,
                },
            }
        )
    return rows


def subscriptions_export(user) -> list[dict]:
    subscriptions = Subscription.objects.filter(user=user).select_related("plan", "payment").order_by("starts_at", "pk")
    return [
        {
            "plan": subscription.plan.name,
            "status": subscription.status,
            "starts_at": iso(subscription.starts_at),
            "ends_at": iso(subscription.ends_at),
            "payment_code": subscription.payment.code if subscription.payment else None,
            "is_trial": subscription.is_trial,
            "auto_renew": subscription.auto_renew,
            "telegram_added": subscription.telegram_added,
            "discord_added": subscription.discord_added,
            "created_at": iso(subscription.created_at),
        }
        for subscription in subscriptions
    ]


@transaction.atomic
def member_payments_anonymise(*, user) -> int:
    """Cancels the member's pending payment (nobody is left to confirm it for; a card payment's Stripe page is
    closed), then blanks the member's own words and the proofs of their payments (files deleted from the private
    storage after the commit: a rolled-back erasure keeps them). Returns how many payments were touched."""
    for pending in Payment.objects.filter(user=user, status=Payment.Status.PENDING):
        payment_cancel(payment=pending, by=user)
    payments = Payment.objects.filter(user=user)
    proof_names = list(payments.exclude(proof_name="").values_list("proof_name", flat=True))
    count = payments.update(reference="", note="", rejection_reason="", proof_name="")
    if proof_names:
        transaction.on_commit(lambda: _proofs_delete(proof_names))
    return count


def member_subscriptions_end(*, user) -> int:
    """An erased member is covered no more: their subscriptions still running or queued (a trial too) end now,
    cancelled, so that no reminder, access or revenue figure is computed for the anonymous row. Subscriptions are not
    financial records: the payments that paid them stay as they are. Returns how many ended."""
    now = clock.now()
    return Subscription.objects.filter(user=user, status=Subscription.Status.ACTIVE, ends_at__gt=now).update(
        status=Subscription.Status.CANCELLED, auto_renew=False, next_charge_at=None, updated_at=now
    )


def _proofs_delete(names: list[str]) -> None:
    storage = proof_storage()
    for name in names:
        storage.delete(name)

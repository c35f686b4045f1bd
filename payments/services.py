"""Writes about payments: a member declares, an admin confirms or rejects."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core import clock
from payments.emails import send_payment_confirmed_email, send_payment_rejected_email
from payments.models import Payment
from subscriptions.models import Plan, Subscription
from subscriptions.selectors import subscriptions_active_for
from subscriptions.services import MONTHLY_SLUG, plans_create_defaults, subscription_create_for_payment


class PaymentNotAllowed(Exception):
    """The member cannot pay yet (incomplete profile): the API answers 403 with `missing_fields`."""

    def __init__(self, missing_fields: list[str]):
        self.missing_fields = missing_fields
        super().__init__(_("Complétez votre profil avant de payer."))


class PaymentError(Exception):
    """A request the payment's state or data forbids (inactive plan, confirming a rejected payment...)."""


def payment_declare(
    *,
    user,
    plan: Plan,
    method: str,
    reference: str = "",
    note: str = "",
    idempotency_key: str | None = None,
) -> tuple[Payment, bool]:
    """Record a payment the member says they made; returns (payment, created).

    Amount and currency come from the plan, never from the client. With an idempotency key, a retry
    returns the first payment: the unique constraint (user, idempotency_key) is the guard, so two
    concurrent retries still produce one row.
    """
    if idempotency_key:
        existing = Payment.objects.filter(user=user, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, False
    if not user.can_make_payment:
        raise PaymentNotAllowed(user.missing_profile_fields())
    if not plan.is_active:
        raise PaymentError(_("Cette formule n'est plus proposée."))
    if method not in Payment.Method.values:
        raise PaymentError(_("Moyen de paiement inconnu."))
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                user=user,
                plan=plan,
                amount=plan.price,
                currency=plan.currency,
                method=method,
                reference=reference,
                note=note,
                idempotency_key=idempotency_key or None,
            )
    except IntegrityError:
        if not idempotency_key:
            raise
        # Another request with the same key won the race: answer with its payment.
        return Payment.objects.get(user=user, idempotency_key=idempotency_key), False
    return payment, True


def _lock_member_and_payment(payment: Payment) -> Payment:
    # Always the member row first, then the payment: one lock order everywhere, so no deadlock, and
    # two confirmations for one member are serialised (each sees the other's subscription).
    User = get_user_model()
    list(User.objects.select_for_update().filter(pk=payment.user_id).values_list("pk", flat=True))
    return Payment.objects.select_for_update(of=("self",)).select_related("plan", "user").get(pk=payment.pk)


@transaction.atomic
def payment_confirm(*, payment: Payment, by, notify: bool = True) -> Subscription:
    """Confirm a payment and create the subscription it pays for, exactly once.

    Idempotent: a confirmed payment returns its subscription (double click, two admins, retry).
    A rejected payment cannot be confirmed. The member's e-mail leaves after commit.
    """
    payment = _lock_member_and_payment(payment)
    if payment.status == Payment.Status.CONFIRMED:
        return Subscription.objects.get(payment=payment)
    if payment.status == Payment.Status.REJECTED:
        raise PaymentError(_("Ce paiement a été rejeté : il ne peut pas être confirmé."))
    subscription = subscription_create_for_payment(payment=payment)
    payment.status = Payment.Status.CONFIRMED
    payment.confirmed_at = clock.now()
    payment.confirmed_by = by
    payment.save(update_fields=["status", "confirmed_at", "confirmed_by"])
    if notify:
        transaction.on_commit(lambda: send_payment_confirmed_email(payment=payment, subscription=subscription))
    return subscription


@transaction.atomic
def payment_reject(*, payment: Payment, by, reason: str) -> Payment:
    """Reject a pending payment with a reason the member reads in the e-mail.

    Rejecting an already rejected payment changes nothing; a confirmed one cannot be rejected.
    """
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError(_("Indiquez le motif du rejet."))
    payment = _lock_member_and_payment(payment)
    if payment.status == Payment.Status.REJECTED:
        return payment
    if payment.status == Payment.Status.CONFIRMED:
        raise PaymentError(_("Ce paiement est déjà confirmé : il ne peut pas être rejeté."))
    payment.status = Payment.Status.REJECTED
    payment.rejected_at = clock.now()
    payment.rejection_reason = reason
    payment.rejected_by = by
    payment.save(update_fields=["status", "rejected_at", "rejection_reason", "rejected_by"])
    transaction.on_commit(lambda: send_payment_rejected_email(payment=payment))
    return payment


@transaction.atomic
def payment_seed_for_test_member(*, user) -> Subscription:
    """Give the test member a confirmed monthly payment and its running subscription (idempotent).

    Nothing is created while the member already has an active subscription.
    """
    existing = subscriptions_active_for(user=user).order_by("-ends_at").first()
    if existing is not None:
        return existing
    plans_create_defaults()
    plan = Plan.objects.get(slug=MONTHLY_SLUG)
    payment, _ = payment_declare(
        user=user,
        plan=plan,
        method=Payment.Method.BANK_TRANSFER,
        reference="SEED-TEST-MEMBER",
        note="Paiement de démonstration créé par create_test_user.",
        idempotency_key=f"seed-test-member-{clock.now():%Y%m%d%H%M%S%f}",
    )
    return payment_confirm(payment=payment, by=None, notify=False)

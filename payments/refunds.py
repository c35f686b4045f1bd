"""Refunds of confirmed payments (docs/architecture/payments.md): recorded once, by an admin for money given back
outside Stripe or by billing's webhook for a card refunded in Stripe's dashboard; the admin then chooses when the
refunded payment's access ends (now, the default, or at the end of the period it paid for)."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import clock
from payments.models import Payment, Refund
from payments.services import PaymentError, PaymentStateError, _lock_member_and_payment
from payments.signals import payment_refunded, refund_access_decided
from subscriptions.models import Subscription

NOT_REFUNDABLE = {
    Payment.Status.PENDING: gettext_lazy("Ce paiement n'est pas encore confirmé : il ne peut pas être remboursé."),
    Payment.Status.REJECTED: gettext_lazy("Ce paiement a été rejeté : il n'y a rien à rembourser."),
    Payment.Status.CANCELLED: gettext_lazy("Ce paiement a été annulé : il n'y a rien à rembourser."),
}


def _access_apply(*, payment: Payment, access_ends: str) -> None:
    """The payment's subscription follows the refund's access outcome: cancelled (coverage and channel access stop
    now: a cancelled subscription entitles to nothing, not even a grace) or left to run to its paid end. Neither
    renews: the refunded period is not charged again."""
    subscription = Subscription.objects.select_for_update().filter(payment=payment).first()
    if subscription is None:
        return
    if access_ends == Refund.AccessEnds.NOW:
        status = Subscription.Status.CANCELLED
    elif subscription.ends_at > clock.now():
        status = Subscription.Status.ACTIVE
    else:
        status = Subscription.Status.EXPIRED
    subscription.status = status
    subscription.auto_renew = False
    subscription.next_charge_at = None
    subscription.save(update_fields=["status", "auto_renew", "next_charge_at", "updated_at"])


@transaction.atomic
def payment_refund_record(
    *,
    payment: Payment,
    by,
    amount: Decimal | None = None,
    external_id: str = "",
    access_ends: str = Refund.AccessEnds.NOW,
) -> tuple[Refund, bool]:
    """Record that a confirmed payment was refunded; returns (refund, created).

    `by` is the admin who records a refund made outside Stripe, or None for Stripe's webhook; `amount` what was
    given back (the payment's amount by default, never more); `external_id` the Stripe charge refunded. The payment
    becomes refunded and its subscription follows `access_ends`. Idempotent: a payment is refunded once, so a second
    call (double click, two admins, a replayed event) returns the first refund. The member's row then the payment's
    are locked, as every payment decision does; in the same transaction `payment_refunded` (the channel access task).
    """
    payment = _lock_member_and_payment(payment)
    existing = Refund.objects.filter(payment=payment).first()
    if existing is not None:
        return existing, False
    if payment.status != Payment.Status.CONFIRMED:
        raise PaymentStateError(str(NOT_REFUNDABLE[Payment.Status(payment.status)]))
    if access_ends not in Refund.AccessEnds.values:
        raise PaymentError(_("Choisissez quand l'accès se termine."), field="access_ends")
    amount = payment.amount if amount is None else amount
    if not Decimal("0") < amount <= payment.amount:
        raise PaymentError(
            _("Le montant remboursé doit être positif et au plus celui du paiement (%(amount)s).")
            % {"amount": payment.amount},
            field="amount",
        )
    if external_id and Refund.objects.filter(external_id=external_id).exists():
        raise PaymentStateError(
            _("Le remboursement %(id)s est déjà enregistré sur un autre paiement.") % {"id": external_id}
        )
    now = clock.now()
    refund = Refund.objects.create(
        payment=payment,
        amount=amount,
        currency=payment.currency,
        external_id=external_id,
        access_ends=access_ends,
        recorded_by=by,
        recorded_at=now,
        access_decided_by=by,
        access_decided_at=now,
    )
    payment.status = Payment.Status.REFUNDED
    payment.save(update_fields=["status"])
    _access_apply(payment=payment, access_ends=access_ends)
    payment_refunded.send(sender=Payment, payment=payment, refund=refund)
    return refund, True


@transaction.atomic
def refund_access_decide(*, refund: Refund, by, access_ends: str) -> Refund:
    """The admin's choice, after the refund was recorded, of when its payment's access ends: now (the subscription
    is cancelled) or at the paid end (a cancelled subscription whose end is still ahead runs again). Who chose and
    when are kept; choosing the outcome already in force changes nothing."""
    if access_ends not in Refund.AccessEnds.values:
        raise PaymentError(_("Choisissez quand l'accès se termine."), field="access_ends")
    payment = _lock_member_and_payment(refund.payment)
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    if refund.access_ends == access_ends:
        return refund
    refund.access_ends = access_ends
    refund.access_decided_by = by
    refund.access_decided_at = clock.now()
    refund.save(update_fields=["access_ends", "access_decided_by", "access_decided_at"])
    _access_apply(payment=payment, access_ends=access_ends)
    refund_access_decided.send(sender=Payment, payment=payment, refund=refund)
    return refund

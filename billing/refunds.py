"""Stripe events about refunds (docs/architecture/stripe.md): a card payment refunded in Stripe's dashboard is
recorded on our payment, which becomes refunded, through payments' own refund service (access ends now by default;
the admin may choose the paid end on the payment's page)."""

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from billing.amounts import from_stripe_cents
from billing.errors import StripeEventError
from billing.models import StripeCheckout, StripeEvent, StripeInvoice
from payments.models import Payment
from payments.refunds import payment_refund_record


def _payment_of_intent(intent: str) -> Payment | None:
    """Our payment paid by the payment intent `intent`: a one-off checkout's, or a subscription invoice's."""
    checkout = StripeCheckout.objects.filter(payment_intent_id=intent).select_related("payment").first()
    if checkout is not None:
        return checkout.payment
    invoice = StripeInvoice.objects.filter(payment_intent_id=intent).select_related("payment").first()
    return invoice.payment if invoice is not None else None


def _charge_refunded(charge: dict[str, Any], event: StripeEvent) -> str:
    """A charge refunded in full refunds the payment it paid, once (a replay or a second event finds the refund).
    A partial refund leaves the payment confirmed: Stripe sends this event again, with `refunded` true, when the
    rest is given back. A charge we cannot place yet (its paying event not processed) fails, and the queue retries."""
    if not charge.get("refunded"):
        return _("remboursement partiel (%(refunded)s sur %(amount)s centimes) : le paiement reste confirmé") % {
            "refunded": charge.get("amount_refunded"),
            "amount": charge.get("amount_captured", charge.get("amount")),
        }
    intent = charge.get("payment_intent")
    payment = _payment_of_intent(intent) if isinstance(intent, str) and intent else None
    if payment is None:
        raise StripeEventError(
            _("Paiement introuvable pour la charge %(charge)s : payment_intent=%(intent)r")
            % {"charge": charge.get("id"), "intent": intent}
        )
    amount = from_stripe_cents(charge["amount_refunded"])
    _refund, created = payment_refund_record(payment=payment, by=None, amount=amount, external_id=str(charge["id"]))
    if not created:
        return _("remboursement déjà enregistré pour le paiement %(code)s") % {"code": payment.code}
    return ""


# Each handler returns "" when it applied the event, or why it had nothing to do (the event is then "ignored").
HANDLERS: dict[str, Callable[[dict[str, Any], StripeEvent], str]] = {
    "charge.refunded": _charge_refunded,
}

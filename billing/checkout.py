"""Card payments through Stripe Checkout: the session a pending card payment sends the member to, and the events that
settle it (docs/architecture/stripe.md)."""

from typing import Any

from django.utils.translation import gettext as _

from billing.errors import StripeEventError
from billing.models import StripeEvent
from payments.models import Payment
from payments.services import payment_confirm


def _checkout_session_completed(session: dict[str, Any], event: StripeEvent) -> str:
    """A paid Checkout Session confirms the payment named by its `client_reference_id`, through the admin's own
    confirmation service (idempotent): same coverage, e-mails, in-app notice and channel access."""
    if session.get("payment_status") != "paid":
        return _("session non payée (statut %(status)s)") % {"status": session.get("payment_status")}
    reference = session.get("client_reference_id")
    try:
        payment = Payment.objects.get(pk=int(str(reference)))
    except (ValueError, Payment.DoesNotExist):
        raise StripeEventError(_("Paiement introuvable : client_reference_id=%(ref)r") % {"ref": reference}) from None
    payment_confirm(payment=payment, by=None)
    return ""


# Each handler returns "" when it applied the event, or why it had nothing to do (the event is then "ignored").
HANDLERS = {
    "checkout.session.completed": _checkout_session_completed,
}

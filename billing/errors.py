"""Billing's errors, shared by the event handlers, the services that call them and the API."""

from django.utils.translation import gettext as _

from payments.services import PaymentError


class StripeEventError(Exception):
    """An event that cannot be applied (unknown payment…): the event is marked failed and the queue retries."""


class BillingError(Exception):
    """A billing request the member's state does not allow (no Stripe customer yet for the portal…), in French."""


class StripeOff(PaymentError, BillingError):
    """Stripe is not configured: the card is not offered (the API answers 503)."""

    def __init__(self):
        super().__init__(_("Le paiement par carte n'est pas proposé."))


class StripeUnavailable(PaymentError, BillingError):
    """Stripe failed or could not be reached (error, rate limit, network): nothing was kept on our side, the member
    can simply try again (the API answers 502)."""

    def __init__(self):
        super().__init__(
            _("Le service de paiement par carte ne répond pas pour le moment : réessayez dans un instant.")
        )

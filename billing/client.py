"""The one place a Stripe client is made: the real `stripe` library, aimed at STRIPE_API_BASE (the fake server in
the tests)."""

import stripe
from django.conf import settings


def stripe_enabled() -> bool:
    """Stripe is optional: with no secret key the card method is not offered and the webhook refuses everything."""
    return bool(settings.STRIPE_SECRET_KEY)


def stripe_client() -> stripe.StripeClient:
    base = settings.STRIPE_API_BASE
    # Files and Connect have their own hosts at Stripe; a fake server (one address) answers them all.
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base, "files": base, "connect": base, "meter_events": base},
        max_network_retries=2,
    )

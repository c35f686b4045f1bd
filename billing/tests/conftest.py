import pytest

from billing.tests.stripe_signing import WEBHOOK_SECRET
from tests.fakes.fixtures import fake_stripe  # noqa: F401  (the fake Stripe API: checkout, renewals, refunds)


@pytest.fixture
def stripe_on(settings):
    """Stripe configured; its API points nowhere (nothing here calls it)."""
    settings.STRIPE_SECRET_KEY = "sk_test_billing_0123456789"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"

import pytest

from billing.tests.stripe_signing import WEBHOOK_SECRET


@pytest.fixture
def stripe_on(settings):
    """Stripe configured; its API points nowhere (nothing here calls it)."""
    settings.STRIPE_SECRET_KEY = "sk_test_billing_0123456789"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"

"""The fake Telegram and Discord servers (tests/fakes/fixtures.py), the signals channels pointed at them, and the
real task queue (database backend, the real worker command)."""

from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from tests.fakes.fixtures import fake_discord, fake_telegram  # noqa: F401
from trading_signals import services as signal_services


@pytest.fixture
def channels(fake_telegram, fake_discord, settings):  # noqa: F811
    """Both platforms on, no pacing (the pacing test sets it), a short read timeout for the timeout tests."""
    settings.DISCORD_SIGNALS_CHANNEL_ID = fake_discord.signals_channel_id
    settings.PUBLISHING_TELEGRAM_INTERVAL_SECONDS = 0
    settings.PUBLISHING_DISCORD_INTERVAL_SECONDS = 0
    settings.PUBLISHING_READ_TIMEOUT_SECONDS = 1
    settings.FRONTEND_URL = "https://calmnessfi.test/espace"
    return fake_telegram, fake_discord


@pytest.fixture
def admin(db):
    return UserFactory(is_staff=True)


@pytest.fixture
def publish(admin):
    """Creates and publishes a signal through trading_signals' services (its hook enqueues the posts)."""

    def make(**overrides):
        fields = {
            "market": "forex",
            "instrument": "EUR/USD",
            "direction": "buy",
            "entry_price": Decimal("1.0850"),
            "stop_loss": Decimal("1.0800"),
            "take_profits": [Decimal("1.0900"), Decimal("1.0950")],
        } | overrides
        return signal_services.signal_create(by=admin, **fields)

    return make

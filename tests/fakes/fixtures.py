"""Fixtures: fake Telegram, Discord and Stripe servers on 127.0.0.1, the settings pointing the real libraries at them.

Shared by channels_sync/tests and tests/ (imported by their conftest or test module)."""

import pytest

from tests.fakes.fake_discord import FakeDiscord
from tests.fakes.fake_stripe import FakeStripe
from tests.fakes.fake_telegram import BOT_USERNAME, FakeTelegram

WEBHOOK_SECRET = "secret-de-test"


@pytest.fixture
def fake_telegram(settings):
    fake = FakeTelegram().start()
    settings.TELEGRAM_BOT_TOKEN = fake.token
    settings.TELEGRAM_CHANNEL_ID = fake.chat_id
    settings.TELEGRAM_API_BASE_URL = fake.base_url
    settings.TELEGRAM_BOT_USERNAME = BOT_USERNAME
    settings.TELEGRAM_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.TELEGRAM_MAX_REQUESTS_PER_SECOND = 0
    yield fake
    fake.stop()


@pytest.fixture
def fake_discord(settings):
    fake = FakeDiscord().start()
    settings.DISCORD_BOT_TOKEN = fake.bot_token
    settings.DISCORD_GUILD_ID = fake.guild_id
    settings.DISCORD_ROLE_ID = fake.role_id
    settings.DISCORD_CLIENT_ID = fake.client_id
    settings.DISCORD_CLIENT_SECRET = fake.client_secret
    settings.DISCORD_API_BASE_URL = fake.base_url
    settings.DISCORD_REDIRECT_URI = "http://testserver/api/auth/discord/callback/"
    settings.DISCORD_LINK_REDIRECT_URL = "http://front.test/espace/profil/"
    settings.DISCORD_MAX_REQUESTS_PER_SECOND = 0
    yield fake
    fake.stop()


@pytest.fixture
def fake_stripe(settings):
    """A fake Stripe API; the project builds a `stripe.StripeClient` from these settings (nothing global set)."""
    fake = FakeStripe().start()
    settings.STRIPE_SECRET_KEY = fake.secret_key
    settings.STRIPE_API_BASE = fake.url
    settings.STRIPE_WEBHOOK_SECRET = fake.webhook_secret
    yield fake
    fake.stop()

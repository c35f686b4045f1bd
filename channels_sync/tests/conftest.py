"""The fake Telegram and Discord servers (tests/fakes/fixtures.py) for every channels_sync test."""

from tests.fakes.fixtures import WEBHOOK_SECRET, fake_discord, fake_telegram  # noqa: F401

"""The fake Telegram and Discord servers (tests/fakes/fixtures.py): the dashboard's cache tests run a channel sync."""

from tests.fakes.fixtures import fake_discord, fake_telegram  # noqa: F401

"""The fake Telegram server (tests/fakes/fixtures.py): a trial's channel access goes through it."""

from tests.fakes.fixtures import fake_telegram  # noqa: F401

"""Fixtures for the project-level tests (tests/). Apps import the same fixtures in their own conftest.py."""

from tests.fakes.fixtures import fake_discord, fake_stripe, fake_telegram  # noqa: F401
from tests.smtp_server import smtp_server  # noqa: F401

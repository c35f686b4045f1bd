"""The fake Telegram and Discord servers (tests/fakes/fixtures.py): the dashboard's cache tests run a channel sync; the
fake Stripe for the payments page's card tests.
`browser`: the member's pages through Django's test client, logged in as `member`."""

import pytest
from django.test import Client

from tests.fakes.fixtures import fake_discord, fake_stripe, fake_telegram  # noqa: F401


@pytest.fixture
def browser(member) -> Client:
    client = Client()
    client.force_login(member)
    return client

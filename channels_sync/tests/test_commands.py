"""telegram_poll (getUpdates) and telegram_set_webhook against the fake Bot API."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from channels_sync.linking import telegram_link_create
from channels_sync.models import AccountLink

pytestmark = pytest.mark.django_db


def test_poll_once_handles_start_updates_and_acknowledges_them(fake_telegram, member):
    url = telegram_link_create(user=member)["url"]
    token = url.split("start=")[1]
    fake_telegram.pending_updates.append(fake_telegram.start_update(user_id=4242, text=f"/start {token}", update_id=10))

    out = StringIO()
    call_command("telegram_poll", "--once", stdout=out)

    assert AccountLink.objects.get(user=member).remote_id == "4242"
    assert "1 mise à jour traitée" in out.getvalue()
    first, ack = fake_telegram.calls("getUpdates")
    assert set(first.body["allowed_updates"]) == {"message", "chat_join_request", "chat_member"}
    assert int(ack.body["offset"]) == 11
    assert fake_telegram.pending_updates == []
    assert "lié" in fake_telegram.messages[0]["text"]


def test_set_webhook_registers_url_and_secret(fake_telegram, settings):
    settings.TELEGRAM_WEBHOOK_URL = "https://calmnessfi.example/api/telegram/webhook/"

    call_command("telegram_set_webhook", stdout=StringIO())

    assert fake_telegram.webhook["url"] == settings.TELEGRAM_WEBHOOK_URL
    assert fake_telegram.webhook["secret_token"] == settings.TELEGRAM_WEBHOOK_SECRET
    assert "chat_member" in fake_telegram.webhook["allowed_updates"]


def test_set_webhook_without_url_fails_clearly(fake_telegram, settings):
    settings.TELEGRAM_WEBHOOK_URL = ""

    with pytest.raises(CommandError, match="TELEGRAM_WEBHOOK_URL"):
        call_command("telegram_set_webhook", stdout=StringIO())

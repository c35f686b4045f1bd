"""Malformed Telegram updates: ignored with a 200 by the webhook, skipped (and acknowledged) by the poll loop."""

import logging
from io import StringIO

import pytest
from django.core.management import call_command

from channels_sync.linking import telegram_link_create
from channels_sync.models import AccountLink, ChannelAction
from channels_sync.tests.conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db

MALFORMED = [
    pytest.param({"update_id": 1, "message": "x"}, id="message-not-an-object"),
    pytest.param(
        {"update_id": 2, "chat_member": {"chat": {"id": -1001234567890}, "new_chat_member": "x"}},
        id="new-chat-member-not-an-object",
    ),
    pytest.param({"update_id": 3, "chat_join_request": {"from": {"id": "abc"}, "chat": []}}, id="wrong-types"),
    pytest.param({"update_id": 4, "message": {"text": ["/start"], "from": {"id": 5}}}, id="text-not-a-string"),
    pytest.param({"update_id": "5", "message": {}}, id="update-id-not-an-integer"),
]


def post_update(api_client, update):
    return api_client.post(
        "/api/telegram/webhook/", update, format="json", HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=WEBHOOK_SECRET
    )


@pytest.mark.parametrize("update", MALFORMED)
def test_webhook_answers_200_to_a_malformed_update_and_logs_it(fake_telegram, api_client, update, caplog):
    with caplog.at_level(logging.WARNING, logger="calmnessfi.channels"):
        response = post_update(api_client, update)

    assert response.status_code == 200, response.content
    assert response.json() == {"ok": True}
    assert any(record.getMessage() == "telegram update malformed, ignored" for record in caplog.records)
    assert fake_telegram.mutating_calls() == [] and ChannelAction.objects.count() == 0


def test_webhook_still_handles_a_well_formed_update(fake_telegram, api_client, member):
    token = telegram_link_create(user=member)["url"].split("start=")[1]

    response = post_update(api_client, fake_telegram.start_update(user_id=4242, text=f"/start {token}"))

    assert response.status_code == 200
    assert AccountLink.objects.get(user=member).remote_id == "4242"


def test_poll_skips_a_malformed_update_and_handles_the_next_one(fake_telegram, member):
    token = telegram_link_create(user=member)["url"].split("start=")[1]
    fake_telegram.pending_updates += [
        {"update_id": 10, "message": "x"},
        fake_telegram.start_update(user_id=4242, text=f"/start {token}", update_id=11),
    ]

    out = StringIO()
    call_command("telegram_poll", "--once", stdout=out, stderr=out)

    assert AccountLink.objects.get(user=member).remote_id == "4242"
    ack = fake_telegram.calls("getUpdates")[-1]
    assert int(ack.body["offset"]) == 12
    assert fake_telegram.pending_updates == []


def test_poll_logs_an_update_whose_handling_fails_and_goes_on(fake_telegram, member, caplog):
    """A handler error (here an answer python-telegram-bot cannot parse) neither stops the loop nor blocks it."""
    token = telegram_link_create(user=member)["url"].split("start=")[1]
    fake_telegram.garbled.add("sendMessage")
    fake_telegram.pending_updates += [
        fake_telegram.start_update(user_id=4242, text=f"/start {token}", update_id=20),
        fake_telegram.start_update(user_id=4343, text="/start", update_id=21),
    ]

    out, err = StringIO(), StringIO()
    with caplog.at_level(logging.ERROR, logger="calmnessfi.channels"):
        call_command("telegram_poll", "--once", stdout=out, stderr=err)

    assert "mise à jour 20 : échec" in err.getvalue() and "mise à jour 21 : échec" in err.getvalue()
    assert [r.getMessage() for r in caplog.records].count("telegram update failed") == 2
    assert "0 mise à jour traitée" in out.getvalue()
    ack = fake_telegram.calls("getUpdates")[-1]
    assert int(ack.body["offset"]) == 22
    assert fake_telegram.pending_updates == []

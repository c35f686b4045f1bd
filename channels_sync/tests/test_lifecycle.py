"""The whole member lifecycle against both fakes: link, pay, confirm, added, reminders, expiry, removed, renew."""

from datetime import timedelta
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core.management import call_command

from channels_sync.models import ChannelMembership
from channels_sync.tests.conftest import WEBHOOK_SECRET
from conftest import client_for
from payments.services import payment_confirm
from payments.tests.factories import PaymentFactory
from subscriptions.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def telegram_sender(fake_telegram):
    from channels_sync.senders import TelegramSender
    from notifications.senders import SENDERS, register_sender

    register_sender(TelegramSender())
    yield
    SENDERS.pop("telegram", None)


def sync():
    call_command("manage_channel_members", stdout=StringIO())


def test_link_pay_added_reminded_expired_removed_renewed_added_again(
    fake_telegram, fake_discord, telegram_sender, member, api_client, mailoutbox
):
    client = client_for(member)
    admin = member.__class__.objects.create_superuser(email="admin@example.com", password="x")
    plan = PlanFactory(duration_days=30)

    # link both accounts
    url = client.post("/api/auth/user/telegram/link/").json()["url"]
    update = fake_telegram.start_update(user_id=4242, text=f"/start {url.split('start=')[1]}")
    api_client.post(
        "/api/telegram/webhook/", update, format="json", HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=WEBHOOK_SECRET
    )
    state = parse_qs(urlsplit(client.get("/api/auth/user/discord/link/").json()["url"]).query)["state"][0]
    code = fake_discord.authorise(user_id="300000000000000077")
    client.get("/api/auth/discord/callback/", {"code": code, "state": state})  # the browser that asked

    # pay, confirmed by the admin: invited on Telegram, added on Discord
    subscription = payment_confirm(payment=PaymentFactory(user=member, plan=plan), by=admin)
    sync()
    invite = ChannelMembership.objects.get(user=member, platform="telegram").invite_link
    assert any(invite in m["text"] for m in fake_telegram.messages if m["chat_id"] == 4242)
    assert fake_discord.members["300000000000000077"] == {fake_discord.role_id}
    api_client.post(
        "/api/telegram/webhook/",
        fake_telegram.join(user_id=4242, invite_link=invite),
        format="json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=WEBHOOK_SECRET,
    )
    subscription.refresh_from_db()
    assert subscription.telegram_added and subscription.discord_added
    dashboard = client.get("/api/auth/user/dashboard/").json()
    assert dashboard["channels"]["telegram"]["state"] == "member"
    assert dashboard["channels"]["discord"]["state"] == "member"

    # reminder seven days before the end, by e-mail and by Telegram
    mails_before = len(mailoutbox)
    with time_machine.travel(subscription.ends_at - timedelta(days=7)):
        call_command("process_subscription_notifications", stdout=StringIO())
    assert any("Renouvellement" in m["text"] for m in fake_telegram.messages)
    [reminder] = mailoutbox[mails_before:]
    assert reminder.to == [member.email]
    assert reminder.subject == "CalmnessFi – Renouvellement recommandé"

    # expiry: removed from both
    with time_machine.travel(subscription.ends_at + timedelta(minutes=5)):
        sync()
        assert fake_telegram.members[4242] == "left" and 4242 not in fake_telegram.banned
        assert fake_discord.members["300000000000000077"] == set()
        subscription.refresh_from_db()
        assert not subscription.telegram_added and not subscription.discord_added

        # renewal: back in
        renewal = payment_confirm(payment=PaymentFactory(user=member, plan=plan), by=admin)
        sync()
        assert ChannelMembership.objects.get(user=member, platform="telegram").state == "invited"
        assert fake_discord.members["300000000000000077"] == {fake_discord.role_id}
        renewal.refresh_from_db()
        assert renewal.discord_added

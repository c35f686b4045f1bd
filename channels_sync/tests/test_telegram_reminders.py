"""Reminders of the notification calendar also go out by Telegram private message to linked members."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.tests.factories import UserFactory
from channels_sync.tests.factories import link_telegram, subscribe
from notifications.models import NotificationDelivery, UserNotification
from notifications.services import deliveries_send_pending
from notifications.tests.factories import NotificationDeliveryFactory

pytestmark = pytest.mark.django_db
Status = NotificationDelivery.Status


@pytest.fixture(autouse=True)
def telegram_sender(fake_telegram):
    """What ChannelsSyncConfig.ready() does when TELEGRAM_BOT_TOKEN is set at start-up."""
    from channels_sync.senders import TelegramSender
    from notifications.senders import SENDERS, register_sender

    register_sender(TelegramSender())
    yield
    SENDERS.pop("telegram", None)


def telegram_delivery(user) -> NotificationDelivery:
    return NotificationDeliveryFactory.create(notification__user=user, channel=NotificationDelivery.Channel.TELEGRAM)


def test_linked_member_gets_the_reminder_by_private_message_recorded_as_sent(fake_telegram, member):
    link_telegram(member, 4242)
    delivery = telegram_delivery(member)

    report = deliveries_send_pending(channels=["telegram"])

    [message] = fake_telegram.messages
    assert message["chat_id"] == 4242
    assert "Renouvellement recommandé" in message["text"]
    delivery.refresh_from_db()
    assert delivery.status == Status.SENT and delivery.sent_at is not None
    assert report.delivered["telegram"] == 1


def test_member_without_telegram_is_skipped_and_nothing_is_sent(fake_telegram):
    delivery = telegram_delivery(UserFactory())

    deliveries_send_pending(channels=["telegram"])

    delivery.refresh_from_db()
    assert delivery.status == Status.SKIPPED
    assert fake_telegram.calls("sendMessage") == []


def test_blocked_bot_is_a_failure_retried_later(fake_telegram, member):
    link_telegram(member, 4242)
    fake_telegram.blocked_bot.add(4242)
    delivery = telegram_delivery(member)

    deliveries_send_pending(channels=["telegram"])

    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING
    assert delivery.attempts == 1
    assert "can't initiate conversation" in delivery.last_error


def test_calendar_run_creates_and_sends_the_telegram_reminder(fake_telegram, member):
    link_telegram(member, 4242)
    subscribe(member, days=7)

    call_command("process_subscription_notifications", stdout=StringIO())

    notification = UserNotification.objects.get(user=member)
    assert notification.deliveries.get(channel="telegram").status == Status.SENT
    assert any(notification.title in m["text"] for m in fake_telegram.messages)

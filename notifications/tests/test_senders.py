"""The delivery loop with a channel added through the registry, as the Telegram channel will be."""

from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from notifications.models import NotificationDelivery
from notifications.senders import SENDERS, DeliveryOutcome, register_sender
from notifications.tests.commands import run_at
from notifications.tests.factories import local, subscription_ending

pytestmark = pytest.mark.django_db

CHANNEL = NotificationDelivery.Channel.TELEGRAM


class RecordingSender:
    channel = CHANNEL
    batch_size = 2
    select_related = ("notification__user",)
    marks_notification_sent = False

    def __init__(self, fail_for=(), explode=False):
        self.batches: list[list[str]] = []
        self.fail_for = set(fail_for)
        self.explode = explode

    def send_batch(self, deliveries):
        if self.explode:
            raise RuntimeError("API indisponible")
        self.batches.append([d.notification.user.email for d in deliveries])
        return [
            DeliveryOutcome(d.pk, "failed", "refusé")
            if d.notification.user.email in self.fail_for
            else DeliveryOutcome(d.pk, "sent")
            for d in deliveries
        ]


@pytest.fixture
def extra_channel():
    added = []

    def add(sender):
        register_sender(sender)
        added.append(sender.channel)
        return sender

    yield add
    for channel in added:
        SENDERS.pop(channel, None)


def test_a_registered_channel_gets_a_delivery_per_notification_and_is_sent_in_batches(extra_channel):
    sender = extra_channel(RecordingSender())
    members = [subscription_ending(local(2026, 3, 10, 18)).user for _ in range(5)]

    output = run_at(local(2026, 3, 3, 9))

    assert NotificationDelivery.objects.filter(channel=CHANNEL, status="sent").count() == 5
    assert [len(batch) for batch in sender.batches] == [2, 2, 1]
    assert sorted(email for batch in sender.batches for email in batch) == sorted(m.email for m in members)
    assert "telegram : 5" in output


def test_per_delivery_failures_are_retried_next_run_only(extra_channel):
    member = subscription_ending(local(2026, 3, 10, 18)).user
    sender = extra_channel(RecordingSender(fail_for={member.email}))
    with pytest.raises(CommandError):
        run_at(local(2026, 3, 3, 9))
    assert sender.batches == [[member.email]]  # not retried within the same run

    sender.fail_for.clear()
    run_at(local(2026, 3, 4, 9))

    delivery = NotificationDelivery.objects.get(channel=CHANNEL)
    assert (delivery.status, delivery.attempts) == ("sent", 2)


def test_a_sender_that_raises_stops_its_channel_and_loses_nothing(extra_channel):
    for _ in range(3):
        subscription_ending(local(2026, 3, 10, 18))
    sender = extra_channel(RecordingSender(explode=True))

    out = StringIO()
    with time_machine.travel(local(2026, 3, 3, 9), tick=False), pytest.raises(CommandError):
        call_command("process_subscription_notifications", stdout=out)

    assert "canal telegram indisponible" in out.getvalue()
    deliveries = NotificationDelivery.objects.filter(channel=CHANNEL)
    # Only the first batch was tried (attempt counted, error kept); the rest was left untouched.
    assert sorted(deliveries.values_list("attempts", flat=True)) == [0, 1, 1]
    assert set(deliveries.values_list("status", flat=True)) == {"pending"}
    assert NotificationDelivery.objects.filter(channel="email", status="sent").count() == 3

    sender.explode = False
    run_at(local(2026, 3, 4, 9))
    assert set(deliveries.values_list("status", flat=True)) == {"sent"}


class TTYOutput(StringIO):
    def isatty(self):
        return True


def test_progress_bar_is_drawn_when_stdout_is_a_terminal():
    subscription_ending(local(2026, 3, 10, 18))
    out = TTYOutput()
    with time_machine.travel(local(2026, 3, 3, 9), tick=False):
        call_command("process_subscription_notifications", stdout=out)
    assert "création   [" + "#" * 30 + "] 1/1" in out.getvalue()
    assert "email      [" + "#" * 30 + "] 1/1" in out.getvalue()

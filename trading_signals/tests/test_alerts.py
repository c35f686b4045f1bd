"""Members' opt-in alerts of a new signal: only entitled members who chose the market, on the channels they chose,
once, delivered at once (trading_signals/alerts.py, notifications/signal_alerts.py)."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from channels_sync.tests.factories import link_telegram
from core import clock
from notifications.models import NotificationDelivery, NotificationType, SignalAlertPreference, UserNotification
from notifications.services import SIGNAL_ALERT_FRESHNESS, STALE_ALERT_REASON, deliveries_send_pending
from subscriptions.models import Subscription
from subscriptions.tests.factories import SubscriptionFactory
from tests.fakes.fixtures import fake_telegram  # noqa: F401
from trading_signals.alerts import signal_alerts_create, signal_alerts_send
from trading_signals.hooks import signal_event_recorded
from trading_signals.models import Market, Signal, SignalEvent
from trading_signals.services import signal_publish, signal_take_profit_reached
from trading_signals.tests.factories import SignalFactory

pytestmark = pytest.mark.django_db
Channel = NotificationDelivery.Channel
Status = NotificationDelivery.Status


@pytest.fixture
def telegram_sender(fake_telegram):  # noqa: F811
    """What ChannelsSyncConfig.ready() does when TELEGRAM_BOT_TOKEN is set at start-up."""
    from channels_sync.senders import TelegramSender
    from notifications.senders import SENDERS, register_sender

    register_sender(TelegramSender())
    yield fake_telegram
    SENDERS.pop("telegram", None)


def subscriber(*, market: str = Market.FOREX, channels=(Channel.IN_APP,), subscribed: bool = True, **subscription):
    user = UserFactory.create()
    if subscribed:
        SubscriptionFactory(user=user, **subscription)
    for channel in channels:
        SignalAlertPreference.objects.create(user=user, market=market, channel=channel)
    return user


def record(signal: Signal, kind: str = SignalEvent.Kind.PUBLISHED, **fields) -> SignalEvent:
    """What trading_signals.services does: the event and its hook in one transaction."""
    with transaction.atomic():
        event = SignalEvent.objects.create(signal=signal, kind=kind, **fields)
        signal_event_recorded.send(sender=SignalEvent, event=event)
    return event


@pytest.fixture
def publish(django_capture_on_commit_callbacks):
    """Publishes a signal and runs what its commit starts (the alerts' task, immediate in tests)."""

    def _publish(signal: Signal, kind: str = SignalEvent.Kind.PUBLISHED, **fields) -> SignalEvent:
        with django_capture_on_commit_callbacks(execute=True):
            return record(signal, kind, **fields)

    return _publish


def forex_signal(**fields) -> Signal:
    defaults = {
        "instrument": "EUR/USD",
        "entry_price": Decimal("1.0850"),
        "stop_loss": Decimal("1.0810"),
        "take_profits": [Decimal("1.0900"), Decimal("1.0950")],
    }
    signal = SignalFactory.create(**{**defaults, **fields})
    return signal


def test_entitled_member_gets_one_notice_with_only_the_chosen_deliveries(publish):
    member = subscriber(channels=(Channel.IN_APP, Channel.EMAIL))
    signal = forex_signal()

    publish(signal)

    notice = UserNotification.objects.get(user=member)
    assert notice.notification_type == NotificationType.SIGNAL_PUBLISHED
    assert notice.reference == f"signal:{signal.pk}"
    assert notice.status == UserNotification.Status.SENT
    deliveries = dict(notice.deliveries.values_list("channel", "status"))
    assert deliveries == {Channel.IN_APP: Status.SENT, Channel.EMAIL: Status.SENT}
    assert notice.title == "Nouveau signal : EUR/USD (achat)"
    assert notice.message.splitlines() == [
        "Forex · EUR/USD · Achat.",
        "Entrée : 1,0850. Stop-loss : 1,0810. Take-profits : TP1 1,0900 ; TP2 1,0950.",
        f"Voir le signal : http://localhost:8000/espace/signaux/{signal.pk}/",
    ]


def test_email_alert_goes_out_whatever_the_reminders_setting_with_the_signal_and_its_link(publish, settings):
    settings.FRONTEND_URL = "https://calmnessfi.test/espace"
    member = subscriber(channels=(Channel.EMAIL,))
    member.email_reminders = False  # the reminders' consent; the alert's is its preference
    member.save(update_fields=["email_reminders"])
    signal = forex_signal(direction=Signal.Direction.SELL)

    publish(signal)

    [email] = mail.outbox
    assert email.to == [member.email]
    assert email.subject == "CalmnessFi – Nouveau signal : EUR/USD (vente)"
    assert "Entrée : 1,0850. Stop-loss : 1,0810. Take-profits : TP1 1,0900 ; TP2 1,0950." in email.body
    link = f"https://calmnessfi.test/espace/signaux/{signal.pk}/"
    assert link in email.body
    html = email.alternatives[0][0]
    assert f'href="{link}"' in html and "Voir le signal" in html
    # E-mail only: the notice is kept as the record, out of the member's in-app list and unread count.
    notice = UserNotification.objects.get(user=member)
    assert notice.status == UserNotification.Status.DISMISSED
    assert list(notice.deliveries.values_list("channel", flat=True)) == [Channel.EMAIL]


def test_telegram_alert_is_a_private_message_through_the_bot(publish, telegram_sender):
    member = subscriber(channels=(Channel.TELEGRAM,))
    link_telegram(member, 4242)
    signal = forex_signal()

    publish(signal)

    # Only the private message to the member (the channel post of the signal is publishing's).
    [message] = [m for m in telegram_sender.messages if m["chat_id"] == 4242]
    assert message["text"].startswith("Nouveau signal : EUR/USD (achat)\n\nForex · EUR/USD · Achat.")
    assert f"/signaux/{signal.pk}/" in message["text"]
    delivery = NotificationDelivery.objects.get(notification__user=member)
    assert (delivery.channel, delivery.status) == (Channel.TELEGRAM, Status.SENT)
    assert mail.outbox == []


def test_telegram_not_configured_creates_no_telegram_delivery(publish):
    member = subscriber(channels=(Channel.IN_APP, Channel.TELEGRAM))

    publish(forex_signal())

    assert list(NotificationDelivery.objects.filter(notification__user=member).values_list("channel", flat=True)) == [
        Channel.IN_APP
    ]


def test_members_without_a_subscription_in_force_get_nothing(publish):
    now = clock.now()
    subscriber(subscribed=False)
    subscriber(starts_at=now - timedelta(days=31), ends_at=now - timedelta(days=1))  # expired
    subscriber(status=Subscription.Status.CANCELLED)
    subscriber(starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=31))  # queued, not started
    inactive = subscriber()
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    erased = subscriber()
    erased.deleted_at = now
    erased.save(update_fields=["deleted_at"])

    publish(forex_signal())

    assert not UserNotification.objects.exists()
    assert mail.outbox == []


def test_a_trial_in_force_is_entitled_like_on_the_signals_page(publish):
    member = subscriber(is_trial=True)

    publish(forex_signal())

    assert UserNotification.objects.filter(user=member).count() == 1


def test_another_markets_preference_gets_nothing(publish):
    crypto_fan = subscriber(market=Market.CRYPTO, channels=(Channel.IN_APP, Channel.EMAIL))

    publish(forex_signal())

    assert not UserNotification.objects.filter(user=crypto_fan).exists()
    assert mail.outbox == []


def test_retrying_the_task_creates_and_sends_nothing_new(publish):
    member = subscriber(channels=(Channel.IN_APP, Channel.EMAIL))
    signal = forex_signal()
    publish(signal)

    signal_alerts_send.call(signal_id=signal.pk)
    signal_alerts_create(signal_id=signal.pk)

    assert UserNotification.objects.filter(user=member).count() == 1
    assert NotificationDelivery.objects.filter(notification__user=member).count() == 2
    assert len(mail.outbox) == 1


def test_a_draft_or_a_status_change_sends_nothing(publish):
    subscriber(channels=(Channel.IN_APP, Channel.EMAIL))
    signal = forex_signal()

    publish(signal, SignalEvent.Kind.TP_REACHED, take_profit_order=1)
    publish(signal, SignalEvent.Kind.CANCELLED)
    draft = forex_signal(is_published=False)
    signal_alerts_create(signal_id=draft.pk)

    assert not UserNotification.objects.exists()
    assert mail.outbox == []


def test_nothing_is_enqueued_when_the_publication_rolls_back(django_capture_on_commit_callbacks):
    subscriber()
    signal = forex_signal()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        record(signal)
        raise RuntimeError("publication failed")

    assert callbacks == []
    assert not UserNotification.objects.exists()


def test_a_failed_email_stays_pending_and_the_task_fails_to_be_retried(publish, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1  # nothing listens
    member = subscriber(channels=(Channel.IN_APP, Channel.EMAIL))
    signal = forex_signal()

    publish(signal)

    email = NotificationDelivery.objects.get(notification__user=member, channel=Channel.EMAIL)
    assert (email.status, email.attempts) == (Status.PENDING, 1)
    assert "SMTP" in email.last_error
    result = signal_alerts_send.enqueue(signal_id=signal.pk)
    assert result.status == "FAILED"  # the durable queue tries it again later, with backoff
    assert UserNotification.objects.filter(user=member).count() == 1


def test_creation_takes_the_same_number_of_queries_for_one_or_thirty_members():
    def queries_for(members: int) -> int:
        UserNotification.objects.all().delete()
        SignalAlertPreference.objects.all().delete()
        for _ in range(members):
            subscriber(channels=(Channel.IN_APP, Channel.EMAIL))
        signal = forex_signal()
        with CaptureQueriesContext(connection) as queries:
            assert signal_alerts_create(signal_id=signal.pk) == members
        assert UserNotification.objects.filter(reference=f"signal:{signal.pk}").count() == members
        return len(queries)

    assert queries_for(1) == queries_for(30)


def test_publishing_a_draft_through_the_service_alerts_once_even_when_clicked_twice(
    django_capture_on_commit_callbacks,
):
    member = subscriber(channels=(Channel.IN_APP, Channel.EMAIL))
    admin = UserFactory.create(is_staff=True)
    draft = forex_signal(is_published=False)

    with django_capture_on_commit_callbacks(execute=True):
        signal_publish(signal_id=draft.pk, by=admin)
    with django_capture_on_commit_callbacks(execute=True):
        signal_publish(signal_id=draft.pk, by=admin)
        signal_take_profit_reached(signal_id=draft.pk, order=1, by=admin)

    assert UserNotification.objects.filter(user=member).count() == 1
    assert len(mail.outbox) == 1


def test_the_in_app_alert_links_to_the_signal_on_the_notifications_page(publish, client):
    member = subscriber()
    signal = forex_signal()
    publish(signal)
    client.force_login(member)

    page = client.get("/espace/notifications/").content.decode()

    link = f"http://localhost:8000/espace/signaux/{signal.pk}/"
    assert f'<a href="{link}" rel="nofollow">{link}</a>' in page
    assert "Forex · EUR/USD · Achat.<br>Entrée : 1,0850." in page


def test_an_alert_still_undelivered_hours_later_is_skipped_by_the_daily_run_not_sent_late(publish, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1  # nothing listens
    member = subscriber(channels=(Channel.EMAIL,))
    publish(forex_signal())
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the SMTP server is back

    with time_machine.travel(clock.now() + SIGNAL_ALERT_FRESHNESS + timedelta(minutes=1)):
        deliveries_send_pending()

    delivery = NotificationDelivery.objects.get(notification__user=member)
    assert (delivery.status, delivery.last_error) == (Status.SKIPPED, STALE_ALERT_REASON)
    assert mail.outbox == []


def test_an_alert_that_failed_minutes_ago_is_sent_by_the_next_run(publish, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    member = subscriber(channels=(Channel.EMAIL,))
    publish(forex_signal())
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    with time_machine.travel(clock.now() + timedelta(minutes=5)):
        deliveries_send_pending()

    assert NotificationDelivery.objects.get(notification__user=member).status == Status.SENT
    assert [m.to for m in mail.outbox] == [[member.email]]

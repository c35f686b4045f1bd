from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from notifications.models import NotificationDelivery, UserNotification
from notifications.services import _create_with_deliveries, _due_in_batch, _Texts
from notifications.tests.commands import COMMAND, run_at
from notifications.tests.factories import (
    NotificationDeliveryFactory,
    UserNotificationFactory,
    local,
    subscription_ending,
)
from payments.tests.factories import PaymentFactory
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db


def types_of(subscription) -> list[str]:
    return sorted(subscription.notifications.values_list("notification_type", flat=True))


# Ends on Tuesday 10 March 2026 (local): each row's day, run at 09:00 Paris time.
CALENDAR_DAYS = [
    (3, "renewal_recommended", "Renouvellement recommandé", "Votre abonnement expire dans 7 jours"),
    (7, "expires_in_3_days", "Expiration dans 3 jours", "Plus que 3 jours"),
    (8, "expires_in_2_days", "Expiration dans 2 jours", "Attention ! Votre abonnement expire dans 2 jours"),
    (9, "last_chance", "Dernière chance !", "Dernier jour ! Renouvelez maintenant"),
    (11, "expired", "Abonnement expiré", "Votre abonnement a expiré hier"),
    (12, "we_miss_you", "On vous attend !", "Cela fait 2 jours"),
    (13, "final_reminder", "Dernière notification", "Dernière relance"),
]


@pytest.mark.parametrize(("day", "type_", "title", "opening"), CALENDAR_DAYS)
def test_each_calendar_row_is_created_on_its_day_and_delivered(day, type_, title, opening):
    subscription = subscription_ending(local(2026, 3, 10, 18, 0))

    run_at(local(2026, 3, day, 9, 0))

    notification = UserNotification.objects.get(subscription=subscription)
    assert notification.notification_type == type_
    assert notification.title == title
    assert notification.message.startswith(opening)
    assert "Premium" in notification.message and "mardi 10 mars 2026" in notification.message
    assert notification.status == UserNotification.Status.SENT
    assert set(notification.deliveries.values_list("channel", "status")) == {("in_app", "sent"), ("email", "sent")}
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [subscription.user.email]
    assert mail.outbox[0].subject == f"CalmnessFi – {title}"


def test_a_daily_run_over_the_whole_calendar_sends_each_row_once_in_order():
    subscription = subscription_ending(local(2026, 3, 10, 18, 0))

    for day in range(1, 16):
        run_at(local(2026, 3, day, 9, 0))

    sent = list(
        UserNotification.objects.filter(subscription=subscription)
        .order_by("scheduled_for")
        .values_list("notification_type", flat=True)
    )
    assert sent == [row[1] for row in CALENDAR_DAYS]
    assert len(mail.outbox) == 7


@pytest.mark.parametrize(
    ("ends_at", "run_day", "type_"),
    [
        # Spring forward on Sunday 29 March 2026 (the day has 23 hours).
        (local(2026, 3, 29, 0, 30), local(2026, 3, 22, 9), "renewal_recommended"),
        (local(2026, 3, 29, 23, 30), local(2026, 3, 22, 9), "renewal_recommended"),
        (local(2026, 3, 29, 0, 30), local(2026, 3, 28, 9), "last_chance"),
        (local(2026, 3, 29, 23, 30), local(2026, 3, 28, 9), "last_chance"),
        (local(2026, 3, 27, 23, 30), local(2026, 3, 30, 9), "final_reminder"),
        (local(2026, 3, 28, 0, 30), local(2026, 3, 29, 9), "expired"),
        (local(2026, 3, 28, 23, 30), local(2026, 3, 29, 9), "expired"),
        # Fall back on Sunday 25 October 2026 (the day has 25 hours).
        (local(2026, 10, 25, 0, 30), local(2026, 10, 18, 9), "renewal_recommended"),
        (local(2026, 10, 25, 23, 30), local(2026, 10, 24, 9), "last_chance"),
        (local(2026, 10, 24, 0, 30), local(2026, 10, 26, 9), "we_miss_you"),
        (local(2026, 10, 24, 23, 30), local(2026, 10, 25, 9), "expired"),
        # Month ends and 29 February 2028.
        (local(2026, 3, 3, 0, 30), local(2026, 2, 24, 9), "renewal_recommended"),
        (local(2026, 4, 30, 23, 30), local(2026, 5, 3, 9), "final_reminder"),
        (local(2028, 2, 29, 0, 30), local(2028, 2, 22, 9), "renewal_recommended"),
        (local(2028, 2, 29, 23, 30), local(2028, 2, 28, 9), "last_chance"),
        (local(2028, 2, 29, 23, 30), local(2028, 3, 1, 9), "expired"),
        (local(2028, 3, 2, 0, 30), local(2028, 2, 28, 9), "expires_in_3_days"),
        (local(2026, 12, 31, 23, 30), local(2027, 1, 2, 9), "we_miss_you"),
    ],
)
def test_offsets_count_local_calendar_days_across_dst_month_ends_and_leap_day(ends_at, run_day, type_):
    subscription = subscription_ending(ends_at)

    run_at(run_day)

    assert types_of(subscription) == [type_]


@pytest.mark.parametrize("hour", [0, 23])
def test_nothing_is_due_on_the_days_between_rows(hour):
    subscription = subscription_ending(local(2026, 3, 29, 0, 30))
    for day in (20, 21):  # offsets -9 and -8
        run_at(local(2026, 3, day, hour, 15))
    run_at(local(2026, 4, 2, hour, 15))  # offset +4, nothing ever created before: too late for anything
    assert types_of(subscription) == []


def test_run_just_after_midnight_uses_the_new_local_day():
    # 23:10 UTC on 21 March is 00:10 on 22 March in Paris: offset -7 for an end on 29 March.
    from datetime import UTC, datetime

    subscription = subscription_ending(local(2026, 3, 29, 23, 30))
    run_at(datetime(2026, 3, 21, 23, 10, tzinfo=UTC))
    assert types_of(subscription) == ["renewal_recommended"]


def test_catch_up_after_days_without_run_sends_only_the_latest_due_row():
    subscription = subscription_ending(local(2026, 3, 10, 18, 0))
    run_at(local(2026, 3, 3, 9))  # -7 sent
    assert types_of(subscription) == ["renewal_recommended"]

    # No run from 4 to 11 March (outage): on the 11th only "expired" is due, not the stale ones.
    run_at(local(2026, 3, 11, 9))

    assert types_of(subscription) == ["expired", "renewal_recommended"]
    assert [m.subject for m in mail.outbox] == [
        "CalmnessFi – Renouvellement recommandé",
        "CalmnessFi – Abonnement expiré",
    ]


def test_catch_up_after_last_chance_day_missed_sends_no_stale_last_chance_later():
    subscription = subscription_ending(local(2026, 3, 10, 18, 0))
    run_at(local(2026, 3, 8, 9))  # -2
    run_at(local(2026, 3, 12, 9))  # +2 (missed -1 and +1)
    run_at(local(2026, 3, 13, 9))  # +3
    assert types_of(subscription) == ["expires_in_2_days", "final_reminder", "we_miss_you"]


def test_a_later_row_already_sent_blocks_an_earlier_one_with_date_in_the_past():
    subscription = subscription_ending(local(2026, 3, 10, 18, 0))
    run_at(local(2026, 3, 9, 9))  # last_chance
    run_at(local(2026, 3, 9, 10), "--date", "2026-03-07")  # replaying -3 afterwards creates nothing
    assert types_of(subscription) == ["last_chance"]


def test_member_who_renewed_gets_no_reminder_for_the_old_end():
    member = UserFactory()
    old = subscription_ending(local(2026, 3, 10, 18, 0), user=member)
    run_at(local(2026, 3, 3, 9))
    assert types_of(old) == ["renewal_recommended"]
    renewal = subscription_ending(local(2026, 4, 9, 18, 0), user=member)

    for day in range(4, 16):
        run_at(local(2026, 3, day, 9))

    assert types_of(old) == ["renewal_recommended"]
    assert types_of(renewal) == []
    run_at(local(2026, 4, 2, 9))
    assert types_of(renewal) == ["renewal_recommended"]


@pytest.mark.parametrize(
    ("day", "opening"),
    [(9, "Votre formule Premium se termine le mardi 10 mars 2026. Votre paiement est en cours de vérification"),
     (11, "Votre formule Premium a pris fin le mardi 10 mars 2026. Votre paiement est en cours de vérification")],
)  # fmt: skip
def test_a_member_whose_payment_is_being_verified_is_not_asked_to_renew(day, opening):
    subscription = subscription_ending(local(2026, 3, 10, 18, 0))
    with time_machine.travel(local(2026, 3, 8, 12, 0)):  # declared before the end, not verified yet
        PaymentFactory(user=subscription.user)
    other = subscription_ending(local(2026, 3, 10, 18, 0))  # same day and plan, nothing declared

    run_at(local(2026, 3, day, 9, 0))

    notice = UserNotification.objects.get(subscription=subscription)
    assert notice.message.startswith(opening) and "renouvel" not in notice.message.lower()
    assert "Renouvelez" in UserNotification.objects.get(subscription=other).message


def test_a_payment_declared_after_the_end_or_already_decided_changes_nothing():
    late = subscription_ending(local(2026, 3, 10, 18, 0))
    with time_machine.travel(local(2026, 3, 10, 19, 0)):
        PaymentFactory(user=late.user)
    rejected = subscription_ending(local(2026, 3, 10, 18, 0))
    with time_machine.travel(local(2026, 3, 8, 12, 0)):
        PaymentFactory(user=rejected.user, status="rejected")

    run_at(local(2026, 3, 11, 9, 0))

    for subscription in (late, rejected):
        assert UserNotification.objects.get(subscription=subscription).message.startswith("Votre abonnement a expiré")


def test_cancelled_later_subscription_does_not_hide_the_reminder():
    member = UserFactory()
    current = subscription_ending(local(2026, 3, 10, 18, 0), user=member)
    subscription_ending(local(2026, 4, 9, 18, 0), user=member, status=Subscription.Status.CANCELLED)
    run_at(local(2026, 3, 3, 9))
    assert types_of(current) == ["renewal_recommended"]
    cancelled_end = subscription_ending(local(2026, 3, 10, 18, 0), status=Subscription.Status.CANCELLED)
    run_at(local(2026, 3, 7, 9))
    assert types_of(cancelled_end) == []


def test_second_run_the_same_day_creates_and_sends_nothing_more():
    subscription_ending(local(2026, 3, 10, 18, 0))
    run_at(local(2026, 3, 3, 9))
    output = run_at(local(2026, 3, 3, 15))
    assert UserNotification.objects.count() == 1
    assert NotificationDelivery.objects.count() == 2
    assert len(mail.outbox) == 1
    assert "Bilan : 0 créée, 0 envoi" in output


def test_small_batches_create_exactly_what_one_batch_would_at_the_edges_of_each_batch():
    # Run on Monday 9 March; batches of two subscriptions (by id): [due, done] [covered, due] [caught up].
    due_tomorrow = subscription_ending(local(2026, 3, 10, 18, 0))
    done = subscription_ending(local(2026, 3, 10, 8, 0))
    UserNotificationFactory(user=done.user, subscription=done, notification_type="last_chance")
    covered = subscription_ending(local(2026, 3, 10, 12, 0))
    UserNotificationFactory(user=covered.user, subscription=covered, notification_type="expired")
    due_in_a_week = subscription_ending(local(2026, 3, 16, 18, 0))
    caught_up = subscription_ending(local(2026, 3, 14, 0, 0))

    output = run_at(local(2026, 3, 9, 9), "--batch-size", "2")

    assert types_of(due_tomorrow) == ["last_chance"]
    assert types_of(done) == ["last_chance"]
    assert types_of(covered) == ["expired"]
    assert types_of(due_in_a_week) == ["renewal_recommended"]
    assert types_of(caught_up) == ["renewal_recommended"]
    assert caught_up.notifications.get().message.startswith("Votre abonnement expire dans 5 jours, le samedi 14")
    assert "Bilan : 3 créées, 6 envois" in output


def test_each_reminder_names_its_own_plan_end_date_and_days_left_within_one_batch():
    elite = PlanFactory(name="Elite", slug="elite")
    premium_16 = subscription_ending(local(2026, 3, 16, 18, 0))
    elite_16 = subscription_ending(local(2026, 3, 16, 18, 0), plan=elite)
    premium_14 = subscription_ending(local(2026, 3, 14, 18, 0))
    premium_12 = subscription_ending(local(2026, 3, 12, 18, 0))

    run_at(local(2026, 3, 9, 9))

    def message(subscription) -> str:
        return subscription.notifications.get().message

    assert message(premium_16) == (
        "Votre abonnement expire dans 7 jours, le lundi 16 mars 2026. Renouvelez dès maintenant votre formule "
        "Premium pour garder vos accès sans interruption."
    )
    assert message(elite_16) == message(premium_16).replace("Premium", "Elite")
    assert message(premium_14).startswith("Votre abonnement expire dans 5 jours, le samedi 14 mars 2026.")
    assert message(premium_12).startswith("Plus que 3 jours avant la fin de votre formule Premium, le jeudi 12 mars")


def test_a_reminder_another_host_created_meanwhile_is_not_counted_nor_given_second_deliveries():
    ours = subscription_ending(local(2026, 3, 16, 18, 0))
    theirs = subscription_ending(local(2026, 3, 16, 18, 0))
    as_of = local(2026, 3, 9).date()
    texts = _Texts(as_of)
    due = _due_in_batch(ours.pk, theirs.pk, as_of=as_of, texts=texts)
    assert [d.subscription_id for d in due] == [ours.pk, theirs.pk]
    # Another host inserts its row (with its deliveries) between our read and our insert.
    other = UserNotificationFactory(user=theirs.user, subscription=theirs, notification_type="renewal_recommended")
    NotificationDeliveryFactory(notification=other, channel="in_app", status="sent")
    NotificationDeliveryFactory(notification=other, channel="email")

    created = _create_with_deliveries(due, texts=texts.rows, scheduled_for=local(2026, 3, 9, 9))

    assert created == {"renewal_recommended": 1}
    assert ours.notifications.get().deliveries.count() == 2
    assert theirs.notifications.get() == other
    assert other.deliveries.count() == 2


def test_command_marks_ended_subscriptions_expired():
    ended = subscription_ending(local(2026, 3, 10, 18, 0))
    running = subscription_ending(local(2026, 3, 20, 18, 0))
    run_at(local(2026, 3, 11, 9))
    ended.refresh_from_db()
    running.refresh_from_db()
    assert ended.status == Subscription.Status.EXPIRED
    assert running.status == Subscription.Status.ACTIVE


def test_dry_run_writes_and_sends_nothing_and_says_what_it_would_do():
    ended = subscription_ending(local(2026, 3, 2, 18, 0))
    subscription_ending(local(2026, 3, 10, 18, 0))

    output = run_at(local(2026, 3, 3, 9), "--dry-run", "--verbosity", "2")

    assert UserNotification.objects.count() == 0
    assert NotificationDelivery.objects.count() == 0
    assert len(mail.outbox) == 0
    ended.refresh_from_db()
    assert ended.status == Subscription.Status.ACTIVE
    assert "renewal_recommended : 1" in output
    assert "expired : 1" in output
    assert "in_app : 2" in output and "email : 2" in output
    assert "créerait renewal_recommended pour l'abonnement" in output
    assert "Bilan (simulation) : 2 notifications à créer, 4 envois à tenter." in output


def test_date_option_runs_the_calendar_as_of_that_day():
    subscription = subscription_ending(local(2026, 3, 10, 18, 0))
    output = run_at(local(2026, 3, 1, 9), "--date", "2026-03-07")
    assert types_of(subscription) == ["expires_in_3_days"]
    notification = subscription.notifications.get()
    assert notification.scheduled_for == local(2026, 3, 7)
    assert "Calendrier du 2026-03-07" in output


@pytest.mark.parametrize("value", ["2026-02-30", "03/03/2026", "demain"])
def test_invalid_date_is_a_french_command_error(value):
    with pytest.raises(CommandError, match="Date invalide"):
        run_at(local(2026, 3, 1, 9), "--date", value)
    assert UserNotification.objects.count() == 0


def test_email_reminders_off_gets_in_app_only_and_email_delivery_skipped():
    member = UserFactory(email_reminders=False)
    subscription_ending(local(2026, 3, 10, 18, 0), user=member)

    output = run_at(local(2026, 3, 3, 9))

    notification = UserNotification.objects.get()
    assert notification.status == UserNotification.Status.SENT
    email = notification.deliveries.get(channel="email")
    assert (email.status, email.last_error) == ("skipped", "rappels par e-mail désactivés")
    assert notification.deliveries.get(channel="in_app").status == NotificationDelivery.Status.SENT
    assert len(mail.outbox) == 0
    assert "1 ignoré." in output


def test_summary_counts_created_per_type_and_delivered_per_channel():
    subscription_ending(local(2026, 3, 10, 18, 0))
    subscription_ending(local(2026, 3, 10, 8, 0))
    subscription_ending(local(2026, 3, 6, 8, 0))
    output = run_at(local(2026, 3, 3, 9))
    assert "renewal_recommended : 2" in output
    assert "expires_in_3_days : 1" in output
    assert "email : 3, in_app : 3" in output
    assert "Bilan : 3 créées, 6 envois, 0 échec" in output


def test_no_progress_bar_when_stdout_is_not_a_terminal():
    subscription_ending(local(2026, 3, 10, 18, 0))
    assert "[#" not in run_at(local(2026, 3, 3, 9))


def _count_queries(due: int) -> int:
    for _ in range(due):
        subscription_ending(local(2026, 3, 10, 18, 0))
    with CaptureQueriesContext(connection) as queries, time_machine.travel(local(2026, 3, 3, 9), tick=False):
        call_command(COMMAND, stdout=StringIO())
    assert UserNotification.objects.count() == due
    assert len(mail.outbox) == due
    return len(queries)


def test_query_count_does_not_grow_with_the_number_of_subscriptions():
    ten = _count_queries(10)
    UserNotification.objects.all().delete()
    Subscription.objects.all().delete()
    mail.outbox.clear()
    hundred = _count_queries(100)
    # Same creation and in-app batches; only the e-mail batches (50 per claim) add a constant handful.
    assert hundred - ten <= 12, (ten, hundred)

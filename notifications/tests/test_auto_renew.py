"""Reminders for members who renew automatically (Subscription.auto_renew, kept by billing in step with Stripe):
J-7 says when the card renews the subscription, J-3/J-2/J-1 are not sent, and nothing comes after the end while
the renewal is under way; a renewal that failed or was cancelled turns auto_renew off and the normal calendar
applies again."""

from datetime import date, timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from notifications.calendar import BY_TYPE, FIRST_OFFSET, LAST_OFFSET, entry_due, reminder_renews_by_itself
from notifications.models import UserNotification
from notifications.selectors import subscriptions_ending_coverage
from notifications.tests.commands import COMMAND, run_at
from notifications.tests.factories import local, subscription_ending
from payments.models import PaymentKind
from payments.services import payment_confirm
from payments.tests.factories import PaymentFactory, PaymentMethodFactory
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db

AUTO_OPENING = "Votre abonnement sera renouvelé automatiquement le mardi 10 mars 2026."


def types_of(subscription) -> list[str]:
    return sorted(subscription.notifications.values_list("notification_type", flat=True))


def renewing(ends_at, **kwargs) -> Subscription:
    """A subscription paid through a Stripe subscription that renews at its end."""
    return subscription_ending(ends_at, auto_renew=True, next_charge_at=ends_at, **kwargs)


def auto_renew_off(subscription: Subscription) -> None:
    """What billing's stripe_subscription_sync writes once the member cancels or Stripe gives up charging."""
    Subscription.objects.filter(pk=subscription.pk).update(auto_renew=False, next_charge_at=None)


# --- the calendar ----------------------------------------------------------------------------------------------


AUTO = "Renouvellement automatique"


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(-8, None), (-7, AUTO), (-3, AUTO), (-2, AUTO), (-1, AUTO), (0, AUTO), (1, None), (2, None), (3, None), (4, None)],
)
def test_a_subscription_that_renews_by_itself_has_only_its_j7_row_up_to_its_end_day(offset, expected):
    # J-7 caught up late (no run since) still says the true thing: the card renews on the end day.
    entry = entry_due(offset, auto_renew=True)
    assert (str(entry.title) if entry else None) == expected


def test_every_offset_of_the_window_gives_the_normal_row_without_auto_renew():
    # The auto-renew calendar changes nothing for everyone else.
    for offset in range(FIRST_OFFSET, LAST_OFFSET + 1):
        assert entry_due(offset) is entry_due(offset, auto_renew=False)
    assert entry_due(1).type.value == "expired"


def test_the_auto_renew_row_is_told_from_its_title_and_keeps_the_j7_type():
    entry = entry_due(-7, auto_renew=True)
    assert entry.type == BY_TYPE["renewal_recommended"].type
    assert reminder_renews_by_itself(str(entry.title))
    assert not reminder_renews_by_itself(str(BY_TYPE["renewal_recommended"].title))


# --- the daily run ---------------------------------------------------------------------------------------------


def test_j7_says_the_renewal_date_and_asks_nothing():
    subscription = renewing(local(2026, 3, 10, 18, 0))

    run_at(local(2026, 3, 3, 9, 0))

    notification = UserNotification.objects.get(subscription=subscription)
    assert notification.notification_type == "renewal_recommended"
    assert notification.title == "Renouvellement automatique"
    assert notification.message.startswith(AUTO_OPENING)
    assert "Premium" in notification.message
    assert "renouvelez" not in notification.message.lower()
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.subject == "CalmnessFi – Renouvellement automatique"
    html = email.alternatives[0][0]
    assert "Gérer mon abonnement" in html and "/paiements/" in html and "Renouveler" not in html
    assert "Gérer votre abonnement" in email.body and "Renouveler" not in email.body


def test_a_normal_reminder_email_still_offers_to_renew():
    subscription_ending(local(2026, 3, 10, 18, 0))
    run_at(local(2026, 3, 3, 9, 0))
    assert "Renouveler mon abonnement" in mail.outbox[0].alternatives[0][0]


def test_a_daily_run_over_the_whole_calendar_sends_only_j7_while_auto_renew_stays_on():
    subscription = renewing(local(2026, 3, 10, 18, 0))

    for day in range(1, 16):
        run_at(local(2026, 3, day, 9, 0))

    assert types_of(subscription) == ["renewal_recommended"]
    assert len(mail.outbox) == 1


def test_a_same_day_same_plan_batch_renders_each_calendar_for_its_own_subscriptions():
    auto = renewing(local(2026, 3, 10, 18, 0))
    manual = subscription_ending(local(2026, 3, 10, 18, 0))

    run_at(local(2026, 3, 3, 9, 0))

    assert UserNotification.objects.get(subscription=auto).message.startswith(AUTO_OPENING)
    assert "Renouvelez dès maintenant" in UserNotification.objects.get(subscription=manual).message


def test_a_declared_payment_being_verified_does_not_replace_the_auto_renew_message():
    subscription = renewing(local(2026, 3, 10, 18, 0))
    with time_machine.travel(local(2026, 3, 2, 12, 0)):
        PaymentFactory(user=subscription.user)

    run_at(local(2026, 3, 3, 9, 0))

    assert UserNotification.objects.get(subscription=subscription).message.startswith(AUTO_OPENING)


@pytest.mark.parametrize(
    ("ends_at", "runs", "expected"),
    [
        # Spring forward on Sunday 29 March 2026 (23 hours): J-7 on the 22nd, then nothing through the end day.
        (local(2026, 3, 29, 0, 30), [local(2026, 3, d, 9) for d in range(20, 30)], ["renewal_recommended"]),
        (local(2026, 3, 29, 23, 30), [local(2026, 3, d, 9) for d in range(20, 30)], ["renewal_recommended"]),
        # Fall back on Sunday 25 October 2026 (25 hours).
        (local(2026, 10, 25, 0, 30), [local(2026, 10, d, 9) for d in range(17, 29)], ["renewal_recommended"]),
        (local(2026, 10, 25, 23, 30), [local(2026, 10, d, 9) for d in range(17, 29)], ["renewal_recommended"]),
        # Ends the day before the change, runs from the day of it: nothing after the end.
        (local(2026, 10, 24, 23, 30), [local(2026, 10, d, 9) for d in range(25, 29)], []),
    ],
)
def test_auto_renew_counts_local_days_across_dst(ends_at, runs, expected):
    subscription = renewing(ends_at)
    for moment in runs:
        run_at(moment)
    assert types_of(subscription) == expected


@pytest.mark.parametrize(
    ("ends_at", "j7_run"),
    [(local(2026, 3, 29, 23, 30), local(2026, 3, 22, 0, 5)), (local(2026, 10, 25, 0, 30), local(2026, 10, 18, 0, 5))],
)
def test_j7_starts_at_local_midnight_on_both_dst_changes(ends_at, j7_run):
    subscription = renewing(ends_at)
    run_at(j7_run - timedelta(days=1))  # the day before J-7, five past midnight (same wall-clock time)
    assert types_of(subscription) == []
    run_at(j7_run)
    assert types_of(subscription) == ["renewal_recommended"]


def test_an_auto_renewing_subscription_is_in_the_run_through_its_end_day_and_left_out_of_its_query_after():
    # Ends at 23:30 on the fall-back Sunday (a 25-hour day).
    auto = renewing(local(2026, 10, 25, 23, 30))
    manual = subscription_ending(local(2026, 10, 25, 23, 30))

    def candidates(as_of: date) -> set[int]:
        return set(subscriptions_ending_coverage(as_of=as_of).values_list("pk", flat=True))

    assert candidates(date(2026, 10, 25)) == {auto.pk, manual.pk}
    assert candidates(date(2026, 10, 26)) == {manual.pk}

    run_at(local(2026, 10, 26, 0, 1))  # one minute into the next local day
    assert types_of(auto) == []
    assert types_of(manual) == ["expired"]


def test_cancelled_renewal_after_j7_gets_the_normal_reminders_and_the_post_expiry_ones():
    subscription = renewing(local(2026, 3, 10, 18, 0))
    run_at(local(2026, 3, 3, 9))
    auto_renew_off(subscription)  # the member cancelled in Stripe's portal (cancel at period end)

    for day in range(4, 16):
        run_at(local(2026, 3, day, 9))

    assert types_of(subscription) == sorted(
        ["renewal_recommended", "expires_in_3_days", "expires_in_2_days", "last_chance", "expired", "we_miss_you",
         "final_reminder"]
    )  # fmt: skip
    expired = UserNotification.objects.get(subscription=subscription, notification_type="expired")
    assert expired.message.startswith("Votre abonnement a expiré hier, le mardi 10 mars 2026.")


def test_failed_renewal_after_the_end_brings_the_post_expiry_reminders_from_the_day_it_fails():
    subscription = renewing(local(2026, 3, 10, 18, 0))
    for day in range(3, 12):
        run_at(local(2026, 3, day, 9))
    assert types_of(subscription) == ["renewal_recommended"]  # nothing on J+1 while Stripe is still charging

    auto_renew_off(subscription)  # Stripe's charge failed: the Stripe subscription is past due
    run_at(local(2026, 3, 12, 9))

    assert types_of(subscription) == ["renewal_recommended", "we_miss_you"]
    assert UserNotification.objects.get(subscription=subscription, notification_type="we_miss_you").message.startswith(
        "Cela fait 2 jours que votre formule Premium a pris fin"
    )


def test_auto_renew_switched_on_after_j3_sends_nothing_more():
    subscription = subscription_ending(local(2026, 3, 10, 18, 0))
    run_at(local(2026, 3, 7, 9))
    assert types_of(subscription) == ["expires_in_3_days"]
    Subscription.objects.filter(pk=subscription.pk).update(auto_renew=True, next_charge_at=subscription.ends_at)

    for day in range(8, 16):
        run_at(local(2026, 3, day, 9))

    assert types_of(subscription) == ["expires_in_3_days"]


def test_a_member_whose_card_renewal_added_the_next_subscription_gets_no_post_expiry_reminder():
    member = UserFactory()
    card = PaymentMethodFactory(kind=PaymentKind.CARD, label="Carte bancaire")
    plan = PlanFactory(name="Premium", slug="premium", is_recurring=True)
    with time_machine.travel(local(2026, 2, 8, 18, 0), tick=False):
        first = payment_confirm(payment=PaymentFactory(user=member, plan=plan, payment_method=card), by=None)
    assert first.ends_at == local(2026, 3, 10, 18, 0)
    Subscription.objects.filter(pk=first.pk).update(auto_renew=True, next_charge_at=first.ends_at)
    run_at(local(2026, 3, 3, 9))
    assert types_of(first) == ["renewal_recommended"]

    # Stripe charges at the period end; the paid renewal invoice confirms a new card payment, stacked after it.
    with time_machine.travel(first.ends_at + timedelta(minutes=5), tick=False):
        second = payment_confirm(payment=PaymentFactory(user=member, plan=plan, payment_method=card), by=None)
    Subscription.objects.filter(user=member).update(auto_renew=True, next_charge_at=second.ends_at)
    assert second.ends_at > first.ends_at

    for day in range(10, 16):
        run_at(local(2026, 3, day, 9))

    assert types_of(first) == ["renewal_recommended"]
    assert types_of(second) == []
    assert not UserNotification.objects.filter(notification_type__in=["expired", "we_miss_you", "final_reminder"])


def test_auto_renewing_subscriptions_add_no_query_to_the_run():
    def count(auto_renew: bool) -> int:
        UserNotification.objects.all().delete()
        Subscription.objects.all().delete()
        for day in (4, 5, 10, 11, 12, 13):  # J-7 .. J+3 of a run on 3 March... and after the end
            for _ in range(5):
                subscription_ending(local(2026, 3, day, 18, 0), auto_renew=auto_renew)
        with CaptureQueriesContext(connection) as queries, time_machine.travel(local(2026, 3, 8, 9), tick=False):
            call_command(COMMAND, "--dry-run", stdout=StringIO())
        return len(queries)

    assert count(True) == count(False)

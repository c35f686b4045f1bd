"""The auto-renew reminders on a real card subscription: our checkout at the fake Stripe, its events delivered signed
to the real webhook and applied by the real worker (billing/tests/stripe_story.py), the daily command run each
morning, time moved with time-machine across the October DST change (ours, the fake's and the signatures' clock)."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from accounts.tests.factories import UserFactory
from billing.tests.stripe_story import WEBHOOK_PATH, Story
from notifications.models import UserNotification
from notifications.tests.factories import local
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory
from tests.fakes.fixtures import fake_stripe  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("database_tasks")]

# 10:00 in Paris on 1 October (summer time): Stripe's 30-day period ends on 31 October at 09:00, winter time.
START = local(2026, 10, 1, 10, 0)


@pytest.fixture
def story(fake_stripe, live_server):  # noqa: F811  (the fixture imported above)
    return Story(fake=fake_stripe, webhook_url=live_server.url + WEBHOOK_PATH)


def run_mornings(first, last) -> None:
    day = first
    while day <= last:
        with time_machine.travel(local(day.year, day.month, day.day, 9, 0), tick=False):
            call_command("process_subscription_notifications", stdout=StringIO())
        day += timedelta(days=1)


def reminders_of(subscription) -> list[tuple[str, str]]:
    return list(
        UserNotification.objects.filter(subscription=subscription)
        .order_by("created_at", "id")
        .values_list("notification_type", "title")
    )


def test_a_card_subscription_renewed_by_stripe_gets_j7_only_then_the_normal_calendar_once_cancelled(story):
    member = UserFactory()
    plan = PlanFactory(name="Mensuel", slug="mensuel", price="49.00", duration_days=30, is_recurring=True)
    with time_machine.travel(START, tick=False):
        story.subscribe(user=member, plan=plan)
        story.deliver_new()
    [first] = Subscription.objects.filter(user=member)
    assert first.auto_renew and first.ends_at == local(2026, 10, 31, 9, 0)

    run_mornings(local(2026, 10, 20).date(), local(2026, 10, 30).date())

    [(kind, title)] = reminders_of(first)
    assert (kind, title) == ("renewal_recommended", "Renouvellement automatique")
    message = UserNotification.objects.get(subscription=first).message
    assert message.startswith("Votre abonnement sera renouvelé automatiquement le samedi 31 octobre 2026.")
    assert "renouvelez" not in message.lower()

    # Stripe charges at the period end; the paid invoice (subscription_cycle) adds the next subscription.
    with time_machine.travel(story.period_end(), tick=False):
        story.renew()
        story.deliver_new()
    second = Subscription.objects.filter(user=member).exclude(pk=first.pk).get()
    assert second.starts_at == first.ends_at and second.auto_renew

    run_mornings(local(2026, 10, 31).date(), local(2026, 11, 5).date())

    assert reminders_of(first) == [("renewal_recommended", "Renouvellement automatique")]  # no post-expiry one
    assert reminders_of(second) == []

    # The member stops the renewal in Stripe's portal: billing turns auto_renew off, the normal calendar applies.
    with time_machine.travel(local(2026, 11, 10, 12, 0), tick=False):
        story.cancel_at_period_end()
        story.deliver_new()
    second.refresh_from_db()
    assert not second.auto_renew and second.ends_at == local(2026, 11, 30, 9, 0)

    run_mornings(local(2026, 11, 20).date(), local(2026, 12, 3).date())

    assert [kind for kind, _title in reminders_of(second)] == [
        "renewal_recommended",
        "expires_in_3_days",
        "expires_in_2_days",
        "last_chance",
        "expired",
        "we_miss_you",
        "final_reminder",
    ]
    assert UserNotification.objects.filter(subscription=second, title="Renouvellement recommandé").exists()

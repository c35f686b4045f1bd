from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from subscriptions.models import Plan, Subscription
from subscriptions.selectors import coverage_end, subscriptions_active_for, time_remaining
from subscriptions.services import subscriptions_mark_expired
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def test_expired_but_not_marked_subscription_is_not_active(member):
    with time_machine.travel(T0, tick=False):
        subscription = SubscriptionFactory(user=member)
    with time_machine.travel(subscription.ends_at + timedelta(seconds=1), tick=False):
        assert not subscriptions_active_for(user=member).exists()
        assert coverage_end(user=member) is None
    with time_machine.travel(subscription.ends_at - timedelta(seconds=1), tick=False):
        assert list(subscriptions_active_for(user=member)) == [subscription]


def test_mark_expired_updates_only_ended_active_subscriptions(member):
    with time_machine.travel(T0, tick=False):
        ended = SubscriptionFactory(user=member, plan=PlanFactory(duration_days=1))
        running = SubscriptionFactory(user=member, plan=PlanFactory(duration_days=30))
        cancelled = SubscriptionFactory(user=member, plan=PlanFactory(duration_days=1), status="cancelled")
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        assert subscriptions_mark_expired() == 1
        assert subscriptions_mark_expired() == 0
    ended.refresh_from_db()
    running.refresh_from_db()
    cancelled.refresh_from_db()
    assert ended.status == Subscription.Status.EXPIRED
    assert running.status == Subscription.Status.ACTIVE
    assert cancelled.status == Subscription.Status.CANCELLED


def test_time_remaining_splits_the_duration_and_never_goes_negative():
    at = T0
    remaining = time_remaining(ends_at=at + timedelta(days=2, hours=3, minutes=4, seconds=5), at=at)
    assert remaining == {
        "days": 2,
        "hours": 3,
        "minutes": 4,
        "seconds": 5,
        "total_seconds": 2 * 86400 + 3 * 3600 + 4 * 60 + 5,
        "is_expired": False,
    }
    past = time_remaining(ends_at=at - timedelta(hours=1), at=at)
    assert past["total_seconds"] == 0
    assert past["is_expired"] is True


def test_create_plans_is_idempotent_and_keeps_admin_changes():
    call_command("create_plans", stdout=StringIO())
    Plan.objects.filter(slug="mensuel").update(price="59.00")
    out = StringIO()
    call_command("create_plans", stdout=out)
    plans = {plan.slug: plan for plan in Plan.objects.all()}
    assert set(plans) == {"mensuel", "trimestriel", "annuel"}
    assert (plans["trimestriel"].duration_days, str(plans["trimestriel"].price)) == (90, "129.00")
    assert (plans["annuel"].duration_days, str(plans["annuel"].price)) == (365, "449.00")
    assert str(plans["mensuel"].price) == "59.00"
    assert all(plan.grants_telegram and plan.grants_discord and plan.currency == "EUR" for plan in plans.values())
    assert "0 formule créée" in out.getvalue()

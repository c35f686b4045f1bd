"""The subscription a confirmed payment creates: where it starts (confirmation, or the end of the coverage), and
the seeded test member's."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from core import clock
from payments.models import Payment
from payments.services import payment_confirm, payment_seed_for_test_member
from payments.tests.factories import PaymentFactory
from subscriptions.models import Subscription
from subscriptions.selectors import coverage_end, subscriptions_active_for
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def test_first_subscription_starts_at_confirmation(member, admin_user):
    plan = PlanFactory(duration_days=30)
    payment = PaymentFactory(user=member, plan=plan)
    with time_machine.travel(T0, tick=False):
        subscription = payment_confirm(payment=payment, by=admin_user)
    assert subscription.starts_at == T0
    assert subscription.ends_at == T0 + timedelta(days=30)


def test_renewal_while_active_starts_at_coverage_end(member, admin_user):
    monthly = PlanFactory(duration_days=30)
    yearly = PlanFactory(duration_days=365)
    with time_machine.travel(T0, tick=False):
        first = payment_confirm(payment=PaymentFactory(user=member, plan=monthly), by=admin_user)
    with time_machine.travel(T0 + timedelta(days=10), tick=False):
        second = payment_confirm(payment=PaymentFactory(user=member, plan=yearly), by=admin_user)
        third = payment_confirm(payment=PaymentFactory(user=member, plan=monthly), by=admin_user)
    assert second.starts_at == first.ends_at
    assert second.ends_at == first.ends_at + timedelta(days=365)
    assert third.starts_at == second.ends_at
    with time_machine.travel(T0 + timedelta(days=10), tick=False):
        assert coverage_end(user=member) == third.ends_at


def test_renewal_after_expiry_starts_now(member, admin_user):
    plan = PlanFactory(duration_days=30)
    with time_machine.travel(T0, tick=False):
        first = payment_confirm(payment=PaymentFactory(user=member, plan=plan), by=admin_user)
    later = T0 + timedelta(days=45)
    with time_machine.travel(later, tick=False):
        # Never marked expired by a cron run: still "active" in the table, but over by time.
        assert Subscription.objects.get(pk=first.pk).status == Subscription.Status.ACTIVE
        second = payment_confirm(payment=PaymentFactory(user=member, plan=plan), by=admin_user)
    assert second.starts_at == later
    assert second.ends_at == later + timedelta(days=30)


def test_renewal_ignores_other_members_coverage(member, admin_user):
    plan = PlanFactory(duration_days=30)
    SubscriptionFactory(plan=PlanFactory(duration_days=365))  # someone else's long coverage
    with time_machine.travel(T0, tick=False):
        subscription = payment_confirm(payment=PaymentFactory(user=member, plan=plan), by=admin_user)
    assert subscription.starts_at == T0


def test_seed_for_test_member_is_idempotent(member):
    first = payment_seed_for_test_member(user=member)
    second = payment_seed_for_test_member(user=member)
    assert first.pk == second.pk
    assert first.plan.slug == "mensuel"
    assert first.ends_at > clock.now()
    assert Payment.objects.filter(user=member, status=Payment.Status.CONFIRMED).count() == 1
    assert Subscription.objects.filter(user=member).count() == 1


def test_create_test_user_gives_a_running_subscription_unless_told_not_to(settings):
    from accounts.models import User

    settings.DEBUG = True
    call_command("create_test_user", "--no-subscription", stdout=StringIO())
    user = User.objects.get(email="test@calmnessfi.com")
    assert not Subscription.objects.filter(user=user).exists()
    call_command("create_test_user", stdout=StringIO())
    call_command("create_test_user", stdout=StringIO())
    assert subscriptions_active_for(user=user).count() == 1
    assert Payment.objects.get(user=user).status == Payment.Status.CONFIRMED

"""The hand-built dashboard body is exactly what the documented DashboardSerializer produces."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from rest_framework.renderers import JSONRenderer

from accounts.tests.factories import UserFactory
from channels_sync.models import ChannelMembership, Platform
from channels_sync.tests.factories import link_telegram, subscribe
from core import clock
from notifications.models import UserNotification
from notifications.tests.factories import UserNotificationFactory
from payments.models import Payment
from payments.tests.factories import PaymentFactory
from subscriptions.api import DashboardSerializer
from subscriptions.dashboard import dashboard_for_member
from subscriptions.dashboard_body import dashboard_body
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def _rendered(data) -> bytes:
    return JSONRenderer().render(data)


def _both(user):
    at = clock.now()
    dashboard = dashboard_for_member(user=user, at=at)
    return _rendered(dashboard_body(dashboard)), _rendered(DashboardSerializer(dashboard, context={"at": at}).data)


def test_body_of_a_member_without_history_matches_the_serializer():
    built, documented = _both(UserFactory())

    assert built == documented
    assert b'"countdown":null' in built


def test_body_of_a_member_with_every_kind_of_row_matches_the_serializer():
    user = UserFactory(first_name="Élodie", preferred_markets=["forex", "crypto"], risk_tolerance="low")
    now = clock.now()
    current = subscribe(user, telegram=True, discord=False)
    plan = PlanFactory(name="Annuel", slug="annuel", price=Decimal("490.50"), duration_days=365)
    SubscriptionFactory(user=user, plan=plan, starts_at=current.ends_at)  # queued renewal
    SubscriptionFactory(
        user=user, plan=plan, starts_at=now - timedelta(days=400), ends_at=now - timedelta(days=35), status="expired"
    )
    PaymentFactory(user=user, plan=plan, status=Payment.Status.CONFIRMED, confirmed_at=now, note="Merci")
    PaymentFactory(
        user=user, plan=plan, status=Payment.Status.REJECTED, rejected_at=now, rejection_reason="Référence inconnue"
    )
    PaymentFactory(user=user, plan=plan, amount=Decimal("12.5"))
    UserNotificationFactory(user=user, status=UserNotification.Status.READ, sent_at=now, read_at=now)
    UserNotificationFactory(user=user, status=UserNotification.Status.SENT, sent_at=now - timedelta(hours=2))
    UserNotificationFactory(user=user, status=UserNotification.Status.PENDING, scheduled_for=now + timedelta(days=1))
    link_telegram(user, 4242)
    ChannelMembership.objects.create(
        user=user, platform=Platform.DISCORD, state="invited", invite_link="https://discord.example/x"
    )

    with time_machine.travel(now + timedelta(minutes=7, seconds=3), tick=False):
        built, documented = _both(user)

    assert built == documented
    assert b'"total_paid":"490.50"' in built and b'"amount":"12.50"' in built
    assert built.count(b'"state":"linked"') == 3  # top level and each of the two active subscriptions


def test_a_subscription_ended_but_not_yet_expired_by_the_cron_matches_too(member):
    subscription = SubscriptionFactory(user=member)

    with time_machine.travel(subscription.ends_at + timedelta(seconds=1), tick=False):
        built, documented = _both(member)

    assert built == documented
    assert b'"active_subscriptions":[]' in built
    assert Subscription.objects.get().status == "active"  # not yet expired by the cron

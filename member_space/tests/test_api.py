"""The member's cross-app reads over the API: subscriptions list and dashboard."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from conftest import client_for
from notifications.models import UserNotification
from payments.tests.factories import PaymentFactory
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
SUBSCRIPTIONS_URL = "/api/auth/user/subscriptions/"
DASHBOARD_URL = "/api/auth/user/dashboard/"
DASHBOARD_QUERIES = 5


def test_subscriptions_show_countdown_and_channel_status(member):
    with time_machine.travel(T0, tick=False):
        subscription = SubscriptionFactory(user=member, plan=PlanFactory(duration_days=30), telegram_added=True)
    with time_machine.travel(T0 + timedelta(days=28, hours=1, minutes=2, seconds=3), tick=False):
        # Tokens are issued inside the travelled time: a JWT from "the future" is refused.
        response = client_for(member).get(SUBSCRIPTIONS_URL)
    assert response.status_code == 200
    [row] = response.json()
    assert row["id"] == subscription.pk
    assert row["is_active"] is True and row["status"] == "active"
    assert row["time_remaining"] == {
        "days": 1,
        "hours": 22,
        "minutes": 57,
        "seconds": 57,
        "total_seconds": 86400 + 22 * 3600 + 57 * 60 + 57,
        "is_expired": False,
    }
    assert (row["telegram_added"], row["discord_added"]) == (True, False)
    assert row["ends_at"] == "2026-03-31T12:00:00+02:00"  # Europe/Paris, with its offset


def test_expired_but_not_marked_subscription_is_shown_expired_everywhere(member):
    with time_machine.travel(T0, tick=False):
        subscription = SubscriptionFactory(user=member, plan=PlanFactory(duration_days=30))
    with time_machine.travel(subscription.ends_at + timedelta(minutes=1), tick=False):
        assert Subscription.objects.get(pk=subscription.pk).status == Subscription.Status.ACTIVE
        client = client_for(member)
        [row] = client.get(SUBSCRIPTIONS_URL).json()
        dashboard = client.get(DASHBOARD_URL).json()
    assert row["is_active"] is False and row["status"] == "expired"
    assert row["time_remaining"]["is_expired"] is True and row["time_remaining"]["total_seconds"] == 0
    assert dashboard["stats"]["active_subscriptions"] == 0
    assert dashboard["active_subscriptions"] == []
    assert dashboard["countdown"] is None


def test_subscriptions_are_only_mine(auth_client, member):
    mine = SubscriptionFactory(user=member)
    SubscriptionFactory(user=UserFactory())
    assert [row["id"] for row in auth_client.get(SUBSCRIPTIONS_URL).json()] == [mine.pk]
    assert auth_client.get(f"{SUBSCRIPTIONS_URL}{mine.pk + 1}/").status_code == 404


def test_member_endpoints_need_authentication(api_client):
    assert api_client.get(SUBSCRIPTIONS_URL).status_code == 401
    assert api_client.get(DASHBOARD_URL).status_code == 401


def _deactivated(member):
    member.is_active = False
    member.save(update_fields=["is_active"])


def _password_changed(member):
    member.set_password("Change-Par-Admin-77")
    member.save(update_fields=["password"])


@pytest.mark.parametrize("refuse", [_deactivated, _password_changed, lambda member: member.delete()])
def test_the_dashboards_own_authentication_refuses_what_every_endpoint_refuses(refuse):
    """The dashboard reads the member with its figures (its own lookup): accounts' checks still apply."""
    member = UserFactory()
    client = client_for(member)
    assert client.get(DASHBOARD_URL).status_code == 200

    refuse(member)

    refused = client.get(DASHBOARD_URL)
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/json"


def test_dashboard_body_for_a_member_without_history(member):
    with time_machine.travel(T0, tick=False):
        body = client_for(member).get(DASHBOARD_URL).json()
    # The SPEC's keys (the channel-access issue adds `channels` beside them).
    assert set(body) >= {
        "user",
        "stats",
        "countdown",
        "active_subscriptions",
        "recent_payments",
        "recent_notifications",
        "server_time",
    }
    assert body["user"]["email"] == member.email
    assert body["stats"] == {
        "active_subscriptions": 0,
        "total_subscriptions": 0,
        "total_payments": 0,
        "confirmed_payments": 0,
        "pending_payments": 0,
        "total_paid": "0.00",
        "unread_notifications": 0,
    }
    assert body["countdown"] is None
    assert body["server_time"] == "2026-03-01T11:00:00+01:00"


def test_dashboard_countdown_is_for_the_subscription_ending_last(member):
    with time_machine.travel(T0, tick=False):
        current = SubscriptionFactory(user=member, plan=PlanFactory(duration_days=30))
        queued = SubscriptionFactory(user=member, plan=PlanFactory(duration_days=90), starts_at=current.ends_at)
        body = client_for(member).get(DASHBOARD_URL).json()
    assert body["countdown"] == {
        "subscription_id": queued.pk,
        "ends_at": "2026-06-29T12:00:00+02:00",
        "days": 120,
        "hours": 0,
        "minutes": 0,
        "seconds": 0,
        "total_seconds": 120 * 86400,
        # Paid once (no Stripe subscription): it simply ends.
        "auto_renew": False,
        "next_charge_at": None,
        "renewal": None,
    }
    assert [row["id"] for row in body["active_subscriptions"]] == [queued.pk, current.pk]
    assert body["stats"]["active_subscriptions"] == 2


def test_dashboard_stats_count_only_my_rows(auth_client, member):
    plan = PlanFactory(price="49.00")
    PaymentFactory(user=member, plan=plan, status="confirmed")
    PaymentFactory(user=member, plan=plan, status="confirmed")
    PaymentFactory(user=member, plan=plan, status="pending")
    PaymentFactory(user=member, plan=plan, status="rejected")
    SubscriptionFactory(user=member, plan=plan)
    SubscriptionFactory(user=member, plan=plan, status="expired")
    other = UserFactory()
    PaymentFactory(user=other, plan=plan, status="confirmed")
    SubscriptionFactory(user=other, plan=plan)
    _notifications(member, 3, status="sent")
    _notifications(member, 2, status="read")
    _notifications(member, 1, status="dismissed")
    _notifications(other, 4, status="sent")
    body = auth_client.get(DASHBOARD_URL).json()
    assert body["stats"] == {
        "active_subscriptions": 1,
        "total_subscriptions": 2,
        "total_payments": 4,
        "confirmed_payments": 2,
        "pending_payments": 1,
        "total_paid": "98.00",
        "unread_notifications": 3,
    }
    assert len(body["recent_payments"]) == 4
    assert len(body["recent_notifications"]) == 5
    assert all(row["status"] != "dismissed" for row in body["recent_notifications"])


def _notifications(user, count, status="sent"):
    now = datetime.now(UTC)
    UserNotification.objects.bulk_create(
        UserNotification(
            user=user,
            notification_type="renewal_recommended",
            title="Renouvellement recommandé",
            message="Votre abonnement expire dans 7 jours.",
            status=status,
            scheduled_for=now - timedelta(minutes=i),
        )
        for i in range(count)
    )


def _history(user, size):
    plan = PlanFactory(slug="bench", duration_days=30)
    payments = PaymentFactory.create_batch(size, user=user, plan=plan, status="confirmed")
    start = T0 - timedelta(days=30 * size)
    Subscription.objects.bulk_create(
        Subscription(
            user=user,
            plan=plan,
            payment=payment,
            starts_at=start + timedelta(days=30 * i),
            ends_at=start + timedelta(days=30 * (i + 1)),
            status="active" if i >= size - 2 else "expired",
        )
        for i, payment in enumerate(payments)
    )


def test_dashboard_query_count_does_not_grow_with_history(django_assert_num_queries):
    newcomer, veteran = UserFactory(), UserFactory()
    _history(veteran, 200)
    _notifications(veteran, 500)
    with time_machine.travel(T0 - timedelta(days=15), tick=False):
        newcomer_client, veteran_client = client_for(newcomer), client_for(veteran)
        with CaptureQueriesContext(connection) as newcomer_queries:
            empty = newcomer_client.get(DASHBOARD_URL).json()
        baseline = len(newcomer_queries)
        with django_assert_num_queries(baseline):
            body = veteran_client.get(DASHBOARD_URL).json()
    # auth (the member with the figures row and the cache versions), active subscriptions, recent payments, recent
    # notifications, the channel memberships.
    assert baseline == DASHBOARD_QUERIES
    assert empty["stats"]["total_payments"] == 0
    assert body["stats"]["total_payments"] == 200
    assert body["stats"]["total_subscriptions"] == 200
    assert body["stats"]["unread_notifications"] == 500
    assert len(body["recent_payments"]) == 5 and len(body["recent_notifications"]) == 5


@pytest.mark.parametrize("url", [SUBSCRIPTIONS_URL, DASHBOARD_URL])
def test_read_only_endpoints_refuse_writes_with_json_405(auth_client, url):
    for method in ("post", "put", "patch", "delete"):
        response = getattr(auth_client, method)(url, data="{not json", content_type="application/json")
        assert response.status_code == 405, (method, response.status_code)
        assert "detail" in response.json()


@pytest.mark.parametrize("url", [SUBSCRIPTIONS_URL, DASHBOARD_URL])
def test_member_endpoints_ignore_unknown_query_parameters(auth_client, url):
    response = auth_client.get(url, {"user": "1", "page": "x" * 10_000})
    assert response.status_code == 200

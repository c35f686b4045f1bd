"""The per-member dashboard cache: hits are cheap, and no write or passing of time ever shows stale data."""

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_sync.models import ChannelMembership, Platform
from conftest import client_for
from notifications.models import UserNotification
from notifications.tests.factories import UserNotificationFactory
from payments.models import Payment
from payments.services import payment_confirm
from payments.tests.factories import PaymentFactory
from subscriptions.dashboard import dashboard_for_member
from subscriptions.dashboard_cache import dashboard_cache_lookup, dashboard_cache_store
from subscriptions.models import Subscription
from subscriptions.services import subscriptions_mark_expired
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
URL = "/api/auth/user/dashboard/"


def _queries(client) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    return len(queries), response.json()


def test_second_read_is_served_from_the_cache_with_only_the_auth_query(member, django_assert_num_queries):
    with time_machine.travel(T0, tick=False):
        SubscriptionFactory(user=member)
        PaymentFactory(user=member)
        UserNotificationFactory(user=member)
        client = client_for(member)
        uncached, first = _queries(client)
        with django_assert_num_queries(1):  # the JWT's user, nothing else
            second = client.get(URL).json()
    assert uncached == 6  # auth, the figures, active, payments, notifications, channels
    assert second == first


def test_cached_body_recomputes_the_countdown_and_server_time(member, settings):
    settings.DASHBOARD_CACHE_SECONDS = 3600
    with time_machine.travel(T0, tick=False):
        subscription = SubscriptionFactory(user=member, plan=PlanFactory(duration_days=30))
        client = client_for(member)
        first = client.get(URL).json()
    with time_machine.travel(T0 + timedelta(minutes=10, seconds=5), tick=False):
        count, later = _queries(client)
    assert count == 1  # a cache hit
    assert first["countdown"]["total_seconds"] - later["countdown"]["total_seconds"] == 605
    assert later["countdown"]["subscription_id"] == subscription.pk
    assert later["countdown"]["minutes"] == 49 and later["countdown"]["seconds"] == 55
    [item] = later["active_subscriptions"]
    assert item["time_remaining"]["total_seconds"] == later["countdown"]["total_seconds"]
    assert later["server_time"] != first["server_time"]
    assert later["server_time"].startswith("2026-03-01T11:10:05")


def test_subscription_ending_by_time_disappears_although_nothing_was_written(member, settings):
    settings.DASHBOARD_CACHE_SECONDS = 3600
    with time_machine.travel(T0, tick=False):
        SubscriptionFactory(user=member, starts_at=T0 - timedelta(days=30), ends_at=T0 + timedelta(seconds=30))
        client = client_for(member)
        before = client.get(URL).json()
    assert before["stats"]["active_subscriptions"] == 1 and before["countdown"] is not None
    with time_machine.travel(T0 + timedelta(seconds=31), tick=False):
        after = client.get(URL).json()
    assert after["stats"]["active_subscriptions"] == 0
    assert after["active_subscriptions"] == [] and after["countdown"] is None


def test_channel_grace_end_bounds_the_entry(member, settings):
    settings.CHANNEL_GRACE_HOURS = 2
    with time_machine.travel(T0, tick=False):
        ended = SubscriptionFactory(user=member, starts_at=T0 - timedelta(days=30), ends_at=T0 - timedelta(hours=1))
        dashboard = dashboard_for_member(user=member)
    assert dashboard.next_change == ended.ends_at + timedelta(hours=2)


def test_queued_renewal_start_bounds_the_entry(member):
    with time_machine.travel(T0, tick=False):
        SubscriptionFactory(user=member, starts_at=T0 - timedelta(days=1), ends_at=T0 + timedelta(days=1))
        queued = SubscriptionFactory(user=member, starts_at=T0 + timedelta(hours=3), ends_at=T0 + timedelta(days=40))
        dashboard = dashboard_for_member(user=member)
    assert dashboard.next_change == queued.starts_at


def test_profile_edit_shows_at_once_on_a_cache_hit(member, django_assert_num_queries):
    client = client_for(member)
    client.get(URL)
    response = client.patch(
        "/api/auth/user/profile/", data=json.dumps({"first_name": "Renée"}), content_type="application/json"
    )
    assert response.status_code == 200, response.json()
    with django_assert_num_queries(1):  # still a hit: only the profile block is serialized again
        body = client.get(URL).json()
    assert body["user"]["first_name"] == "Renée"


def test_declared_payment_shows_at_once(member):
    plan = PlanFactory()
    client = client_for(member)
    assert client.get(URL).json()["stats"]["total_payments"] == 0
    response = client.post(
        "/api/auth/user/payments/",
        data=json.dumps({"plan": plan.pk, "method": "bank_transfer", "reference": "VIR-9"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = client.get(URL).json()
    assert body["stats"]["total_payments"] == 1 and body["stats"]["pending_payments"] == 1
    assert [p["id"] for p in body["recent_payments"]] == [response.json()["id"]]


def test_confirmed_payment_shows_its_subscription_at_once(member, django_user_model):
    admin = django_user_model.objects.create_superuser(email="admin@example.com", password="x")
    payment = PaymentFactory(user=member, status=Payment.Status.PENDING)
    client = client_for(member)
    assert client.get(URL).json()["countdown"] is None
    payment_confirm(payment=payment, by=admin, notify=False)
    body = client.get(URL).json()
    assert body["stats"]["confirmed_payments"] == 1 and body["stats"]["active_subscriptions"] == 1
    assert body["countdown"] is not None


def test_mark_read_and_read_all_lower_the_unread_count_at_once(member):
    first, _second = UserNotificationFactory.create_batch(2, user=member)
    client = client_for(member)
    assert client.get(URL).json()["stats"]["unread_notifications"] == 2
    assert client.post(f"/api/auth/user/notifications/{first.pk}/read/").status_code == 200
    assert client.get(URL).json()["stats"]["unread_notifications"] == 1
    assert client.post("/api/auth/user/notifications/read-all/").status_code == 200
    assert client.get(URL).json()["stats"]["unread_notifications"] == 0


def test_notification_command_output_shows_in_recent_notifications(member):
    ends_at = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)
    with time_machine.travel(datetime(2026, 3, 3, 8, 0, tzinfo=UTC), tick=False):
        SubscriptionFactory(user=member, starts_at=ends_at - timedelta(days=30), ends_at=ends_at)
        client = client_for(member)
        assert client.get(URL).json()["recent_notifications"] == []
        call_command("process_subscription_notifications", stdout=StringIO())
        body = client.get(URL).json()
    assert UserNotification.objects.filter(user=member).exists()
    assert [n["notification_type"] for n in body["recent_notifications"]] == ["renewal_recommended"]
    assert body["stats"]["unread_notifications"] == 1


def test_admin_or_shell_save_is_seen_at_once(member):
    with time_machine.travel(T0, tick=False):
        subscription = SubscriptionFactory(user=member)
        client = client_for(member)
        assert client.get(URL).json()["stats"]["active_subscriptions"] == 1
        subscription.status = Subscription.Status.CANCELLED
        subscription.save()  # no service involved: the post_save safety net forgets the entry
        body = client.get(URL).json()
    assert body["stats"]["active_subscriptions"] == 0 and body["countdown"] is None


def test_plan_rename_reaches_every_cached_dashboard(member):
    plan = PlanFactory(name="Mensuel")
    SubscriptionFactory(user=member, plan=plan)
    client = client_for(member)
    assert client.get(URL).json()["active_subscriptions"][0]["plan"]["name"] == "Mensuel"
    plan.name = "Mensuel Pro"
    plan.save()
    assert client.get(URL).json()["active_subscriptions"][0]["plan"]["name"] == "Mensuel Pro"


def test_channel_membership_change_is_seen_at_once(member):
    client = client_for(member)
    assert client.get(URL).json()["channels"]["telegram"]["state"] == "not_linked"
    ChannelMembership.objects.create(user=member, platform=Platform.TELEGRAM, state=ChannelMembership.State.LEFT)
    assert client.get(URL).json()["channels"]["telegram"]["state"] == "left"


def test_mark_expired_in_bulk_forgets_the_members(member):
    with time_machine.travel(T0, tick=False):
        SubscriptionFactory(user=member, starts_at=T0 - timedelta(days=30), ends_at=T0 - timedelta(minutes=1))
        client = client_for(member)
        count, _ = _queries(client)
        assert _queries(client)[0] == 1  # cached
        assert subscriptions_mark_expired() == 1
        assert _queries(client)[0] == count  # forgotten: computed again


def test_an_entry_filled_from_a_snapshot_older_than_a_write_is_never_served(member):
    """A reader reads the tokens, then the database; a write commits and forgets; the reader stores late."""
    at = T0
    with time_machine.travel(at, tick=False):
        lookup = dashboard_cache_lookup(user_id=member.pk, at=at)
        stale = {"stats": {"total_payments": 0}, "active_subscriptions": [], "countdown": None}
        PaymentFactory(user=member)  # the write (and its forget) lands between the read and the store
        dashboard_cache_store(
            lookup=lookup,
            user=member,
            body={**stale, "user": {}},
            at=at,
            next_change=None,
            ends_at={"countdown": None, "active": []},
        )
        assert dashboard_cache_lookup(user_id=member.pk, at=at).entry is None
        assert client_for(member).get(URL).json()["stats"]["total_payments"] == 1


def test_cache_disabled_computes_every_time(member, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    client = client_for(member)
    first, _ = _queries(client)
    second, _ = _queries(client)
    assert first == second > 1


def test_response_header_says_whether_the_body_came_from_the_cache(member):
    client = client_for(member)

    first, second = client.get(URL), client.get(URL)
    client.post("/api/auth/user/notifications/read-all/")  # a write that forgets the member's entry
    third = client.get(URL)

    assert [r.headers["X-Dashboard-Cache"] for r in (first, second, third)] == ["miss", "hit", "miss"]

"""The per-member dashboard cache: hits are cheap, and no write or passing of time ever shows stale data."""

import importlib
import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from channels_sync.models import AccountLink, ChannelMembership, Platform
from channels_sync.tests.factories import link_telegram, subscribe
from conftest import client_for
from member_space.dashboard import dashboard_for_member, dashboard_next_change, member_figures
from member_space.dashboard_cache import VERSIONED_TABLES, dashboard_cache_lookup, dashboard_cache_store
from member_space.serializers import dashboard_data
from notifications.models import UserNotification
from notifications.tests.factories import UserNotificationFactory
from payments.models import Payment
from payments.services import payment_confirm
from payments.tests.factories import PaymentFactory, PaymentMethodFactory
from subscriptions import figures
from subscriptions.models import Plan, Subscription
from subscriptions.services import subscriptions_mark_expired
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
URL = "/api/auth/user/dashboard/"
HIT_QUERIES = 1  # the JWT's member, read with their figures and the versions
versions_migration = importlib.import_module("member_space.migrations.0001_dashboard_versions")


def _queries(client) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    return len(queries), response.json()


def _read(client) -> tuple[str, dict]:
    response = client.get(URL)
    assert response.status_code == 200
    return response.headers["X-Dashboard-Cache"], response.json()


def test_second_read_is_served_from_the_cache_with_the_auth_query_only(member, django_assert_num_queries):
    with time_machine.travel(T0, tick=False):
        SubscriptionFactory(user=member)
        # Confirmed: a pending one adds the query of when its grace would end (channels_sync's grace_next_change).
        PaymentFactory(user=member, status=Payment.Status.CONFIRMED)
        UserNotificationFactory(user=member)
        client = client_for(member)
        uncached, first = _queries(client)
        with django_assert_num_queries(HIT_QUERIES):
            second = client.get(URL).json()
    assert uncached == 5  # the member with the figures and versions, active, payments, notifications, channels
    assert second == first


def test_cached_body_recomputes_the_countdown_and_server_time(member, settings):
    settings.DASHBOARD_CACHE_SECONDS = 3600
    with time_machine.travel(T0, tick=False):
        subscription = SubscriptionFactory(user=member, plan=PlanFactory(duration_days=30))
        client = client_for(member)
        first = client.get(URL).json()
    with time_machine.travel(T0 + timedelta(minutes=10, seconds=5), tick=False):
        count, later = _queries(client)
    assert count == HIT_QUERIES
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
    assert dashboard_next_change(dashboard) == ended.ends_at + timedelta(hours=2)


def test_an_expired_subscription_ending_later_bounds_the_entry_only_with_a_grace(member, settings):
    # Stored expired before its end (an admin edit): at its end it enters the grace, which may open access.
    with time_machine.travel(T0, tick=False):
        odd = SubscriptionFactory(user=member, status="expired", ends_at=T0 + timedelta(days=3))
        settings.CHANNEL_GRACE_HOURS = 2
        with_grace = dashboard_next_change(dashboard_for_member(user=member))
        settings.CHANNEL_GRACE_HOURS = 0
        without_grace = dashboard_next_change(dashboard_for_member(user=member))
    assert with_grace == odd.ends_at
    assert without_grace is None


def test_no_grace_no_time_bound_from_ended_subscriptions_and_no_query_for_it(member, settings):
    settings.CHANNEL_GRACE_HOURS = 0
    with time_machine.travel(T0, tick=False):
        SubscriptionFactory(user=member, starts_at=T0 - timedelta(days=30), ends_at=T0 - timedelta(hours=1))
        dashboard = dashboard_for_member(user=member)
        with CaptureQueriesContext(connection) as without_grace:
            next_change = dashboard_next_change(dashboard)
        settings.CHANNEL_GRACE_HOURS = 2
        with CaptureQueriesContext(connection) as with_grace:
            dashboard_next_change(dashboard)
    assert next_change is None
    assert (len(without_grace), len(with_grace)) == (0, 1)


def test_the_time_bound_is_computed_only_for_a_body_the_cache_keeps(member, settings):
    """With a grace, when the body next changes costs a query: not asked when nothing is kept."""
    settings.CHANNEL_GRACE_HOURS = 2
    with time_machine.travel(T0, tick=False):
        SubscriptionFactory(user=member, starts_at=T0 - timedelta(days=30), ends_at=T0 - timedelta(hours=1))
        client = client_for(member)
        kept, _ = _queries(client)
        settings.DASHBOARD_CACHE_SECONDS = 0
        computed, _ = _queries(client)
    assert kept == computed + 1


def test_queued_renewal_start_bounds_the_entry(member):
    with time_machine.travel(T0, tick=False):
        SubscriptionFactory(user=member, starts_at=T0 - timedelta(days=1), ends_at=T0 + timedelta(days=1))
        queued = SubscriptionFactory(user=member, starts_at=T0 + timedelta(hours=3), ends_at=T0 + timedelta(days=40))
        dashboard = dashboard_for_member(user=member)
    assert dashboard_next_change(dashboard) == queued.starts_at


def test_profile_edit_shows_at_once_on_a_cache_hit(member, django_assert_num_queries):
    client = client_for(member)
    client.get(URL)
    response = client.patch(
        "/api/auth/user/profile/", data=json.dumps({"first_name": "Renée"}), content_type="application/json"
    )
    assert response.status_code == 200, response.json()
    with django_assert_num_queries(HIT_QUERIES):  # still a hit: only the profile block is serialized again
        body = client.get(URL).json()
    assert body["user"]["first_name"] == "Renée"


# Every way a write reaches the tables the dashboard shows. Each case: (given: the member's data, when: the write,
# then: what the next read shows, or None when the write changes nothing shown). The read before the write is a
# cache hit; the read after it is a miss and shows the write.


def _given_pending_payment(member):
    return PaymentFactory(user=member, status=Payment.Status.PENDING, note="")


def _given_notifications(member):
    return UserNotificationFactory.create_batch(2, user=member, status=UserNotification.Status.PENDING)


def _given_linked_telegram(member):
    subscribe(member)
    link_telegram(member, 5551)


def _admin_renames_the_plan(member, client, admin_client, payment):
    plan = payment.plan
    data = {
        "name": "Mensuel Pro",
        "slug": plan.slug,
        "price": str(plan.price),
        "currency": plan.currency,
        "duration_days": plan.duration_days,
        "trial_days": plan.trial_days,
        "description": plan.description,
        "is_active": "on",
        "grants_telegram": "on",
        "grants_discord": "on",
    }
    response = admin_client.post(f"/admin/subscriptions/plan/{plan.pk}/change/", data)
    assert response.status_code == 302, response.content


def _admin_edits_the_subscription(member, client, admin_client, _given):
    subscription = Subscription.objects.get(user=member)
    data = {
        "user": member.pk,
        "plan": subscription.plan_id,
        "payment": "",
        "starts_at_0": subscription.starts_at.strftime("%d/%m/%Y"),
        "starts_at_1": subscription.starts_at.strftime("%H:%M:%S"),
        "ends_at_0": subscription.ends_at.strftime("%d/%m/%Y"),
        "ends_at_1": subscription.ends_at.strftime("%H:%M:%S"),
        "status": Subscription.Status.CANCELLED,
    }
    response = admin_client.post(f"/admin/subscriptions/subscription/{subscription.pk}/change/", data)
    assert response.status_code == 302, response.content


def _raw_sql_retitles_a_notification(member, client, admin_client, notifications):
    table = UserNotification._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET title = %s WHERE id = %s", ["Titre changé", notifications[0].pk])


WRITES = {
    "update() of a payment's status": (
        _given_pending_payment,
        lambda member, *_: Payment.objects.filter(user=member).update(status=Payment.Status.REJECTED),
        lambda body: body["stats"]["pending_payments"] == 0 and body["recent_payments"][0]["status"] == "rejected",
    ),
    "update() that changes no figure (pending -> sent)": (
        _given_notifications,
        lambda member, *_: UserNotification.objects.filter(user=member).update(status=UserNotification.Status.SENT),
        lambda body: {n["status"] for n in body["recent_notifications"]} == {"sent"},
    ),
    "bulk_create of notifications": (
        _given_notifications,
        lambda member, *_: UserNotification.objects.bulk_create(
            UserNotification(
                user=member, notification_type="renewal_recommended", title="t", message="m", scheduled_for=T0
            )
            for _ in range(3)
        ),
        lambda body: body["stats"]["unread_notifications"] == 5,
    ),
    "raw SQL": (
        _given_notifications,
        _raw_sql_retitles_a_notification,
        lambda body: "Titre changé" in {n["title"] for n in body["recent_notifications"]},
    ),
    "admin: plan renamed": (
        _given_pending_payment,
        _admin_renames_the_plan,
        lambda body: body["recent_payments"][0]["plan"]["name"] == "Mensuel Pro",
    ),
    "admin: subscription cancelled": (
        lambda member: SubscriptionFactory(user=member),
        _admin_edits_the_subscription,
        lambda body: body["stats"]["active_subscriptions"] == 0 and body["countdown"] is None,
    ),
    "payment_confirm": (
        _given_pending_payment,
        lambda member, client, admin_client, payment: payment_confirm(payment=payment, by=None, notify=False),
        lambda body: body["stats"]["confirmed_payments"] == 1 and body["countdown"] is not None,
    ),
    "payment declared through the API": (
        lambda member: PaymentMethodFactory(kind="bank_transfer") and PlanFactory(),
        lambda member, client, admin_client, plan: client.post(
            "/api/auth/user/payments/",
            data=json.dumps({"plan": plan.pk, "method": "bank_transfer", "reference": "VIR-9"}),
            content_type="application/json",
        ),
        lambda body: body["stats"]["total_payments"] == 1 and body["stats"]["pending_payments"] == 1,
    ),
    "reminders created by the cron command": (
        lambda member: SubscriptionFactory(
            user=member, starts_at=T0 - timedelta(days=23), ends_at=T0 + timedelta(days=7)
        ),
        lambda *_: call_command("process_subscription_notifications", stdout=StringIO()),
        lambda body: [n["notification_type"] for n in body["recent_notifications"]] == ["renewal_recommended"],
    ),
    "notification read through the API": (
        _given_notifications,
        lambda member, client, admin_client, notifications: client.post(
            f"/api/auth/user/notifications/{notifications[0].pk}/read/"
        ),
        lambda body: body["stats"]["unread_notifications"] == 1,
    ),
    "all notifications read through the API": (
        _given_notifications,
        lambda member, client, *_: client.post("/api/auth/user/notifications/read-all/"),
        lambda body: body["stats"]["unread_notifications"] == 0,
    ),
    "subscriptions expired in bulk": (
        lambda member: SubscriptionFactory(
            user=member, starts_at=T0 - timedelta(days=30), ends_at=T0 - timedelta(minutes=1)
        ),
        lambda *_: subscriptions_mark_expired(),
        None,  # nothing shown changes (the subscription had already ended by time): a miss is enough
    ),
    "channel membership saved": (
        lambda member: None,
        lambda member, *_: ChannelMembership.objects.create(
            user=member, platform=Platform.TELEGRAM, state=ChannelMembership.State.LEFT
        ),
        lambda body: body["channels"]["telegram"]["state"] == "left",
    ),
    "account link deleted": (
        _given_linked_telegram,
        lambda member, *_: AccountLink.objects.filter(user=member).delete(),
        None,  # the link is not shown itself: a miss is enough
    ),
    "channel sync (manage_channel_members)": (
        _given_linked_telegram,
        lambda *_: call_command("manage_channel_members", "--platform", "telegram", stdout=StringIO()),
        lambda body: body["channels"]["telegram"]["state"] == "invited",
    ),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_every_write_path_shows_on_the_next_read(write, member, admin_user, client, fake_telegram):
    given, when, then = write
    with time_machine.travel(T0, tick=False):
        data = given(member)
        member_client = client_for(member)
        client.force_login(admin_user)
        assert _read(member_client)[0] == "miss"
        source, before = _read(member_client)
        assert source == "hit"
        assert then is None or not then(before)

        when(member, member_client, client, data)
        source, after = _read(member_client)

    assert source == "miss"
    assert then is None or then(after)


def _lookup(member, at):
    """What the API view does: the versions (read with the member), then the entry."""
    figures, plans_version = member_figures(user=member)
    return dashboard_cache_lookup(figures=figures, plans_version=plans_version, at=at)


def test_an_entry_filled_from_a_snapshot_older_than_a_write_is_never_served(member):
    """A reader reads the versions, then the database; a write commits; the reader stores late."""
    at = T0
    with time_machine.travel(at, tick=False):
        lookup = _lookup(member, at)
        dashboard = dashboard_for_member(user=member, at=at)
        stale = dashboard_data(dashboard)
        assert stale["stats"]["total_payments"] == 0
        PaymentFactory(user=member)  # the write lands between the reader's read and its store
        dashboard_cache_store(lookup=lookup, dashboard=dashboard, body=stale)
        assert _lookup(member, at).entry is None
        assert client_for(member).get(URL).json()["stats"]["total_payments"] == 1


def test_another_members_write_keeps_my_entry(member):
    other, plan = UserFactory(), PlanFactory()  # a new plan raises every member's plans version: made first
    client = client_for(member)
    client.get(URL)
    PaymentFactory(user=other, plan=plan)
    assert _read(client)[0] == "hit"


def test_cache_disabled_computes_every_time_with_the_same_queries(member, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    client = client_for(member)
    first, _ = _queries(client)
    second, _ = _queries(client)
    assert first == second == 5  # the figures still read with the member, no cache round trip: the same count


def test_response_header_says_whether_the_body_came_from_the_cache(member):
    UserNotificationFactory(user=member, status=UserNotification.Status.SENT)
    client = client_for(member)

    first, second = client.get(URL), client.get(URL)
    client.post("/api/auth/user/notifications/read-all/")  # one row changed: a new version
    third, fourth = client.get(URL), client.get(URL)
    client.post("/api/auth/user/notifications/read-all/")  # no row changed: same version, the entry stays
    fifth = client.get(URL)

    sources = [r.headers["X-Dashboard-Cache"] for r in (first, second, third, fourth, fifth)]
    assert sources == ["miss", "hit", "miss", "hit", "hit"]


def test_the_installed_version_triggers_are_the_ones_the_code_defines():
    # member_space 0001 froze the SQL of subscriptions.figures for the channel tables: a change needs a migration.
    for vendor in ("postgresql", "sqlite"):
        assert figures.install_statements(vendor, VERSIONED_TABLES) == versions_migration.INSTALL[vendor]
        assert figures.uninstall_statements(vendor, VERSIONED_TABLES) == versions_migration.UNINSTALL[vendor]
    assert set(VERSIONED_TABLES) == {"channels_sync_channelmembership", "channels_sync_accountlink"}
    assert Plan._meta.db_table == figures.PLANS

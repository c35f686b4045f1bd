"""MemberFigures, kept by database triggers, always equals counting the member's history again; every write
raises the member's version."""

import importlib
import threading
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import close_old_connections, connection
from django.db.models import Count, Q, Sum

from accounts.models import User
from accounts.tests.factories import UserFactory
from member_space.dashboard import member_figures, member_with_figures
from member_space.dashboard_cache import VERSIONED_TABLES
from notifications.models import UserNotification
from notifications.selectors import UNREAD_STATUSES
from notifications.services import notifications_mark_all_read
from notifications.tests.factories import UserNotificationFactory
from payments.models import Payment
from payments.tests.factories import PaymentFactory
from subscriptions import figures
from subscriptions.models import MemberFigures, PlansVersion, Subscription
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

latest_migration = importlib.import_module("subscriptions.migrations.0004_dashboard_versions")
Status = Payment.Status


def counted(user) -> dict:
    """The figures as the dashboard defined them before the triggers: counts over the history, in Python terms."""
    payments = Payment.objects.filter(user=user).aggregate(
        total=Count("id"),
        confirmed=Count("id", filter=Q(status=Status.CONFIRMED)),
        pending=Count("id", filter=Q(status=Status.PENDING)),
        paid=Sum("amount", filter=Q(status=Status.CONFIRMED)),
    )
    return {
        "subscriptions_total": Subscription.objects.filter(user=user).count(),
        "payments_total": payments["total"],
        "payments_confirmed": payments["confirmed"],
        "payments_pending": payments["pending"],
        "paid_cents": int((payments["paid"] or Decimal(0)) * 100),
        "notifications_unread": UserNotification.objects.filter(user=user, status__in=UNREAD_STATUSES).count(),
    }


def kept(user) -> dict:
    row = MemberFigures.objects.filter(user_id=user.pk).values(*figures.COLUMNS).first()
    return row or dict.fromkeys(figures.COLUMNS, 0)


def assert_kept(*users) -> None:
    for user in users:
        assert kept(user) == counted(user)


def test_a_member_without_history_has_no_row_and_reads_as_zeros():
    member = UserFactory()
    assert not MemberFigures.objects.filter(user_id=member.pk).exists()
    assert kept(member) == counted(member) == dict.fromkeys(figures.COLUMNS, 0)


def test_the_member_is_read_with_their_figures_and_the_plans_version_in_one_query(django_assert_num_queries):
    member, newcomer = UserFactory(), UserFactory()
    PaymentFactory(user=member, status=Status.CONFIRMED)
    SubscriptionFactory(user=member)
    UserNotificationFactory(user=member)
    PlanFactory()  # a write to plans: the plans' version is no longer 0

    with django_assert_num_queries(1):
        read = member_with_figures(member_id=member.pk)
        totals, plans_version = member_figures(user=read)
    new_figures, new_plans_version = member_figures(user=member_with_figures(member_id=newcomer.pk))

    expected = User.objects.get(pk=member.pk)
    assert [getattr(read, f.attname) for f in User._meta.concrete_fields] == [
        getattr(expected, f.attname) for f in User._meta.concrete_fields
    ]
    row = MemberFigures.objects.get(user_id=member.pk)
    assert [getattr(totals, name) for name in (*figures.COLUMNS, "version", "user_id")] == [
        getattr(row, name) for name in (*figures.COLUMNS, "version", "user_id")
    ]
    assert plans_version == PlansVersion.objects.get(pk=1).version > 0
    assert not MemberFigures.objects.filter(user_id=newcomer.pk).exists()  # no history, no row: zeros, version 0
    assert [getattr(new_figures, name) for name in (*figures.COLUMNS, "version")] == [0] * (len(figures.COLUMNS) + 1)
    assert new_figures.user_id == newcomer.pk and new_plans_version == plans_version
    assert member_with_figures(member_id=newcomer.pk + 1000) is None


def test_payments_every_kind_of_write():
    member, other = UserFactory(), UserFactory()
    plan = PlanFactory(price=Decimal("49.99"))
    first = PaymentFactory(user=member, plan=plan)
    assert kept(member)["payments_pending"] == 1
    Payment.objects.bulk_create(
        [
            Payment(user=member, plan=plan, amount=Decimal("0.01"), currency="EUR", method="card", status=s)
            for s in Status
            if s != Status.PENDING  # one pending payment per member (a unique constraint)
        ]
    )
    assert_kept(member, other)
    first.status = Status.CONFIRMED
    first.save()
    assert kept(member)["paid_cents"] == 4999 + 1
    Payment.objects.filter(user=member, status=Status.CONFIRMED).update(amount=Decimal("12.34"))
    assert_kept(member)
    Payment.objects.filter(pk=first.pk).update(status=Status.REJECTED)
    assert_kept(member)
    first.note = "rien qui compte"  # an update that changes no figure
    first.save(update_fields=["note"])
    Payment.objects.filter(pk=first.pk).update(user=other)  # moved to another member
    assert_kept(member, other)
    Payment.objects.filter(user=member, status=Status.CANCELLED).delete()
    first.delete()
    assert_kept(member, other)
    assert kept(member)["payments_total"] == len(Status) - 2  # one per status but the pending and the cancelled


def test_subscriptions_and_notifications_every_kind_of_write():
    member = UserFactory()
    subscription = SubscriptionFactory(user=member)
    Subscription.objects.bulk_create(
        [
            Subscription(user=member, plan=subscription.plan, starts_at=s.starts_at, ends_at=s.ends_at)
            for s in [subscription] * 3
        ]
    )
    Subscription.objects.filter(user=member).update(status=Subscription.Status.EXPIRED)
    assert kept(member)["subscriptions_total"] == 4
    subscription.delete()
    assert_kept(member)

    sent = UserNotificationFactory(user=member, status=UserNotification.Status.SENT)
    UserNotification.objects.bulk_create(
        [UserNotification(user=member, notification_type=sent.notification_type, title="t", message="m",
                          status=s, scheduled_for=sent.scheduled_for) for s in UserNotification.Status]
    )  # fmt: skip
    assert kept(member)["notifications_unread"] == 3
    UserNotification.objects.filter(user=member, status=UserNotification.Status.PENDING).update(
        status=UserNotification.Status.SENT
    )  # still unread: no figure changes
    assert kept(member)["notifications_unread"] == 3
    sent.status = UserNotification.Status.DISMISSED
    sent.save()
    assert_kept(member)
    assert notifications_mark_all_read(user=member) == 2
    assert kept(member)["notifications_unread"] == 0
    assert_kept(member)


def test_deleting_the_member_deletes_their_figures():
    member, other = UserFactory(), UserFactory()
    PaymentFactory(user=member)
    PaymentFactory(user=other)
    UserNotificationFactory(user=member)
    member.delete()
    assert not MemberFigures.objects.filter(user_id=member.pk).exists()
    assert_kept(other)


def test_rebuild_counts_the_whole_history_again():
    members = UserFactory.create_batch(3)
    for index, member in enumerate(members):
        PaymentFactory.create_batch(index + 1, user=member, status=Status.CONFIRMED)
        UserNotificationFactory.create_batch(index, user=member)
    SubscriptionFactory(user=members[0])
    before = [kept(member) for member in members]
    MemberFigures.objects.all().update(payments_total=999)  # wrong on purpose
    with connection.cursor() as cursor:
        for sql in figures.rebuild_statements():
            cursor.execute(sql)
    assert [kept(member) for member in members] == before
    assert_kept(*members)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_for_one_member_lose_no_increment():
    member, plan = UserFactory(), PlanFactory()
    writers, per_writer = 4, 25
    barrier = threading.Barrier(writers)
    errors = []

    def write():
        try:
            barrier.wait()
            for _ in range(per_writer):  # each in its own transaction (autocommit)
                PaymentFactory(user=member, plan=plan, status=Status.CONFIRMED)
        except Exception as exc:
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert kept(member)["payments_confirmed"] == writers * per_writer
    assert_kept(member)


def test_the_rebuild_command_repairs_drifted_totals_and_says_how_many():
    right, wrong = UserFactory(), UserFactory()
    PaymentFactory(user=right)
    PaymentFactory.create_batch(2, user=wrong, status=Status.CONFIRMED)
    MemberFigures.objects.filter(user_id=wrong.pk).update(payments_confirmed=7, paid_cents=1)
    out = StringIO()
    call_command("rebuild_member_figures", stdout=out)
    assert_kept(right, wrong)
    assert "Totaux recomptés pour 2 membres ; 1 membre avait des totaux différents." in out.getvalue()


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_the_installed_triggers_are_the_ones_the_app_module_defines(vendor):
    # The latest migration froze the SQL of subscriptions/figures.py: a change there needs a new migration.
    assert figures.install_statements(vendor) == latest_migration.INSTALL[vendor]
    assert figures.uninstall_statements(vendor) == latest_migration.UNINSTALL[vendor]


def test_the_status_literals_in_the_trigger_sql_are_the_enums_values():
    payments, notifications = figures.SOURCES["payments_payment"], figures.SOURCES["notifications_usernotification"]
    assert f"status = '{Status.CONFIRMED.value}'" in payments["payments_confirmed"]
    assert f"status = '{Status.CONFIRMED.value}'" in payments["paid_cents"]
    assert f"status = '{Status.PENDING.value}'" in payments["payments_pending"]
    unread = ", ".join(f"'{status}'" for status in UNREAD_STATUSES)
    assert f"status IN ({unread})" in notifications["notifications_unread"]
    assert set(figures.SOURCES) == {
        Subscription._meta.db_table,
        Payment._meta.db_table,
        UserNotification._meta.db_table,
    }
    assert MemberFigures._meta.db_table == figures.FIGURES
    assert PlansVersion._meta.db_table == figures.PLANS_VERSION


def test_every_trigger_is_installed_on_this_database():
    # SQLite drops a table's triggers when a migration remakes the table: this fails if one was lost that way.
    if connection.vendor == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        installed = {row[0] for row in cursor.fetchall()}
    tables = [*figures.SOURCES, *VERSIONED_TABLES]
    expected = {figures.trigger_name(table, event) for table in tables for event in figures.EVENTS}
    expected |= {figures.plans_trigger_name(event) for event in figures.EVENTS}
    assert expected <= installed

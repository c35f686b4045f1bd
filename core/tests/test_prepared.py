from datetime import datetime, timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from core import clock
from core.prepared import PreparedQuery, PreparedQueryError, Statement, run_together
from payments.models import Payment
from payments.selectors import payments_for_member
from subscriptions.models import Plan, Subscription
from subscriptions.selectors import in_force_q, subscriptions_active_list_for

pytestmark = pytest.mark.django_db

ACTIVE = PreparedQuery(lambda user_id, at: subscriptions_active_list_for(user=user_id, at=at), user_id=int, at=datetime)


def plan() -> Plan:
    return Plan.objects.create(name="Mensuel", slug="mensuel", duration_days=30, price="49.90")


def subscribe(user, plan, *, starts_at, days, status=Subscription.Status.ACTIVE) -> Subscription:
    return Subscription.objects.create(
        user=user, plan=plan, starts_at=starts_at, ends_at=starts_at + timedelta(days=days), status=status
    )


def fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def test_gives_the_same_instances_as_the_orm_for_each_member_and_instant():
    monthly, now = plan(), clock.now()
    first, second = UserFactory(), UserFactory()
    subscribe(first, monthly, starts_at=now - timedelta(days=40), days=30, status=Subscription.Status.EXPIRED)
    subscribe(first, monthly, starts_at=now - timedelta(days=10), days=30)
    subscribe(first, monthly, starts_at=now + timedelta(days=20), days=30)
    subscribe(second, monthly, starts_at=now - timedelta(days=1), days=5)
    for user in (first, second):
        for at in (now, now + timedelta(days=25), now + timedelta(days=60)):
            expected = list(subscriptions_active_list_for(user=user, at=at))
            got = ACTIVE.run(user_id=user.pk, at=at)
            assert [fields(s) for s in got] == [fields(s) for s in expected]
            assert [fields(s.plan) for s in got] == [fields(s.plan) for s in expected]
    assert len(ACTIVE.run(user_id=first.pk, at=now)) == 2


def test_one_query_per_run_with_select_related_objects_loaded_and_values_converted():
    member, monthly = UserFactory(), plan()
    Payment.objects.create(user=member, plan=monthly, amount="49.90", currency="EUR", method="card")
    recent = PreparedQuery(lambda user_id: payments_for_member(user=user_id)[:5], user_id=int)
    recent.run(user_id=member.pk)  # compiles
    with CaptureQueriesContext(connection) as queries:
        (payment,) = recent.run(user_id=member.pk)
        assert payment.plan.name == "Mensuel"
    assert len(queries) == 1
    assert str(payment.amount) == "49.90"  # Decimal, as the ORM gives it (SQLite stores text)
    assert payment.created_at.tzinfo is not None


def test_reads_the_rows_of_each_run_not_of_the_first():
    member, monthly, now = UserFactory(), plan(), clock.now()
    assert ACTIVE.run(user_id=member.pk, at=now) == []
    created = subscribe(member, monthly, starts_at=now, days=30)
    assert [s.pk for s in ACTIVE.run(user_id=member.pk, at=now)] == [created.pk]


def test_an_argument_used_twice_fills_both_parameters():
    member, monthly, now = UserFactory(), plan(), clock.now()
    current = subscribe(member, monthly, starts_at=now - timedelta(days=1), days=30)
    subscribe(member, monthly, starts_at=current.ends_at, days=30)  # queued: active but not in force
    in_force = PreparedQuery(
        lambda user_id, at: Subscription.objects.filter(in_force_q(at=at), user_id=user_id), user_id=int, at=datetime
    )
    assert [s.pk for s in in_force.run(user_id=member.pk, at=now)] == [current.pk]
    assert in_force.run(user_id=member.pk, at=now - timedelta(days=2)) == []


def test_refuses_a_value_derived_from_an_argument():
    derived = PreparedQuery(lambda at: Subscription.objects.filter(ends_at__gt=at - timedelta(hours=1)), at=datetime)
    with pytest.raises(PreparedQueryError, match="derived"):
        derived.run(at=clock.now())


def test_refuses_sql_that_depends_on_the_values():
    shape = PreparedQuery(
        lambda user_id: Subscription.objects.filter(user_id=user_id).order_by("id" if user_id > -5e8 else "-id"),
        user_id=int,
    )
    with pytest.raises(PreparedQueryError, match="SQL depends"):
        shape.run(user_id=1)


def test_refuses_unused_arguments_other_kinds_and_values_querysets():
    unused = PreparedQuery(lambda user_id, at: Subscription.objects.filter(user_id=user_id), user_id=int, at=datetime)
    with pytest.raises(PreparedQueryError, match="not used"):
        unused.run(user_id=1, at=clock.now())
    with pytest.raises(PreparedQueryError, match="not supported"):
        PreparedQuery(lambda name: Plan.objects.filter(name=name), name=str)
    values = PreparedQuery(lambda user_id: Subscription.objects.filter(user_id=user_id).values("id"), user_id=int)
    with pytest.raises(PreparedQueryError, match="model instances"):
        values.run(user_id=1)


def test_runs_only_with_exactly_its_arguments():
    with pytest.raises(TypeError, match="expected"):
        ACTIVE.run(user_id=1)


def test_statements_run_together_give_each_its_own_result_in_order():
    member, monthly, now = UserFactory(), plan(), clock.now()
    created = subscribe(member, monthly, starts_at=now, days=30)
    Payment.objects.create(user=member, plan=monthly, amount="49.90", currency="EUR", method="card")
    recent = PreparedQuery(lambda user_id: payments_for_member(user=user_id)[:5], user_id=int)
    count = Statement(sql="SELECT COUNT(*) FROM subscriptions_subscription", params=[], result=lambda rows: rows[0][0])
    with CaptureQueriesContext(connection) as queries:
        subscriptions, payments, total = run_together(
            [ACTIVE.statement(user_id=member.pk, at=now), recent.statement(user_id=member.pk), count]
        )
    assert [s.pk for s in subscriptions] == [created.pk]
    assert [(p.user_id, str(p.amount), p.plan.slug) for p in payments] == [(member.pk, "49.90", "mensuel")]
    assert total == 1
    assert len(queries) == 3


def test_a_failing_statement_raises_djangos_error_and_leaves_the_connection_usable():
    member = UserFactory()
    broken = Statement(sql="SELECT * FROM no_such_table", params=[], result=list)
    with pytest.raises(DatabaseError), transaction.atomic():
        run_together([ACTIVE.statement(user_id=member.pk, at=clock.now()), broken])
    assert ACTIVE.run(user_id=member.pk, at=clock.now()) == []

"""GET /api/admin/stats/: staff only, the selectors' figures as JSON, a constant number of queries."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from analytics import selectors
from analytics.tests import dataset
from conftest import client_for
from payments.models import Payment, PaymentKind
from payments.tests.factories import PaymentFactory, PaymentMethodFactory
from subscriptions.models import Subscription
from subscriptions.tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db

URL = "/api/admin/stats/"


def test_anonymous_gets_401(api_client):
    assert api_client.get(URL).status_code == 401


def test_a_member_gets_403(auth_client):
    response = auth_client.get(URL)

    assert response.status_code == 403
    assert "detail" in response.json()


def test_staff_gets_the_figures_as_json():
    staff = UserFactory(is_staff=True)
    with time_machine.travel(dataset.NOW, tick=False):
        dataset.build()
        response = client_for(staff).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["active_members"] == 3
    assert body["mrr"] == [
        {"currency": "EUR", "amount": "90.58", "subscriptions": 2},
        {"currency": "USD", "amount": "30.44", "subscriptions": 1},
    ]
    assert body["members"]["renewal_rate"] == "50.0"
    assert body["months"][-1] == "2026-04"
    assert body["pending_payments"]["oldest_declared_at"] == "2026-04-05T12:00:00+02:00"
    assert (body["signals"]["total_r"], body["signals"]["profit_factor"]) == ("1.50", "2.50")


def more_history(members: int) -> None:
    """`members` more members, each with three paid months and a pending payment, on two methods."""
    methods = [PaymentMethodFactory(kind=PaymentKind.BANK_TRANSFER), PaymentMethodFactory(kind=PaymentKind.CRYPTO)]
    for index in range(members):
        user = UserFactory()
        for month in range(3):
            confirmed_at = dataset.utc(2025, 10 + month, 3 + index % 20, 9)
            payment = PaymentFactory(
                user=user,
                payment_method=methods[index % 2],
                status=Payment.Status.CONFIRMED,
                confirmed_at=confirmed_at,
            )
            SubscriptionFactory(
                user=user,
                plan=payment.plan,
                payment=payment,
                starts_at=confirmed_at,
                status=Subscription.Status.EXPIRED,
            )
        PaymentFactory(user=user, payment_method=methods[0])


def queries_for_stats(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_data(django_assert_num_queries):
    with time_machine.travel(dataset.NOW, tick=False):
        client = client_for(UserFactory(is_staff=True))
        dataset.build()
        small = queries_for_stats(client)
        more_history(30)
        with django_assert_num_queries(small):
            assert client.get(URL).status_code == 200

    assert Payment.objects.count() > 100


def test_the_figures_take_ten_queries(django_assert_num_queries, is_postgres):
    with time_machine.travel(dataset.NOW, tick=False):
        dataset.build()
        staff = UserFactory(is_staff=True)
        # 2 members and MRR, 3 revenue (plans, payments, refunds), 2 coverage ends and cohorts, 1 pending, 2 signals
        # (per market and month, the closed ones in closing order);
        # on PostgreSQL, SET LOCAL jit = off in a transaction (a savepoint within the test's, and its release).
        with django_assert_num_queries(13 if is_postgres else 10):
            selectors.admin_stats(user=staff)

"""Concurrency proofs on PostgreSQL: real threads, real row locks."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from payments.models import Payment
from payments.services import payment_confirm, payment_declare
from payments.tests.factories import PaymentFactory
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _slow_reads(execute, sql, params, many, context):
    # Widen the race window: every read of a payment or a subscription pauses after it returns, so
    # without row locks both threads would act on the same stale state.
    result = execute(sql, params, many, context)
    if sql.lstrip().upper().startswith("SELECT") and ("payments_payment" in sql or "subscriptions_subscription" in sql):
        time.sleep(0.2)
    return result


def _run_together(*targets):
    """Start every target at the same instant in its own thread (own DB connection); return results/errors."""
    barrier = threading.Barrier(len(targets))
    results: list = [None] * len(targets)

    def run(index, target):
        try:
            barrier.wait()
            with connection.execute_wrapper(_slow_reads):
                results[index] = target()
        except Exception as exc:  # reported to the test, never swallowed
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_admins_confirming_the_same_payment_make_one_subscription():
    admin_a = UserFactory(is_staff=True)
    admin_b = UserFactory(is_staff=True)
    payment = PaymentFactory()
    results = _run_together(
        lambda: payment_confirm(payment=Payment.objects.get(pk=payment.pk), by=admin_a).pk,
        lambda: payment_confirm(payment=Payment.objects.get(pk=payment.pk), by=admin_b).pk,
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[0] == results[1]
    assert Subscription.objects.filter(payment=payment).count() == 1
    assert Subscription.objects.count() == 1


def test_two_payments_of_one_member_confirmed_at_once_are_back_to_back():
    member = UserFactory()
    plan = PlanFactory(duration_days=30)
    first, second = PaymentFactory(user=member, plan=plan), PaymentFactory(user=member, plan=plan)
    admin = UserFactory(is_staff=True)
    results = _run_together(
        lambda: payment_confirm(payment=first, by=admin).pk,
        lambda: payment_confirm(payment=second, by=admin).pk,
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    earlier, later = Subscription.objects.filter(user=member).order_by("starts_at")
    assert later.starts_at == earlier.ends_at
    assert later.ends_at - earlier.starts_at == timedelta(days=60)


def test_concurrent_retries_with_one_idempotency_key_make_one_payment():
    member = UserFactory()
    plan = PlanFactory()

    def declare():
        payment, _created = payment_declare(
            user=member, plan=plan, method="card", reference="R", note="", idempotency_key="retry-key"
        )
        return payment.pk

    results = _run_together(*([declare] * 4))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(set(results)) == 1
    assert Payment.objects.filter(user=member).count() == 1

"""Concurrency proofs on PostgreSQL: real threads, real row locks."""

import pytest

from accounts.tests.factories import UserFactory
from conftest import client_for
from payments.models import Payment, PaymentKind
from payments.services import PaymentError, payment_cancel, payment_confirm, payment_declare
from payments.tests.factories import PaymentFactory, PaymentMethodFactory
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory
from tests.concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run_together(*targets):
    return run_together(*targets, slowed_tables=("payments_payment", "subscriptions_subscription"))


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


def test_a_member_cancelling_while_an_admin_confirms_gets_one_outcome():
    member = UserFactory()
    admin = UserFactory(is_staff=True)
    payment = PaymentFactory(user=member)
    results = _run_together(
        lambda: payment_confirm(payment=Payment.objects.get(pk=payment.pk), by=admin).pk,
        lambda: payment_cancel(payment=Payment.objects.get(pk=payment.pk), by=member).status,
    )
    payment.refresh_from_db()
    refused = [r for r in results if isinstance(r, PaymentError)]
    assert len(refused) == 1, results  # the second to take the lock sees the first one's outcome
    if payment.status == Payment.Status.CONFIRMED:
        assert Subscription.objects.filter(payment=payment).count() == 1
    else:
        assert payment.status == Payment.Status.CANCELLED and not Subscription.objects.exists()


def test_two_concurrent_declarations_by_one_member_give_one_pending_payment_and_one_409():
    member = UserFactory()
    plan = PlanFactory()
    PaymentMethodFactory(kind=PaymentKind.PAYPAL)

    def declare(key):
        def post():
            response = client_for(member).post(
                "/api/auth/user/payments/",
                {"plan": plan.pk, "method": "paypal"},
                format="json",
                HTTP_IDEMPOTENCY_KEY=key,
            )
            return response.status_code, response.json()

        return post

    results = _run_together(declare("tab-1"), declare("tab-2"))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(status for status, _body in results) == [201, 409]
    created = next(body for status, body in results if status == 201)
    refused = next(body for status, body in results if status == 409)
    assert refused["payment"]["id"] == created["id"]
    assert list(Payment.objects.filter(user=member).values_list("status", flat=True)) == ["pending"]


def test_concurrent_retries_with_one_idempotency_key_make_one_payment():
    member = UserFactory()
    plan = PlanFactory()
    PaymentMethodFactory(kind=PaymentKind.PAYPAL)

    def declare():
        payment, _created = payment_declare(
            user=member, plan=plan, method="paypal", reference="R", note="", idempotency_key="retry-key"
        )
        return payment.pk

    results = _run_together(*([declare] * 4))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(set(results)) == 1
    assert Payment.objects.filter(user=member).count() == 1

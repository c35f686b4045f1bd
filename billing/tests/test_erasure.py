"""Erasing a member's data also deletes their customer at Stripe (name and address), after the erasure commits."""

import pytest
import stripe

from accounts.privacy import member_erase
from accounts.tests.factories import UserFactory
from billing.checkout import checkout_start
from billing.models import StripeCustomer
from billing.privacy import stripe_customer_delete
from subscriptions.tests.factories import PlanFactory
from tests.fakes.fixtures import fake_stripe  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


def test_erasing_a_member_deletes_their_customer_at_stripe_and_keeps_our_id(
    fake_stripe,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    member = UserFactory()
    checkout_start(user=member, plan=PlanFactory())
    customer_id = StripeCustomer.objects.get(user=member).customer_id
    assert fake_stripe.objects["customers"][customer_id]["email"] == member.email

    with django_capture_on_commit_callbacks(execute=True):  # the task runs once the erasure is committed
        member_erase(user=member)

    assert customer_id not in fake_stripe.objects["customers"]
    assert StripeCustomer.objects.get(user=member).customer_id == customer_id  # the card payments' trail


def test_a_member_who_never_paid_by_card_asks_nothing_of_stripe(
    fake_stripe,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        member_erase(user=UserFactory())

    assert fake_stripe.calls("customers.cancel") == []


def test_a_customer_already_gone_at_stripe_is_done(fake_stripe):  # noqa: F811
    assert stripe_customer_delete(customer_id="cus_unknown") is False


def test_stripe_down_raises_for_the_queue_to_retry(fake_stripe):  # noqa: F811
    customer = fake_stripe.api_customers_create({"email": "x@example.com"})
    fake_stripe.fail("customers.cancel", 500, times=5)

    with pytest.raises(stripe.APIError):
        stripe_customer_delete(customer_id=customer["id"])
    assert customer["id"] in fake_stripe.objects["customers"]

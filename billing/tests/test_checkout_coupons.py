"""A coupon at the card checkout: our discount mirrored at Stripe (the fake, through the real library), the session's
total and the confirmed payment's amount both ours, a recurring plan's first invoice discounted and its renewals
charged in full, the use given back when the session expires unpaid."""

from decimal import Decimal

import pytest

from billing.checkout import checkout_start
from billing.models import StripeEvent
from billing.services import stripe_event_process, stripe_event_record
from payments.models import Coupon, CouponKind, CouponRedemption, Payment
from payments.services import PaymentError, PaymentPendingExists
from subscriptions.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db

CHECKOUT_URL = "/api/auth/user/checkout/"


@pytest.fixture
def one_off(db):
    return PlanFactory(slug="mensuel", name="Mensuel", price="49.99", duration_days=30)


@pytest.fixture
def recurring(db):
    return PlanFactory(slug="mensuel-auto", name="Mensuel automatique", price="45.00", is_recurring=True)


@pytest.fixture
def promo(db):
    return Coupon.objects.create(code="PROMO15", kind=CouponKind.PERCENT, value=Decimal("15"))


def process(event: dict) -> str:
    stripe_event_record(event=event)
    return stripe_event_process(event_id=event["id"])


def test_the_session_charges_our_discounted_amount_and_the_paid_payment_keeps_it(
    auth_client, member, fake_stripe, one_off, promo
):
    response = auth_client.post(CHECKOUT_URL, {"plan": one_off.pk, "coupon": "promo15"}, format="json")

    assert response.status_code == 201, response.json()
    payment = Payment.objects.get(pk=response.json()["payment_id"])
    # 49.99 x 15 % = 7.4985 -> 7.50 once, by us; Stripe is given 750 cents off, not a percentage to round its way
    assert (payment.list_price, payment.discount, payment.amount) == (
        Decimal("49.99"),
        Decimal("7.50"),
        Decimal("42.49"),
    )
    session = fake_stripe.objects["checkout/sessions"][payment.stripe_checkout.session_id]
    assert (session["amount_subtotal"], session["amount_total"]) == (4999, 4249)
    (stripe_coupon,) = fake_stripe.objects["coupons"].values()
    assert (stripe_coupon["amount_off"], stripe_coupon["currency"], stripe_coupon["duration"]) == (750, "eur", "once")
    assert session["discounts"] == [{"coupon": stripe_coupon["id"]}]

    fake_stripe.complete_checkout(session["id"])
    (event,) = fake_stripe.events_of("checkout.session.completed")
    assert process(event) == StripeEvent.Outcome.PROCESSED
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED and payment.amount == Decimal("42.49")
    charge = next(iter(fake_stripe.objects["charges"].values()))
    assert charge["amount"] == 4249 == int(payment.amount * 100)


def test_the_stripe_coupon_is_made_once_and_reused_by_the_next_member(fake_stripe, one_off, promo):
    from accounts.tests.factories import UserFactory

    first, second = UserFactory(), UserFactory()
    checkout_start(user=first, plan=one_off, coupon_code="PROMO15")
    checkout_start(user=second, plan=one_off, coupon_code="PROMO15")

    assert len(fake_stripe.objects["coupons"]) == 1
    assert len(fake_stripe.calls("coupons.create")) == 1
    assert CouponRedemption.objects.filter(coupon=promo).count() == 2


def test_a_recurring_plans_first_invoice_is_discounted_and_the_renewal_is_not(member, fake_stripe, recurring):
    Coupon.objects.create(code="MOINS5", kind=CouponKind.FIXED, value=Decimal("5.00"), currency="EUR")
    payment, _url, _created = checkout_start(user=member, plan=recurring, coupon_code="moins5")

    completed = fake_stripe.complete_checkout(payment.stripe_checkout.session_id)
    first_invoice = fake_stripe.objects["invoices"][completed["invoice"]]
    renewal = fake_stripe.renew(completed["subscription"])

    assert payment.amount == Decimal("40.00")
    assert first_invoice["amount_paid"] == 4000
    assert renewal["amount_paid"] == 4500


def test_a_refused_coupon_starts_nothing_at_stripe(member, fake_stripe, one_off):
    with pytest.raises(PaymentError) as refused:
        checkout_start(user=member, plan=one_off, coupon_code="NOPE")

    assert (refused.value.field, str(refused.value)) == ("coupon", "Code promo invalide.")
    assert not Payment.objects.exists()
    assert not fake_stripe.calls("checkout.sessions.create")


def test_a_refused_coupon_is_a_french_400_on_coupon(auth_client, fake_stripe, one_off):
    response = auth_client.post(CHECKOUT_URL, {"plan": one_off.pk, "coupon": "NOPE"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"coupon": ["Code promo invalide."]}


def test_a_session_that_expires_unpaid_gives_the_use_back(member, fake_stripe, one_off, promo):
    payment, _url, _created = checkout_start(user=member, plan=one_off, coupon_code="PROMO15")
    assert promo.redemptions.count() == 1

    fake_stripe.expire_checkout(payment.stripe_checkout.session_id)
    (event,) = fake_stripe.events_of("checkout.session.expired")
    assert process(event) == StripeEvent.Outcome.PROCESSED

    payment.refresh_from_db()
    assert payment.status == Payment.Status.CANCELLED
    assert promo.redemptions.count() == 0


def test_a_code_typed_after_starting_is_not_silently_dropped(member, fake_stripe, one_off, promo):
    first, url, _created = checkout_start(user=member, plan=one_off)

    # Same plan, same (no) code: the double click gets the open session back.
    assert checkout_start(user=member, plan=one_off)[1:] == (url, False)
    assert checkout_start(user=member, plan=one_off, coupon_code="  ")[1:] == (url, False)
    # A code the open session does not carry: refused like another pending payment, nothing created.
    with pytest.raises(PaymentPendingExists):
        checkout_start(user=member, plan=one_off, coupon_code="promo15")
    assert not CouponRedemption.objects.exists()
    assert list(Payment.objects.filter(user=member)) == [first]


def test_the_same_code_again_gets_the_open_session_back(member, fake_stripe, one_off, promo):
    _payment, url, _created = checkout_start(user=member, plan=one_off, coupon_code="PROMO15")

    assert checkout_start(user=member, plan=one_off, coupon_code="promo15")[1:] == (url, False)

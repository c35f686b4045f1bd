"""Coupons: the discount computed by the server, every refusal, once per member, the use given back by a payment
that will never be paid, the race for the last use (PostgreSQL)."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError

from accounts.tests.factories import UserFactory
from core import clock
from payments.models import Coupon, CouponKind, CouponRedemption, Payment
from payments.services import PaymentError, coupon_apply, payment_cancel, payment_declare, payment_reject
from subscriptions.tests.factories import PlanFactory
from tests.concurrency import run_together

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("offered_methods")]

URL = "/api/auth/user/payments/"


def _coupon(**fields) -> Coupon:
    fields.setdefault("code", "BIENVENUE")
    fields.setdefault("kind", CouponKind.PERCENT)
    fields.setdefault("value", Decimal("20"))
    plans = fields.pop("plans", [])
    coupon = Coupon.objects.create(**fields)
    coupon.plans.set(plans)
    return coupon


def _declare(client, body):
    return client.post(URL, data=json.dumps(body), content_type="application/json")


def test_a_percent_coupon_is_rounded_once_to_the_cent_and_the_client_amount_is_ignored(auth_client, member):
    plan = PlanFactory(price="49.99")
    _coupon(code="PROMO15", value=Decimal("15"))

    response = _declare(auth_client, {"plan": plan.pk, "method": "paypal", "coupon": "Promo15", "amount": "1.00"})

    assert response.status_code == 201, response.json()
    body = response.json()
    # 49.99 x 15 % = 7.4985 -> 7.50 (half up, once); 49.99 - 7.50 = 42.49
    assert (body["list_price"], body["discount"], body["amount"]) == ("49.99", "7.50", "42.49")
    assert body["coupon"] == "PROMO15"
    payment = Payment.objects.get(pk=body["id"])
    assert payment.amount == Decimal("42.49") and payment.coupon.code == "PROMO15"
    assert CouponRedemption.objects.get().payment == payment


def test_a_fixed_coupon_takes_its_value_off_in_the_plans_currency(auth_client):
    plan = PlanFactory(price="49.00")
    _coupon(code="MOINS10", kind=CouponKind.FIXED, value=Decimal("10.00"), currency="EUR")

    body = _declare(auth_client, {"plan": plan.pk, "method": "paypal", "coupon": "moins10"}).json()

    assert (body["list_price"], body["discount"], body["amount"]) == ("49.00", "10.00", "39.00")


def test_the_instructions_show_the_discounted_amount(auth_client):
    plan = PlanFactory(price="50.00")
    _coupon(code="DEMI", value=Decimal("50"))

    body = _declare(auth_client, {"plan": plan.pk, "method": "paypal", "coupon": "DEMI"}).json()

    assert "Payez 25,00 € pour" in body["instructions"]


def test_without_a_coupon_the_list_price_is_the_amount(auth_client):
    body = _declare(auth_client, {"plan": PlanFactory(price="49.00").pk, "method": "paypal"}).json()
    assert (body["list_price"], body["discount"], body["amount"], body["coupon"]) == ("49.00", "0.00", "49.00", None)


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        ({}, "INCONNU", "Code promo invalide."),
        ({"is_active": False}, "BIENVENUE", "Code promo invalide."),
        ({"valid_from": "future"}, "BIENVENUE", "Ce code promo n'est pas encore valable."),
        ({"valid_until": "past"}, "BIENVENUE", "Ce code promo a expiré."),
        ({"plans": "other"}, "BIENVENUE", "Ce code promo ne s'applique pas à cette formule."),
        (
            {"kind": CouponKind.FIXED, "value": Decimal("5"), "currency": "USD"},
            "BIENVENUE",
            "Ce code promo ne s'applique pas à cette formule.",
        ),
        (
            {"kind": CouponKind.FIXED, "value": Decimal("49.00")},
            "BIENVENUE",
            "Ce code promo ne s'applique pas à cette formule.",
        ),
        ({"max_uses": 0}, "BIENVENUE", "Ce code promo a atteint son nombre maximal d'utilisations."),
    ],
)
def test_a_coupon_that_cannot_apply_is_a_french_400_on_coupon_and_nothing_is_recorded(
    auth_client, fields, code, message
):
    plan = PlanFactory(price="49.00")
    now = clock.now()
    if fields.get("valid_from") == "future":
        fields["valid_from"] = now + timedelta(days=1)
    if fields.get("valid_until") == "past":
        fields["valid_until"] = now - timedelta(seconds=1)
    if fields.get("plans") == "other":
        fields["plans"] = [PlanFactory()]
    _coupon(**fields)

    response = _declare(auth_client, {"plan": plan.pk, "method": "paypal", "coupon": code})

    assert response.status_code == 400
    assert response.json() == {"coupon": [message]}
    assert not Payment.objects.exists() and not CouponRedemption.objects.exists()


def test_a_coupon_for_listed_plans_applies_to_them(auth_client):
    plan = PlanFactory(price="40.00")
    _coupon(plans=[plan, PlanFactory()], value=Decimal("25"))
    assert _declare(auth_client, {"plan": plan.pk, "method": "paypal", "coupon": "bienvenue"}).json()["amount"] == (
        "30.00"
    )


def test_a_coupon_is_valid_from_its_start_until_just_before_its_end(member):
    plan = PlanFactory()
    start = clock.now() + timedelta(days=1)
    coupon = _coupon(valid_from=start, valid_until=start + timedelta(days=2))
    with time_machine.travel(start, tick=False):
        assert coupon_apply(code="bienvenue", user=member, plan=plan)[0] == coupon
    with time_machine.travel(start + timedelta(days=2), tick=False), pytest.raises(PaymentError, match="expiré"):
        coupon_apply(code="bienvenue", user=member, plan=plan)


def test_a_member_uses_a_coupon_once(member, offered_methods):
    plan = PlanFactory()
    _coupon()
    first, _ = payment_declare(user=member, plan=plan, method="paypal", coupon="BIENVENUE")
    from payments.services import payment_confirm

    payment_confirm(payment=first, by=None)

    with pytest.raises(PaymentError, match="déjà utilisé ce code promo"):
        payment_declare(user=member, plan=plan, method="paypal", coupon="bienvenue")
    assert CouponRedemption.objects.filter(user=member).count() == 1


def test_the_database_refuses_a_second_use_by_the_same_member(member):
    coupon = _coupon()
    plan = PlanFactory()
    first = Payment.objects.create(user=member, plan=plan, amount=Decimal("1"), currency="EUR", method="paypal")
    CouponRedemption.objects.create(coupon=coupon, user=member, payment=first)
    first.status = Payment.Status.CONFIRMED
    first.save()
    second = Payment.objects.create(user=member, plan=plan, amount=Decimal("1"), currency="EUR", method="paypal")
    with pytest.raises(IntegrityError):
        CouponRedemption.objects.create(coupon=coupon, user=member, payment=second)


def test_the_database_refuses_an_amount_that_is_not_list_price_less_discount(member):
    with pytest.raises(IntegrityError):
        Payment.objects.create(
            user=member,
            plan=PlanFactory(),
            list_price=Decimal("49.00"),
            discount=Decimal("10.00"),
            amount=Decimal("49.00"),
            currency="EUR",
            method="paypal",
        )


@pytest.mark.parametrize(
    ("price", "percent", "amount"), [("1.00", 7, "0.93"), ("0.30", 34, "0.20"), ("19.90", 33, "13.33")]
)
def test_amounts_that_floating_point_would_miss_are_accepted(auth_client, price, percent, amount):
    # SQLite holds decimals as floating point (1 - 0.07 is not 0.93 there): the database's check compares cents.
    plan = PlanFactory(price=price)
    _coupon(code=f"P{percent}", value=Decimal(percent))

    response = _declare(auth_client, {"plan": plan.pk, "method": "paypal", "coupon": f"p{percent}"})

    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == amount


def test_codes_are_unique_whatever_their_case():
    _coupon(code="ETE")
    with pytest.raises(IntegrityError):
        _coupon(code="ete")


@pytest.mark.parametrize("undo", ["cancel", "reject"])
def test_a_payment_that_will_not_be_paid_gives_its_use_back(member, undo):
    plan = PlanFactory()
    coupon = _coupon(max_uses=1)
    payment, _ = payment_declare(user=member, plan=plan, method="paypal", coupon="BIENVENUE")
    assert coupon.redemptions.count() == 1

    if undo == "cancel":
        payment_cancel(payment=payment, by=member)
    else:
        payment_reject(payment=payment, by=UserFactory(is_staff=True), reason="Rien reçu")

    assert coupon.redemptions.count() == 0
    payment.refresh_from_db()
    assert payment.coupon == coupon and payment.discount == Decimal("9.80")  # the record keeps what it was
    again, created = payment_declare(user=member, plan=plan, method="paypal", coupon="BIENVENUE")
    assert created and again.coupon == coupon


def test_the_last_use_is_taken_then_the_code_is_exhausted_for_the_next_member():
    plan = PlanFactory()
    _coupon(max_uses=1)
    first, second = UserFactory(), UserFactory()
    payment_declare(user=first, plan=plan, method="paypal", coupon="BIENVENUE")
    with pytest.raises(PaymentError, match="nombre maximal"):
        payment_declare(user=second, plan=plan, method="paypal", coupon="BIENVENUE")


def test_a_percentage_of_100_is_refused_by_the_model():
    from django.core.exceptions import ValidationError

    coupon = Coupon(code="GRATUIT", kind=CouponKind.PERCENT, value=Decimal("100"))
    with pytest.raises(ValidationError):
        coupon.full_clean()
    with pytest.raises(IntegrityError):
        coupon.save()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_members_racing_for_the_last_use_one_wins():
    plan = PlanFactory()
    _coupon(max_uses=1)
    members = [UserFactory(), UserFactory()]

    results = run_together(
        *[(lambda m=m: payment_declare(user=m, plan=plan, method="paypal", coupon="bienvenue")[0].pk) for m in members],
        slowed_tables=("payments_couponredemption",),
    )

    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], PaymentError), results
    assert "nombre maximal" in str(errors[0])
    assert CouponRedemption.objects.count() == 1
    assert Payment.objects.filter(coupon__isnull=False).count() == 1


def test_the_api_needs_a_string_coupon(auth_client):
    response = _declare(auth_client, {"plan": PlanFactory().pk, "method": "paypal", "coupon": 12})
    assert response.status_code == 400 and "coupon" in response.json()


# --- the admin -------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_browser(client):
    from accounts.models import User

    client.force_login(User.objects.create_superuser(email="chef@example.com", password="x"))
    return client


def test_the_admin_creates_a_code_upper_cased_and_lists_its_uses(admin_browser, member):
    plan = PlanFactory()
    response = admin_browser.post(
        "/admin/payments/coupon/add/",
        {
            "code": " ete2026 ",
            "kind": "percent",
            "value": "10",
            "currency": "EUR",
            "plans": [plan.pk],
            "max_uses": "5",
            "is_active": "on",
            "redemptions-TOTAL_FORMS": "0",
            "redemptions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    coupon = Coupon.objects.get()
    assert coupon.code == "ETE2026" and list(coupon.plans.all()) == [plan]
    payment_declare(user=member, plan=plan, method="paypal", coupon="ete2026")

    listing = admin_browser.get("/admin/payments/coupon/").content.decode()
    page = admin_browser.get(f"/admin/payments/coupon/{coupon.pk}/change/").content.decode()

    assert "ETE2026" in listing and "1 / 5" in listing
    assert member.email in page  # the use, read-only


def test_the_admin_refuses_a_percentage_of_100_in_french(admin_browser):
    response = admin_browser.post(
        "/admin/payments/coupon/add/",
        {
            "code": "GRATUIT",
            "kind": "percent",
            "value": "100",
            "currency": "EUR",
            "is_active": "on",
            "redemptions-TOTAL_FORMS": "0",
            "redemptions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "Un pourcentage va de 1 à 99" in response.content.decode()
    assert not Coupon.objects.exists()

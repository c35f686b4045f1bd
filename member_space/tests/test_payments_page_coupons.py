"""A promotion code on /espace/paiements/: the declaration's "Code promo" field, its refusals next to it, and the
pending payment showing the discounted amount in its figures and instructions."""

from decimal import Decimal

import pytest

from member_space.tests.test_payments_page import URL, declare, errors_of, text
from payments.models import Coupon, CouponKind, Payment, PaymentKind
from payments.tests.factories import PaymentMethodFactory
from subscriptions.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db

NBSP = "\xa0"


@pytest.fixture
def monthly():
    return PlanFactory(name="Mensuel", slug="mensuel", price="49.00", duration_days=30)


@pytest.fixture
def transfer():
    return PaymentMethodFactory(kind=PaymentKind.BANK_TRANSFER, label="Virement SEPA", position=1)


def test_the_form_offers_a_promotion_code_field(browser, monthly, transfer):
    assert 'name="coupon" id="id_coupon"' in text(browser.get(URL))


def test_a_code_lowers_the_amount_shown_in_the_pending_block_and_the_instructions(browser, member, monthly, transfer):
    Coupon.objects.create(code="MOINS10", kind=CouponKind.FIXED, value=Decimal("10.00"), currency="EUR")

    response = declare(browser, plan=monthly.pk, payment_method=transfer.pk, coupon="moins10")

    assert response.status_code == 302
    payment = Payment.objects.get(user=member)
    assert (payment.amount, payment.discount, payment.coupon.code) == (Decimal("39.00"), Decimal("10.00"), "MOINS10")
    html = text(browser.get(URL))
    assert f'id="pending-amount">39,00{NBSP}€</span>' in html
    assert f"Prix 49,00{NBSP}€, remise 10,00{NBSP}€ (code MOINS10)" in html
    assert f"Payez 39,00 € pour la formule Mensuel avec le code {payment.code}." in html


def test_a_refused_code_is_said_in_french_next_to_the_field_and_kept(browser, member, monthly, transfer):
    response = declare(browser, plan=monthly.pk, payment_method=transfer.pk, coupon="INCONNU")

    assert response.status_code == 400
    html = text(response)
    assert errors_of(html, "coupon") == ["Code promo invalide."]
    assert 'value="INCONNU"' in html
    assert not Payment.objects.filter(user=member).exists()


def test_a_too_long_code_is_said_in_french(browser, monthly, transfer):
    response = declare(browser, plan=monthly.pk, payment_method=transfer.pk, coupon="X" * 41)
    assert errors_of(text(response), "coupon") == ["Le code promo ne doit pas dépasser 40 caractères."]

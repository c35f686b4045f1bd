"""The payment instructions e-mail shows what a coupon changed: the list price, the code and its discount, and the
amount to pay (the figures the member space's pending payment shows)."""

import json
from decimal import Decimal

import pytest
from django.core import mail

from core.templatetags.money import NBSP
from payments.models import Coupon, CouponKind
from subscriptions.tests.factories import PlanFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("offered_methods")]

URL = "/api/auth/user/payments/"


def _declare(client, body) -> dict:
    response = client.post(URL, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_the_instructions_email_shows_the_list_price_the_coupon_and_the_amount_to_pay(
    auth_client, django_capture_on_commit_callbacks
):
    plan = PlanFactory(name="Annuel", price="449.00")
    Coupon.objects.create(code="RENTREE", kind=CouponKind.FIXED, value=Decimal("50.00"), currency="EUR")

    with django_capture_on_commit_callbacks(execute=True):
        _declare(auth_client, {"plan": plan.pk, "method": "paypal", "coupon": "rentree"})

    [message] = mail.outbox
    html = message.alternatives[0][0]
    assert f"Prix catalogue : 449,00{NBSP}€" in message.body
    assert f"Remise (code RENTREE) : −50,00{NBSP}€" in message.body
    assert f"Montant à payer : 399,00{NBSP}€" in message.body
    assert f"449,00{NBSP}€" in html and f"−50,00{NBSP}€" in html and f"399,00{NBSP}€" in html
    assert "Prix catalogue" in html and "<strong>RENTREE</strong>" in html and "Montant à payer" in html


def test_without_a_coupon_the_instructions_email_shows_one_amount(auth_client, django_capture_on_commit_callbacks):
    plan = PlanFactory(name="Mensuel", price="49.00")

    with django_capture_on_commit_callbacks(execute=True):
        _declare(auth_client, {"plan": plan.pk, "method": "paypal"})

    [message] = mail.outbox
    html = message.alternatives[0][0]
    assert f"Montant : 49,00{NBSP}€" in message.body
    for text in (message.body, html):
        assert "Prix catalogue" not in text and "Remise" not in text

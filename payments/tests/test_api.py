import json

import pytest

from accounts.tests.factories import UnverifiedUserFactory, UserFactory
from conftest import client_for
from payments.models import Payment
from payments.tests.factories import PaymentFactory
from subscriptions.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db

URL = "/api/auth/user/payments/"


def _declare(client, body, **headers):
    return client.post(URL, data=json.dumps(body), content_type="application/json", **headers)


def test_declare_returns_201_with_amount_from_the_plan(auth_client, member):
    plan = PlanFactory(price="49.00")
    response = _declare(auth_client, {"plan": plan.pk, "method": "bank_transfer", "reference": "VIR-1", "amount": "1"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["amount"] == "49.00" and body["currency"] == "EUR"
    assert body["status"] == "pending" and body["plan"]["slug"] == plan.slug
    assert Payment.objects.get(pk=body["id"]).user == member


def test_member_who_cannot_pay_gets_403_with_missing_fields():
    client = client_for(UnverifiedUserFactory())
    response = _declare(client, {"plan": PlanFactory().pk, "method": "card"})
    assert response.status_code == 403
    body = response.json()
    assert body["detail"]
    assert set(body["missing_fields"]) == {"first_name", "last_name", "email_verified", "telegram_or_discord"}
    assert not Payment.objects.exists()


def test_idempotency_key_retry_returns_200_with_the_first_payment(auth_client):
    plan = PlanFactory()
    first = _declare(auth_client, {"plan": plan.pk, "method": "card"}, HTTP_IDEMPOTENCY_KEY="abc-123")
    retry = _declare(auth_client, {"plan": plan.pk, "method": "card"}, HTTP_IDEMPOTENCY_KEY="abc-123")
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json()["id"] == first.json()["id"]
    assert Payment.objects.count() == 1


def test_without_idempotency_key_two_declarations_make_two_payments(auth_client):
    plan = PlanFactory()
    assert _declare(auth_client, {"plan": plan.pk, "method": "card"}).status_code == 201
    assert _declare(auth_client, {"plan": plan.pk, "method": "card"}).status_code == 201
    assert Payment.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"plan": 999999, "method": "card"}, "plan"),
        ({"plan": "mensuel", "method": "card"}, "plan"),
        ({"plan": None, "method": "card"}, "plan"),
        ({"method": "card"}, "plan"),
        ({"plan": "__PLAN__", "method": "cheque"}, "method"),
        ({"plan": "__PLAN__", "method": ["card"]}, "method"),
        ({"plan": "__PLAN__", "method": "card", "reference": "x" * 10_000}, "reference"),
        ({"plan": "__PLAN__", "method": "card", "reference": {"a": 1}}, "reference"),
        ({"plan": "__PLAN__", "method": "card", "note": "x" * 10_000}, "note"),
        ({"plan": 1.5, "method": "card"}, "plan"),
        ({"plan": True, "method": "card"}, "plan"),
        ({"plan": "__PLAN_AS_TEXT__", "method": "card"}, "plan"),
        ({"plan": "__PLAN__", "method": "card", "reference": 123}, "reference"),
        ({"plan": "__PLAN__", "method": "card", "note": 4.5}, "note"),
    ],
)
def test_bad_declaration_fields_are_400_naming_the_field(auth_client, body, field):
    plan = PlanFactory()
    placeholders = {"__PLAN__": plan.pk, "__PLAN_AS_TEXT__": str(plan.pk)}
    body = {key: placeholders.get(value, value) if isinstance(value, str) else value for key, value in body.items()}
    response = _declare(auth_client, body)
    assert response.status_code == 400
    assert field in response.json()
    assert not Payment.objects.exists()


def test_inactive_plan_is_400(auth_client):
    response = _declare(auth_client, {"plan": PlanFactory(is_active=False).pk, "method": "card"})
    assert response.status_code == 400
    assert "plan" in response.json()


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"', "null", "12"])
def test_malformed_or_non_object_body_is_400_json(auth_client, raw):
    response = auth_client.post(URL, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert not Payment.objects.exists()


def test_oversized_idempotency_key_is_400(auth_client):
    response = _declare(auth_client, {"plan": PlanFactory().pk, "method": "card"}, HTTP_IDEMPOTENCY_KEY="k" * 101)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]


def test_history_is_newest_first_paginated_and_only_mine(auth_client, member):
    plan = PlanFactory()
    mine = [PaymentFactory(user=member, plan=plan) for _ in range(3)]
    PaymentFactory(user=UserFactory(), plan=plan)
    response = auth_client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [row["id"] for row in body["results"]] == [p.pk for p in reversed(mine)]
    page = auth_client.get(URL, {"page_size": 2, "page": 2}).json()
    assert [row["id"] for row in page["results"]] == [mine[0].pk]


def test_history_bad_page_is_404_json(auth_client):
    response = auth_client.get(URL, {"page": "abc"})
    assert response.status_code == 404
    assert "detail" in response.json()


def test_another_members_payments_never_appear_in_my_history(auth_client):
    other = PaymentFactory(user=UserFactory(), reference="REF-AUTRE-MEMBRE")

    response = auth_client.get(URL)

    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert other.reference not in response.content.decode()


def test_payments_need_authentication(api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.post(URL, {}, format="json").status_code == 401

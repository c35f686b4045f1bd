"""Payment declarations are limited per member, on the API and the page alike (issue 12, finding 14)."""

import json

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from conftest import client_for
from payments.models import Payment
from subscriptions.tests.factories import PlanFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("offered_methods")]

URL = "/api/auth/user/payments/"


@pytest.fixture
def three_an_hour(settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "payment_declare": "3/hour"}


def _declare(client, plan):
    return client.post(URL, data=json.dumps({"plan": plan.pk, "method": "paypal"}), content_type="application/json")


def test_a_member_past_the_declaration_limit_gets_429_and_declares_nothing(three_an_hour, member):
    plan = PlanFactory()
    client = client_for(member)
    # A refused declaration (409: one is already pending) spends the budget like an accepted one.
    assert [_declare(client, plan).status_code for _ in range(3)] == [201, 409, 409]

    refused = _declare(client, plan)

    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Requête ralentie")
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert Payment.objects.filter(user=member).count() == 1
    assert client.get(URL).status_code == 200  # reading the history is not limited
    other = client_for(UserFactory())
    assert _declare(other, plan).status_code == 201  # the budget is the member's, not the address's


def test_the_page_spends_the_same_budget_and_says_so_in_french(three_an_hour, member):
    plan = PlanFactory()
    api = client_for(member)
    assert [_declare(api, plan).status_code for _ in range(3)] == [201, 409, 409]
    page = Client()
    page.force_login(member)

    answer = page.post("/espace/paiements/", {"plan": plan.pk, "method": "paypal", "idempotency_key": "page-1"})

    assert answer.status_code == 429  # as every member page past its limit (docs/architecture/throttling.md)
    assert "Trop de tentatives" in answer.content.decode()
    assert Payment.objects.filter(user=member).count() == 1


@pytest.mark.parametrize("key", ["a\x00b", "clé\x07", "\x1b[31m"])
def test_an_idempotency_key_with_control_characters_is_a_french_400(member, key):
    plan = PlanFactory()
    answer = client_for(member).post(
        URL,
        data=json.dumps({"plan": plan.pk, "method": "paypal"}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )

    assert answer.status_code == 400
    assert "caractères invalides" in answer.json()["detail"]
    assert not Payment.objects.exists()

"""Plans, public."""

import pytest

from subscriptions.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db


def test_plans_are_public_and_only_active(api_client):
    monthly = PlanFactory(name="Mensuel", slug="mensuel", price="49.00", duration_days=30, description="30 jours")
    PlanFactory(slug="ancienne", is_active=False)
    response = api_client.get("/api/plans/")
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": monthly.pk,
            "name": "Mensuel",
            "slug": "mensuel",
            "price": "49.00",
            "currency": "EUR",
            "duration_days": 30,
            "description": "30 jours",
        }
    ]


def test_plans_ignore_a_bad_token(api_client):
    PlanFactory()
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert api_client.get("/api/plans/").status_code == 200


def test_plans_refuse_writes_with_json_405(auth_client):
    for method in ("post", "put", "patch", "delete"):
        response = getattr(auth_client, method)("/api/plans/", data="{not json", content_type="application/json")
        assert response.status_code == 405, (method, response.status_code)
        assert "detail" in response.json()

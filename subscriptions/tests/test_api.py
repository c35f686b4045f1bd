"""Plans, public."""

import pytest

from formations.tests.factories import CourseFactory
from subscriptions.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db


def test_plans_are_public_and_only_active(api_client):
    monthly = PlanFactory(
        name="Mensuel",
        slug="mensuel",
        price="49.00",
        duration_days=30,
        description="30 jours",
        features="Signaux en temps réel\r\n\n  Analyse hebdomadaire  \n",
        grants_discord=False,
    )
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
            "features": ["Signaux en temps réel", "Analyse hebdomadaire"],
            "grants_telegram": True,
            "grants_discord": False,
            "is_recurring": False,
            "formations": [],
        }
    ]


def test_plans_list_the_published_formations_they_unlock(api_client):
    monthly = PlanFactory(slug="mensuel", price="49.00")
    yearly = PlanFactory(slug="annuel", price="449.00")
    advanced = CourseFactory(title="Stratégies avancées", slug="avancees", order=2, plans=[yearly])
    basics = CourseFactory(title="Les bases", slug="bases", order=1, plans=[monthly, yearly])
    CourseFactory(title="Brouillon", slug="brouillon", is_published=False, plans=[monthly, yearly])
    CourseFactory(title="Ouverte à tous", slug="ouverte")  # no plan: open to every member, unlocked by none

    plans = {plan["slug"]: plan["formations"] for plan in api_client.get("/api/plans/").json()}

    assert plans == {
        "mensuel": [{"id": basics.pk, "title": "Les bases", "slug": "bases"}],
        "annuel": [
            {"id": basics.pk, "title": "Les bases", "slug": "bases"},
            {"id": advanced.pk, "title": "Stratégies avancées", "slug": "avancees"},
        ],
    }


@pytest.mark.parametrize("plan_count", [1, 6])
def test_plans_list_takes_two_queries_whatever_the_number_of_plans(api_client, django_assert_num_queries, plan_count):
    for index in range(plan_count):
        plan = PlanFactory(slug=f"formule-{index}")
        CourseFactory(slug=f"formation-{index}", plans=[plan])
        CourseFactory(slug=f"autre-{index}", plans=[plan])

    with django_assert_num_queries(2):  # the plans, then every plan's formations at once
        response = api_client.get("/api/plans/")

    assert len(response.json()) == plan_count
    assert all(len(plan["formations"]) == 2 for plan in response.json())


def test_plans_schema_describes_features_channels_and_formations(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    plan = schema["components"]["schemas"]["Plan"]

    assert plan["properties"]["features"] == {
        "type": "array",
        "items": {"type": "string"},
        "description": "Les avantages de la formule, un par ligne écrite par l'admin.",
        "readOnly": True,
    }
    assert plan["properties"]["grants_telegram"]["type"] == "boolean"
    assert plan["properties"]["grants_discord"]["type"] == "boolean"
    formations = plan["properties"]["formations"]
    assert formations["type"] == "array"
    formation = schema["components"]["schemas"][formations["items"]["$ref"].rsplit("/", 1)[1]]
    assert set(formation["properties"]) == {"id", "title", "slug"}
    assert {"features", "grants_telegram", "grants_discord", "formations"} <= set(plan["required"])


def test_plans_ignore_a_bad_token(api_client):
    PlanFactory()
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert api_client.get("/api/plans/").status_code == 200


def test_plans_refuse_writes_with_json_405(auth_client):
    for method in ("post", "put", "patch", "delete"):
        response = getattr(auth_client, method)("/api/plans/", data="{not json", content_type="application/json")
        assert response.status_code == 405, (method, response.status_code)
        assert "detail" in response.json()

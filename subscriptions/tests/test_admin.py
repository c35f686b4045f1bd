"""The plan admin: the features an admin writes are what the plans page and GET /api/plans/ show."""

import pytest

from accounts.models import User
from subscriptions.models import Plan
from subscriptions.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(User.objects.create_superuser(email="chef@example.com", password="x"))
    return client


def test_plan_change_form_edits_the_features_one_per_line(staff_client, api_client):
    plan = PlanFactory(name="Annuel", slug="annuel", price="449.00", duration_days=365)
    form = staff_client.get(f"/admin/subscriptions/plan/{plan.pk}/change/")
    assert form.status_code == 200
    assert 'name="features"' in form.content.decode()
    assert "Une ligne par avantage" in form.content.decode()

    response = staff_client.post(
        f"/admin/subscriptions/plan/{plan.pk}/change/",
        {
            "name": "Annuel",
            "slug": "annuel",
            "price": "449.00",
            "currency": "EUR",
            "duration_days": "365",
            "trial_days": "0",
            "description": "",
            "features": "Signaux en temps réel\r\nCoaching mensuel\r\n",
            "is_active": "on",
            "grants_telegram": "on",
            "grants_discord": "on",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert Plan.objects.get(pk=plan.pk).features == "Signaux en temps réel\r\nCoaching mensuel"
    (listed,) = api_client.get("/api/plans/").json()
    assert listed["features"] == ["Signaux en temps réel", "Coaching mensuel"]

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_health_answers_ok():
    response = Client().get("/api/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_unknown_api_url_is_json_404():
    response = Client().get("/api/does-not-exist/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()

"""An unknown /api/ URL is a JSON 404 for every method: the catch-all is CSRF-exempt (found by schemathesis: a POST to
an id that does not match the route got Django's HTML CSRF page, a 403)."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_unknown_api_url_is_a_json_404_even_without_csrf_cookie(method):
    client = Client(enforce_csrf_checks=True)

    response = getattr(client, method)("/api/auth/user/notifications/null,null/dismiss/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Ressource introuvable."}

"""Error bodies are French: no English text from Django, DRF or simplejwt leaks to members."""

import pytest
import time_machine
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db

ENGLISH_MARKERS = ("matches the given query", "Token is", "token_class", "Given token", "not valid")


def assert_french_only(body: str):
    for marker in ENGLISH_MARKERS:
        assert marker not in body, body


def test_unknown_notification_id_is_a_french_404():
    response = client_for(UserFactory()).post("/api/auth/user/notifications/999999/read/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Ressource introuvable."}


def test_expired_access_token_is_refused_in_french():
    member = UserFactory()
    with time_machine.travel("2026-01-01 10:00:00+00:00", tick=False):
        token = str(RefreshToken.for_user(member).access_token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    with time_machine.travel("2026-01-02 10:00:00+00:00", tick=False):
        response = client.get("/api/auth/user/profile/")

    assert response.status_code == 401
    assert "messages" not in response.json()
    assert_french_only(response.content.decode())


def test_forged_access_token_is_refused_in_french():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")

    response = client.get("/api/auth/user/profile/")

    assert response.status_code == 401
    assert_french_only(response.content.decode())

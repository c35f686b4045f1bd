"""A new member goes from registration to "can pay" through the API alone, reading the e-mail like a person."""

import pytest
from rest_framework.test import APIClient

from accounts.tests.conftest import token_from_last_mail

pytestmark = pytest.mark.django_db


def test_register_verify_fill_profile_then_can_pay(post):
    email, password = "ada.lovelace@example.com", "Analytical-Engine-1843"
    assert post("/api/auth/register/", {"email": email, "password": password, "accept_terms": True}).status_code == 201
    tokens = post("/api/auth/login/", {"email": email, "password": password}).json()
    member = APIClient()
    member.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    def eligibility():
        return member.get("/api/auth/user/payment-eligibility/").json()

    assert eligibility() == {
        "can_make_payment": False,
        "missing_fields": ["first_name", "last_name", "email_verified", "telegram_or_discord"],
    }

    assert post("/api/auth/verify-email/", {"token": token_from_last_mail(email)}).status_code == 200
    assert eligibility()["missing_fields"] == ["first_name", "last_name", "telegram_or_discord"]

    member.patch("/api/auth/user/profile/", {"first_name": "Ada", "last_name": "Lovelace"}, format="json")
    assert eligibility() == {"can_make_payment": False, "missing_fields": ["telegram_or_discord"]}

    response = member.patch("/api/auth/user/profile/", {"telegram_username": "@ada_lovelace"}, format="json")
    assert response.status_code == 200
    assert response.json()["can_make_payment"] is True
    assert eligibility() == {"can_make_payment": True, "missing_fields": []}

"""JWT authentication: who a token lets in, and when an issued token stops working (issue 12, findings 1 and 14)."""

import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.tests.conftest import token_from_last_mail
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROFILE = "/api/auth/user/profile/"
PASSWORD = "MotDePasse123!"


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def login(post, member) -> dict:
    answer = post("/api/auth/login/", {"email": member.email, "password": PASSWORD})
    assert answer.status_code == 200
    return answer.json()


def test_an_access_token_from_before_a_password_reset_is_refused_at_once(post):
    member = UserFactory()
    tokens = login(post, member)
    assert bearer(tokens["access"]).get(PROFILE).status_code == 200

    post("/api/auth/password-reset/", {"email": member.email})
    reset = post(
        "/api/auth/password-reset/confirm/",
        {"token": token_from_last_mail(member.email), "new_password": "Nouveau-Secret-42"},
    )
    assert reset.status_code == 200

    refused = bearer(tokens["access"]).get(PROFILE)
    assert refused.status_code == 401
    assert post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]}).status_code == 401
    fresh = post("/api/auth/login/", {"email": member.email, "password": "Nouveau-Secret-42"}).json()
    assert bearer(fresh["access"]).get(PROFILE).status_code == 200


def test_tokens_from_before_a_password_change_are_refused_and_cannot_be_refreshed(post):
    member = UserFactory()
    tokens = login(post, member)

    member.set_password("Change-Par-Admin-77")  # the admin's "change password" form, or any other path
    member.save(update_fields=["password"])

    assert bearer(tokens["access"]).get(PROFILE).status_code == 401
    refreshed = post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert refreshed.status_code == 401
    assert refreshed.json()["detail"] == "Jeton de rafraîchissement invalide, expiré ou révoqué."


def test_a_refreshed_access_token_keeps_working_while_the_password_is_unchanged(post):
    member = UserFactory()
    tokens = login(post, member)

    refreshed = post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]})

    assert refreshed.status_code == 200
    assert bearer(refreshed.json()["access"]).get(PROFILE).status_code == 200


def test_a_deactivated_member_is_refused():
    member = UserFactory()
    access = str(AccessToken.for_user(member))
    member.is_active = False
    member.save(update_fields=["is_active"])

    assert bearer(access).get(PROFILE).status_code == 401


def test_a_deleted_member_is_refused():
    member = UserFactory()
    access = str(AccessToken.for_user(member))
    member.delete()

    assert bearer(access).get(PROFILE).status_code == 401


@pytest.mark.parametrize("claim", ["abc", "1.5", "-3", "", "9" * 30, 1.5, -1, 2**70, [1], {"id": 1}, None, True])
def test_a_correctly_signed_token_with_a_member_id_that_is_not_an_id_is_a_401(claim, post):
    member = UserFactory()
    access = AccessToken.for_user(member)
    access[settings.SIMPLE_JWT.get("USER_ID_CLAIM", "user_id")] = claim
    refresh = RefreshToken.for_user(member)
    refresh["user_id"] = claim

    answer = bearer(str(access)).get(PROFILE)
    refreshed = post("/api/auth/token/refresh/", {"refresh": str(refresh)})

    assert answer.status_code == 401
    assert answer["Content-Type"] == "application/json"
    assert refreshed.status_code == 401

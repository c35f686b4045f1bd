import pytest
from rest_framework.test import APIClient

from accounts.tests.conftest import bearer_client
from accounts.tests.factories import UnverifiedUserFactory, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login/"
REFRESH = "/api/auth/token/refresh/"
LOGOUT = "/api/auth/logout/"
PASSWORD = "MotDePasse123!"
WRONG = {"detail": "Adresse e-mail ou mot de passe incorrect."}


def login(post, email, password=PASSWORD):
    return post(LOGIN, {"email": email, "password": password})


def test_login_returns_a_jwt_pair_and_the_profile(post):
    user = UserFactory(email="jean@example.com")

    response = login(post, "JEAN@example.com")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["user"]["email"] == "jean@example.com"
    assert body["user"]["can_make_payment"] is True
    profile = APIClient()
    profile.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert profile.get("/api/auth/user/profile/").json()["id"] == user.pk
    user.refresh_from_db()
    assert user.last_login is not None


def test_unknown_email_and_wrong_password_get_the_same_401(post):
    UserFactory(email="jean@example.com")

    unknown = login(post, "personne@example.com")
    wrong_password = login(post, "jean@example.com", "mauvais")

    assert unknown.status_code == wrong_password.status_code == 401
    assert unknown.json() == wrong_password.json() == WRONG


def test_an_inactive_member_gets_the_same_401(post):
    UserFactory(email="parti@example.com", is_active=False)

    response = login(post, "parti@example.com")

    assert response.status_code == 401
    assert response.json() == WRONG


def test_an_unverified_member_may_log_in(post):
    UnverifiedUserFactory(email="nouveau@example.com")

    response = login(post, "nouveau@example.com")

    assert response.status_code == 200
    assert response.json()["user"]["is_verified"] is False


def test_login_requires_both_fields_in_french(post):
    response = post(LOGIN, {})

    assert response.status_code == 400
    assert response.json() == {"email": ["Ce champ est obligatoire."], "password": ["Ce champ est obligatoire."]}


def test_refresh_rotates_and_the_old_refresh_is_rejected(post):
    UserFactory(email="jean@example.com")
    first = login(post, "jean@example.com").json()["refresh"]

    rotated = post(REFRESH, {"refresh": first})

    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    assert rotated.json()["refresh"] != first
    reused = post(REFRESH, {"refresh": first})
    assert reused.status_code == 401
    assert reused.json()["detail"] == "Jeton de rafraîchissement invalide, expiré ou révoqué."
    assert post(REFRESH, {"refresh": rotated.json()["refresh"]}).status_code == 200


def test_refresh_with_garbage_is_401_json(post):
    response = post(REFRESH, {"refresh": "pas-un-jeton"})

    assert response.status_code == 401
    assert response.json()["detail"] == "Jeton de rafraîchissement invalide, expiré ou révoqué."


def test_logout_blacklists_the_refresh_token(post):
    user = UserFactory(email="jean@example.com")
    refresh = login(post, "jean@example.com").json()["refresh"]

    response = post(LOGOUT, {"refresh": refresh}, client=bearer_client(user))

    assert response.status_code == 205
    assert response.content == b""
    after = post(REFRESH, {"refresh": refresh})
    assert after.status_code == 401
    assert after.json()["detail"] == "Jeton de rafraîchissement invalide, expiré ou révoqué."


def test_logout_needs_a_bearer_token(post):
    UserFactory(email="jean@example.com")
    refresh = login(post, "jean@example.com").json()["refresh"]

    response = post(LOGOUT, {"refresh": refresh})

    assert response.status_code == 401
    assert post(REFRESH, {"refresh": refresh}).status_code == 200


def test_logout_refuses_another_members_refresh_token(post):
    UserFactory(email="jean@example.com")
    someone_else = UserFactory()
    refresh = login(post, "jean@example.com").json()["refresh"]

    response = post(LOGOUT, {"refresh": refresh}, client=bearer_client(someone_else))

    assert response.status_code == 400
    assert response.json() == {"refresh": ["Jeton invalide ou expiré."]}
    assert post(REFRESH, {"refresh": refresh}).status_code == 200


def test_logout_with_an_invalid_token_is_a_french_field_error(post, member):
    response = post(LOGOUT, {"refresh": "n-importe-quoi"}, client=bearer_client(member))

    assert response.status_code == 400
    assert response.json() == {"refresh": ["Jeton invalide ou expiré."]}


def test_refresh_of_a_member_deactivated_since_is_refused(post):
    user = UserFactory(email="jean@example.com")
    refresh = login(post, "jean@example.com").json()["refresh"]
    user.is_active = False
    user.save()

    response = post(REFRESH, {"refresh": refresh})

    assert response.status_code == 401
    assert response.json()["detail"] == "Jeton de rafraîchissement invalide, expiré ou révoqué."

import pytest

from accounts.models import User
from accounts.tests.conftest import bearer_client
from accounts.tests.factories import UnverifiedUserFactory, UserFactory

pytestmark = pytest.mark.django_db

PROFILE = "/api/auth/user/profile/"
ELIGIBILITY = "/api/auth/user/payment-eligibility/"
PROFILE_KEYS = {
    "id",
    "email",
    "first_name",
    "last_name",
    "is_verified",
    "telegram_username",
    "discord_username",
    "whatsapp_number",
    "can_make_payment",
    "trading_experience",
    "preferred_markets",
    "risk_tolerance",
    "email_reminders",
    "date_joined",
}


def test_get_profile_shows_the_members_own_profile(auth_client, member):
    response = auth_client.get(PROFILE)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == PROFILE_KEYS
    assert body["id"] == member.pk
    assert body["email"] == member.email
    assert body["can_make_payment"] is True
    assert body["date_joined"].endswith("+01:00") or body["date_joined"].endswith("+02:00")


def test_profile_needs_authentication(api_client):
    assert api_client.get(PROFILE).status_code == 401
    assert api_client.patch(PROFILE, {"first_name": "X"}, format="json").status_code == 401
    assert api_client.get(ELIGIBILITY).status_code == 401


def test_patch_normalises_contacts_and_preferences(auth_client, member):
    response = auth_client.patch(
        PROFILE,
        {
            "first_name": "  Jeanne ",
            "telegram_username": "@jeanne_trade",
            "discord_username": "jeanne.trade",
            "whatsapp_number": "06 12 34 56 78",
            "trading_experience": "advanced",
            "preferred_markets": ["crypto", "forex", "crypto"],
            "risk_tolerance": "low",
            "email_reminders": False,
        },
        format="json",
    )

    assert response.status_code == 200
    member.refresh_from_db()
    assert member.first_name == "Jeanne"
    assert member.telegram_username == "jeanne_trade"
    assert member.discord_username == "jeanne.trade"
    assert member.whatsapp_number == "+33612345678"
    assert member.trading_experience == "advanced"
    assert member.preferred_markets == ["forex", "crypto"]
    assert member.risk_tolerance == "low"
    assert member.email_reminders is False
    assert response.json()["whatsapp_number"] == "+33612345678"
    assert response.json()["telegram_username"] == "jeanne_trade"


def test_patch_accepts_the_legacy_discord_form(auth_client, member):
    response = auth_client.patch(PROFILE, {"discord_username": "Jean Dupont#1234"}, format="json")

    assert response.status_code == 200
    member.refresh_from_db()
    assert member.discord_username == "Jean Dupont#1234"


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("telegram_username", "abc", "Nom d'utilisateur Telegram invalide"),
        ("telegram_username", "@avec-tiret", "Nom d'utilisateur Telegram invalide"),
        ("discord_username", "Majuscules", "Nom d'utilisateur Discord invalide"),
        ("discord_username", "a..b", "Nom d'utilisateur Discord invalide"),
        ("whatsapp_number", "12", "Numéro WhatsApp invalide"),
        ("whatsapp_number", "+33 1", "Numéro WhatsApp invalide"),
        ("trading_experience", "expert", "n'est pas un choix valide"),
        ("risk_tolerance", "extreme", "n'est pas un choix valide"),
        ("email_reminders", "peut-être", "booléen"),
    ],
)
def test_patch_refuses_invalid_values_with_the_field_named_in_french(auth_client, member, field, value, expected):
    before = User.objects.values().get(pk=member.pk)

    response = auth_client.patch(PROFILE, {field: value}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert expected in response.json()[field][0]
    assert User.objects.values().get(pk=member.pk) == before


def test_patch_refuses_an_unknown_market(auth_client):
    response = auth_client.patch(PROFILE, {"preferred_markets": ["forex", "immobilier"]}, format="json")

    assert response.status_code == 400
    assert "preferred_markets" in response.json()


def test_member_cannot_write_protected_fields():
    member = UnverifiedUserFactory(
        email="nouveau@example.com", first_name="A", last_name="B", telegram_username="abcde"
    )
    client = bearer_client(member)

    response = client.patch(
        PROFILE,
        {
            "email": "pirate@example.com",
            "is_verified": True,
            "can_make_payment": True,
            "is_staff": True,
            "is_superuser": True,
            "id": 999,
            "date_joined": "2000-01-01T00:00:00Z",
            "first_name": "Alice",
        },
        format="json",
    )

    assert response.status_code == 200
    member.refresh_from_db()
    assert member.first_name == "Alice"
    assert member.email == "nouveau@example.com"
    assert member.is_verified is False
    assert member.can_make_payment is False
    assert member.is_staff is False
    assert member.is_superuser is False
    assert member.date_joined.year != 2000
    assert response.json()["can_make_payment"] is False


def test_clearing_the_only_contact_removes_payment_eligibility(auth_client, member):
    assert member.can_make_payment

    response = auth_client.patch(PROFILE, {"telegram_username": ""}, format="json")

    assert response.status_code == 200
    assert response.json()["can_make_payment"] is False
    member.refresh_from_db()
    assert member.can_make_payment is False
    assert auth_client.get(ELIGIBILITY).json() == {"can_make_payment": False, "missing_fields": ["telegram_or_discord"]}


def test_put_is_not_allowed(auth_client):
    response = auth_client.put(PROFILE, {"first_name": "X"}, format="json")

    assert response.status_code == 405
    assert "detail" in response.json()


def test_eligibility_of_a_complete_member(auth_client):
    response = auth_client.get(ELIGIBILITY)

    assert response.status_code == 200
    assert response.json() == {"can_make_payment": True, "missing_fields": []}


def test_eligibility_lists_every_missing_field():
    client = bearer_client(UnverifiedUserFactory())

    response = client.get(ELIGIBILITY)

    assert response.json() == {
        "can_make_payment": False,
        "missing_fields": ["first_name", "last_name", "email_verified", "telegram_or_discord"],
    }


def test_discord_alone_is_enough_to_pay():
    member = UserFactory(telegram_username="", discord_username="jean.trade")

    response = bearer_client(member).get(ELIGIBILITY)

    assert response.json() == {"can_make_payment": True, "missing_fields": []}

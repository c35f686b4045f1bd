import pytest

from accounts.models import User
from accounts.tests.factories import UnverifiedUserFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/user/"

# Management forms of the payments, subscriptions and channel inlines shown on a member's page.
NO_INLINE_ROWS = {
    f"{prefix}-{key}": "0"
    for prefix in ("payments", "subscriptions", "channel_memberships", "channel_actions")
    for key in ("TOTAL_FORMS", "INITIAL_FORMS")
}


@pytest.fixture
def staff_client(client):
    admin = User.objects.create_superuser(email="chef@example.com", password="x")
    client.force_login(admin)
    return client


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?q=jeandupont",
        "?q=Dupont",
        "?q=jean%231234",
        "?is_verified__exact=1",
        "?is_verified__exact=0",
        "?profil_complet=oui",
        "?profil_complet=non",
        "?can_make_payment__exact=1",
        "?can_make_payment__exact=0",
        "?is_verified__exact=1&profil_complet=oui&can_make_payment__exact=1&q=jean",
    ],
)
def test_changelist_search_and_filters_load(staff_client, query):
    UserFactory(first_name="Jean", last_name="Dupont", telegram_username="jeandupont", discord_username="jean#1234")

    response = staff_client.get(CHANGELIST + query)

    assert response.status_code == 200


def _listed_emails(response) -> set[str]:
    return {user.email for user in response.context["cl"].result_list}


def test_search_finds_members_by_email_name_telegram_and_discord(staff_client):
    UserFactory(email="a@example.com", telegram_username="tele_gram")
    UserFactory(email="b@example.com", discord_username="disco.rd", telegram_username="")
    UserFactory(email="c@example.com", last_name="Lovelace")

    assert _listed_emails(staff_client.get(CHANGELIST + "?q=tele_gram")) == {"a@example.com"}
    assert _listed_emails(staff_client.get(CHANGELIST + "?q=disco.rd")) == {"b@example.com"}
    assert _listed_emails(staff_client.get(CHANGELIST + "?q=lovelace")) == {"c@example.com"}
    assert _listed_emails(staff_client.get(CHANGELIST + "?q=b%40example")) == {"b@example.com"}


def test_complete_profile_filter_ignores_verification_while_can_pay_needs_it(staff_client):
    UserFactory(email="paie@example.com")
    UserFactory(email="pas-verifie@example.com", is_verified=False)
    UnverifiedUserFactory(email="vide@example.com")

    complete = _listed_emails(staff_client.get(CHANGELIST + "?profil_complet=oui"))
    incomplete = _listed_emails(staff_client.get(CHANGELIST + "?profil_complet=non"))
    can_pay = _listed_emails(staff_client.get(CHANGELIST + "?can_make_payment__exact=1"))

    assert complete == {"paie@example.com", "pas-verifie@example.com"}
    assert {"vide@example.com", "chef@example.com"} <= incomplete
    assert can_pay == {"paie@example.com"}


def test_change_form_recomputes_can_make_payment_and_shows_it_read_only(staff_client):
    user = UnverifiedUserFactory(email="membre@example.com")
    url = f"/admin/accounts/user/{user.pk}/change/"
    page = staff_client.get(url)
    assert page.status_code == 200
    assert 'name="can_make_payment"' not in page.content.decode()

    response = staff_client.post(
        url,
        {
            "email": "membre@example.com",
            "first_name": "Marie",
            "last_name": "Curie",
            "telegram_username": "@marie_curie",
            "discord_username": "",
            "whatsapp_number": "0612345678",
            "trading_experience": "beginner",
            "preferred_markets": ["forex", "stocks"],
            "risk_tolerance": "",
            "email_reminders": "on",
            "is_verified": "on",
            "is_active": "on",
            "can_make_payment": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
            **NO_INLINE_ROWS,
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.can_make_payment is True
    assert user.telegram_username == "marie_curie"
    assert user.whatsapp_number == "+33612345678"
    assert user.preferred_markets == ["forex", "stocks"]


def test_change_form_reports_an_invalid_contact_on_its_field(staff_client):
    user = UserFactory(email="membre@example.com")

    response = staff_client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {"email": "membre@example.com", "telegram_username": "x", "discord_username": "NOPE", "is_active": "on"},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Nom d'utilisateur Telegram invalide" in errors["telegram_username"][0]
    assert "Nom d'utilisateur Discord invalide" in errors["discord_username"][0]


def test_add_form_creates_a_member_with_an_email_login(staff_client):
    response = staff_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "Ajout@Example.com",
            "first_name": "Paul",
            "last_name": "Dirac",
            "usable_password": "true",
            "password1": "Quantique-1928",
            "password2": "Quantique-1928",
            **NO_INLINE_ROWS,
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email__iexact="ajout@example.com")
    assert user.check_password("Quantique-1928")
    assert user.can_make_payment is False


def test_add_form_refuses_an_email_taken_in_another_case(staff_client):
    UserFactory(email="pris@example.com")

    response = staff_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "PRIS@example.com",
            "usable_password": "true",
            "password1": "Quantique-1928",
            "password2": "Quantique-1928",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == ["Un compte existe déjà avec cette adresse e-mail."]
    assert User.objects.filter(email__iexact="pris@example.com").count() == 1


def test_staff_logs_into_the_admin_with_the_email_in_any_case(client):
    User.objects.create_superuser(email="chef@example.com", password="Chef-Secret-1")

    response = client.post(
        "/admin/login/?next=/admin/", {"username": "CHEF@example.com", "password": "Chef-Secret-1", "next": "/admin/"}
    )

    assert response.status_code == 302
    assert client.get(CHANGELIST).status_code == 200

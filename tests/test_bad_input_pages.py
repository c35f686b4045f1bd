"""The /espace/ pages refuse hostile input (issue 12, item 9) with the page re-rendered and a French message, never an
HTML 500: NUL bytes in every field of every form (PostgreSQL text refuses NUL), lone surrogates (a form body can only
carry their UTF-8 bytes, which Django decodes to U+FFFD), and signal date filters at the ends of the calendar.

Run on SQLite and on PostgreSQL (DATABASE_URL): NUL only fails on PostgreSQL.
"""

from urllib.parse import quote

import pytest
from django.core import mail
from django.test import Client

from accounts.tests.factories import UserFactory
from payments.models import Payment
from subscriptions.tests.factories import PlanFactory
from tests.hostile import EXTREME_DATES, HOSTILE_STRINGS, NUL_STRINGS

pytestmark = pytest.mark.django_db

NUL_REFUSED = "Le caractère nul n’est pas autorisé."
INVALID_EMAIL = "Saisissez une adresse e-mail valide."
DATE_OUT_OF_RANGE = "Date hors limites : choisissez une date du 0001-01-02 au 9999-12-30."
PASSWORD = "Zk3!pqrstu9-long"

# (url, logged in, a valid form): every form of the member space that takes text.
FORMS = [
    ("/espace/connexion/", False, {"username": "a@example.com", "password": PASSWORD}),
    (
        "/espace/inscription/",
        False,
        {"email": "a@example.com", "password": PASSWORD, "first_name": "A", "last_name": "B", "accept_terms": "on"},
    ),
    ("/espace/verifier-email/renvoyer/", False, {"email": "a@example.com"}),
    ("/espace/mot-de-passe/oublie/", False, {"email": "a@example.com"}),
    ("/espace/verifier-email/", False, {"token": "t"}),
    ("/espace/mot-de-passe/reinitialiser/", False, {"token": "t", "new_password": PASSWORD, "new_password2": PASSWORD}),
    (
        "/espace/profil/",
        True,
        {
            "first_name": "A",
            "last_name": "B",
            "telegram_username": "jeandupont",
            "discord_username": "",
            "whatsapp_number": "",
            "trading_experience": "beginner",
            "preferred_markets": "forex",
            "risk_tolerance": "low",
        },
    ),
    (
        "/espace/paiements/",
        True,
        {"plan": "1", "method": "card", "reference": "R1", "note": "", "idempotency_key": "k" * 32},
    ),
]
FIELD_CASES = [pytest.param(url, auth, form, field, id=f"{url}-{field}") for url, auth, form in FORMS for field in form]
# Where a NUL byte gets another French answer than the field's own refusal.
NUL_ANSWERED_OTHERWISE = {
    ("/espace/verifier-email/", "token"): "the link is invalid",
    ("/espace/mot-de-passe/reinitialiser/", "token"): "the link is invalid",
    ("/espace/mot-de-passe/reinitialiser/", "new_password"): "the link is checked first",
    ("/espace/mot-de-passe/reinitialiser/", "new_password2"): "the link is checked first",
    ("/espace/paiements/", "plan"): "an unknown plan",
    ("/espace/paiements/", "idempotency_key"): "its own test below",
    ("/espace/inscription/", "accept_terms"): "a checkbox: anything but 'on' is no consent",
}
# The e-mail of these forms must be refused with a message (not answered "if an account matches…").
EMAIL_FORMS = [
    ("/espace/mot-de-passe/oublie/", "email"),
    ("/espace/verifier-email/renvoyer/", "email"),
    ("/espace/connexion/", "username"),
    ("/espace/inscription/", "email"),
]


def _browser(auth: bool) -> Client:
    client = Client(raise_request_exception=False)
    if auth:
        client.force_login(UserFactory.create())
    return client


def _post_form(client: Client, url: str, form: dict[str, str]):
    """Posted as a browser does, url-encoded UTF-8; a lone surrogate can only travel as its three UTF-8 bytes."""
    body = "&".join(f"{quote(key)}={quote(value.encode('utf-8', 'surrogatepass'))}" for key, value in form.items())
    return client.post(url, body, content_type="application/x-www-form-urlencoded", follow=True)


def _page(response) -> str:
    assert response.status_code < 500, response.content[:300]
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


@pytest.mark.parametrize(("url", "auth", "form", "field"), FIELD_CASES)
@pytest.mark.parametrize("value", HOSTILE_STRINGS, ids=repr)
def test_a_hostile_string_in_any_form_field_never_errors(url, auth, form, field, value):
    if url == "/espace/paiements/":
        form = {**form, "plan": str(PlanFactory().pk)}

    response = _post_form(_browser(auth), url, {**form, field: value})

    page = _page(response)
    if value in NUL_STRINGS and (url, field) not in NUL_ANSWERED_OTHERWISE:
        assert NUL_REFUSED in page or "n&#x27;est pas un choix valide" in page, page


@pytest.mark.parametrize(("url", "field"), EMAIL_FORMS)
@pytest.mark.parametrize("value", NUL_STRINGS, ids=repr)
def test_a_nul_byte_in_an_email_is_refused_in_french(url, field, value):
    form = {"username" if field == "username" else "email": value, "password": PASSWORD}

    response = _browser(auth=False).post(url, form, follow=True)

    page = _page(response)
    assert NUL_REFUSED in page
    assert response.redirect_chain == [] or url == "/espace/verifier-email/renvoyer/"
    assert mail.outbox == []


@pytest.mark.parametrize("url", ["/espace/mot-de-passe/oublie/", "/espace/verifier-email/renvoyer/"])
@pytest.mark.parametrize("value", ["pas-une-adresse", " "])
def test_reset_and_resend_forms_refuse_what_is_not_an_address(url, value):
    UserFactory(email="a@example.com", is_verified=False)

    response = _browser(auth=False).post(url, {"email": value}, follow=True)

    page = _page(response)
    assert INVALID_EMAIL in page or "Ce champ ne peut être vide." in page
    assert "un e-mail vient d&#x27;être envoyé" not in page
    assert "un nouveau lien vient d&#x27;être envoyé" not in page


def test_the_reset_form_answers_400_to_a_nul_byte():
    response = _browser(auth=False).post("/espace/mot-de-passe/oublie/", {"email": "a\x00@example.com"})

    assert response.status_code == 400
    assert NUL_REFUSED in response.content.decode()


def test_a_nul_byte_in_the_payment_forms_hidden_key_declares_nothing():
    client = _browser(auth=True)
    plan = PlanFactory()

    response = client.post(
        "/espace/paiements/", {"plan": str(plan.pk), "method": "card", "idempotency_key": "a\x00b"}, follow=True
    )

    assert "Requête invalide : rechargez la page et recommencez." in _page(response)
    assert Payment.objects.count() == 0


@pytest.mark.parametrize("parameter", ["date_from", "date_to"])
@pytest.mark.parametrize("day", EXTREME_DATES)
def test_the_signals_page_shows_a_french_message_for_a_day_at_the_end_of_the_calendar(parameter, day):
    response = _browser(auth=True).get("/espace/signaux/", {parameter: day})

    assert response.status_code == 200
    assert DATE_OUT_OF_RANGE in response.content.decode()

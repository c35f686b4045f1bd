from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail

from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/auth/register/"
PASSWORD = "Zk3!pqrstu9"


def test_register_creates_an_unverified_member_and_sends_a_french_verification_mail(post, settings):
    settings.FRONTEND_URL = "https://app.example.com/espace"

    response = post(
        URL, {"email": "Nouveau@Example.COM", "password": PASSWORD, "accept_terms": True, "first_name": "Ada"}
    )

    assert response.status_code == 201
    user = User.objects.get()
    assert user.email == "Nouveau@example.com"
    assert not user.is_verified
    assert not user.can_make_payment
    assert user.check_password(PASSWORD)
    assert user.first_name == "Ada"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["Nouveau@example.com"]
    assert "Confirmez votre adresse" in message.subject
    assert "Bonjour Ada" in message.body
    assert "https://app.example.com/espace/verifier-email/?token=" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Confirmer mon adresse" in html
    assert "https://app.example.com/espace/verifier-email/?token=" in html


def test_register_with_a_taken_email_answers_the_same_and_warns_the_owner(post):
    owner = UserFactory(email="jean@example.com")
    first = post(URL, {"email": "new@example.com", "password": PASSWORD, "accept_terms": True})
    mail.outbox.clear()

    response = post(URL, {"email": "JEAN@example.com", "password": PASSWORD, "accept_terms": True})

    assert response.status_code == first.status_code == 201
    assert response.json() == first.json()
    assert User.objects.filter(email__iexact="jean@example.com").count() == 1
    owner.refresh_from_db()
    assert not owner.check_password(PASSWORD)
    assert len(mail.outbox) == 1
    assert "Tentative d'inscription" in mail.outbox[0].subject
    assert "token=" not in mail.outbox[0].body
    assert mail.outbox[0].alternatives[0][1] == "text/html"


def test_registering_the_same_email_twice_in_different_case_keeps_one_account(post):
    first = post(URL, {"email": "dup@example.com", "password": PASSWORD, "accept_terms": True})
    second = post(URL, {"email": "DUP@Example.com", "password": PASSWORD, "accept_terms": True})

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": PASSWORD, "accept_terms": True}, "email"),
        ({"email": "pas-une-adresse", "password": PASSWORD, "accept_terms": True}, "email"),
        ({"email": "a@example.com", "accept_terms": True}, "password"),
        ({"email": "a@example.com", "password": "123", "accept_terms": True}, "password"),
        ({"email": "a@example.com", "password": "password", "accept_terms": True}, "password"),
        ({"email": "a@example.com", "password": PASSWORD, "accept_terms": True, "first_name": "x" * 151}, "first_name"),
    ],
)
def test_register_refuses_invalid_fields_in_french(post, body, field):
    response = post(URL, body)

    assert response.status_code == 400
    assert field in response.json()
    assert User.objects.count() == 0
    message = " ".join(response.json()[field])
    assert any(word in message for word in ("Ce champ", "Saisissez", "mot de passe", "caractères", "adresse"))


def test_register_password_too_similar_to_email_is_refused(post):
    response = post(
        URL, {"email": "marguerite.duras@example.com", "password": "marguerite.duras", "accept_terms": True}
    )

    assert response.status_code == 400
    assert "password" in response.json()


# Consent to the terms and the privacy notice (issue 17)


def test_registration_records_the_consented_versions_and_the_date(post, settings):
    settings.TERMS_VERSION, settings.PRIVACY_VERSION = "2026-11-28", "2026-12-01"

    with time_machine.travel(datetime(2026, 11, 28, 10, 0, tzinfo=UTC), tick=False):
        assert post(URL, {"email": "ok@example.com", "password": PASSWORD, "accept_terms": True}).status_code == 201

    user = User.objects.get()
    assert (user.terms_version, user.privacy_version) == ("2026-11-28", "2026-12-01")
    assert user.terms_accepted_at == user.privacy_accepted_at == datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("consent", [{}, {"accept_terms": False}, {"accept_terms": "non"}])
def test_registration_without_consent_is_refused_in_french(post, consent):
    response = post(URL, {"email": "ok@example.com", "password": PASSWORD, **consent})

    assert response.status_code == 400
    assert list(response.json()) == ["accept_terms"]
    assert not User.objects.exists()
    assert mail.outbox == []


def test_the_register_page_needs_the_box_ticked_and_links_the_two_notices(client):
    page = client.get("/espace/inscription/").content.decode()
    refused = client.post("/espace/inscription/", {"email": "ok@example.com", "password": PASSWORD})

    assert 'name="accept_terms"' in page
    assert 'href="/espace/conditions/"' in page and 'href="/espace/confidentialite/"' in page
    assert "Acceptez les conditions d&#x27;utilisation" in refused.content.decode()
    assert not User.objects.exists()


def test_the_terms_and_privacy_pages_are_served_with_their_version(client, settings):
    settings.TERMS_VERSION, settings.PRIVACY_VERSION = "v-termes-7", "v-vie-privee-3"

    terms = client.get("/espace/conditions/")
    privacy = client.get("/espace/confidentialite/")

    assert terms.status_code == privacy.status_code == 200
    assert "Conditions d'utilisation" in terms.content.decode() and "v-termes-7" in terms.content.decode()
    assert "Politique de confidentialité" in privacy.content.decode() and "v-vie-privee-3" in privacy.content.decode()

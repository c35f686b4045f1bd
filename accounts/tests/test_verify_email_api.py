from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from accounts import services
from accounts.models import User
from accounts.tests.conftest import token_from_last_mail
from accounts.tests.factories import UnverifiedUserFactory, UserFactory
from core.clock import now

pytestmark = pytest.mark.django_db

URL = "/api/auth/verify-email/"
RESEND_URL = "/api/auth/resend-verification/"


def test_token_from_the_email_verifies_the_address(post):
    post("/api/auth/register/", {"email": "ada@example.com", "password": "Zk3!pqrstu9", "accept_terms": True})
    token = token_from_last_mail("ada@example.com")

    response = post(URL, {"token": token})

    assert response.status_code == 200
    assert response.json()["detail"] == "Votre adresse e-mail est confirmée."
    assert User.objects.get(email="ada@example.com").is_verified


def test_a_used_token_is_refused(post):
    user = UnverifiedUserFactory()
    token = services.make_email_verification_token(user=user)
    assert post(URL, {"token": token}).status_code == 200

    response = post(URL, {"token": token})

    assert response.status_code == 400
    assert response.json() == {"token": ["Ce lien a déjà été utilisé ou n'est plus valide."]}


def test_a_token_works_until_its_48_hours_are_over(post, settings):
    settings.EMAIL_VERIFICATION_MAX_AGE_HOURS = 48
    on_time, late = UnverifiedUserFactory(), UnverifiedUserFactory()
    start = now()
    with time_machine.travel(start, tick=False):
        on_time_token = services.make_email_verification_token(user=on_time)
        late_token = services.make_email_verification_token(user=late)

    with time_machine.travel(start + timedelta(hours=47, minutes=59), tick=False):
        assert post(URL, {"token": on_time_token}).status_code == 200
    with time_machine.travel(start + timedelta(hours=48, minutes=1), tick=False):
        response = post(URL, {"token": late_token})

    assert response.status_code == 400
    assert response.json() == {"token": ["Ce lien a expiré. Demandez-en un nouveau."]}
    late.refresh_from_db()
    assert not late.is_verified


@pytest.mark.parametrize(
    "token",
    ["n-importe-quoi", "", "eyJ1IjoxLCJmIjoiYWJjIn0:1tZ5kX:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
)
def test_a_forged_token_is_refused(post, token):
    UnverifiedUserFactory()

    response = post(URL, {"token": token})

    assert response.status_code == 400
    assert "token" in response.json()
    assert not User.objects.filter(is_verified=True).exists()


def test_a_password_reset_token_cannot_verify_an_email(post):
    user = UnverifiedUserFactory()

    response = post(URL, {"token": services.make_password_reset_token(user=user)})

    assert response.status_code == 400
    assert response.json() == {"token": ["Ce lien est invalide."]}


def test_resend_sends_a_new_link_to_an_unverified_member(post):
    user = UnverifiedUserFactory(email="lent@example.com")

    response = post(RESEND_URL, {"email": "LENT@example.com"})

    assert response.status_code == 202
    assert len(mail.outbox) == 1
    assert post(URL, {"token": token_from_last_mail(user.email)}).status_code == 200


@pytest.mark.parametrize("email", ["inconnu@example.com", "verifie@example.com"])
def test_resend_answers_202_without_sending_for_unknown_or_verified_addresses(post, email):
    UserFactory(email="verifie@example.com")
    known = post(RESEND_URL, {"email": "autre@example.com"})

    response = post(RESEND_URL, {"email": email})

    assert response.status_code == 202
    assert response.json() == known.json()
    assert mail.outbox == []


def test_resend_refuses_an_invalid_email_in_french(post):
    response = post(RESEND_URL, {"email": "pas-une-adresse"})

    assert response.status_code == 400
    assert response.json() == {"email": ["Saisissez une adresse e-mail valide."]}

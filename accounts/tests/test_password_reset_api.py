from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from accounts import services
from accounts.tests.conftest import token_from_last_mail
from accounts.tests.factories import UserFactory
from core.clock import now
from core.tests.queue import run_worker

pytestmark = pytest.mark.django_db

REQUEST = "/api/auth/password-reset/"
CONFIRM = "/api/auth/password-reset/confirm/"
NEW = "Nouveau-Secret-42"


def test_reset_by_emailed_link_changes_the_password_and_closes_sessions(post, settings):
    settings.FRONTEND_URL = "https://app.example.com/espace"
    user = UserFactory(email="jean@example.com")
    old_refresh = post("/api/auth/login/", {"email": user.email, "password": "MotDePasse123!"}).json()["refresh"]

    asked = post(REQUEST, {"email": "Jean@Example.com"})

    assert asked.status_code == 202
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["jean@example.com"]
    assert "Réinitialisation" in message.subject
    assert "https://app.example.com/espace/mot-de-passe/reinitialiser/?token=" in message.body
    assert message.alternatives[0][1] == "text/html"
    confirmed = post(CONFIRM, {"token": token_from_last_mail(user.email), "new_password": NEW})
    assert confirmed.status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert post("/api/auth/login/", {"email": user.email, "password": NEW}).status_code == 200
    assert post("/api/auth/token/refresh/", {"refresh": old_refresh}).status_code == 401


def test_reset_request_for_an_unknown_email_answers_the_same_and_sends_nothing(post):
    UserFactory(email="jean@example.com")
    known = post(REQUEST, {"email": "jean@example.com"})
    mail.outbox.clear()

    unknown = post(REQUEST, {"email": "personne@example.com"})

    assert unknown.status_code == known.status_code == 202
    assert unknown.json() == known.json()
    assert mail.outbox == []


def test_a_reset_token_works_once(post):
    user = UserFactory()
    token = services.make_password_reset_token(user=user)
    assert post(CONFIRM, {"token": token, "new_password": NEW}).status_code == 200

    response = post(CONFIRM, {"token": token, "new_password": "Autre-Secret-43"})

    assert response.status_code == 400
    assert response.json() == {"token": ["Ce lien a déjà été utilisé ou n'est plus valide."]}
    user.refresh_from_db()
    assert user.check_password(NEW)


def test_a_reset_token_expires_after_an_hour(post, settings):
    settings.PASSWORD_RESET_MAX_AGE_HOURS = 1
    user = UserFactory()
    start = now()
    with time_machine.travel(start, tick=False):
        token = services.make_password_reset_token(user=user)

    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        response = post(CONFIRM, {"token": token, "new_password": NEW})

    assert response.status_code == 400
    assert response.json() == {"token": ["Ce lien a expiré. Demandez-en un nouveau."]}
    user.refresh_from_db()
    assert not user.check_password(NEW)


def test_a_reset_token_is_still_good_just_before_expiry(post):
    user = UserFactory()
    start = now()
    with time_machine.travel(start, tick=False):
        token = services.make_password_reset_token(user=user)

    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        response = post(CONFIRM, {"token": token, "new_password": NEW})

    assert response.status_code == 200


def test_a_forged_reset_token_is_refused(post):
    user = UserFactory()
    token = services.make_password_reset_token(user=user)
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")

    response = post(CONFIRM, {"token": forged, "new_password": NEW})

    assert response.status_code == 400
    assert response.json() == {"token": ["Ce lien est invalide."]}


def test_a_verification_token_cannot_reset_a_password(post):
    user = UserFactory()

    response = post(CONFIRM, {"token": services.make_email_verification_token(user=user), "new_password": NEW})

    assert response.status_code == 400
    assert response.json() == {"token": ["Ce lien est invalide."]}


def test_a_weak_new_password_is_refused_in_french_and_the_token_stays_usable(post):
    user = UserFactory()
    token = services.make_password_reset_token(user=user)

    weak = post(CONFIRM, {"token": token, "new_password": "123"})

    assert weak.status_code == 400
    assert "new_password" in weak.json()
    assert any("court" in message for message in weak.json()["new_password"])
    assert post(CONFIRM, {"token": token, "new_password": NEW}).status_code == 200


@pytest.mark.django_db(transaction=True)  # the worker commits and reads as another process would
@pytest.mark.usefixtures("database_tasks")
def test_reset_e_mail_is_sent_by_the_task_worker_not_by_the_request(post):
    member = UserFactory(email="fond@example.com")

    response = post("/api/auth/password-reset/", {"email": member.email})

    assert response.status_code == 202
    assert mail.outbox == []
    run_worker()
    assert [message.to for message in mail.outbox] == [["fond@example.com"]]

"""The accounts e-mails go through Django's real SMTP backend (to our SMTP server on 127.0.0.1)."""

import pytest

from accounts.models import User
from accounts.tests.conftest import TOKEN_RE
from tests.smtp_server import free_port

pytestmark = pytest.mark.django_db


def test_verification_mail_is_delivered_over_smtp_in_french_text_and_html(post, smtp_server, settings):
    settings.DEFAULT_FROM_EMAIL = "CalmnessFi <no-reply@calmnessfi.com>"

    response = post(
        "/api/auth/register/",
        {"email": "smtp@example.com", "password": "Zk3!pqrstu9", "first_name": "Zoé", "accept_terms": True},
    )

    assert response.status_code == 201
    assert smtp_server.recipients() == ["smtp@example.com"]
    message = smtp_server.messages[0]
    assert message["Subject"] == "Confirmez votre adresse e-mail CalmnessFi"
    assert "no-reply@calmnessfi.com" in message["From"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Bonjour Zoé" in text
    assert '<html lang="fr">' in html
    token = TOKEN_RE.search(text).group(1)
    assert post("/api/auth/verify-email/", {"token": token}).status_code == 200


def test_an_unreachable_smtp_server_does_not_break_registration(post, settings, caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    settings.EMAIL_TIMEOUT = 2

    response = post(
        "/api/auth/register/", {"email": "panne@example.com", "password": "Zk3!pqrstu9", "accept_terms": True}
    )

    assert response.status_code == 201
    assert User.objects.filter(email="panne@example.com").exists()
    assert any("could not be sent" in record.getMessage() for record in caplog.records)
    resend = post("/api/auth/resend-verification/", {"email": "panne@example.com"})
    assert resend.status_code == 202

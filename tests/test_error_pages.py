import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_unknown_page_outside_the_api_is_a_french_html_404():
    response = Client().get("/espace/cette-page-n-existe-pas/")

    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_form_posted_without_csrf_token_gets_a_french_explanation():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/espace/connexion/", {"username": "a@example.com", "password": "x"})

    assert response.status_code == 403
    assert "Formulaire expiré" in response.content.decode()

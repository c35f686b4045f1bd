"""The admin's branding, its index without the token blacklist, and its login's one error message."""

import pytest
from django.apps import apps
from django.contrib import admin

from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BLACKLIST_MODELS = ("token_blacklist.OutstandingToken", "token_blacklist.BlacklistedToken")


@pytest.fixture
def staff_client(client):
    client.force_login(User.objects.create_superuser(email="chef@example.com", password="x"))
    return client


def test_admin_is_branded_and_its_view_site_link_opens_the_member_space(staff_client):
    page = staff_client.get("/admin/").content.decode()

    assert "<title>Accueil | CalmnessFi — Administration</title>" in page
    assert '<a href="/admin/">CalmnessFi — Administration</a>' in page
    assert '<a href="/espace/">Voir le site</a>' in page
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page


def test_token_blacklist_is_out_of_the_admin_but_still_installed(staff_client):
    page = staff_client.get("/admin/").content.decode()

    assert "token_blacklist" not in page
    assert "Jetons" not in page and "jetons" not in page
    for label in BLACKLIST_MODELS:
        assert not admin.site.is_registered(apps.get_model(label))
    assert staff_client.get("/admin/token_blacklist/outstandingtoken/").status_code == 404
    assert apps.is_installed("rest_framework_simplejwt.token_blacklist")


def test_admin_login_refuses_with_one_message_for_unknown_wrong_and_non_staff(client):
    UserFactory(email="membre@example.com")  # password MotDePasse123!, not staff
    User.objects.create_superuser(email="chef@example.com", password="Bon-Mot-2026")
    attempts = [
        ("personne@example.com", "Bon-Mot-2026"),
        ("chef@example.com", "mauvais"),
        ("membre@example.com", "MotDePasse123!"),
    ]

    errors = [
        client.post("/admin/login/", {"username": email, "password": password}).context["form"].non_field_errors()
        for email, password in attempts
    ]

    assert errors == [["Adresse e-mail ou mot de passe incorrect, ou compte sans accès à l'administration."]] * 3

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password

from accounts.tests.factories import UserFactory


@pytest.fixture
def production_hashers(settings):
    from config.settings import base

    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS


def test_new_passwords_are_hashed_with_argon2id_at_owasp_parameters(production_hashers):
    encoded = make_password("Test123!")

    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password("Test123!", encoded)


@pytest.mark.django_db
def test_an_old_pbkdf2_hash_still_logs_in_and_is_upgraded(production_hashers, client):
    member = UserFactory(email="ancien@example.com")
    member.password = make_password("MotDePasse123!", hasher="pbkdf2_sha256")
    member.save(update_fields=["password"])

    response = client.post(
        "/api/auth/login/",
        {"email": "ancien@example.com", "password": "MotDePasse123!"},
        content_type="application/json",
    )

    assert response.status_code == 200
    member.refresh_from_db()
    assert identify_hasher(member.password).algorithm == "argon2"

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User

pytestmark = pytest.mark.django_db


def run(name, *args) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def test_create_admin_creates_the_superuser_once(settings):
    settings.ADMIN_EMAIL = "Chef@CalmnessFi.com"
    settings.ADMIN_PASSWORD = "Un-Secret-Solide-1"

    first = run("create_admin")
    admin = User.objects.get()
    admin.first_name = "Modifié à la main"
    admin.save()
    second = run("create_admin")

    assert "créé" in first
    assert "déjà présent" in second
    assert User.objects.count() == 1
    admin.refresh_from_db()
    assert admin.is_superuser and admin.is_staff and admin.is_verified
    assert admin.check_password("Un-Secret-Solide-1")
    assert admin.first_name == "Modifié à la main"


def test_create_admin_second_run_with_another_case_changes_nothing(settings):
    settings.ADMIN_PASSWORD = "Un-Secret-Solide-1"
    settings.ADMIN_EMAIL = "chef@calmnessfi.com"
    run("create_admin")
    settings.ADMIN_EMAIL = "CHEF@calmnessfi.com"
    settings.ADMIN_PASSWORD = "Un-Autre-Secret-2"

    output = run("create_admin")

    assert "déjà présent" in output
    assert User.objects.get().check_password("Un-Secret-Solide-1")


def test_create_admin_refuses_the_development_password_without_debug(settings):
    settings.DEBUG = False
    settings.ADMIN_PASSWORD = "Admin123!"

    with pytest.raises(CommandError, match="ADMIN_PASSWORD"):
        run("create_admin")
    assert not User.objects.exists()
    run("create_admin", "--force")
    assert User.objects.filter(is_superuser=True).count() == 1


def test_create_admin_accepts_the_development_password_in_debug(settings):
    settings.DEBUG = True
    settings.ADMIN_PASSWORD = "Admin123!"

    run("create_admin")

    assert User.objects.get().check_password("Admin123!")


def test_create_test_user_creates_the_spec_member_once(settings):
    settings.DEBUG = True

    first = run("create_test_user")
    second = run("create_test_user", "--no-subscription")

    assert "créé" in first
    assert "déjà présent" in second
    user = User.objects.get()
    assert user.email == "test@calmnessfi.com"
    assert user.check_password("Test123!")
    assert (user.first_name, user.last_name) == ("Jean", "Dupont")
    assert user.telegram_username == "jeandupont"
    assert user.discord_username == "jeandupont#1234"
    assert user.whatsapp_number == "+33612345678"
    assert user.is_verified and user.can_make_payment
    assert not user.is_staff


def test_create_test_user_second_run_changes_nothing(settings):
    settings.DEBUG = True
    run("create_test_user")
    user = User.objects.get()
    user.set_password("Change-Par-Le-Membre-1")
    user.first_name = "Jeannot"
    user.save()

    run("create_test_user")

    user.refresh_from_db()
    assert user.first_name == "Jeannot"
    assert user.check_password("Change-Par-Le-Membre-1")


def test_create_test_user_refuses_without_debug_unless_forced(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        run("create_test_user")
    assert not User.objects.exists()

    assert "créé" in run("create_test_user", "--force")
    assert User.objects.filter(email="test@calmnessfi.com").exists()

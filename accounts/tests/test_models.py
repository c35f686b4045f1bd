import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.tests.factories import UnverifiedUserFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_can_make_payment_follows_a_plain_save_from_the_shell():
    user = UnverifiedUserFactory(first_name="Marie", last_name="Curie", telegram_username="marie_c")
    assert user.can_make_payment is False

    user.is_verified = True
    user.save()

    assert User.objects.get(pk=user.pk).can_make_payment is True


def test_can_make_payment_follows_a_save_with_update_fields():
    user = UserFactory()
    assert User.objects.get(pk=user.pk).can_make_payment is True

    user.telegram_username = ""
    user.save(update_fields=["telegram_username"])

    assert User.objects.get(pk=user.pk).can_make_payment is False


def test_can_make_payment_cannot_be_forced_on_an_incomplete_member():
    user = UnverifiedUserFactory()

    user.can_make_payment = True
    user.save()

    assert User.objects.get(pk=user.pk).can_make_payment is False


def test_email_is_unique_whatever_the_case():
    UserFactory(email="jean@example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email="JEAN@EXAMPLE.COM", password="x")


def test_full_clean_normalises_contacts_and_names_bad_fields():
    user = UserFactory.build(
        telegram_username="@jean_d", whatsapp_number="+33 6 12 34 56 78", discord_username="ok.name"
    )
    user.full_clean(exclude=["password"])
    assert user.telegram_username == "jean_d"
    assert user.whatsapp_number == "+33612345678"

    user.telegram_username = "no"
    user.whatsapp_number = "abc"
    with pytest.raises(ValidationError) as exc:
        user.full_clean(exclude=["password"])
    assert set(exc.value.message_dict) == {"telegram_username", "whatsapp_number"}

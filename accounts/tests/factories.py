import factory

from accounts.models import User


class UserFactory(factory.django.DjangoModelFactory[User]):
    """A member who can pay: verified, named, with a Telegram username."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"membre{n}@example.com")
    first_name = "Marie"
    last_name = "Curie"
    is_verified = True
    telegram_username = factory.Sequence(lambda n: f"membre_{n:04d}")
    password = factory.django.Password("MotDePasse123!")


class UnverifiedUserFactory(UserFactory):
    is_verified = False
    first_name = ""
    last_name = ""
    telegram_username = ""

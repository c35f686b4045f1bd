from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import User

TEST_MEMBER = {
    "email": "test@calmnessfi.com",
    "first_name": "Jean",
    "last_name": "Dupont",
    "telegram_username": "jeandupont",
    "discord_username": "jeandupont#1234",
    "whatsapp_number": "+33612345678",
    "is_verified": True,
}
TEST_PASSWORD = "Test123!"


class Command(BaseCommand):
    help = "Crée le membre de test (test@calmnessfi.com / Test123!), vérifié et éligible au paiement. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Créer le membre de test même si DEBUG est désactivé.")
        parser.add_argument(
            "--no-subscription",
            action="store_true",
            help="Ne pas donner d'abonnement actif au membre de test (seulement le compte).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG est désactivé : le membre de test (mot de passe public) n'est pas créé. "
                "Utilisez --force pour le créer quand même."
            )
        with transaction.atomic():
            user = User.objects.filter(email__iexact=TEST_MEMBER["email"]).first()
            if user is None:
                user = User(**TEST_MEMBER)
                user.set_password(TEST_PASSWORD)
                user.full_clean()
                user.save()
                self.stdout.write(
                    self.style.SUCCESS(f"Membre de test {user.email} créé (mot de passe {TEST_PASSWORD}).")
                )
            else:
                self.stdout.write(f"Membre de test {user.email} déjà présent : rien n'a été modifié.")
            self.after_user_ready(user, options)

    def after_user_ready(self, user: User, options: dict) -> None:
        """Hook for what the test member gets besides the account (a confirmed payment and an active
        subscription, unless --no-subscription). Must be idempotent: it runs on every invocation."""
        if options.get("no_subscription"):
            return
        from payments.services import payment_seed_for_test_member

        subscription = payment_seed_for_test_member(user=user)
        ends_at = timezone.localtime(subscription.ends_at)
        self.stdout.write(f"Abonnement {subscription.plan.name} actif jusqu'au {ends_at:%d/%m/%Y %H:%M}.")

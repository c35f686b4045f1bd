from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User

DEVELOPMENT_PASSWORD = "Admin123!"


class Command(BaseCommand):
    help = "Crée le super-utilisateur ADMIN_EMAIL / ADMIN_PASSWORD s'il n'existe pas (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Accepter le mot de passe de développement même sans DEBUG."
        )

    def handle(self, *args, **options):
        email = settings.ADMIN_EMAIL.strip()
        password = settings.ADMIN_PASSWORD
        if not email or not password:
            raise CommandError("ADMIN_EMAIL et ADMIN_PASSWORD doivent être définis.")
        existing = User.objects.filter(email__iexact=email).first()
        if existing is not None:
            self.stdout.write(f"Administrateur {existing.email} déjà présent : rien n'a été modifié.")
            return
        if password == DEVELOPMENT_PASSWORD and not settings.DEBUG and not options["force"]:
            raise CommandError(
                "ADMIN_PASSWORD vaut encore le mot de passe de développement alors que DEBUG est désactivé : "
                "définissez ADMIN_PASSWORD (ou utilisez --force)."
            )
        User.objects.create_superuser(email=email, password=password)
        self.stdout.write(self.style.SUCCESS(f"Administrateur {email} créé."))

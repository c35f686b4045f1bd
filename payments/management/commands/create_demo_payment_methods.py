from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.plurals import fr_count
from payments.services import payment_methods_seed_demo


class Command(BaseCommand):
    help = (
        "Crée les moyens de paiement de démonstration (virement bancaire et USDT TRC20, coordonnées fictives). "
        "Idempotent ; refusé en production."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Les créer même si DEBUG est désactivé (jamais en production)."
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG est désactivé : les moyens de paiement de démonstration (coordonnées fictives) ne sont pas "
                "créés. Utilisez --force pour les créer quand même, jamais en production."
            )
        results = payment_methods_seed_demo()
        for method, created in results:
            state = "créé" if created else "déjà présent : rien n'a été modifié"
            self.stdout.write(f"Moyen de paiement « {method.label} » : {state}.")
        created_count = sum(created for _method, created in results)
        self.stdout.write(
            self.style.SUCCESS(
                "Moyens de paiement de démonstration : "
                f"{fr_count(created_count, 'créé', 'créés')}, "
                f"{fr_count(len(results) - created_count, 'déjà présent', 'déjà présents')}."
            )
        )

from django.core.management.base import BaseCommand

from core.plurals import fr_count
from subscriptions.services import plans_create_defaults


class Command(BaseCommand):
    help = "Crée les formules par défaut (Mensuel, Trimestriel, Annuel) si elles n'existent pas. Idempotent."

    def handle(self, *args, **options):
        results = plans_create_defaults()
        for plan, created in results:
            state = "créée" if created else "déjà présente"
            self.stdout.write(
                f"Formule {plan.name} ({plan.slug}, {plan.duration_days} j, {plan.price} {plan.currency}) : {state}"
            )
        created_count = sum(1 for _, created in results if created)
        self.stdout.write(
            self.style.SUCCESS(
                f"{fr_count(created_count, 'formule créée', 'formules créées')}, "
                f"{fr_count(len(results) - created_count, 'déjà présente', 'déjà présentes')}."
            )
        )

from django.core.management.base import BaseCommand

from core.plurals import fr_count
from formations.demo import demo_content_create


class Command(BaseCommand):
    help = "Crée la formation et les signaux de démonstration s'ils n'existent pas. Idempotent."

    def handle(self, *args, **options):
        summary = demo_content_create()
        if summary["reserved_plan"] is None:
            self.stdout.write("Aucune formule annuelle : la formation réservée n'est pas créée (lancez create_plans).")
        self.stdout.write(
            self.style.SUCCESS(
                f"Contenu de démonstration créé : {fr_count(summary['courses'], 'formation', 'formations')}, "
                f"{fr_count(summary['signals'], 'signal', 'signaux')}."
            )
        )

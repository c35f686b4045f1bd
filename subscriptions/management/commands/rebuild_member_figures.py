from collections.abc import Mapping

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from core.plurals import fr_count
from subscriptions import figures
from subscriptions.models import MemberFigures


class Command(BaseCommand):
    help = (
        "Recompte les totaux du tableau de bord (MemberFigures) depuis l'historique de chaque membre. Les triggers "
        "les tiennent à jour : à lancer seulement si des données ont été restaurées ou modifiées sans eux."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            # No write to the history meanwhile: it would be counted twice (trigger and recount) or missed.
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    for table in figures.SOURCES:
                        cursor.execute(f"LOCK TABLE {table} IN SHARE MODE")
            before = _figures()
            with connection.cursor() as cursor:
                for sql in figures.rebuild_statements():
                    cursor.execute(sql)
            after = _figures()
        drifted = sum(1 for user_id in before.keys() | after.keys() if before.get(user_id) != after.get(user_id))
        self.stdout.write(
            self.style.SUCCESS(
                f"Totaux recomptés pour {fr_count(len(after), 'membre', 'membres')} ; "
                f"{fr_count(drifted, 'membre avait', 'membres avaient')} des totaux différents."
            )
        )


def _figures() -> dict[int, Mapping[str, object]]:
    # The totals only: the rebuild raises every member's version, which is no drift.
    return {row["user_id"]: row for row in MemberFigures.objects.values("user_id", *figures.COLUMNS)}

"""What the task queue holds (docs/operations.md, "The task worker"): for an operator, or a monitoring check that
fails when due tasks wait too long (no worker running)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core import clock
from core.plurals import fr_count
from core.tasks import TaskResultStatus, tasks_backlog

Status = TaskResultStatus


class Command(BaseCommand):
    help = "Affiche les tâches de la file par état ; --max-wait-minutes N : échoue si une tâche due attend depuis plus."

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-wait-minutes",
            type=int,
            default=None,
            help="Code de sortie 1 si une tâche due attend depuis plus de N minutes (aucun worker ne tourne ?).",
        )

    def handle(self, *args: Any, max_wait_minutes: int | None, **options: Any) -> None:
        backlog = tasks_backlog()
        waited = (clock.now() - backlog.waiting_since).total_seconds() / 60 if backlog.waiting_since else 0.0
        counts = backlog.counts
        self.stdout.write(
            f"File de tâches : {backlog.due} à exécuter maintenant"
            + (f" (la plus ancienne attend depuis {waited:.0f} min)" if backlog.due else "")
            + f", {counts[Status.READY] - backlog.due} en attente d'un nouvel essai"
            f", {counts[Status.RUNNING]} en cours, {counts[Status.FAILED]} en échec"
            f", {fr_count(counts[Status.SUCCESSFUL], 'terminée', 'terminées')}."
        )
        if max_wait_minutes is not None and backlog.due and waited > max_wait_minutes:
            raise CommandError(
                f"Des tâches attendent depuis {waited:.0f} min : le worker (manage.py task_worker) tourne-t-il ?"
            )

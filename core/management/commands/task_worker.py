"""The task queue's worker (docs/operations.md, "The task worker"): django-tasks-db's `db_worker`, with its flags,
plus the recovery of tasks whose worker died, once at start and then every minute (core.tasks)."""

import logging
import os
import threading
import time
from typing import Any

from django.db import close_old_connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from core.tasks import tasks_recover_abandoned

logger = logging.getLogger("calmnessfi.tasks")

RECOVERY_INTERVAL_SECONDS = 60


class Command(DbWorkerCommand):
    help = (
        "Exécute les tâches de la file (e-mails des comptes, accès aux canaux) : db_worker de django-tasks-db, plus "
        "la reprise des tâches dont le worker est mort (bail TASKS_LEASE_SECONDS dépassé)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # With --reload (DEBUG's default) this process only watches the files: the child it starts runs the tasks.
        watcher_only = options["reload"] and not options["batch"] and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        if not watcher_only:
            _recover()
            if not options["batch"]:
                threading.Thread(target=_recover_forever, name="calmnessfi-task-recovery", daemon=True).start()
        super().handle(*args, **options)


def _recover() -> None:
    try:
        tasks_recover_abandoned()
    except Exception:
        # The next sweep tries again; the worker itself goes on.
        logger.exception("abandoned tasks not recovered")
    finally:
        close_old_connections()


def _recover_forever() -> None:
    while True:
        time.sleep(RECOVERY_INTERVAL_SECONDS)
        _recover()

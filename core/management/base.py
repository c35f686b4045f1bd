"""Base for the project's cron commands: records each run, logs one JSON summary, exits non-zero on failure."""

import logging
import traceback

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from core.plurals import fr_count, fr_plural
from core.services import cron_run_failed, cron_run_started, cron_run_succeeded

logger = logging.getLogger("calmnessfi.cron")


class CronCommand(BaseCommand):
    """Subclasses implement `run(**options) -> dict` (the summary) and raise CommandError on failure.

    A dry run is not recorded as a successful run: it changed nothing.
    """

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Affiche ce qui serait fait, sans rien modifier.")

    def run(self, **options) -> dict:
        raise NotImplementedError

    def handle(self, *args, **options):
        name = self.__module__.rsplit(".", 1)[-1]
        dry_run = options.get("dry_run", False)
        try:
            if not dry_run:
                cron_run_started(command=name)
            summary = self.run(**options)
        except CommandError as exc:
            self._record_failure(name, str(exc), dry_run)
            raise
        except DatabaseError as exc:
            self._record_failure(name, str(exc), dry_run)
            raise CommandError(f"Base de données indisponible, exécution interrompue : {exc}") from exc
        except Exception as exc:
            self._record_failure(name, traceback.format_exc(), dry_run)
            raise CommandError(f"Échec inattendu : {exc}") from exc
        logger.info("cron summary", extra={"command": name, "dry_run": dry_run, "summary": summary})
        failed = summary.get("failed", 0) if isinstance(summary, dict) else 0
        if not dry_run:
            if failed:
                cron_run_failed(command=name, error=fr_count(failed, "échec", "échecs"))
            else:
                cron_run_succeeded(command=name, summary=summary)
        if failed:
            raise CommandError(
                f"{fr_count(failed, 'opération', 'opérations')} en échec ; "
                f"{fr_plural(failed, 'elle sera retentée', 'elles seront retentées')} au prochain passage."
            )

    def _record_failure(self, name: str, error: str, dry_run: bool) -> None:
        logger.error("cron failed", extra={"command": name, "error": error[:2000]})
        if dry_run:
            return
        try:
            # A killed connection must be replaced before the failure can be recorded; inside an
            # atomic block (tests) the connection is kept, Django would refuse to reconnect there.
            if not connection.in_atomic_block and not connection.is_usable():
                connection.close()
            cron_run_failed(command=name, error=error)
        except DatabaseError:
            pass  # the database is what failed; the exit code still tells cron

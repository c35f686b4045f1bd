"""Records of cron runs (written by CronCommand, read by the admin index)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from core import clock
from core.models import CronRun


def cron_run_started(*, command: str) -> None:
    CronRun.objects.update_or_create(command=command, defaults={"last_started_at": clock.now()})


def cron_run_succeeded(*, command: str, summary: dict) -> None:
    CronRun.objects.update_or_create(
        command=command, defaults={"last_success_at": clock.now(), "last_summary": summary, "last_error": ""}
    )


def cron_run_failed(*, command: str, error: str) -> None:
    CronRun.objects.update_or_create(
        command=command, defaults={"last_failure_at": clock.now(), "last_error": error[:5000]}
    )


@dataclass(frozen=True)
class OverdueCron:
    command: str
    last_success_at: datetime | None
    max_hours: int


def overdue_crons() -> list[OverdueCron]:
    """Cron commands whose last success is older than allowed (or that never succeeded)."""
    runs = {run.command: run for run in CronRun.objects.all()}
    now = clock.now()
    overdue = []
    for command, max_hours in settings.CRON_OVERDUE_HOURS.items():
        run = runs.get(command)
        last = run.last_success_at if run else None
        if last is None or now - last > timedelta(hours=max_hours):
            overdue.append(OverdueCron(command=command, last_success_at=last, max_hours=max_hours))
    return overdue

"""The durable task queue: django.tasks with the database backend of django-tasks-db (docs/architecture/
background-work.md).

The one place the project imports the task framework from: Django 6 has `django.tasks` built in, Django 5.2 has
its backport `django_tasks` (the database backend makes the same choice). A task is a module-level function
decorated with `@task()` that takes JSON values (ids, strings); `task_enqueue` is how a service asks for one.

What the database backend leaves to us, done here: a failed task is tried again with backoff
(`TASKS_MAX_ATTEMPTS`), and a task whose worker died (killed, host lost) is given back to the queue once its lease
(`TASKS_LEASE_SECONDS`) has run out (`tasks_recover_abandoned`, run by the `task_worker` command).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min
from django.dispatch import receiver
from django_tasks_db.backend import DatabaseBackend

from core import clock

if TYPE_CHECKING or find_spec("django.tasks"):
    from django.tasks import Task, TaskContext, TaskResult, TaskResultStatus, task, task_backends
    from django.tasks.signals import task_finished
else:  # Django 5.2
    from django_tasks import TaskContext, TaskResult, TaskResultStatus, task, task_backends
    from django_tasks.base import Task
    from django_tasks.signals import task_finished

__all__ = [
    "Task",
    "TaskContext",
    "TaskResult",
    "TaskResultStatus",
    "retry_delay",
    "task",
    "task_enqueue",
    "tasks_backlog",
    "tasks_recover_abandoned",
]

logger = logging.getLogger("calmnessfi.tasks")

RETRY_FIRST_DELAY = timedelta(minutes=1)
RETRY_MAX_DELAY = timedelta(hours=1)


def task_enqueue(task: Task, /, **kwargs: Any) -> None:
    """Ask for `task(**kwargs)` as part of the current transaction: it runs, once, only if the transaction commits.

    With the database backend the task's row is written now, inside the transaction: a rollback takes it away,
    and a process that dies right after the commit loses nothing (the row waits for a worker). A backend that
    does not share the transaction (the immediate one of the tests) is called once the transaction commits.
    """
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(**kwargs)
    else:
        transaction.on_commit(partial(task.enqueue, **kwargs))


def retry_delay(attempts: int) -> timedelta:
    """How long a task that failed `attempts` times waits before its next try: 1, 2, 4… minutes, at most an hour."""
    return min(RETRY_FIRST_DELAY * 2 ** max(attempts - 1, 0), RETRY_MAX_DELAY)


@receiver(task_finished, dispatch_uid="core.tasks.retry_failed")
def _retry_failed(*, task_result: TaskResult, **kwargs: Any) -> None:
    """A failed task of the database backend goes back to the queue after `retry_delay`, until it has been tried
    TASKS_MAX_ATTEMPTS times; then it stays failed, with its last traceback, in the admin."""
    if task_result.status != TaskResultStatus.FAILED or not _on_database(task_result.backend):
        return
    from django_tasks_db.models import DBTaskResult

    attempts = task_result.attempts
    if attempts >= settings.TASKS_MAX_ATTEMPTS:
        logger.error("task given up", extra={"task": task_result.task.name, "id": task_result.id, "attempts": attempts})
        return
    try:
        # Compare-and-set: only the row as the worker left it.
        DBTaskResult.objects.filter(id=task_result.id, status=TaskResultStatus.FAILED).update(
            status=TaskResultStatus.READY, run_after=clock.now() + retry_delay(attempts)
        )
    except Exception:
        # The worker must go on: the task stays failed, visible in the admin.
        logger.exception("task retry not scheduled", extra={"id": task_result.id})


def tasks_recover_abandoned() -> int:
    """Gives back to the queue the tasks whose worker died while running them (still RUNNING when their lease ran
    out), or marks them failed once they were tried TASKS_MAX_ATTEMPTS times. Returns how many it touched.

    Safe on several hosts at once: each row changes by a compare-and-set on the claim it was left with, so a row
    another sweep (or a worker finishing late) changed first is left alone. A task still running after its lease
    may run twice: the project's tasks are idempotent, and the lease is well above the longest of them."""
    from django_tasks_db.models import DBTaskResult

    now = clock.now()
    expired = now - timedelta(seconds=settings.TASKS_LEASE_SECONDS)
    abandoned = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=expired, backend_name__in=_database_backends()
    ).only("id", "started_at", "worker_ids", "task_path")
    touched = 0
    for row in abandoned.iterator(chunk_size=100):
        same_claim = DBTaskResult.objects.filter(id=row.id, status=TaskResultStatus.RUNNING, started_at=row.started_at)
        attempts = len(row.worker_ids)
        if attempts >= settings.TASKS_MAX_ATTEMPTS:
            changed = same_claim.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path="core.tasks.WorkerLost",
                traceback=f"WorkerLost: no outcome {settings.TASKS_LEASE_SECONDS} s after attempt {attempts} started",
            )
            if changed:
                logger.error("task given up", extra={"task": row.task_path, "id": str(row.id), "attempts": attempts})
        else:
            changed = same_claim.update(status=TaskResultStatus.READY)
            if changed:
                logger.warning("abandoned task queued again", extra={"task": row.task_path, "id": str(row.id)})
        touched += changed
    return touched


def _database_backends() -> list[str]:
    return [alias for alias in settings.TASKS if _on_database(alias)]


def _on_database(alias: str) -> bool:
    return isinstance(task_backends[alias], DatabaseBackend)


@dataclass(frozen=True)
class Backlog:
    counts: dict[str, int]  # per status: READY, RUNNING, FAILED, SUCCESSFUL
    due: int  # ready tasks whose time has come (the others wait for a retry's delay)
    waiting_since: datetime | None  # since when the longest-waiting due task could have run


def tasks_backlog() -> Backlog:
    """What the queue holds now (`manage.py task_backlog`): due tasks piling up mean that no worker runs."""
    from django_tasks_db.models import DBTaskResult, get_date_max

    rows = DBTaskResult.objects.filter(backend_name__in=_database_backends())
    counts = dict.fromkeys(TaskResultStatus.values, 0)
    counts.update(rows.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    due = rows.ready()
    # A task waits from its enqueueing, or from its run_after when it was deferred (a retry).
    undeferred = due.filter(run_after=get_date_max()).aggregate(since=Min("enqueued_at"))["since"]
    deferred = due.exclude(run_after=get_date_max()).aggregate(since=Min("run_after"))["since"]
    return Backlog(
        counts=counts,
        due=due.count(),
        waiting_since=min((moment for moment in (undeferred, deferred) if moment is not None), default=None),
    )

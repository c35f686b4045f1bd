"""The durable task queue (core/tasks.py) with its real database backend and the real `task_worker` command, run in
this process, on SQLite and on PostgreSQL: what is enqueued in a transaction runs only if it commits, once; a
failing task is tried again with backoff, then recorded as failed; an abandoned task runs again after its lease.
Killed workers and several workers at once, in other processes: test_task_worker_processes.py."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from core import clock
from core.tasks import TaskResultStatus, retry_delay, task_enqueue, tasks_recover_abandoned
from core.tests.queue import run_worker
from core.tests.queue_tasks import fail_first, lines, note

Status = TaskResultStatus
# Transactions really commit or roll back here: the worker reads what another connection would.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("database_tasks")]


@pytest.fixture
def path(tmp_path) -> str:
    return str(tmp_path / "runs.txt")


def only_row() -> DBTaskResult:
    [row] = DBTaskResult.objects.all()
    return row


def test_a_task_enqueued_in_a_transaction_that_rolls_back_never_runs(path):
    with pytest.raises(RuntimeError), transaction.atomic():
        task_enqueue(note, path=path, text="annulée")
        raise RuntimeError("the business transaction fails")

    run_worker()

    assert DBTaskResult.objects.count() == 0
    assert lines(path) == []


def test_a_task_enqueued_in_a_transaction_that_commits_runs_once(path):
    with transaction.atomic():
        task_enqueue(note, path=path, text="validée")

    run_worker()
    run_worker()

    assert lines(path) == ["validée"]
    row = only_row()
    assert row.status == Status.SUCCESSFUL
    assert len(row.worker_ids) == 1


def test_the_task_row_is_part_of_the_transaction_not_an_after_commit_callback(path, django_capture_on_commit_callbacks):
    # A process that dies right after the commit must lose nothing: the row is written with the business rows.
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        task_enqueue(note, path=path, text="durable")
        assert only_row().status == Status.READY

    assert callbacks == []
    assert only_row().args_kwargs["kwargs"] == {"path": path, "text": "durable"}


def test_a_failing_task_is_tried_again_with_backoff_until_it_succeeds(path):
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        task_enqueue(fail_first, path=path, failures=2)

        run_worker()
        row = only_row()
        assert row.status == Status.READY  # back in the queue, with what went wrong
        assert row.run_after == start + retry_delay(1)
        assert row.exception_class_path == "builtins.RuntimeError"
        assert "échec voulu" in row.traceback

        run_worker()  # not due yet
        assert lines(path) == ["attempt 1"]

        traveller.shift(retry_delay(1))
        run_worker()
        assert only_row().run_after == start + retry_delay(1) + retry_delay(2)

        traveller.shift(retry_delay(2))
        run_worker()

    assert lines(path) == ["attempt 1", "attempt 2", "attempt 3"]
    row = only_row()
    assert row.status == Status.SUCCESSFUL
    assert len(row.worker_ids) == 3


def test_a_task_failing_every_time_stays_failed_after_the_last_attempt(path, settings):
    settings.TASKS_MAX_ATTEMPTS = 2
    with time_machine.travel(clock.now(), tick=False) as traveller:
        task_enqueue(fail_first, path=path, failures=99)
        run_worker()
        traveller.shift(retry_delay(1))
        run_worker()
        traveller.shift(timedelta(days=1))
        run_worker()

    assert lines(path) == ["attempt 1", "attempt 2"]
    row = only_row()
    assert row.status == Status.FAILED
    assert row.exception_class_path == "builtins.RuntimeError"


def test_retry_delays_double_up_to_an_hour():
    assert [retry_delay(n) for n in (1, 2, 3, 6, 7, 20)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=32),
        timedelta(hours=1),
        timedelta(hours=1),
    ]


def abandoned(path: str, *, attempts: int = 1) -> DBTaskResult:
    """A task as a killed worker leaves it (test_task_worker_processes.py kills one): claimed, running, never done."""
    task_enqueue(note, path=path, text="reprise")
    row = only_row()
    row.claim("worker-killed")
    DBTaskResult.objects.filter(pk=row.pk).update(worker_ids=[f"worker-{n}" for n in range(attempts)])
    return only_row()


def test_an_abandoned_task_waits_for_its_lease_then_runs_again(path, settings):
    row = abandoned(path)

    with time_machine.travel(row.started_at + timedelta(seconds=settings.TASKS_LEASE_SECONDS - 1)):
        assert tasks_recover_abandoned() == 0
        run_worker()
        assert only_row().status == Status.RUNNING  # maybe still running somewhere: left alone
    with time_machine.travel(row.started_at + timedelta(seconds=settings.TASKS_LEASE_SECONDS + 1)):
        run_worker()  # the worker's recovery at start gives it back to the queue, then runs it

    assert lines(path) == ["reprise"]
    row = only_row()
    assert row.status == Status.SUCCESSFUL
    assert len(row.worker_ids) == 2


def test_an_abandoned_task_at_its_last_attempt_is_recorded_as_failed(path, settings):
    row = abandoned(path, attempts=settings.TASKS_MAX_ATTEMPTS)

    with time_machine.travel(row.started_at + timedelta(seconds=settings.TASKS_LEASE_SECONDS + 1)):
        assert tasks_recover_abandoned() == 1
        assert tasks_recover_abandoned() == 0  # a second sweep (another host) finds nothing more to do
        run_worker()

    assert lines(path) == []
    row = only_row()
    assert row.status == Status.FAILED
    assert row.exception_class_path == "core.tasks.WorkerLost"


def backlog(*args: str) -> str:
    out = StringIO()
    call_command("task_backlog", *args, stdout=out)
    return out.getvalue()


def test_the_backlog_shows_the_tasks_waiting_for_a_worker_and_fails_a_check_when_they_wait_too_long(path):
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        task_enqueue(note, path=path, text="1")
        traveller.shift(timedelta(minutes=3))
        task_enqueue(fail_first, path=path, failures=1)
        traveller.shift(timedelta(minutes=7))

        assert "2 à exécuter maintenant (la plus ancienne attend depuis 10 min)" in backlog()
        with pytest.raises(CommandError, match="attendent depuis 10 min"):
            backlog("--max-wait-minutes", "5")

        run_worker()
        summary = backlog("--max-wait-minutes", "5")

    assert summary == (
        "File de tâches : 0 à exécuter maintenant, 1 en attente d'un nouvel essai, 0 en cours, 0 en échec,"
        " 1 terminée.\n"
    )

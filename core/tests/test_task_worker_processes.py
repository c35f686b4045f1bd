"""The task worker as production runs it: `manage.py task_worker` processes on a database file (SQLite) or the
test database (PostgreSQL), killed, stopped, or two at once. The tasks write to a file, so every run is counted."""

import json
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from django.conf import settings
from django.db import connection

from core.tests.queue_tasks import lines
from tests.harness import ROOT, clean_env, database_url, manage, manage_later

# On PostgreSQL the workers use pytest's test database: its rows are committed, as other processes see them.
pytestmark = pytest.mark.django_db(transaction=True)
WORKER = ("task_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1")


@pytest.fixture(scope="module")
def migrated_sqlite_file(tmp_path_factory):
    """A migrated SQLite file, made once per module (each test works on a copy)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=ROOT,
        env=clean_env(DJANGO_SETTINGS_MODULE="config.settings.local", DATABASE_URL=f"sqlite:///{path}"),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def env(request, tmp_path):
    """The environment of the workers: pytest's test database on PostgreSQL, a fresh copy of a migrated file on
    SQLite (pytest's own SQLite database is in memory)."""
    if connection.vendor == "postgresql":
        url = database_url()
    else:
        path = tmp_path / "calmnessfi.sqlite3"
        shutil.copy(request.getfixturevalue("migrated_sqlite_file"), path)
        url = f"sqlite:///{path}"
    return clean_env(
        DJANGO_SETTINGS_MODULE="config.settings.local", DJANGO_DEBUG="0", DATABASE_URL=url, LOG_LEVEL="WARNING"
    )


@pytest.fixture
def path(tmp_path) -> str:
    return str(tmp_path / "runs.txt")


def shell(code: str, *, env: dict) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def enqueue(calls: str, *, env: dict) -> None:
    """Runs `calls` (task_enqueue(...) lines) in one committed transaction of another process."""
    shell(
        "from django.db import transaction\n"
        "from core.tasks import task_enqueue\n"
        "from core.tests.queue_tasks import note, hang_first, slow\n"
        "with transaction.atomic():\n" + "".join(f"    {line}\n" for line in calls.splitlines()),
        env=env,
    )


def rows(*, env: dict) -> list[dict]:
    """Each task's status and the workers that claimed it, oldest first."""
    out = shell(
        "import json\n"
        "from django_tasks_db.models import DBTaskResult\n"
        "print(json.dumps([{'status': r.status, 'workers': r.worker_ids}"
        " for r in DBTaskResult.objects.order_by('enqueued_at')]))",
        env=env,
    )
    return json.loads(out.strip().splitlines()[-1])


def wait_for(condition, *, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def finish(process: subprocess.Popen, *, timeout: float = 60) -> str:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, out + err
    return out + err


def test_a_worker_killed_mid_task_leaves_the_task_to_run_again_once_its_lease_has_run_out(env, path):
    enqueue(f"task_enqueue(hang_first, path={path!r})", env=env)
    worker = manage(*WORKER, env=env)
    wait_for(lambda: lines(path))

    worker.send_signal(signal.SIGKILL)  # no chance to record anything, as when a host dies
    worker.wait(timeout=10)
    [killed] = rows(env=env)
    assert killed["status"] == "RUNNING"
    # A worker started within the lease leaves it alone: for all it knows, the task is still running somewhere.
    finish(manage(*WORKER, "--batch", env=env))
    assert len(lines(path)) == 1

    # Once the lease has run out, the next worker (its clock moved past it) gives it back to the queue and runs it.
    finish(manage_later(settings.TASKS_LEASE_SECONDS + 1, *WORKER, "--batch", env=env))

    first, second = lines(path)
    assert first.startswith("attempt 1 ") and second.startswith("attempt 2 ")
    [done] = rows(env=env)
    assert done["status"] == "SUCCESSFUL"
    assert len(done["workers"]) == 2


def test_a_stopped_worker_finishes_its_task_before_it_exits(env, path):
    # systemd stops the worker with SIGTERM (deploy/calmnessfi-worker.service) and waits for it.
    enqueue(f"task_enqueue(slow, path={path!r}, seconds=1.5)", env=env)
    worker = manage(*WORKER, env=env)
    wait_for(lambda: lines(path) == ["start"])

    worker.send_signal(signal.SIGTERM)

    finish(worker, timeout=30)
    assert lines(path) == ["start", "end"]
    assert [row["status"] for row in rows(env=env)] == ["SUCCESSFUL"]


def test_two_workers_at_once_run_every_task_exactly_once(env, path):
    count = 40
    enqueue("\n".join(f"task_enqueue(note, path={path!r}, text='{n}', pause=0.1)" for n in range(count)), env=env)

    workers = [manage(*WORKER, "--batch", env=env) for _ in range(2)]
    for worker in workers:
        finish(worker, timeout=120)

    assert Counter(lines(path)) == Counter(str(n) for n in range(count))
    done = rows(env=env)
    assert {row["status"] for row in done} == {"SUCCESSFUL"}
    assert all(len(row["workers"]) == 1 for row in done)
    assert len({row["workers"][0] for row in done}) == 2  # both workers took tasks

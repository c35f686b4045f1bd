"""The task queue in tests: the database backend of production (the root conftest's `database_tasks` fixture)
instead of the test settings' immediate one, and the real worker command run in this process."""

import logging
import signal
from io import StringIO

from django.core.management import call_command
from django.db import connection

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# The worker sets these loggers' levels for its own output (django.tasks on Django 6, django_tasks before).
WORKER_LOGGERS = ("django.tasks", "django_tasks", "django_tasks_db")
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)


def run_worker(*args: str) -> str:
    """`manage.py task_worker --batch`: runs every task due now, in this process, then returns; its output.

    The worker installs its own signal handlers and logger levels: they are put back after it. Like a real worker
    it closes the connection it finds inside a transaction, so the test must not run in one."""
    assert not connection.in_atomic_block, "run_worker() needs @pytest.mark.django_db(transaction=True)"
    handlers = {number: signal.getsignal(number) for number in SIGNALS}
    levels = {name: logging.getLogger(name).level for name in WORKER_LOGGERS}
    out = StringIO()
    try:
        call_command(
            "task_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0", *args, stdout=out
        )
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    return out.getvalue()

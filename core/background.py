"""Work run in the background of a web or command process, after the answer it belongs to has been sent.

One worker thread per process takes jobs from a queue. A job made while a request is being answered waits for
the end of that request (Django's `request_finished`, sent once the response is closed), so nothing it does
(database look-ups, tokens, SMTP) competes with the answer for the interpreter: the answer's timing says
nothing about what the job does. Outside a request (commands, shell) a job is queued at once.

Not durable: jobs still queued when the process exits are lost. It carries the account e-mails, which a member
can ask for again.
"""

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.dispatch import receiver

logger = logging.getLogger("calmnessfi.background")

Job = tuple[Callable[..., None], dict[str, Any]]
_jobs: "queue.Queue[Job]" = queue.Queue()
_state = threading.local()
_worker_lock = threading.Lock()
_worker: threading.Thread | None = None
_open = threading.Event()
_open.set()
WORKER_THREAD_NAME = "calmnessfi-background"


def run_in_background(work: Callable[..., None], /, **kwargs: Any) -> None:
    """Queue `work(**kwargs)`; it starts once the current request (if any) has been answered."""
    pending = getattr(_state, "pending", None)
    if pending is not None:
        pending.append((work, kwargs))
    else:
        _put((work, kwargs))


def wait_for_background_jobs() -> None:
    """Block until every queued job has run (tests, and a command that must not exit before its e-mails)."""
    _jobs.join()


@contextlib.contextmanager
def background_jobs_held() -> Iterator[None]:
    """Queue jobs without running them until the block ends. The test client measures a request up to the end of
    its own bookkeeping after `request_finished`, when a real server has long sent the answer: holding the jobs
    keeps them out of that measurement, as a real server keeps them out of the answer."""
    _open.clear()
    try:
        yield
    finally:
        _open.set()


@receiver(request_started, dispatch_uid="core.background.request_started")
def _request_started(**kwargs: Any) -> None:
    _state.pending = []


@receiver(request_finished, dispatch_uid="core.background.request_finished")
def _request_finished(**kwargs: Any) -> None:
    pending, _state.pending = getattr(_state, "pending", None) or [], None
    for job in pending:
        _put(job)


def _put(job: Job) -> None:
    _ensure_worker()
    _jobs.put(job)


def _ensure_worker() -> None:
    global _worker
    with _worker_lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_work, name=WORKER_THREAD_NAME, daemon=True)
            _worker.start()


def _work() -> None:
    while True:
        work, kwargs = _jobs.get()
        _open.wait()
        # Around each job as around each request: a connection too old (CONN_MAX_AGE) or broken is closed.
        close_old_connections()
        try:
            work(**kwargs)
        except Exception:
            logger.exception("Background job %s failed", getattr(work, "__name__", work))
        finally:
            close_old_connections()
            _jobs.task_done()

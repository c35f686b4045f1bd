"""Tasks for the queue's tests, run by real workers (in the test's process or in others): each writes a line to
the file it is given, so every run of it can be counted from any process."""

import os
import time

from core.tasks import TaskContext, task


def lines(path) -> list[str]:
    """What the tasks wrote to `path`, a line per run."""
    return open(path).read().splitlines() if os.path.exists(path) else []


def _write(path: str, line: str) -> None:
    with open(path, "a") as file:
        file.write(line + "\n")


@task()
def note(*, path: str, text: str, pause: float = 0) -> None:
    time.sleep(pause)  # a task that takes a while, so that workers overlap
    _write(path, text)


@task(takes_context=True)
def fail_first(context: TaskContext, *, path: str, failures: int) -> None:
    """Fails its first `failures` attempts."""
    _write(path, f"attempt {context.attempt}")
    if context.attempt <= failures:
        raise RuntimeError("échec voulu")


@task(takes_context=True)
def hang_first(context: TaskContext, *, path: str) -> None:
    """Its first attempt never ends (the test kills its worker); the next ones return at once."""
    _write(path, f"attempt {context.attempt} pid {os.getpid()}")
    if context.attempt == 1:
        time.sleep(120)


@task()
def slow(*, path: str, seconds: float) -> None:
    """Writes when it starts and when it ends."""
    _write(path, "start")
    time.sleep(seconds)
    _write(path, "end")

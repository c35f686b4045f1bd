"""Running targets at the same instant in threads, each on its own database connection, for the PostgreSQL
concurrency proofs (payments, billing)."""

import threading
import time
from collections.abc import Callable

from django.db import connection


def slowed_reads_of(*tables: str) -> Callable:
    """An execute wrapper that pauses 0.2 s after every SELECT touching one of `tables`: it widens the race window,
    so that without row locks (or a unique constraint deciding) both threads would act on the same stale state."""

    def slow_reads(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.lstrip().upper().startswith("SELECT") and any(table in sql for table in tables):
            time.sleep(0.2)
        return result

    return slow_reads


def run_together(*targets: Callable, slowed_tables: tuple[str, ...] = ()) -> list:
    """Start every target at the same instant in its own thread (own connection); return their results, or the
    exception each raised (reported to the test, never swallowed)."""
    barrier = threading.Barrier(len(targets))
    results: list = [None] * len(targets)
    wrapper = slowed_reads_of(*slowed_tables)

    def run(index, target):
        try:
            barrier.wait()
            with connection.execute_wrapper(wrapper):
                results[index] = target()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results

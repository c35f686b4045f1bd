"""A throwaway redis-server on a free 127.0.0.1 port, for the tests that need a real Redis (and bench/load.py)."""

import shutil
import socket
import subprocess
import time
from contextlib import contextmanager

REDIS_OPTIONS = {
    # The same options as config/settings/base.py uses with REDIS_URL.
    "CLIENT_CLASS": "django_redis.client.DefaultClient",
    "IGNORE_EXCEPTIONS": True,
    "SOCKET_CONNECT_TIMEOUT": 1,
    "SOCKET_TIMEOUT": 1,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_caches(port: int) -> dict:
    """CACHES for django-redis on 127.0.0.1:port (nothing needs to listen there)."""
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": dict(REDIS_OPTIONS),
        }
    }


def wait_for_port(port: int, timeout: float = 10.0, process: subprocess.Popen | None = None) -> None:
    """Returns once 127.0.0.1:port accepts connections; fails early if `process` exits meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the process exited with code {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def redis_server_path() -> str | None:
    return shutil.which("redis-server")


@contextmanager
def running_redis(port: int | None = None):
    """Yields (port, process) of a redis-server without persistence; stops it on exit (if still running)."""
    port = port or free_port()
    process = subprocess.Popen(
        [
            redis_server_path() or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield port, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)

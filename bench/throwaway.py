"""A throwaway PostgreSQL database for a benchmark run, shared by the benchmarks that need one.

`database_create()` must run before `django.setup()`: it points DATABASE_URL (and the settings) at the new database.
"""

import os
import secrets
import subprocess
from urllib.parse import urlsplit, urlunsplit

import psycopg

SERVER_URL = os.environ.get("BENCH_ADMIN_URL", "postgres://postgres:postgres@127.0.0.1:5432/postgres")


def database_create() -> str:
    """Creates calmnessfi_bench_<random> on BENCH_ADMIN_URL's server and makes it this process's database."""
    name = f"calmnessfi_bench_{secrets.token_hex(4)}"
    with psycopg.connect(SERVER_URL, autocommit=True) as server:
        server.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlunsplit(urlsplit(SERVER_URL)._replace(path=f"/{name}"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    return name


def database_drop(name: str) -> None:
    with psycopg.connect(SERVER_URL, autocommit=True) as server:
        server.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def uptime() -> str:
    """The machine's load, with uptime's clock in UTC as the docs give times (Django sets TZ to TIME_ZONE)."""
    return subprocess.run(["uptime"], env={**os.environ, "TZ": "UTC"}, capture_output=True, text=True).stdout.strip()

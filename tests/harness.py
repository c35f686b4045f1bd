"""Helpers for the tests that run the project in subprocesses (production shape, faults)."""

import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """A DATABASE_URL for the database this test runs on (pytest's test_<name> on PostgreSQL)."""
    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{host}:{port}/{db['NAME']}"


def clean_env(**extra: str) -> dict:
    """The current environment without the project's settings, plus `extra`."""
    prefixes = ("DJANGO_", "DATABASE_", "REDIS_", "CORS_", "EMAIL_", "TELEGRAM_", "DISCORD_", "THROTTLE_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(extra)
    return env


# Values production accepts (config/secrets_policy.py), for the subprocesses that load config.settings.production.
PRODUCTION_SECRET_KEY = "prod-test-secret-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGH"


def production_env(**extra: str) -> dict:
    """clean_env() with what config.settings.production requires; nothing needs to listen at these addresses."""
    required = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": PRODUCTION_SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "EMAIL_URL": "smtp://127.0.0.1:1",
        "FRONTEND_URL": "https://app.calmnessfi.com",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    return clean_env(**{**required, **extra})


def manage(*args: str, env: dict, **popen) -> subprocess.Popen:
    """Starts `python manage.py <args>` (not waited for)."""
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


_LATER = (
    "import sys, time, time_machine; "
    "time_machine.travel(time.time() + float(sys.argv[1]), tick=True).start(); "
    "from django.core.management import execute_from_command_line; "
    "execute_from_command_line(['manage.py', *sys.argv[2:]])"
)


def manage_later(seconds: float, *args: str, env: dict, **popen) -> subprocess.Popen:
    """Starts `manage.py <args>` with its clock `seconds` ahead (e.g. the next cron run, after a lease expired)."""
    return subprocess.Popen(
        [sys.executable, "-c", _LATER, str(seconds), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )

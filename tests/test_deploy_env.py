"""deploy/env.example: complete for production once its placeholder secret is replaced, and refused while it is not
(issue 12, item 4: a published key would let anyone sign a JWT for any member)."""

import os
import secrets
import subprocess
import sys

from tests.harness import ROOT, clean_env
from tests.redis_server import free_port

ENV_EXAMPLE = ROOT / "deploy" / "env.example"


def env_example() -> dict:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def example_env(tmp_path, **changes: str) -> dict:
    values = env_example()
    # Only what cannot work here is swapped: a reachable database.
    values.update(DATABASE_URL=f"sqlite:///{tmp_path / 'env.sqlite3'}", **changes)
    return clean_env(DJANGO_SETTINGS_MODULE="config.settings.production", **values)


def test_env_example_sets_one_trusted_proxy():
    assert env_example()["DJANGO_NUM_PROXIES"] == "1"


def test_env_example_with_a_generated_secret_key_passes_the_system_checks(tmp_path):
    env = example_env(tmp_path, DJANGO_SECRET_KEY=secrets.token_urlsafe(50))

    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_start_sh_prod_refuses_the_example_secret_key(tmp_path):
    port = free_port()
    env = example_env(tmp_path, HOST="127.0.0.1", PORT=str(port))

    result = subprocess.run(["./start.sh", "prod"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)

    assert result.returncode != 0
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("django.core.exceptions.ImproperlyConfigured: DJANGO_SECRET_KEY refusée en production")
    )
    assert not (tmp_path / "env.sqlite3").exists()  # refused before migrate touched the database


def test_gunicorn_refuses_to_boot_with_the_example_secret_key(tmp_path):
    env = example_env(tmp_path, HOST="127.0.0.1", PORT=str(free_port()))

    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")

    result = subprocess.run(
        [gunicorn, "config.wsgi:application", "-c", "deploy/gunicorn.conf.py", "--workers", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,  # the master exits once its worker failed to boot
    )

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY refusée en production" in result.stderr

"""deploy/env.example, used as it is, passes `manage.py check` with the production settings (so `migrate` runs)."""

import subprocess
import sys

from tests.harness import ROOT, clean_env

ENV_EXAMPLE = ROOT / "deploy" / "env.example"


def env_example() -> dict:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def test_env_example_sets_one_trusted_proxy():
    assert env_example()["DJANGO_NUM_PROXIES"] == "1"


def test_env_example_passes_the_system_checks_with_production_settings(tmp_path):
    values = env_example()
    # Only what cannot work here is swapped: a reachable database, no Redis host to resolve.
    values.update(DATABASE_URL=f"sqlite:///{tmp_path / 'env.sqlite3'}", REDIS_URL="")
    env = clean_env(DJANGO_SETTINGS_MODULE="config.settings.production", **values)

    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout

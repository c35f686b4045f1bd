"""./start.sh: installs again only when the requirements changed, serves links that follow HOST/PORT, passes -rfEs and
any pytest arguments. It runs from a copy in a temporary folder whose venv's programs only record how they were
called (the real install and server are what CI and the README's two commands run)."""

import shutil
import subprocess
import sys

import pytest

from tests.harness import ROOT, clean_env

RECORDER = """#!/usr/bin/env bash
echo "$(basename "$0") $* | FRONTEND_URL=${FRONTEND_URL-} DISCORD_REDIRECT_URI=${DISCORD_REDIRECT_URI-}\
 DISCORD_LINK_REDIRECT_URL=${DISCORD_LINK_REDIRECT_URL-} VENV=${VENV-}" >> "$START_SH_LOG"
"""


@pytest.fixture
def project(tmp_path):
    """A folder with start.sh, two requirements files and a venv of recorders."""
    shutil.copy(ROOT / "start.sh", tmp_path / "start.sh")
    (tmp_path / "requirements.txt").write_text("# runtime\n")
    (tmp_path / "requirements-dev.txt").write_text("# runtime and tools\n")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("python", "pip", "ruff", "mypy"):
        (bin_dir / name).write_text(RECORDER)
        (bin_dir / name).chmod(0o755)
    return tmp_path


def start_sh_env(project, **env: str) -> dict:
    """The environment of a run in `project`: none of the variables start.sh reads, unless given."""
    read_by_start_sh = ("VENV", "EXTRA_REQUIREMENTS", "HOST", "PORT", "FRONTEND_URL")
    environment = {k: v for k, v in clean_env().items() if k not in read_by_start_sh}
    environment.update(PYTHON=sys.executable, START_SH_LOG=str(project / "calls.log"), **env)
    return environment


def start_sh(project, *args: str, **env: str) -> list[str]:
    """Runs ./start.sh in `project`; the calls its venv's programs received, one line each."""
    log = project / "calls.log"
    log.unlink(missing_ok=True)
    result = subprocess.run(
        ["./start.sh", *args], cwd=project, env=start_sh_env(project, **env), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return log.read_text().splitlines() if log.exists() else []


def pip_installs(calls: list[str]) -> list[str]:
    return [call.split(" | ")[0] for call in calls if call.startswith("pip install")]


def test_serve_installs_the_requirements_once_then_again_when_they_change(project):
    first = start_sh(project)
    second = start_sh(project)
    (project / "requirements.txt").write_text("# runtime, one more package\n")
    third = start_sh(project)

    assert pip_installs(first) == ["pip install --quiet --disable-pip-version-check -r requirements.txt"]
    assert pip_installs(second) == []
    assert pip_installs(third) == ["pip install --quiet --disable-pip-version-check -r requirements.txt"]


def test_installing_the_test_requirements_also_satisfies_serve(project):
    test_run = start_sh(project, "test")
    serve_run = start_sh(project)

    assert pip_installs(test_run) == ["pip install --quiet --disable-pip-version-check -r requirements-dev.txt"]
    assert pip_installs(serve_run) == []


def test_a_failed_install_is_tried_again_at_the_next_start(project):
    pip = project / ".venv" / "bin" / "pip"
    pip.write_text(RECORDER + "exit 1\n")
    failed = subprocess.run(["./start.sh"], cwd=project, env=start_sh_env(project), capture_output=True, timeout=60)
    pip.write_text(RECORDER)

    assert failed.returncode != 0
    assert pip_installs(start_sh(project)) == ["pip install --quiet --disable-pip-version-check -r requirements.txt"]


def test_the_extra_requirements_are_part_of_what_is_checked(project):
    (project / "requirements-next.txt").write_text("# next framework\n")

    first = start_sh(project, "test", EXTRA_REQUIREMENTS="requirements-next.txt")
    (project / "requirements-next.txt").write_text("# next framework, one release later\n")
    second = start_sh(project, "test", EXTRA_REQUIREMENTS="requirements-next.txt")

    expected = [
        "pip install --quiet --disable-pip-version-check -r requirements-dev.txt",
        "pip install --quiet --disable-pip-version-check -r requirements-next.txt",
    ]
    assert pip_installs(first) == expected
    assert pip_installs(second) == expected


def test_test_prints_the_skip_reasons_and_passes_pytest_arguments_through(project):
    calls = start_sh(project, "test", "-m", "not e2e", "-x")

    pytest_calls = [call.split(" | ")[0] for call in calls if call.startswith("python -m pytest")]
    assert pytest_calls == ["python -m pytest -rfEs -m not e2e -x"]
    assert calls[-1].endswith("VENV=.venv")  # ./start.sh prod, run by a test, uses the same venv


def test_serve_links_follow_host_and_port(project):
    calls = start_sh(project, HOST="127.0.0.1", PORT="8123")

    runserver = [call for call in calls if call.startswith("python manage.py runserver")]
    assert runserver == [
        "python manage.py runserver 127.0.0.1:8123 | FRONTEND_URL=http://127.0.0.1:8123/espace"
        " DISCORD_REDIRECT_URI=http://127.0.0.1:8123/api/auth/discord/callback/"
        " DISCORD_LINK_REDIRECT_URL=http://127.0.0.1:8123/espace/profil/ VENV="
    ]


def test_serve_keeps_the_addresses_set_in_the_environment_or_in_dot_env(project):
    (project / ".env").write_text("DISCORD_REDIRECT_URI=https://tunnel.example/api/auth/discord/callback/\n")

    calls = start_sh(project, PORT="8123", FRONTEND_URL="https://tunnel.example/espace")

    runserver = [call for call in calls if call.startswith("python manage.py runserver")]
    # DISCORD_REDIRECT_URI stays unset: the settings read it from .env.
    assert runserver == [
        "python manage.py runserver localhost:8123 | FRONTEND_URL=https://tunnel.example/espace"
        " DISCORD_REDIRECT_URI= DISCORD_LINK_REDIRECT_URL=http://localhost:8123/espace/profil/ VENV="
    ]


def test_serve_runs_the_task_worker_beside_the_server(project):
    # The server's recorder returns once the worker's has written its line: start.sh stops the worker when the
    # server exits, which could otherwise come before the worker's recorder ran at all.
    (project / ".venv" / "bin" / "python").write_text(
        RECORDER + 'if [ "${2-}" = runserver ]; then\n'
        '    for _ in $(seq 100); do grep -q task_worker "$START_SH_LOG" && break; sleep 0.1; done\n'
        "fi\n"
    )

    calls = [call.split(" | ")[0] for call in start_sh(project)]

    assert "python manage.py task_worker" in calls
    assert "python manage.py runserver localhost:8000" in calls

"""deploy/*.service: the Telegram poller and the task worker run like the API (same user, env file, settings) and
always restart.
deploy/crontab, the project's only crontab: every job runs a management command that exists, in production."""

import configparser
import re
import shutil
import subprocess

import pytest
from django.core.management import get_commands, load_command_class

from tests.harness import ROOT

API_UNIT = ROOT / "deploy" / "calmnessfi.service"
POLL_UNIT = ROOT / "deploy" / "calmnessfi-telegram-poll.service"
WORKER_UNIT = ROOT / "deploy" / "calmnessfi-worker.service"
CRONTAB = ROOT / "deploy" / "crontab"


class _CaseSensitiveParser(configparser.ConfigParser):
    def optionxform(self, optionstr: str) -> str:
        return optionstr  # systemd's keys are case-sensitive


def service_section(path) -> dict:
    parser = _CaseSensitiveParser(strict=False, interpolation=None)
    parser.read_string(path.read_text())
    return dict(parser["Service"])


def test_poll_unit_runs_telegram_poll_as_the_api_does_and_always_restarts():
    api, poll = service_section(API_UNIT), service_section(POLL_UNIT)

    assert poll["ExecStart"].startswith("/srv/calmnessfi/.venv/bin/python manage.py telegram_poll")
    assert poll["Restart"] == "always"
    for key in ("User", "Group", "WorkingDirectory", "EnvironmentFile"):
        assert poll[key] == api[key], key
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in poll["Environment"]


def test_worker_unit_runs_the_task_worker_as_the_api_does_always_restarts_and_lets_a_task_finish():
    api, worker = service_section(API_UNIT), service_section(WORKER_UNIT)

    assert worker["ExecStart"] == "/srv/calmnessfi/.venv/bin/python manage.py task_worker --no-reload"
    assert worker["Restart"] == "always"
    for key in ("User", "Group", "WorkingDirectory", "EnvironmentFile"):
        assert worker[key] == api[key], key
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in worker["Environment"]
    assert "task_worker" in get_commands()
    assert int(worker["TimeoutStopSec"]) > 10  # SIGTERM: the running task ends before the worker does


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
@pytest.mark.parametrize("unit", [API_UNIT, POLL_UNIT, WORKER_UNIT], ids=lambda path: path.name)
def test_systemd_accepts_the_unit(unit, tmp_path):
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )

    # Only the executable is missing here (/srv/calmnessfi is the install path): any other remark is a unit error.
    remarks = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert [line for line in remarks if "/srv/calmnessfi/.venv/bin/" not in line] == [], remarks


def cron_jobs() -> list[str]:
    """The crontab's job lines: neither comments nor `NAME=value` settings."""
    lines = [line.strip() for line in CRONTAB.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#") and not re.match(r"^[A-Z_]+=", line)]


def test_every_cron_job_runs_a_management_command_that_exists():
    jobs = cron_jobs()
    # A job that runs no manage.py command keeps its whole line here, which is no command's name.
    named = [match.group(1) if (match := re.search(r" manage\.py ([a-z_]+)", job)) else job for job in jobs]

    # reminders, channel access, old task results pruned, Stripe reconciliation, signals' channel messages caught up
    # (docs/operations.md)
    assert len(named) == 5
    commands = get_commands()
    assert [name for name in named if name not in commands] == []
    for name in named:
        load_command_class(commands[name], name)  # imports: a command whose module is broken fails here


def test_every_cron_job_reads_the_production_env_file_and_settings():
    for job in cron_jobs():
        assert ". /etc/calmnessfi/env" in job, job
        assert "DJANGO_SETTINGS_MODULE=config.settings.production .venv/bin/python manage.py" in job, job


def test_deploy_crontab_is_the_only_crontab():
    crontabs = [*ROOT.glob("*crontab*"), *(ROOT / "deploy").glob("*crontab*")]

    assert crontabs == [CRONTAB]

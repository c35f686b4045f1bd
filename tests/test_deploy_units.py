"""deploy/*.service: the Telegram poller runs like the API (same user, env file, settings) and always restarts."""

import configparser
import shutil
import subprocess

import pytest

from tests.harness import ROOT

API_UNIT = ROOT / "deploy" / "calmnessfi.service"
POLL_UNIT = ROOT / "deploy" / "calmnessfi-telegram-poll.service"


def service_section(path) -> dict:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string(path.read_text())
    return dict(parser["Service"])


def test_poll_unit_runs_telegram_poll_as_the_api_does_and_always_restarts():
    api, poll = service_section(API_UNIT), service_section(POLL_UNIT)

    assert poll["ExecStart"].startswith("/srv/calmnessfi/.venv/bin/python manage.py telegram_poll")
    assert poll["Restart"] == "always"
    for key in ("User", "Group", "WorkingDirectory", "EnvironmentFile"):
        assert poll[key] == api[key], key
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in poll["Environment"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
@pytest.mark.parametrize("unit", [API_UNIT, POLL_UNIT], ids=lambda path: path.name)
def test_systemd_accepts_the_unit(unit, tmp_path):
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )

    # Only the executable is missing here (/srv/calmnessfi is the install path): any other remark is a unit error.
    remarks = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert [line for line in remarks if "/srv/calmnessfi/.venv/bin/" not in line] == [], remarks

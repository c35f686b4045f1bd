"""What a developer sees under ./start.sh: `/` leads to the member space, and each request logs one readable line."""

import logging
import subprocess
import sys

from django.conf import settings

from core.logging import REQUEST_LOGGER, PlainFormatter
from tests.harness import ROOT, clean_env

REQUEST_IN_DEVELOPMENT = """
import django
django.setup()
from django.test import Client
Client().get("/espace/connexion/?next=/espace/&token=secret-in-query")
Client().get("/")
"""


def test_the_root_redirects_to_the_member_space_for_now(client):
    response = client.get("/")

    assert response.status_code == 302  # not 301: a browser would keep it after the root changes
    assert response["Location"] == "/espace/"


def test_development_logs_one_readable_line_per_request_without_the_query_string(tmp_path):
    env = clean_env(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_DEBUG="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'dev.sqlite3'}",
        LOG_LEVEL="INFO",
        LOG_JSON="0",
    )

    result = subprocess.run(
        [sys.executable, "-c", REQUEST_IN_DEVELOPMENT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    requests = [line for line in result.stderr.splitlines() if f" {REQUEST_LOGGER} " in line]
    assert len(requests) == 2, result.stderr
    # "2026-03-01 10:00:00,123 INFO calmnessfi.request [<request id>] GET /espace/connexion/ 200 12.3 ms"
    first, second = (line.split("] ", 1)[1] for line in requests)
    method, path, status, duration, unit = first.split(" ")
    assert (method, path, status, unit) == ("GET", "/espace/connexion/", "200", "ms")
    assert float(duration) > 0
    assert second.startswith("GET / 302 ")
    assert "secret-in-query" not in result.stderr


def test_the_plain_formatter_leaves_other_lines_as_they_are():
    formatter = PlainFormatter(settings.LOGGING["formatters"]["plain"]["format"])
    record = logging.makeLogRecord(
        {"name": "calmnessfi.cron", "levelname": "INFO", "msg": "cron summary %s", "args": ("ok",), "request_id": "-"}
    )

    assert formatter.format(record).endswith("INFO calmnessfi.cron [-] cron summary ok")

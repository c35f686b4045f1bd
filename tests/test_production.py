"""Production shape: probes, request ids, structured logs without secrets, CORS, production settings, start.sh prod."""

import io
import json
import logging
import os
import subprocess
import sys
import time

import httpx
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from conftest import client_for
from core.logging import JsonFormatter, RequestIdFilter
from core.management.base import CronCommand
from tests.harness import ROOT, database_url, production_env
from tests.redis_server import free_port, redis_server_path, running_redis, wait_for_port

pytestmark = pytest.mark.django_db

PASSWORD = "MotDePasse123!"
FRONTEND = "https://app.calmnessfi.com"


@pytest.fixture
def json_log():
    """Everything logged at INFO and above, formatted as in production (LOG_JSON=1)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


# Probes


def test_health_answers_without_authentication(api_client):
    response = api_client.get("/api/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_is_200_when_database_and_cache_answer(api_client):
    response = api_client.get("/api/ready/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "cache": True}


# Request ids


def test_request_id_is_generated_and_echoed(api_client):
    response = api_client.get("/api/health/")
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    assert int(request_id, 16) >= 0


def test_request_id_from_the_proxy_is_kept(api_client):
    response = api_client.get("/api/health/", HTTP_X_REQUEST_ID="nginx-4f2a.9")
    assert response["X-Request-ID"] == "nginx-4f2a.9"


def test_unsafe_request_id_is_replaced(api_client):
    response = api_client.get("/api/health/", HTTP_X_REQUEST_ID='x"}\n{"level":"forged')
    assert response["X-Request-ID"] != 'x"}\n{"level":"forged'
    assert len(response["X-Request-ID"]) == 32


# Structured logs


def test_one_json_line_per_request_with_its_request_id(api_client, json_log):
    api_client.get("/api/health/", HTTP_X_REQUEST_ID="req-1")
    api_client.get("/api/does-not-exist/", HTTP_X_REQUEST_ID="req-2")

    requests = [line for line in _lines(json_log) if line["logger"] == "calmnessfi.request"]
    assert [(r["request_id"], r["method"], r["path"], r["status"]) for r in requests] == [
        ("req-1", "GET", "/api/health/", 200),
        ("req-2", "GET", "/api/does-not-exist/", 404),
    ]
    assert all(isinstance(r["duration_ms"], float) for r in requests)


def test_login_password_never_reaches_the_logs(api_client, member, json_log):
    secret = "Ultra-Secret-Passw0rd!"
    member.set_password(secret)
    member.save()

    good = api_client.post("/api/auth/login/", {"email": member.email, "password": secret}, format="json")
    bad = api_client.post("/api/auth/login/", {"email": member.email, "password": secret + "x"}, format="json")

    assert (good.status_code, bad.status_code) == (200, 401)
    output = json_log.getvalue()
    assert "/api/auth/login/" in output  # the requests were logged...
    assert secret not in output  # ...without the password,
    assert good.json()["access"] not in output  # nor the tokens handed out
    assert good.json()["refresh"] not in output


def test_authorization_header_never_reaches_the_logs(member, json_log):
    client = client_for(member)
    token = client._credentials["HTTP_AUTHORIZATION"].split()[1]

    client.get("/api/auth/user/dashboard/")
    client.get("/api/auth/user/does-not-exist/")

    output = json_log.getvalue()
    assert output.count('"logger": "calmnessfi.request"') == 2
    assert token not in output
    assert "Bearer" not in output


def test_secret_keys_passed_to_a_logger_are_masked(json_log):
    logging.getLogger("calmnessfi.test").info("event", extra={"password": "p4ss", "token": "t0k", "user_id": 7})
    (line,) = [line for line in _lines(json_log) if line["logger"] == "calmnessfi.test"]
    assert (line["password"], line["token"], line["user_id"]) == ("***", "***", 7)


class _SummaryCommand(CronCommand):
    def run(self, **options):
        return {"created": 3, "failed": 0}


def test_cron_command_logs_one_json_summary(json_log):
    call_command(_SummaryCommand(), stdout=io.StringIO())

    summaries = [line for line in _lines(json_log) if line["message"] == "cron summary"]
    assert len(summaries) == 1
    assert summaries[0]["summary"] == {"created": 3, "failed": 0}
    assert summaries[0]["logger"] == "calmnessfi.cron"


# CORS (CORS_ALLOWED_ORIGINS from the environment, see test_production_settings_read_the_environment)


@override_settings(CORS_ALLOWED_ORIGINS=[FRONTEND])
def test_cors_preflight_from_an_allowed_origin_is_accepted(api_client):
    response = api_client.options(
        "/api/auth/login/",
        HTTP_ORIGIN=FRONTEND,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == FRONTEND
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "authorization" in response["Access-Control-Allow-Headers"]


@override_settings(CORS_ALLOWED_ORIGINS=[FRONTEND])
def test_cors_preflight_from_another_origin_gets_no_allow_header(api_client):
    response = api_client.options(
        "/api/auth/login/", HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert "Access-Control-Allow-Origin" not in response


@override_settings(CORS_ALLOWED_ORIGINS=[FRONTEND])
def test_cors_headers_on_an_actual_request_from_the_frontend(api_client):
    response = api_client.get("/api/health/", HTTP_ORIGIN=FRONTEND)
    assert response["Access-Control-Allow-Origin"] == FRONTEND


# Production settings, loaded in a fresh interpreter from the environment alone

_PROBE = r"""
import json, logging, django
django.setup()
from django.conf import settings
from django.test import Client
c = Client()
out = {
    "cors": settings.CORS_ALLOWED_ORIGINS,
    "debug": settings.DEBUG,
    "cache": settings.CACHES["default"]["BACKEND"],
    "health": c.get("/api/health/").status_code,
    "ready": [c.get("/api/ready/").status_code, c.get("/api/ready/").json()],
    "plain_http": [c.get("/api/x/").status_code, c.get("/api/x/")["Location"]],
    "behind_tls": c.get("/api/x/", HTTP_X_FORWARDED_PROTO="https").status_code,
}
print(json.dumps(out))
"""


def _production_env(**extra) -> dict:
    return production_env(LOG_JSON="1", LOG_LEVEL="INFO", **extra)


def test_production_settings_read_the_environment_and_log_json():
    # Nothing listens on those ports: readiness must say the database and Redis are down, liveness must not care.
    env = _production_env(
        DATABASE_URL=f"postgres://nobody:nothing@127.0.0.1:{free_port()}/none",
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        CORS_ALLOWED_ORIGINS=f"{FRONTEND},https://admin.calmnessfi.com",
    )
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr

    out = json.loads(result.stdout.splitlines()[-1])
    assert out["cors"] == [FRONTEND, "https://admin.calmnessfi.com"]
    assert out["debug"] is False
    assert out["cache"] == "django_redis.cache.RedisCache"  # REDIS_URL is required in production
    assert out["health"] == 200
    assert out["ready"] == [503, {"status": "unavailable", "database": False, "cache": False}]
    assert out["plain_http"] == [301, "https://testserver/api/x/"]  # SECURE_SSL_REDIRECT
    assert out["behind_tls"] == 404  # nginx's X-Forwarded-Proto: https is trusted

    logged = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    requests = [line for line in logged if line["message"] == "request"]
    assert [r["path"] for r in requests][:2] == ["/api/health/", "/api/ready/"]
    assert all(len(r["request_id"]) == 32 for r in requests)


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = _production_env()
    del env["DJANGO_SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


# ./start.sh prod for real: gunicorn (2 workers), PostgreSQL, Redis, WhiteNoise


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(redis_server_path() is None, reason="needs redis-server (apt-get install redis-server)")
def test_start_sh_prod_serves_the_api_and_static_files_with_two_workers(tmp_path):
    port = free_port()
    with running_redis() as (redis_port, _):
        env = _production_env(
            DATABASE_URL=f"{database_url()}?application_name=calmnessfi-api",
            REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
            HOST="127.0.0.1",
            PORT=str(port),
            DJANGO_SECURE_SSL_REDIRECT="0",
        )
        log = (tmp_path / "prod.log").open("w+")
        server = subprocess.Popen(
            ["./start.sh", "prod"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            try:
                wait_for_port(port, timeout=180, process=server)
            except (RuntimeError, TimeoutError) as exc:
                log.seek(0)
                pytest.fail(f"./start.sh prod did not start: {exc}\n{log.read()[-3000:]}")
            base = f"http://127.0.0.1:{port}"
            health = httpx.get(f"{base}/api/health/?code=oauth-code-secret", headers={"X-Request-ID": "probe-1"})
            ready = httpx.get(f"{base}/api/ready/")
            static = httpx.get(f"{base}/static/admin/css/base.css")
            # The database drops every API connection (restart, failover): the workers reconnect, no error.
            warm = [httpx.get(f"{base}/api/ready/").status_code for _ in range(4)]
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s",
                    ["calmnessfi-api"],
                )
                (killed,) = cursor.fetchone()
            after_kill = [httpx.get(f"{base}/api/ready/").status_code for _ in range(6)]
            time.sleep(0.5)  # let the workers flush their log lines
        finally:
            if server.poll() is None:
                os.killpg(server.pid, 15)
            server.wait(timeout=30)
        log.seek(0)
        output = log.read()

    assert (health.status_code, health.headers["X-Request-ID"]) == (200, "probe-1")
    assert (ready.status_code, ready.json()) == (200, {"status": "ok", "database": True, "cache": True})
    assert static.status_code == 200
    assert warm == [200] * 4
    assert killed >= 1
    assert after_kill == [200] * 6  # CONN_HEALTH_CHECKS: a dead persistent connection is replaced, not a 503/500
    assert "text/css" in static.headers["Content-Type"]
    assert b"body" in static.content  # WhiteNoise served the collected file
    logged = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert sum(line["message"].startswith("Booting worker") for line in logged) == 2  # gunicorn's lines are JSON too
    requests = [line for line in logged if line["message"] == "request"]
    assert any(line["request_id"] == "probe-1" and line["path"] == "/api/health/" for line in requests)
    assert "oauth-code-secret" not in output  # no access log with query strings

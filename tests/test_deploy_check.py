"""`manage.py check --deploy` under the production settings: clean with real values, and a refusal to start, naming
the variable, for each placeholder secret or missing production setting (issue 12, items 4 and 11)."""

import re
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from tests.harness import ROOT, production_env

DEPLOY_EXAMPLE = (ROOT / "deploy" / "env.example").read_text()
DEV_EXAMPLE = (ROOT / ".env.example").read_text()


def example_value(text: str, name: str) -> str:
    """The value an example file gives `name` (commented out or not)."""
    match = re.search(rf"^#?\s*{name}=(\S*)", text, re.MULTILINE)
    assert match, f"{name} is not in the example"
    return match.group(1)


def real_values(tmp_path) -> dict:
    """Every secret set, to values production accepts, and Discord configured with public addresses."""
    return {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "api.calmnessfi.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "TELEGRAM_BOT_TOKEN": "7000000001:AAHreal-looking-token-0123456789",
        "TELEGRAM_BOT_USERNAME": "calmnessfi_bot",
        "TELEGRAM_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "TELEGRAM_WEBHOOK_URL": "https://api.calmnessfi.com/api/telegram/webhook/",
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "DISCORD_CLIENT_ID": "123456789012345678",
        "DISCORD_CLIENT_SECRET": secrets.token_urlsafe(24),
        "DISCORD_REDIRECT_URI": "https://api.calmnessfi.com/api/auth/discord/callback/",
        "DISCORD_LINK_REDIRECT_URL": "https://app.calmnessfi.com/profil/",
    }


def check_deploy(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_refused(result: subprocess.CompletedProcess, name: str) -> str:
    """The command failed, and its last line names the variable: the reason is one line, not buried."""
    assert result.returncode != 0, result.stdout + result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("django.core.exceptions.ImproperlyConfigured: "), result.stderr
    assert name in last
    return last


def test_check_deploy_has_no_warning_with_production_settings(tmp_path):
    result = check_deploy(production_env(**real_values(tmp_path)))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


REFUSED_SECRETS = {
    "secret key of deploy/env.example": ("DJANGO_SECRET_KEY", example_value(DEPLOY_EXAMPLE, "DJANGO_SECRET_KEY")),
    "development secret key": ("DJANGO_SECRET_KEY", example_value(DEV_EXAMPLE, "DJANGO_SECRET_KEY")),
    "secret key of 49 characters": ("DJANGO_SECRET_KEY", secrets.token_hex(25)[:49]),
    "Django's startproject key": ("DJANGO_SECRET_KEY", "django-insecure-" + secrets.token_hex(30)),
    "development key as JWT key": ("JWT_SIGNING_KEY", example_value(DEV_EXAMPLE, "DJANGO_SECRET_KEY")),
    "JWT key of 20 characters": ("JWT_SIGNING_KEY", secrets.token_hex(10)),
    "webhook secret of 31 characters": ("TELEGRAM_WEBHOOK_SECRET", secrets.token_hex(16)[:31]),
    "webhook placeholder": ("TELEGRAM_WEBHOOK_SECRET", "change-me-to-32-random-characters-please"),
    "test Fernet key": ("FIELD_ENCRYPTION_KEY", settings.FIELD_ENCRYPTION_KEY),
    "not a Fernet key": ("FIELD_ENCRYPTION_KEY", secrets.token_urlsafe(33)),
}


@pytest.mark.parametrize(("name", "value"), REFUSED_SECRETS.values(), ids=REFUSED_SECRETS.keys())
def test_production_refuses_to_start_with_a_placeholder_or_weak_secret(tmp_path, name, value):
    result = check_deploy(production_env(**{**real_values(tmp_path), name: value}))

    assert_refused(result, name)
    assert value not in result.stderr + result.stdout  # the refusal does not print the secret


MISSING_OR_UNSAFE = {
    "no EMAIL_URL": ("EMAIL_URL", {"EMAIL_URL": ""}),
    "console e-mail through EMAIL_URL": ("EMAIL_URL", {"EMAIL_URL": "consolemail://"}),
    "console EMAIL_BACKEND": (
        "EMAIL_BACKEND",
        {"EMAIL_URL": "", "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"},
    ),
    "no FRONTEND_URL": ("FRONTEND_URL", {"FRONTEND_URL": ""}),
    "FRONTEND_URL on localhost": ("FRONTEND_URL", {"FRONTEND_URL": "http://localhost:8000/espace"}),
    "no REDIS_URL": ("REDIS_URL", {"REDIS_URL": ""}),
    "Discord callback on localhost": (
        "DISCORD_REDIRECT_URI",
        {"DISCORD_REDIRECT_URI": "http://localhost:8000/api/auth/discord/callback/"},
    ),
    "Discord landing on 127.0.0.1": (
        "DISCORD_LINK_REDIRECT_URL",
        {"DISCORD_LINK_REDIRECT_URL": "http://127.0.0.1:8000/espace/profil/"},
    ),
    "Stripe key without its webhook secret": (
        "STRIPE_WEBHOOK_SECRET",
        {"STRIPE_SECRET_KEY": "sk_test_" + "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6", "STRIPE_WEBHOOK_SECRET": ""},
    ),
}


@pytest.mark.parametrize(("name", "values"), MISSING_OR_UNSAFE.values(), ids=MISSING_OR_UNSAFE.keys())
def test_production_refuses_to_start_without_mail_delivery_frontend_and_shared_cache(tmp_path, name, values):
    env = production_env(**real_values(tmp_path))
    for key, value in values.items():
        if value:
            env[key] = value
        else:
            env.pop(key, None)

    assert_refused(check_deploy(env), name)


def test_a_non_console_email_backend_may_replace_email_url(tmp_path):
    env = production_env(**real_values(tmp_path), EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend")
    del env["EMAIL_URL"]

    result = check_deploy(env)

    assert result.returncode == 0, result.stdout + result.stderr

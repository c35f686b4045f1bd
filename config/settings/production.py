"""Production settings: secrets have no default, so a missing one stops the start-up; so does a secret anyone can
know (config/secrets_policy.py) or a setting whose default is only safe on a developer's machine."""

from config import secrets_policy as policy

from .base import *  # noqa: F403
from .base import (
    DISCORD_CLIENT_ID,
    DISCORD_LINK_REDIRECT_URL,
    DISCORD_REDIRECT_URI,
    EMAIL_BACKEND,
    EMAIL_URL,
    FIELD_ENCRYPTION_KEY,
    FRONTEND_URL,
    REDIS_URL,
    SIMPLE_JWT,
    STRIPE_SECRET_KEY,
    STRIPE_WEBHOOK_SECRET,
    TELEGRAM_WEBHOOK_SECRET,
    env,
)

DEBUG = False
SECRET_KEY = policy.require_signing_key("DJANGO_SECRET_KEY", env("DJANGO_SECRET_KEY"))
if env("JWT_SIGNING_KEY", default=""):
    SIMPLE_JWT["SIGNING_KEY"] = policy.require_signing_key("JWT_SIGNING_KEY", env("JWT_SIGNING_KEY"))
else:
    SIMPLE_JWT["SIGNING_KEY"] = SECRET_KEY
if TELEGRAM_WEBHOOK_SECRET:
    policy.require_webhook_secret(TELEGRAM_WEBHOOK_SECRET)
if FIELD_ENCRYPTION_KEY:
    policy.require_fernet_key(FIELD_ENCRYPTION_KEY)
policy.require_stripe_webhook_secret(secret_key=STRIPE_SECRET_KEY, webhook_secret=STRIPE_WEBHOOK_SECRET)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

# What base.py defaults to for a developer would fail members silently here: reset links printed to stderr and
# pointing at localhost, each gunicorn worker counting its own login attempts.
if EMAIL_URL:
    policy.require_delivering_email_backend(EMAIL_BACKEND, name="EMAIL_URL")
elif env("EMAIL_BACKEND", default=""):
    policy.require_delivering_email_backend(EMAIL_BACKEND, name="EMAIL_BACKEND")
else:
    raise policy.missing("EMAIL_URL", "serveur SMTP des e-mails de vérification et de réinitialisation")
if not env("FRONTEND_URL", default=""):
    raise policy.missing("FRONTEND_URL", "adresse de l'espace membre dans les liens des e-mails")
policy.require_public_url("FRONTEND_URL", FRONTEND_URL)
if not REDIS_URL:
    raise policy.missing("REDIS_URL", "compteurs de limitation partagés par tous les workers et tous les hôtes")
if DISCORD_CLIENT_ID:  # Discord linking is on: the browser is sent to these addresses
    policy.require_public_url("DISCORD_REDIRECT_URI", DISCORD_REDIRECT_URI)
    policy.require_public_url("DISCORD_LINK_REDIRECT_URL", DISCORD_LINK_REDIRECT_URL)

# Persistent database connections: opening one per request cost ~7 ms here (bench/load.py, docs/benchmarks.md).
# The health check (one cheap round trip per request) makes a worker reconnect after a database restart or a
# killed connection instead of answering one 500.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405

# Behind a TLS-terminating proxy (nginx): trust its X-Forwarded-Proto header.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^api/health/$", r"^api/ready/$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
LOG_JSON = env.bool("LOG_JSON", default=True)
LOGGING["handlers"]["console"]["formatter"] = "json" if LOG_JSON else "plain"  # noqa: F405

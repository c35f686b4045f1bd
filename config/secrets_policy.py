"""What production refuses to start with (config/settings/production.py): secrets anyone can know or guess, and
settings that would silently do the unsafe thing (mail printed to the console, throttle counters per worker, links
to localhost).

The one home of the known values: base.py takes its development key from here and test.py its Fernet key, and
every placeholder of .env.example and deploy/env.example contains "change-me", so none of them can sign a token in
production. Each refusal is one line naming the variable, never echoing its value.
"""

from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

DEVELOPMENT_SECRET_KEY = "dev-insecure-secret-key-change-me-0123456789abcdefghijklmnop"
TEST_FIELD_ENCRYPTION_KEY = "kP1qUu3Jx6mQWzq0d3J0m0c1Yc3mM5vJ8gk0g3v2r4Y="
KNOWN_SECRETS = frozenset({DEVELOPMENT_SECRET_KEY, TEST_FIELD_ENCRYPTION_KEY})
# In the examples' placeholders, and in the keys of Django's startproject template.
PLACEHOLDER_MARKERS = ("change-me", "changeme", "change_me", "django-insecure")

MIN_SIGNING_KEY_LENGTH = 50
MIN_WEBHOOK_SECRET_LENGTH = 32
NON_DELIVERING_EMAIL_BACKENDS = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
    }
)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})  # noqa: S104 - refused, not bound

GENERATE_SIGNING_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(50))"'
GENERATE_WEBHOOK_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
GENERATE_FERNET_KEY = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'


def is_known_secret(value: str) -> bool:
    lowered = value.lower()
    return value in KNOWN_SECRETS or any(marker in lowered for marker in PLACEHOLDER_MARKERS)


def _refuse(name: str, reason: str, fix: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name} refusée en production : {reason} ; {fix}.")


def require_signing_key(name: str, value: str) -> str:
    """`value` if it may sign sessions, e-mailed tokens and JWTs: not a published value, 50 characters or more."""
    fix = f"générez-en une avec {GENERATE_SIGNING_KEY}"
    if is_known_secret(value):
        raise _refuse(name, "valeur d'exemple ou de développement, connue de tous", fix)
    if len(value) < MIN_SIGNING_KEY_LENGTH:
        raise _refuse(name, f"{len(value)} caractères, il en faut au moins {MIN_SIGNING_KEY_LENGTH}", fix)
    return value


def require_webhook_secret(value: str) -> str:
    fix = f"générez-en un avec {GENERATE_WEBHOOK_SECRET}"
    if is_known_secret(value):
        raise _refuse("TELEGRAM_WEBHOOK_SECRET", "valeur d'exemple, connue de tous", fix)
    if len(value) < MIN_WEBHOOK_SECRET_LENGTH:
        reason = f"{len(value)} caractères, il en faut au moins {MIN_WEBHOOK_SECRET_LENGTH}"
        raise _refuse("TELEGRAM_WEBHOOK_SECRET", reason, fix)
    return value


def require_stripe_webhook_secret(*, secret_key: str, webhook_secret: str) -> None:
    """Stripe on (a secret key) needs the webhook's signing secret: without it no payment would ever be confirmed."""
    if secret_key and not webhook_secret:
        raise missing(
            "STRIPE_WEBHOOK_SECRET", "STRIPE_SECRET_KEY est donnée : sans lui aucun paiement par carte n'est confirmé"
        )


def require_fernet_key(value: str) -> str:
    fix = f"générez-en une avec {GENERATE_FERNET_KEY}"
    if is_known_secret(value):
        raise _refuse("FIELD_ENCRYPTION_KEY", "clé d'exemple ou de test, connue de tous", fix)
    try:
        Fernet(value)
    except (ValueError, TypeError):
        raise _refuse("FIELD_ENCRYPTION_KEY", "ce n'est pas une clé Fernet (44 caractères base64)", fix) from None
    return value


def require_delivering_email_backend(backend: str, *, name: str) -> str:
    """`backend` unless its mail never leaves the process (printed on stderr, kept in memory, dropped)."""
    if backend in NON_DELIVERING_EMAIL_BACKENDS:
        reason = f"{backend} n'envoie aucun e-mail (liens de réinitialisation perdus ou écrits dans les journaux)"
        raise _refuse(name, reason, "donnez EMAIL_URL, par exemple smtp+tls://user:password@smtp.example.com:587")
    return backend


def require_public_url(name: str, value: str) -> str:
    """`value` unless it points at this machine: members' browsers cannot follow a link to their own localhost."""
    host = (urlsplit(value).hostname or "").lower()
    if host in LOCAL_HOSTS or host.endswith(".localhost"):
        raise _refuse(name, f"{value} pointe vers localhost", "donnez l'adresse publique (https://…)")
    return value


def missing(name: str, why: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name} manquante : obligatoire en production ({why}).")

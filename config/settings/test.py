"""Test settings: fast hashing, in-memory e-mail unless a test picks SMTP."""

from config.secrets_policy import TEST_FIELD_ENCRYPTION_KEY

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FIELD_ENCRYPTION_KEY = TEST_FIELD_ENCRYPTION_KEY  # refused by production.py
# One process: the in-process cache is shared by every test request, so the dashboard cache can be on (and tested).
DASHBOARD_CACHE_SECONDS = 60
LOG_LEVEL = "WARNING"
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Tests never run collectstatic: WhiteNoise serves from the finders, looked up per request.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Tests read mail.outbox right after the request; tests/… of the background path turn it on themselves.
ACCOUNT_EMAILS_IN_BACKGROUND = False

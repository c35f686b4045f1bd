"""Test settings: fast hashing, in-memory e-mail unless a test picks SMTP."""

from importlib.util import find_spec

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
# Tasks run as soon as the transaction commits, in the test's process (mail.outbox is filled by the request); the
# tests of the queue itself switch to the database backend and run the worker (core/tests/queue.py).
_TASKS_PACKAGE = "django.tasks" if find_spec("django.tasks") else "django_tasks"  # as in core/tasks.py
TASKS = {"default": {"BACKEND": f"{_TASKS_PACKAGE}.backends.immediate.ImmediateBackend"}}

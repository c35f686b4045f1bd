"""Settings shared by every environment. Every value comes from the environment (see .env.example)."""

from datetime import timedelta
from decimal import Decimal
from importlib.util import find_spec
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF

from config.secrets_policy import DEVELOPMENT_SECRET_KEY

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)  # refused by production.py
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "accounts.admin_config.AccountsAdminConfig",  # django.contrib.admin with a throttled login
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt",  # its French translations (token errors)
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files, not a CDN
    "csp",
    # The task queue (core/tasks.py): django.tasks is Django's from 6.0, django_tasks its backport for 5.2.
    *([] if find_spec("django.tasks") else ["django_tasks"]),
    "core.apps.TaskQueueConfig",  # django-tasks-db: the tasks' table, its admin, db_worker
    "core",
    "accounts",
    "subscriptions",
    "payments",
    "billing",  # Stripe (above payments: it imports payments, never the reverse)
    "notifications",
    "channels_sync",
    "formations",
    "trading_signals",
    "publishing",  # signals posted to the Telegram and Discord channels (above trading_signals)
    "trials",  # free trials: reads channel links (above channels_sync)
    "invoicing",  # invoices and credit notes, issued from payments' signals
    "analytics",  # the admins' revenue dashboard: reads every app above, imported by none
    "member_space",
]

MIDDLEWARE = [
    "core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite file by default, PostgreSQL (or anything) through DATABASE_URL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DATABASE_SERVER_SIDE_BINDING", default=False
):
    # Opt-in (docs/benchmarks.md, "Server-side binding", for its measured gain): values travel apart from the
    # SQL text and psycopg prepares a statement on the server from its 5th run on a connection, so PostgreSQL
    # skips parsing and planning. It changes how every query runs: parameters are refused where PostgreSQL
    # takes none (SET, DDL), a statement takes at most 65,535 of them, and prepared statements do not survive
    # a pooler in transaction mode (PgBouncer before 1.21). Off, Django binds values client-side (its default).
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue instead of failing: a transaction takes SQLite's write lock when it begins (a read-then-write
    # transaction upgraded later fails at once with "database is locked", whatever the timeout), and waits for
    # it up to `timeout` seconds (two overlapping cron runs, several requests of runserver).
    DATABASES["default"].setdefault("OPTIONS", {}).update(transaction_mode="IMMEDIATE", timeout=20)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: local memory by default, Redis through REDIS_URL.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # A Redis outage must not become a 500: cache calls fail soft (docs/operations.md).
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
    DJANGO_REDIS_IGNORE_EXCEPTIONS = True
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "calmnessfi"}}

# Per-member cache of the dashboard body, in seconds (0 disables); also bounded by the next time-driven change.
# Only with Redis, shared by every worker (the tests turn it on in test.py). Its keys carry versions kept by the
# database (docs/architecture/dashboard.md), so no write by any process needs to reach the cache.
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=60) if REDIS_URL else 0

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailBackend"]
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idPasswordHasher",
    # Older hashes stay readable and are upgraded to Argon2id at the next login.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/espace/connexion/"

LANGUAGE_CODE = env("LANGUAGE_CODE", default="fr")
LANGUAGES = [("fr", "Français")]
TIME_ZONE = env("TIME_ZONE", default="Europe/Paris")
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Private files (proofs of payment, payments/proofs.py): outside every directory a web server serves; only views that
# check who asks hand them out. Keep it out of the code's folder in production (a writable, backed-up volume).
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private_media")))

# Requests larger than this are refused with 413 before any parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

# E-mail: console by default, SMTP (or any backend) through EMAIL_URL.
EMAIL_URL = env("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="CalmnessFi <no-reply@calmnessfi.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Where links in e-mails point (the member's frontend).
FRONTEND_URL = env("FRONTEND_URL", default="http://localhost:8000/espace")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.MemberJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Every unreadable body (bad JSON, deep nesting, lone surrogates) a French 400: core.parsers.
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "core.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "core.exceptions.json_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Throttles key on the client IP: trust X-Forwarded-For only from this many proxies (0: REMOTE_ADDR only,
    # so a client cannot pick its own IP; 1 behind one nginx).
    "NUM_PROXIES": env.int("DJANGO_NUM_PROXIES", default=0),
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # Tokens carry a hash of the member's password hash: a reset or a change refuses every older token at once.
    "CHECK_REVOKE_TOKEN": True,
    "SIGNING_KEY": env("JWT_SIGNING_KEY", default=SECRET_KEY),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "CalmnessFi API",
    "DESCRIPTION": "API de l'espace membre CalmnessFi.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/",
    # /api/docs/ loads nothing from elsewhere: Swagger UI from drf-spectacular-sidecar, no online validator badge.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # One name for the markets choice set (profile preferences and signals share it).
    "ENUM_NAME_OVERRIDES": {
        "MarketEnum": "accounts.models.User.Market",
        "SignalStatusEnum": "trading_signals.models.Signal.Status",
        "SignalEventKindEnum": "trading_signals.models.SignalEvent.Kind",
        # A payment method's `kind` and a payment's `method` (issue 15).
        "PaymentKindEnum": "payments.models.PaymentKind",
    },
    # core.schema documents the standard error answers (400/401/403/404/413/415/429) of every operation.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.add_standard_error_responses",
    ],
}

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"

# Accounts
EMAIL_VERIFICATION_MAX_AGE_HOURS = env.int("EMAIL_VERIFICATION_MAX_AGE_HOURS", default=48)
PASSWORD_RESET_MAX_AGE_HOURS = env.int("PASSWORD_RESET_MAX_AGE_HOURS", default=1)
# The versions of the terms and of the privacy notice (templates/member_space/legal/) a registration consents to:
# change one when its text changes, so each member's consent names the text they accepted.
TERMS_VERSION = env("TERMS_VERSION", default="2026-11-28")
PRIVACY_VERSION = env("PRIVACY_VERSION", default="2026-11-28")
# Throttling: "N/period" per IP and per e-mail address, counted in the cache.
THROTTLE_RATES = {
    "login": env("THROTTLE_LOGIN", default="10/min"),
    "register": env("THROTTLE_REGISTER", default="5/min"),
    "resend": env("THROTTLE_RESEND", default="5/min"),
    "password_reset": env("THROTTLE_PASSWORD_RESET", default="5/min"),
    "payment_declare": env("THROTTLE_PAYMENT_DECLARE", default="10/hour"),
    "payment_proof": env("THROTTLE_PAYMENT_PROOF", default="20/hour"),
}
ADMIN_EMAIL = env("ADMIN_EMAIL", default="admin@calmnessfi.com")
ADMIN_PASSWORD = env("ADMIN_PASSWORD", default="Admin123!")

# Task queue (docs/architecture/background-work.md): tasks are rows of the database, run by `manage.py task_worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Tries of a task that fails (1, 2, 4, 8… minutes apart) before it stays failed in the admin.
TASKS_MAX_ATTEMPTS = env.int("TASKS_MAX_ATTEMPTS", default=5)
# A task still running this long after it started is taken as abandoned by a dead worker and queued again: keep it
# above the longest task (a member's channel access, two platforms at 2 minutes per call at worst).
TASKS_LEASE_SECONDS = env.int("TASKS_LEASE_SECONDS", default=15 * 60)

# Notifications
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)

# Channels (Telegram / Discord). Empty token or chat id: that platform is off.
TELEGRAM_BOT_TOKEN = env("TELEGRAM_BOT_TOKEN", default="")
TELEGRAM_CHANNEL_ID = env("TELEGRAM_CHANNEL_ID", default="")
TELEGRAM_BOT_USERNAME = env("TELEGRAM_BOT_USERNAME", default="")
TELEGRAM_WEBHOOK_SECRET = env("TELEGRAM_WEBHOOK_SECRET", default="")
TELEGRAM_WEBHOOK_URL = env("TELEGRAM_WEBHOOK_URL", default="")
TELEGRAM_API_BASE_URL = env("TELEGRAM_API_BASE_URL", default="https://api.telegram.org/bot")
TELEGRAM_INVITE_HOURS = env.int("TELEGRAM_INVITE_HOURS", default=24)
DISCORD_BOT_TOKEN = env("DISCORD_BOT_TOKEN", default="")
DISCORD_GUILD_ID = env("DISCORD_GUILD_ID", default="")
DISCORD_ROLE_ID = env("DISCORD_ROLE_ID", default="")
DISCORD_CLIENT_ID = env("DISCORD_CLIENT_ID", default="")
DISCORD_CLIENT_SECRET = env("DISCORD_CLIENT_SECRET", default="")
DISCORD_REDIRECT_URI = env("DISCORD_REDIRECT_URI", default="http://localhost:8000/api/auth/discord/callback/")
DISCORD_API_BASE_URL = env("DISCORD_API_BASE_URL", default="https://discord.com/api/v10")
DISCORD_REMOVAL_MODE = env("DISCORD_REMOVAL_MODE", default="role")  # "role" or "kick"
DISCORD_LINK_REDIRECT_URL = env("DISCORD_LINK_REDIRECT_URL", default="http://localhost:8000/espace/profil/")
# Signals posted to the channels (publishing/, docs/architecture/publishing.md). Telegram: empty = the access
# channel (TELEGRAM_CHANNEL_ID); Discord: empty = Discord publishing off.
TELEGRAM_SIGNALS_CHAT_ID = env("TELEGRAM_SIGNALS_CHAT_ID", default="")
DISCORD_SIGNALS_CHANNEL_ID = env("DISCORD_SIGNALS_CHANNEL_ID", default="")
# At most one message (post or edit) per interval in each chat, across every worker: Telegram allows about 20 per
# minute in a group or channel, Discord 5 per 5 seconds in a channel.
PUBLISHING_TELEGRAM_INTERVAL_SECONDS = env.float("PUBLISHING_TELEGRAM_INTERVAL_SECONDS", default=3.0)
PUBLISHING_DISCORD_INTERVAL_SECONDS = env.float("PUBLISHING_DISCORD_INTERVAL_SECONDS", default=1.0)
# How long a post waits for the platform's answer before its outcome counts as unknown.
PUBLISHING_READ_TIMEOUT_SECONDS = env.float("PUBLISHING_READ_TIMEOUT_SECONDS", default=20.0)
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY", default="")
# Stripe (billing/, docs/architecture/stripe.md): an empty secret key turns card payments off.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
# The seller printed on invoices and credit notes (invoicing/, docs/architecture/invoicing.md), frozen on each.
INVOICE_SELLER_NAME = env("INVOICE_SELLER_NAME", default="CalmnessFi")
INVOICE_SELLER_ADDRESS = env.str("INVOICE_SELLER_ADDRESS", default="", multiline=True)
INVOICE_SELLER_SIRET = env("INVOICE_SELLER_SIRET", default="")
INVOICE_SELLER_VAT_NUMBER = env("INVOICE_SELLER_VAT_NUMBER", default="")
# Percent, e.g. 20.0; 0 prints INVOICE_VAT_EXEMPTION instead of a VAT line (franchise en base de TVA).
INVOICE_VAT_RATE = Decimal(env("INVOICE_VAT_RATE", default="0"))
INVOICE_VAT_EXEMPTION = env("INVOICE_VAT_EXEMPTION", default="TVA non applicable, art. 293 B du CGI")
CHANNEL_GRACE_HOURS = env.int("CHANNEL_GRACE_HOURS", default=0)
# Access kept after the coverage ends while a payment declared before the end waits for an admin.
PENDING_PAYMENT_GRACE_HOURS = env.int("PENDING_PAYMENT_GRACE_HOURS", default=72)
CHANNEL_MAX_ATTEMPTS = env.int("CHANNEL_MAX_ATTEMPTS", default=8)
TELEGRAM_LINK_MINUTES = env.int("TELEGRAM_LINK_MINUTES", default=60)  # life of a /start deep-link token
# Client-side pacing, just under the APIs' limits (0 = no pacing); 429s are still waited for.
TELEGRAM_MAX_REQUESTS_PER_SECOND = env.float("TELEGRAM_MAX_REQUESTS_PER_SECOND", default=29)
DISCORD_MAX_REQUESTS_PER_SECOND = env.float("DISCORD_MAX_REQUESTS_PER_SECOND", default=45)

# Analytics (analytics/, docs/architecture/analytics.md): a member whose coverage ended is counted as churned when no
# renewal covers any of the next CHURN_AFTER_DAYS days.
CHURN_AFTER_DAYS = env.int("CHURN_AFTER_DAYS", default=7)

# Content-Security-Policy (django-csp) on every response: scripts and styles only from our static files (no inline
# code, so an injected <script> or style="…" does nothing), nothing framed, no plugins.
_DISCORD_ORIGIN = "{0.scheme}://{0.netloc}".format(urlsplit(DISCORD_API_BASE_URL))
# The card forms (member_space: "Payer par carte", "Gérer ma carte") answer with a redirect to Stripe's hosted Checkout
# page and customer portal; a fake Stripe (STRIPE_API_BASE, in tests) serves both itself.
_STRIPE_ORIGIN = "{0.scheme}://{0.netloc}".format(urlsplit(STRIPE_API_BASE))
_STRIPE_PAGES = ["https://checkout.stripe.com", "https://billing.stripe.com", _STRIPE_ORIGIN]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        # The Telegram and Discord link forms answer with a redirect to t.me (channels_sync.services) and to
        # Discord's OAuth page, the card forms with one to Stripe's pages: browsers check those redirects against
        # form-action too.
        "form-action": [SELF, "https://t.me", _DISCORD_ORIGIN, *_STRIPE_PAGES],
    }
}

# Operations: a cron command is "overdue" after this many hours without a successful run.
CRON_OVERDUE_HOURS = {
    "process_subscription_notifications": env.int("CRON_NOTIFICATIONS_OVERDUE_HOURS", default=26),
    "manage_channel_members": env.int("CRON_CHANNELS_OVERDUE_HOURS", default=1),
}

LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_JSON = env.bool("LOG_JSON", default=False)
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "core.logging.RequestIdFilter"},
        "redact_secrets": {"()": "core.logging.RedactSecretsFilter"},
    },
    "formatters": {
        "json": {"()": "core.logging.JsonFormatter"},
        # A request reads "GET /espace/ 200 12.3 ms" (core.logging.PlainFormatter).
        "plain": {
            "class": "core.logging.PlainFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id", "redact_secrets"],
            "formatter": "json" if LOG_JSON else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        # httpx logs every request's URL at INFO, and the Telegram Bot API puts the bot token in the path.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# The e-mail is unique through a constraint on Lower(email), which auth.W004 cannot see.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]

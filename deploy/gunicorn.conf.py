"""Gunicorn settings for CalmnessFi (used by `./start.sh prod` and deploy/calmnessfi.service).

Every value can be overridden from the environment. Access logs are off: the Django middleware already
writes one JSON line per request (with its request id and without the query string, which may carry
OAuth codes); gunicorn's own messages go to stderr.
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never grows without bound. Not too often: a new worker imports the
# whole application (~1 s of CPU) and compiles its queries again; at 5,000 a busy host recycled each worker every
# few seconds (bench/load.py: health 2,100 req/s).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# nginx on the same host sets X-Forwarded-Proto; only trust it from there.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# gunicorn's own messages (start-up, worker boots and timeouts) as JSON lines too, like Django's (LOG_JSON).
if os.environ.get("LOG_JSON", "1").lower() in ("1", "true", "yes", "on"):
    # Replaces gunicorn's default handlers (same names, so its root logger configuration still applies).
    _json_stderr = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "core.logging.JsonFormatter"}},
        "handlers": {"console": _json_stderr, "error_console": _json_stderr},
        "loggers": {
            "gunicorn.error": {"handlers": ["error_console"], "level": loglevel.upper(), "propagate": False},
            # No access log (see above): the query string may carry an OAuth code.
            "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
    }

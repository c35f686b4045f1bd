"""Structured logs: one JSON object per line, carrying the request id, with secrets masked."""

import contextvars
import json
import logging
import re
from functools import lru_cache

from django.conf import settings

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
# One line per request (core.middleware.RequestIdMiddleware).
REQUEST_LOGGER = "calmnessfi.request"

_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}
# Keys never written to logs, whatever a caller passes in `extra`.
_SECRET_KEYS = {"password", "token", "access", "refresh", "secret", "authorization", "code"}


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


# Telegram puts the bot token in the URL path (`/bot<id>:<secret>/sendMessage`, `/file/bot…`), raw or URL-encoded.
_BOT_PATH = re.compile(r"/bot\d+(?::|%3A)[A-Za-z0-9_-]+", re.IGNORECASE)
# Settings whose values are masked wherever they appear in a line; SIMPLE_JWT's signing key is added below.
SECRET_SETTINGS = (
    "SECRET_KEY",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "DISCORD_BOT_TOKEN",
    "DISCORD_CLIENT_SECRET",
    "FIELD_ENCRYPTION_KEY",
    "EMAIL_HOST_PASSWORD",
)
# Shorter values (an empty setting, a test's "x") would mask ordinary words.
_MIN_SECRET_LENGTH = 8
MASK = "***"


def _configured_secrets() -> tuple[str, ...]:
    if not settings.configured:
        return ()
    values = [getattr(settings, name, "") for name in SECRET_SETTINGS]
    values.append(getattr(settings, "SIMPLE_JWT", {}).get("SIGNING_KEY", ""))
    return tuple(sorted({v for v in values if isinstance(v, str) and len(v) >= _MIN_SECRET_LENGTH}, key=len))


@lru_cache(maxsize=8)
def _secrets_pattern(secrets: tuple[str, ...]) -> re.Pattern | None:
    if not secrets:
        return None
    # Longest first, so a secret containing another is masked whole.
    return re.compile("|".join(re.escape(value) for value in reversed(secrets)))


def redact(text: str) -> str:
    """`text` with every bot token path and configured secret value replaced by ***."""
    text = _BOT_PATH.sub("/bot" + MASK, text)
    pattern = _secrets_pattern(_configured_secrets())
    return pattern.sub(MASK, text) if pattern else text


class RedactSecretsFilter(logging.Filter):
    """Second line of defence behind the quiet httpx logger: masks secrets in the message, its arguments, the
    `extra` values and the traceback of every record the handler writes (the settings are read at each record,
    so a rotated token is masked at once)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: the handler reports it, as it would without this filter
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, key, redact(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_var.get()),
        }
        for key, value in vars(record).items():
            if key in _STANDARD_ATTRS or key.startswith("_"):
                continue
            payload[key] = "***" if key.lower() in _SECRET_KEYS else value
        if record.exc_text:  # the traceback as RedactSecretsFilter left it
            payload["exc_info"] = record.exc_text
        elif record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    """Development lines (LOG_JSON off): a request reads `GET /espace/ 200 12.3 ms` where JSON has "request" and the
    figures as fields (the path without its query string, as RequestIdMiddleware logs it)."""

    def format(self, record: logging.LogRecord) -> str:
        if record.name == REQUEST_LOGGER and hasattr(record, "duration_ms"):
            fields = vars(record)  # method, path, status and duration_ms come from the logging call's `extra`
            record = logging.makeLogRecord(
                {
                    **fields,
                    "msg": "%s %s %s %.1f ms",
                    "args": (fields["method"], fields["path"], fields["status"], fields["duration_ms"]),
                }
            )
        return super().format(record)

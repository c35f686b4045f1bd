"""No log line carries a bot token or a configured secret (issue 12, item 3).

httpx logs every request's URL at INFO, and the Bot API puts the token in the path (`/bot<token>/sendMessage`).
LOGGING keeps httpx and httpcore below WARNING, and the console handler's redacting filter masks what still gets
through: the bot path and the value of every secret setting.
"""

import io
import json
import logging
import subprocess
import sys

import pytest

from core.logging import JsonFormatter
from tests.fakes.fake_telegram import FakeTelegram
from tests.harness import ROOT, production_env

# Shaped like a real token, so the test does not depend on the fake's short one.
TOKEN = "7000000001:AAHfake-Token_for-the-log-tests-0123456789"
DISCORD_SECRET = "discord-client-secret-for-the-log-tests-42"

_BOT_CALLS = r"""
import logging, django
django.setup()
from channels_sync.clients import TelegramClient
with TelegramClient() as client:
    client.send_message(user_id="4242", text="Bonjour")
logging.getLogger("calmnessfi.test").info("bot calls done")
"""


@pytest.fixture
def telegram():
    fake = FakeTelegram(token=TOKEN).start()
    yield fake
    fake.stop()


def test_bot_api_calls_leave_no_token_in_the_production_logs(telegram):
    env = production_env(
        LOG_JSON="1",
        LOG_LEVEL="INFO",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_CHANNEL_ID=telegram.chat_id,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        TELEGRAM_MAX_REQUESTS_PER_SECOND="0",
    )

    result = subprocess.run(
        [sys.executable, "-c", _BOT_CALLS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert [m["text"] for m in telegram.messages] == ["Bonjour"]  # the real library called the Bot API...
    logged = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert any(line["message"] == "bot calls done" for line in logged)  # ...INFO lines are written...
    assert TOKEN not in result.stderr + result.stdout  # ...and none carries the token
    assert TOKEN.split(":")[1] not in result.stderr


@pytest.fixture
def console_output():
    """What the console handler configured by LOGGING writes (its filters), formatted as in production (JSON)."""
    (handler,) = [h for h in logging.getLogger().handlers if h.name == "console"]
    stream = io.StringIO()
    previous_stream, previous_formatter = handler.setStream(stream), handler.formatter
    handler.setFormatter(JsonFormatter())
    try:
        yield stream
    finally:
        handler.setStream(previous_stream)
        handler.setFormatter(previous_formatter)


def test_a_line_carrying_a_secret_is_redacted_even_at_warning(settings, console_output):
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    settings.DISCORD_CLIENT_SECRET = DISCORD_SECRET
    url = f"https://api.telegram.org/bot{TOKEN}/sendMessage"

    logging.getLogger("httpx").warning('HTTP Request: POST %s "HTTP/1.1 502 Bad Gateway"', url)
    logging.getLogger("calmnessfi.channels").warning(
        "discord oauth failed: %(error)s", {"error": f"client_secret={DISCORD_SECRET}"}, extra={"url": url}
    )
    try:
        raise RuntimeError(f"POST {url} failed")
    except RuntimeError:
        logging.getLogger("calmnessfi.channels").exception("sync failed")

    output = console_output.getvalue()
    httpx_line, oauth_line, exception_line = [json.loads(line) for line in output.splitlines()]
    assert (
        httpx_line["message"]
        == 'HTTP Request: POST https://api.telegram.org/bot***/sendMessage "HTTP/1.1 502 Bad Gateway"'
    )
    assert (oauth_line["message"], oauth_line["url"]) == (
        "discord oauth failed: client_secret=***",
        "https://api.telegram.org/bot***/sendMessage",
    )
    assert "RuntimeError: POST https://api.telegram.org/bot***/sendMessage failed" in exception_line["exc_info"]
    assert TOKEN not in output
    assert TOKEN.split(":")[1] not in output
    assert DISCORD_SECRET not in output

"""Browser tests: Debian's Chromium driven by Playwright for Python against the app on 127.0.0.1.

Never `playwright install`: the browser is the system one (`apt-get install chromium`). Without it the tests
fail under CI (CI=true) and are skipped locally with the reason.
"""

import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from pytest_django.live_server_helper import LiveServer

from tests.e2e.helpers import TEST_EMAIL

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test body are safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def live_server():
    """The app served on 127.0.0.1 (pytest-django's default is "localhost")."""
    server = LiveServer("127.0.0.1:0")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        message = f"Chromium introuvable ({CHROMIUM}) : apt-get install chromium"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _new_page(chromium, live_server, **options):
    """A fresh browser context in French, Paris time, on the live server; returns (context, page)."""
    options = {"viewport": {"width": 1280, "height": 900}, **options}
    context = chromium.new_context(base_url=live_server.url, locale="fr-FR", timezone_id="Europe/Paris", **options)
    context.set_default_timeout(10_000)
    return context, context.new_page()


@pytest.fixture
def page(chromium, live_server):
    context, page = _new_page(chromium, live_server)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    context.close()


@pytest.fixture
def open_page(chromium, live_server):
    """Opens pages of a given viewport (`open_page(PHONE)`), each in its own context, closed after the test; the
    clipboard is allowed (headless Chromium may still refuse it: the copy buttons then select the value)."""
    contexts = []

    def _open(viewport):
        context, page = _new_page(chromium, live_server, viewport=viewport)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
        contexts.append(context)
        page.js_errors = []
        page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
        return page

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def phone_page(chromium, live_server):
    context, page = _new_page(chromium, live_server, viewport={"width": 390, "height": 844})
    yield page
    context.close()


@pytest.fixture
def no_js_page(chromium, live_server):
    """A browser with JavaScript turned off: the pages must still be readable and usable."""
    context, page = _new_page(chromium, live_server, java_script_enabled=False)
    yield page
    context.close()


@pytest.fixture
def test_member(transactional_db):
    """The seeded test member (same data as create_test_user: an active monthly subscription) and demo content."""
    from accounts.models import User

    out = StringIO()
    call_command("create_plans", stdout=out)
    call_command("create_test_user", "--force", stdout=out)
    call_command("create_demo_content", stdout=out)
    call_command("create_demo_payment_methods", "--force", stdout=out)
    return User.objects.get(email=TEST_EMAIL)

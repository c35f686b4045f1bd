"""Fixtures shared by every app's tests. App-specific ones live in <app>/tests/conftest.py."""

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip = pytest.mark.skip(reason="needs PostgreSQL: runs in the second pass of .ci/run (DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)
    # Browser tests last: Playwright keeps an event loop running in this thread from its first test to the end of
    # the session, and python-telegram-bot / discord.py (asyncio.run) cannot start theirs while it does.
    items.sort(key=lambda item: "e2e" in item.keywords)


@pytest.fixture(autouse=True)
def _clear_cache():
    # Throttle counters live in the cache: every test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def member(db):
    from accounts.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def auth_client(member) -> APIClient:
    """An API client logged in as `member` with a real JWT."""
    return client_for(member)


@pytest.fixture
def post(api_client, django_capture_on_commit_callbacks):
    """POST JSON and run the on-commit callbacks (the e-mails) as a real request would after its commit."""

    def _post(url, data=None, *, client: APIClient | None = None, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return (client or api_client).post(url, data, format="json", **extra)

    return _post


@pytest.fixture
def database_tasks(settings):
    """Tasks become rows of the database, as in production, instead of running at commit (the test settings):
    nothing runs until core.tests.queue.run_worker()."""
    from core.tests.queue import DATABASE_TASKS

    settings.TASKS = DATABASE_TASKS


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"

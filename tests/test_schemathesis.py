"""API fuzzing: schemathesis generates requests from /api/schema/ and sends them, authenticated, through the WSGI
app in-process. Every answer must be a non-5xx and conform to the schema documented for its status code."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 25  # per operation: enough to hit malformed bodies and unknown ids, quick enough for CI


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests go through the raw WSGI app: like Django's test client, keep `request_started/finished` from
    closing the connection that holds the test's transaction (on PostgreSQL it would end the test)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _platforms_configured(settings):
    """Linking configured (its endpoints answer 503 otherwise); the platforms' APIs point nowhere."""
    settings.TELEGRAM_BOT_USERNAME = "calmnessfi_test_bot"
    settings.TELEGRAM_WEBHOOK_SECRET = "webhook-secret-for-the-fuzzer"
    settings.DISCORD_CLIENT_ID = "123456789012345678"
    settings.DISCORD_CLIENT_SECRET = "client-secret"
    settings.DISCORD_API_BASE_URL = "http://127.0.0.1:9/api/v10"
    settings.TELEGRAM_API_BASE_URL = "http://127.0.0.1:9/bot"


@pytest.fixture
def bearer(member):
    """A real access token for a complete, verified member (the fuzzer's requests act as them)."""
    return {"Authorization": f"Bearer {RefreshToken.for_user(member).access_token}"}


# Loaded at collection, from the app's own /api/schema/ (no database needed). schemathesis.pytest.from_fixture would
# load it lazily, but schemathesis 4.32's lazy loader reads Function._nodeid, which pytest 9 no longer has.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_never_errors_and_matches_its_schema(case, bearer):
    case.call_and_validate(headers=bearer, checks=[not_a_server_error, response_schema_conformance])

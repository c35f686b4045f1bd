"""Redis down: the API keeps answering (cache errors never become 500s), /api/ready/ says 503.

django-redis runs with IGNORE_EXCEPTIONS (config/settings/base.py): while Redis is unreachable every cache
read returns its default and every write is dropped. For DRF's throttles that means an empty history on
each request, so throttling is off until Redis is back (documented in docs/operations.md).
"""

import pytest
import redis
from django.core.cache import cache
from django.test import override_settings

from conftest import client_for
from tests.redis_server import free_port, redis_caches, redis_server_path, running_redis

pytestmark = pytest.mark.django_db

PASSWORD = "MotDePasse123!"
LOGIN_LIMIT = 10  # THROTTLE_LOGIN's default, "10/min"


@pytest.fixture
def redis_unreachable():
    """CACHES on django-redis at a 127.0.0.1 port where nothing listens."""
    with override_settings(CACHES=redis_caches(free_port()), THROTTLE_RATES=_login_rates()):
        yield


def _login_rates():
    from django.conf import settings

    return {**settings.THROTTLE_RATES, "login": f"{LOGIN_LIMIT}/min"}


def _login(api_client, email, password):
    return api_client.post("/api/auth/login/", {"email": email, "password": password}, format="json")


def test_cache_calls_fail_soft_when_redis_is_unreachable(redis_unreachable):
    cache.set("key", "value", 10)
    assert cache.get("key", "default") == "default"


def test_health_answers_while_redis_is_down(redis_unreachable, api_client):
    response = api_client.get("/api/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_is_503_while_redis_is_down(redis_unreachable, api_client):
    response = api_client.get("/api/ready/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": True, "cache": False}


def test_login_answers_while_redis_is_down(redis_unreachable, api_client, member):
    response = _login(api_client, member.email, PASSWORD)
    assert response.status_code == 200
    assert response.json()["access"]


def test_wrong_login_is_401_not_500_while_redis_is_down(redis_unreachable, api_client, member):
    response = _login(api_client, member.email, "mauvais")
    assert response.status_code == 401


def test_login_throttling_is_off_while_redis_is_down(redis_unreachable, api_client, member):
    statuses = {_login(api_client, member.email, "mauvais").status_code for _ in range(LOGIN_LIMIT + 5)}
    assert statuses == {401}


def test_profile_edit_answers_while_redis_is_down(redis_unreachable, member):
    response = client_for(member).patch("/api/auth/user/profile/", {"first_name": "Irène"}, format="json")
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.first_name == "Irène"


def test_dashboard_answers_while_redis_is_down(redis_unreachable, member):
    response = client_for(member).get("/api/auth/user/dashboard/")
    assert response.status_code == 200
    assert response.json()["user"]["email"] == member.email


def test_notifications_answer_while_redis_is_down(redis_unreachable, member):
    response = client_for(member).get("/api/auth/user/notifications/")
    assert response.status_code == 200


@pytest.mark.skipif(redis_server_path() is None, reason="needs redis-server (apt-get install redis-server)")
@override_settings(THROTTLE_RATES=_login_rates())
def test_throttling_counts_in_redis_then_degrades_when_redis_dies(api_client, member):
    with (
        running_redis() as (port, process),
        override_settings(CACHES=redis_caches(port), THROTTLE_RATES=_login_rates()),
    ):
        assert api_client.get("/api/ready/").status_code == 200

        # Redis up: the limit holds, counted in Redis.
        statuses = [_login(api_client, member.email, "mauvais").status_code for _ in range(LOGIN_LIMIT + 2)]
        assert statuses[:LOGIN_LIMIT] == [401] * LOGIN_LIMIT
        assert statuses[LOGIN_LIMIT:] == [429, 429]
        assert redis.Redis(port=port).dbsize() > 0

        # Redis dies: no 500, the good password works again, readiness says 503.
        process.kill()
        process.wait(timeout=10)
        assert _login(api_client, member.email, PASSWORD).status_code == 200
        assert api_client.get("/api/health/").status_code == 200
        assert api_client.get("/api/ready/").status_code == 503
        assert client_for(member).get("/api/auth/user/dashboard/").status_code == 200

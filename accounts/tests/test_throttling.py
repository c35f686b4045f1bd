import pytest
import time_machine

from accounts.tests.factories import UserFactory
from core.clock import now

pytestmark = pytest.mark.django_db


@pytest.fixture
def tight_rates(settings):
    settings.THROTTLE_RATES = {"login": "3/min", "register": "3/min", "resend": "3/min", "password_reset": "3/min"}


def _assert_throttled(response):
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert int(response["Retry-After"]) <= 60
    assert "detail" in response.json()


def test_login_is_throttled_per_email_even_across_ips(post, tight_rates):
    UserFactory(email="cible@example.com")
    for i in range(3):
        response = post("/api/auth/login/", {"email": "cible@example.com", "password": "x"}, REMOTE_ADDR=f"10.0.0.{i}")
        assert response.status_code == 401

    response = post("/api/auth/login/", {"email": "CIBLE@example.com", "password": "x"}, REMOTE_ADDR="10.0.0.99")

    _assert_throttled(response)
    other = post("/api/auth/login/", {"email": "autre@example.com", "password": "x"}, REMOTE_ADDR="10.0.0.98")
    assert other.status_code == 401


def test_login_is_throttled_per_ip_across_emails(post, tight_rates):
    for i in range(3):
        response = post("/api/auth/login/", {"email": f"m{i}@example.com", "password": "x"}, REMOTE_ADDR="10.1.1.1")
        assert response.status_code == 401

    response = post("/api/auth/login/", {"email": "m9@example.com", "password": "x"}, REMOTE_ADDR="10.1.1.1")

    _assert_throttled(response)
    elsewhere = post("/api/auth/login/", {"email": "m9@example.com", "password": "x"}, REMOTE_ADDR="10.1.1.2")
    assert elsewhere.status_code == 401


def test_a_spoofed_forwarded_for_header_does_not_reset_the_ip_budget(post, tight_rates):
    for i in range(3):
        post("/api/auth/login/", {"email": f"m{i}@example.com", "password": "x"}, HTTP_X_FORWARDED_FOR=f"1.2.3.{i}")

    response = post("/api/auth/login/", {"email": "m9@example.com", "password": "x"}, HTTP_X_FORWARDED_FOR="9.9.9.9")

    _assert_throttled(response)


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/auth/register/", {"email": "x@example.com", "password": "Zk3!pqrstu9", "accept_terms": True}),
        ("/api/auth/resend-verification/", {"email": "x@example.com"}),
        ("/api/auth/password-reset/", {"email": "x@example.com"}),
    ],
)
def test_public_email_endpoints_are_throttled_per_email(post, tight_rates, url, body):
    for i in range(3):
        assert post(url, body, REMOTE_ADDR=f"10.2.0.{i}").status_code in (201, 202)

    _assert_throttled(post(url, body, REMOTE_ADDR="10.2.0.50"))


def test_throttling_window_ends(post, tight_rates):
    start = now()
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            post("/api/auth/password-reset/", {"email": "x@example.com"})
        _assert_throttled(post("/api/auth/password-reset/", {"email": "x@example.com"}))
    with time_machine.travel(start.timestamp() + 61, tick=False):
        assert post("/api/auth/password-reset/", {"email": "x@example.com"}).status_code == 202


@pytest.fixture
def behind_one_proxy(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


def test_behind_one_proxy_the_forwarded_client_address_has_its_own_budget(post, tight_rates, behind_one_proxy):
    """nginx connects from 127.0.0.1 and appends the client's address: that address is the throttle key."""
    nginx = {"REMOTE_ADDR": "127.0.0.1"}
    for i in range(3):
        # A client-sent first entry is ignored: only the one nginx appended (the last) counts.
        forwarded = f"6.6.6.{i}, 203.0.113.7"
        response = post(
            "/api/auth/login/", {"email": f"m{i}@example.com", "password": "x"}, HTTP_X_FORWARDED_FOR=forwarded, **nginx
        )
        assert response.status_code == 401

    same_client = post(
        "/api/auth/login/", {"email": "m9@example.com", "password": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.7", **nginx
    )
    other_client = post(
        "/api/auth/login/", {"email": "m9@example.com", "password": "x"}, HTTP_X_FORWARDED_FOR="198.51.100.9", **nginx
    )

    _assert_throttled(same_client)
    assert other_client.status_code == 401


ADMIN_LOGIN = "/admin/login/?next=/admin/"


def _admin_login(client, email: str, password: str, ip: str = "10.9.0.1"):
    return client.post(ADMIN_LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_admin_login_is_throttled_and_refuses_even_the_right_password_past_the_limit(client, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "login": "10/min"}
    UserFactory(email="chef@example.com", is_staff=True, is_superuser=True)
    for _ in range(10):
        assert _admin_login(client, "chef@example.com", "mauvais").status_code == 200

    blocked = _admin_login(client, "chef@example.com", "MotDePasse123!")

    assert blocked.status_code == 429
    assert "Trop de tentatives" in blocked.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still sent to the login page


def test_admin_login_shares_the_api_login_budget_per_member_across_ips(client, post, tight_rates):
    UserFactory(email="chef@example.com", is_staff=True)
    for i in range(3):
        post("/api/auth/login/", {"email": "chef@example.com", "password": "x"}, REMOTE_ADDR=f"10.3.0.{i}")

    blocked = _admin_login(client, "CHEF@example.com", "MotDePasse123!", ip="10.3.0.99")

    assert blocked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_admin_login_within_the_budget_still_logs_in(client, tight_rates):
    UserFactory(email="chef@example.com", is_staff=True, is_superuser=True)
    _admin_login(client, "chef@example.com", "mauvais")

    answer = _admin_login(client, "chef@example.com", "MotDePasse123!")

    assert answer.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.postgres
def test_a_unicode_lookalike_of_an_address_spends_that_members_login_budget(post, tight_rates):
    # PostgreSQL's UPPER() folds "ſ" (long s) to "S": the database finds test@… for teſt@…, so must the throttle.
    UserFactory(email="test@calmnessfi.com")
    for i in range(3):
        post("/api/auth/login/", {"email": "test@calmnessfi.com", "password": "x"}, REMOTE_ADDR=f"10.4.0.{i}")

    lookalike = post(
        "/api/auth/login/", {"email": "teſt@calmnessfi.com", "password": "MotDePasse123!"}, REMOTE_ADDR="10.4.0.99"
    )

    _assert_throttled(lookalike)

"""Hostile input: other members' ids, forged and expired tokens, webhook and OAuth forgeries, login bursts, the admin.

`manage.py check --deploy` under the production settings is proved by tests/test_deploy_check.py.
"""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import time_machine
from django.conf import settings
from django.core import signing
from django.test import Client, override_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory
from channels_sync.api import DISCORD_BROWSER_COOKIE
from channels_sync.linking import DISCORD_STATE_MAX_AGE, DISCORD_STATE_SALT, discord_link_url
from channels_sync.models import AccountLink
from conftest import client_for
from core import clock
from formations.models import LessonCompletion
from formations.tests.factories import CourseFactory, LessonFactory
from notifications.models import UserNotification
from notifications.tests.factories import UserNotificationFactory
from subscriptions.tests.factories import PlanFactory
from tests.fakes.fake_telegram import FakeTelegram

pytestmark = pytest.mark.django_db

PASSWORD = "MotDePasse123!"
FRONTEND_PROFILE = "http://front.test/espace/profil/"
WEBHOOK_SECRET = "webhook-secret-0123456789"


@pytest.fixture
def other(db):
    return UserFactory()


def _bearer(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _login(client, email, password, **extra):
    return client.post("/api/auth/login/", {"email": email, "password": password}, format="json", **extra)


# Another member's ids: 404, nothing changes


@pytest.mark.parametrize("action", ["read", "dismiss"])
def test_another_members_notification_is_404_and_untouched(auth_client, other, action):
    notification = UserNotificationFactory(user=other, status=UserNotification.Status.SENT)

    response = auth_client.post(f"/api/auth/user/notifications/{notification.pk}/{action}/")

    assert response.status_code == 404
    assert response.json()["detail"]
    notification.refresh_from_db()
    assert (notification.status, notification.read_at) == (UserNotification.Status.SENT, None)


@pytest.mark.parametrize("action", ["read", "dismiss"])
def test_own_notification_is_found(auth_client, member, action):
    notification = UserNotificationFactory(user=member, status=UserNotification.Status.SENT)
    assert auth_client.post(f"/api/auth/user/notifications/{notification.pk}/{action}/").status_code == 200


def test_read_all_leaves_other_members_notifications_alone(auth_client, member, other):
    mine = UserNotificationFactory(user=member, status=UserNotification.Status.SENT)
    theirs = UserNotificationFactory(user=other, status=UserNotification.Status.SENT)

    response = auth_client.post("/api/auth/user/notifications/read-all/")

    assert response.json() == {"updated": 1}
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == (UserNotification.Status.READ, UserNotification.Status.SENT)


def test_another_members_notifications_never_listed(auth_client, other):
    UserNotificationFactory(user=other, title="Secret de l'autre")
    response = auth_client.get("/api/auth/user/notifications/")
    assert response.status_code == 200
    assert "Secret de l'autre" not in response.content.decode()


@pytest.mark.parametrize("page", ["lue", "ignorer"])
def test_member_pages_answer_404_for_another_members_notification(member, other, page):
    notification = UserNotificationFactory(user=other, status=UserNotification.Status.SENT)
    browser = Client()
    browser.force_login(member)

    response = browser.post(f"/espace/notifications/{notification.pk}/{page}/")

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.status == UserNotification.Status.SENT


def test_completing_an_unknown_lesson_is_404(auth_client):
    assert auth_client.post("/api/auth/user/lessons/999999/complete/").status_code == 404


def test_completing_a_lesson_of_a_course_reserved_to_another_plan_is_refused(auth_client, member):
    lesson = LessonFactory(course=CourseFactory(plans=[PlanFactory()]))

    response = auth_client.post(f"/api/auth/user/lessons/{lesson.pk}/complete/")

    assert response.status_code in (403, 404)
    assert not LessonCompletion.objects.filter(user=member).exists()


# JWTs


def test_valid_access_token_is_accepted(member):
    assert _bearer(RefreshToken.for_user(member).access_token).get("/api/auth/user/dashboard/").status_code == 200


def test_access_token_with_a_tampered_payload_is_401(member, other):
    token = str(RefreshToken.for_user(member).access_token)
    header, _payload, signature = token.split(".")
    forged_payload = str(RefreshToken.for_user(other).access_token).split(".")[1]

    response = _bearer(f"{header}.{forged_payload}.{signature}").get("/api/auth/user/dashboard/")

    assert response.status_code == 401


def test_access_token_signed_with_another_key_is_401(member):
    claims = jwt.decode(
        str(RefreshToken.for_user(member).access_token), settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"]
    )
    forged = jwt.encode(claims, "not-the-server-key-0123456789-abcdefghij", algorithm="HS256")
    assert _bearer(forged).get("/api/auth/user/dashboard/").status_code == 401


def test_unsigned_access_token_is_401(member):
    claims = jwt.decode(
        str(RefreshToken.for_user(member).access_token), settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"]
    )
    forged = jwt.encode(claims, None, algorithm="none")
    assert _bearer(forged).get("/api/auth/user/dashboard/").status_code == 401


def test_expired_access_token_is_401(member):
    token = RefreshToken.for_user(member).access_token
    lifetime = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]
    with time_machine.travel(clock.now() + lifetime + timedelta(seconds=5), tick=False):
        response = _bearer(token).get("/api/auth/user/dashboard/")
    assert response.status_code == 401


def test_refresh_token_is_not_an_access_token(member):
    assert _bearer(RefreshToken.for_user(member)).get("/api/auth/user/dashboard/").status_code == 401


def test_access_token_cannot_refresh(api_client, member):
    access = str(RefreshToken.for_user(member).access_token)
    assert api_client.post("/api/auth/token/refresh/", {"refresh": access}, format="json").status_code == 401


def test_expired_refresh_token_is_401(api_client, member):
    refresh = str(RefreshToken.for_user(member))
    lifetime = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]
    with time_machine.travel(clock.now() + lifetime + timedelta(seconds=5), tick=False):
        response = api_client.post("/api/auth/token/refresh/", {"refresh": refresh}, format="json")
    assert response.status_code == 401


def test_refresh_token_reused_after_rotation_is_401(api_client, member):
    first = _login(api_client, member.email, PASSWORD).json()["refresh"]

    rotated = api_client.post("/api/auth/token/refresh/", {"refresh": first}, format="json")
    replay = api_client.post("/api/auth/token/refresh/", {"refresh": first}, format="json")

    assert rotated.status_code == 200
    assert rotated.json()["refresh"] != first
    assert replay.status_code == 401
    second = api_client.post("/api/auth/token/refresh/", {"refresh": rotated.json()["refresh"]}, format="json")
    assert second.status_code == 200


def test_refresh_token_is_dead_after_logout(api_client, member):
    tokens = _login(api_client, member.email, PASSWORD).json()
    logout = _bearer(tokens["access"]).post("/api/auth/logout/", {"refresh": tokens["refresh"]}, format="json")

    replay = api_client.post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")

    assert logout.status_code == 205
    assert replay.status_code == 401


def test_token_of_a_deactivated_member_is_401(member):
    client = client_for(member)
    member.is_active = False
    member.save()
    assert client.get("/api/auth/user/dashboard/").status_code == 401


# Telegram webhook: the secret header is the only authentication


@override_settings(TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET)
@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": "wrong"}, {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": ""}],
    ids=["missing", "wrong", "empty"],
)
def test_telegram_webhook_without_the_right_secret_is_403(api_client, headers):
    response = api_client.post("/api/telegram/webhook/", {"update_id": 1}, format="json", **headers)
    assert response.status_code == 403
    assert response.json()["detail"]


@override_settings(TELEGRAM_WEBHOOK_SECRET="")
def test_telegram_webhook_is_closed_when_no_secret_is_configured(api_client):
    response = api_client.post(
        "/api/telegram/webhook/", {"update_id": 1}, format="json", HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=""
    )
    assert response.status_code == 403


def test_telegram_webhook_with_the_secret_is_accepted(api_client, settings):
    fake = FakeTelegram().start()
    settings.TELEGRAM_BOT_TOKEN = fake.token
    settings.TELEGRAM_CHANNEL_ID = fake.chat_id
    settings.TELEGRAM_API_BASE_URL = fake.base_url
    settings.TELEGRAM_WEBHOOK_SECRET = WEBHOOK_SECRET
    try:
        response = api_client.post(
            "/api/telegram/webhook/",
            {"update_id": 1},
            format="json",
            HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=WEBHOOK_SECRET,
        )
    finally:
        fake.stop()
    assert response.status_code == 200


# Discord OAuth: a forged state links nothing


def _callback(state: str, code: str, browser_key: str = "", client: Client | None = None):
    client = client or Client()
    if browser_key:
        client.cookies[DISCORD_BROWSER_COOKIE] = browser_key
    return client.get("/api/auth/discord/callback/", {"code": code, "state": state})


def _redirect_params(response) -> dict:
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == FRONTEND_PROFILE
    return {key: values[0] for key, values in parse_qs(url.query).items()}


def _valid_state(member) -> str:
    return parse_qs(urlsplit(discord_link_url(user=member).url).query)["state"][0]


def _tampered(state: str) -> str:
    """The same state with the last two characters of its signature changed."""
    return state[:-2] + ("AA" if not state.endswith("AA") else "BB")


def test_discord_callback_with_a_genuine_state_links_the_account(fake_discord, member):
    authorization = discord_link_url(user=member)
    state = parse_qs(urlsplit(authorization.url).query)["state"][0]
    response = _callback(state, fake_discord.authorise(user_id="900000000000000001"), authorization.browser_key)
    assert _redirect_params(response) == {"discord": "ok"}
    assert AccountLink.objects.get(user=member, platform="discord").remote_id == "900000000000000001"


@pytest.mark.parametrize(
    "forge",
    [
        lambda member: "forged-state",
        lambda member: signing.dumps(
            {"u": member.pk, "n": "x"}, salt=DISCORD_STATE_SALT, key="attacker-key-0123456789"
        ),
        lambda member: signing.dumps({"u": member.pk, "n": "x"}, salt="another.salt"),
        lambda member: _tampered(_valid_state(member)),
        lambda member: "",
        # Signed with the real key but never issued by discord_link_url (no stored nonce): refused too.
        lambda member: signing.dumps({"u": member.pk, "n": "nonce"}, salt=DISCORD_STATE_SALT),
    ],
    ids=["garbage", "wrong-key", "wrong-salt", "bad-signature", "empty", "never-issued"],
)
def test_discord_callback_with_a_forged_state_links_nothing(fake_discord, member, forge):
    response = _callback(forge(member), fake_discord.authorise(user_id="900000000000000002"))

    params = _redirect_params(response)
    assert params["discord"] == "erreur"
    assert "invalide" in params["message"]  # French, for the member
    assert not AccountLink.objects.filter(platform="discord").exists()
    assert fake_discord.calls("oauth_token") == []  # the code was never even exchanged


def test_discord_callback_with_an_expired_state_links_nothing(fake_discord, member):
    state = _valid_state(member)
    with time_machine.travel(clock.now() + timedelta(seconds=DISCORD_STATE_MAX_AGE + 60), tick=False):
        response = _callback(state, fake_discord.authorise(user_id="900000000000000003"))
    assert _redirect_params(response)["discord"] == "erreur"
    assert not AccountLink.objects.filter(platform="discord").exists()


# Login throttling: a burst of 100 tries


LOGIN_RATE = {"login": "10/min"}


def _rates():
    return {**settings.THROTTLE_RATES, **LOGIN_RATE}


def test_login_burst_of_100_from_one_ip_is_throttled_after_the_limit(api_client, member):
    with override_settings(THROTTLE_RATES=_rates()):
        responses = [_login(api_client, f"x{i}@example.com", "mauvais") for i in range(100)]

    statuses = [r.status_code for r in responses]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429] * 90  # never a 500
    assert all(1 <= int(r["Retry-After"]) <= 60 for r in responses[10:])
    assert "detail" in responses[-1].json()


def test_login_burst_on_one_address_from_many_ips_is_throttled(api_client, member):
    with override_settings(THROTTLE_RATES=_rates()):
        statuses = [
            _login(api_client, member.email, "mauvais", REMOTE_ADDR=f"10.0.{i // 250}.{i % 250 + 1}").status_code
            for i in range(100)
        ]
    assert statuses[:10] == [401] * 10
    assert set(statuses[10:]) == {429}


def test_right_password_is_refused_while_throttled_then_accepted_after_the_window(api_client, member):
    with override_settings(THROTTLE_RATES=_rates()):
        start = clock.now()
        with time_machine.travel(start, tick=False):
            for _ in range(10):
                _login(api_client, member.email, "mauvais")
            throttled = _login(api_client, member.email, PASSWORD)
        with time_machine.travel(start + timedelta(seconds=61), tick=False):
            later = _login(api_client, member.email, PASSWORD)

    assert throttled.status_code == 429
    assert "access" not in throttled.json()
    assert later.status_code == 200


# The admin: staff only


def test_member_is_redirected_to_the_admin_login(member):
    browser = Client()
    browser.force_login(member)
    for url in ("/admin/", "/admin/accounts/user/", "/admin/payments/payment/"):
        response = browser.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url


def test_member_cannot_log_into_the_admin_with_their_password(member):
    browser = Client()
    response = browser.post("/admin/login/", {"username": member.email, "password": PASSWORD})
    assert response.status_code == 200  # the form again, with an error
    assert browser.get("/admin/").status_code == 302


def test_bearer_token_does_not_open_the_admin(member):
    staff = UserFactory(is_staff=True, is_superuser=True)
    response = Client().get("/admin/", HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(staff).access_token}")
    assert response.status_code == 302


def test_staff_reaches_the_admin():
    browser = Client()
    browser.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert browser.get("/admin/").status_code == 200
    assert browser.get("/admin/accounts/user/").status_code == 200

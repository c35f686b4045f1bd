"""Every API endpoint answers JSON for bad input: never an HTML page, never a 500 (issue 3, "Bad input").

Unknown fields are IGNORED everywhere (DRF's default, kept consistently): a client sending extra keys, including
read-only ones such as `is_staff`, gets the same answer as without them.
Other apps add their endpoints to the tables below.
"""

import json
from typing import cast

import pytest
from django.urls import get_resolver, path
from drf_spectacular.generators import SchemaGenerator
from rest_framework.permissions import AllowAny
from rest_framework.test import APIClient
from rest_framework.views import APIView

from accounts.models import User
from accounts.tests.factories import UserFactory
from conftest import client_for
from core.parsers import JSONParser as HardenedJSONParser
from payments.parsers import ProofMultiPartParser
from tests.hostile import (
    DEEP_BODIES,
    EXTREME_DATES,
    HOSTILE_STRINGS,
    LONE_SURROGATE_STRINGS,
    date_query_parameters,
    json_body_operations,
)
from trading_signals.models import Signal
from trading_signals.tests.factories import SignalFactory

pytestmark = pytest.mark.django_db

ONE_MIB = 1024 * 1024
LONG = "x" * 10_000


class Boom(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("secret internal detail 4242")


def plain_boom(request):
    raise RuntimeError("secret internal detail 4242")


# Test-only URLconf (selected with @pytest.mark.urls("tests.test_bad_input")).
urlpatterns = [
    path("api/boom/", Boom.as_view()),
    path("api/plain-boom/", plain_boom),
]
handler500 = "core.exceptions.handler500"


# (url, needs a logged-in member, a valid body)
POST_ENDPOINTS = [
    ("/api/auth/register/", False, {"email": "a@example.com", "password": "Zk3!pqrstu9", "accept_terms": True}),
    ("/api/auth/verify-email/", False, {"token": "t"}),
    ("/api/auth/resend-verification/", False, {"email": "a@example.com"}),
    ("/api/auth/login/", False, {"email": "a@example.com", "password": "x"}),
    ("/api/auth/token/refresh/", False, {"refresh": "r"}),
    ("/api/auth/logout/", True, {"refresh": "r"}),
    ("/api/auth/password-reset/", False, {"email": "a@example.com"}),
    ("/api/auth/password-reset/confirm/", False, {"token": "t", "new_password": "Zk3!pqrstu9"}),
    ("/api/auth/user/payments/", True, {"plan": 1, "method": "card"}),
]
# (method, url) of endpoints taking a JSON object body, with auth
BODY_ENDPOINTS = [("post", url, auth) for url, auth, _ in POST_ENDPOINTS] + [
    ("patch", "/api/auth/user/profile/", True),
]
GET_ENDPOINTS = [
    "/api/auth/user/profile/",
    "/api/auth/user/payment-eligibility/",
    "/api/auth/user/dashboard/",
    "/api/auth/user/subscriptions/",
    "/api/auth/user/payments/",
    "/api/auth/user/notifications/",
    "/api/auth/user/channels/",
    "/api/auth/user/formations/",
    "/api/auth/user/signals/",
    "/api/auth/user/signals/stats/",
]

# Strings of 10,000 characters: each field named gets a 400 on that field.
LONG_STRING_CASES = [
    ("/api/auth/register/", False, {"email": LONG, "password": "Zk3!pqrstu9", "accept_terms": True}, "email"),
    ("/api/auth/register/", False, {"email": "a@example.com", "password": LONG, "accept_terms": True}, "password"),
    (
        "/api/auth/register/",
        False,
        {"email": "a@example.com", "password": "Zk3!pqrstu9", "first_name": LONG, "accept_terms": True},
        "first_name",
    ),
    (
        "/api/auth/register/",
        False,
        {"email": "a@example.com", "password": "Zk3!pqrstu9", "last_name": LONG, "accept_terms": True},
        "last_name",
    ),
    ("/api/auth/verify-email/", False, {"token": LONG}, "token"),
    ("/api/auth/resend-verification/", False, {"email": LONG}, "email"),
    ("/api/auth/login/", False, {"email": LONG, "password": "x"}, "email"),
    ("/api/auth/login/", False, {"email": "a@example.com", "password": LONG}, "password"),
    ("/api/auth/logout/", True, {"refresh": LONG}, "refresh"),
    ("/api/auth/password-reset/", False, {"email": LONG}, "email"),
    ("/api/auth/password-reset/confirm/", False, {"token": LONG, "new_password": "Zk3!pqrstu9"}, "token"),
    ("/api/auth/password-reset/confirm/", False, {"token": "t", "new_password": LONG}, "new_password"),
    ("/api/auth/user/payments/", True, {"plan": 1, "method": "card", "reference": LONG}, "reference"),
    ("/api/auth/user/payments/", True, {"plan": 1, "method": "card", "note": LONG}, "note"),
    ("/api/auth/user/payments/", True, {"plan": 1, "method": LONG}, "method"),
]
PROFILE_STRING_FIELDS = ["first_name", "last_name", "telegram_username", "discord_username", "whatsapp_number"]


def _client(auth: bool) -> APIClient:
    return client_for(UserFactory()) if auth else APIClient()


def _send(client: APIClient, method: str, url: str, body: bytes | str, content_type: str = "application/json"):
    return getattr(client, method)(url, data=body, content_type=content_type)


def _assert_json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body
    return body


@pytest.mark.parametrize(("method", "url", "auth"), BODY_ENDPOINTS)
def test_malformed_json_is_a_french_400(method, url, auth):
    response = _send(_client(auth), method, url, '{"email": "a@example.com",')

    body = _assert_json_error(response, 400)
    assert body == {"detail": "Requête invalide : le corps n'est pas un JSON valide."}


@pytest.mark.parametrize(("method", "url", "auth"), BODY_ENDPOINTS)
@pytest.mark.parametrize(
    ("content_type", "payload"),
    [
        ("application/x-www-form-urlencoded", "email=a%40example.com"),
        ("text/plain", "bonjour"),
        ("application/xml", "<a/>"),
    ],
)
def test_a_wrong_content_type_is_a_415(method, url, auth, content_type, payload):
    response = _send(_client(auth), method, url, payload, content_type)

    body = _assert_json_error(response, 415)
    assert "non supporté" in body["detail"]


@pytest.mark.parametrize(("method", "url", "auth"), BODY_ENDPOINTS)
@pytest.mark.parametrize("payload", [[], [{"email": "a@example.com"}], "chaîne", 42, None, True])
def test_a_json_value_that_is_not_an_object_is_a_400(method, url, auth, payload):
    response = _send(_client(auth), method, url, json.dumps(payload))

    body = _assert_json_error(response, 400)
    assert list(body) == ["non_field_errors"]
    expected = "Aucune donnée reçue" if payload is None else "Attendait un dictionnaire"
    assert expected in body["non_field_errors"][0]


@pytest.mark.parametrize(("url", "auth", "valid"), POST_ENDPOINTS)
def test_wrong_types_are_field_errors(url, auth, valid):
    client = _client(auth)
    for value in ({"nested": 1}, ["liste"]):
        body_sent = dict.fromkeys(valid, value)

        response = client.post(url, body_sent, format="json")

        body = _assert_json_error(response, 400)
        assert set(body) == set(valid), body


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_name", 12),
        ("first_name", {"a": 1}),
        ("telegram_username", ["jeandupont"]),
        ("preferred_markets", "forex"),
        ("preferred_markets", [1, 2]),
        ("email_reminders", "souvent"),
        ("email_reminders", [True]),
        ("trading_experience", 3),
        ("risk_tolerance", None),
    ],
)
def test_profile_wrong_types_are_field_errors(field, value):
    member = UserFactory()
    before = User.objects.values().get(pk=member.pk)

    response = client_for(member).patch("/api/auth/user/profile/", {field: value}, format="json")

    body = _assert_json_error(response, 400)
    assert list(body) == [field]
    assert User.objects.values().get(pk=member.pk) == before


def test_unknown_fields_are_ignored_on_register():
    response = APIClient().post(
        "/api/auth/register/",
        {
            "email": "a@example.com",
            "password": "Zk3!pqrstu9",
            "accept_terms": True,
            "is_staff": True,
            "is_verified": True,
            "zzz": [1],
        },
        format="json",
    )

    assert response.status_code == 201
    user = User.objects.get(email="a@example.com")
    assert not user.is_staff
    assert not user.is_verified


def test_unknown_fields_are_ignored_on_profile():
    member = UserFactory(first_name="Avant")

    response = client_for(member).patch(
        "/api/auth/user/profile/", {"first_name": "Après", "couleur": "bleu", "is_staff": True}, format="json"
    )

    assert response.status_code == 200
    assert "couleur" not in response.json()
    member.refresh_from_db()
    assert member.first_name == "Après"
    assert not member.is_staff


@pytest.mark.parametrize(("url", "auth", "body", "field"), LONG_STRING_CASES)
def test_ten_thousand_character_strings_are_field_errors(url, auth, body, field):
    response = _client(auth).post(url, body, format="json")

    errors = _assert_json_error(response, 400)
    assert field in errors
    assert User.objects.filter(email__startswith="xxxx").count() == 0


@pytest.mark.parametrize("field", PROFILE_STRING_FIELDS)
def test_ten_thousand_character_profile_strings_are_field_errors(field):
    member = UserFactory()

    response = client_for(member).patch("/api/auth/user/profile/", {field: LONG}, format="json")

    errors = _assert_json_error(response, 400)
    assert list(errors) == [field]
    assert "caractères" in errors[field][0]


def test_a_long_list_of_markets_is_refused():
    response = client_for(UserFactory()).patch(
        "/api/auth/user/profile/", {"preferred_markets": ["forex"] * 10_000}, format="json"
    )

    assert _assert_json_error(response, 400).keys() == {"preferred_markets"}


@pytest.mark.parametrize(("method", "url", "auth"), BODY_ENDPOINTS)
def test_a_body_over_one_mebibyte_is_a_413(method, url, auth):
    big = json.dumps({"email": "a@example.com", "padding": "x" * (ONE_MIB + 10)})

    response = _send(_client(auth), method, url, big)

    body = _assert_json_error(response, 413)
    assert body == {"detail": "Requête trop volumineuse."}


@pytest.mark.parametrize(("method", "url", "auth"), BODY_ENDPOINTS)
def test_a_body_just_under_the_limit_is_parsed(method, url, auth):
    padding = "x" * (ONE_MIB - 200)
    response = _send(_client(auth), method, url, json.dumps({"padding": padding}))

    assert response.status_code != 413
    assert response.status_code < 500
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("url", ["/api/nexiste-pas/", "/api/auth/nexiste-pas/", "/api/auth/user/nexiste-pas/", "/api"])
def test_unknown_api_urls_are_404_json(url):
    response = APIClient().get(url, follow=True)

    body = _assert_json_error(response, 404)
    assert body == {"detail": "Ressource introuvable."}


@pytest.mark.parametrize(("method", "url", "auth"), BODY_ENDPOINTS)
def test_wrong_method_is_a_405_json(method, url, auth):
    response = _client(auth).delete(url)

    body = _assert_json_error(response, 405)
    assert "non autorisée" in body["detail"]


@pytest.mark.parametrize("url", GET_ENDPOINTS)
def test_member_endpoints_without_a_token_are_401_json(url):
    body = _assert_json_error(APIClient().get(url), 401)
    assert body["detail"] == "Informations d'authentification non fournies."


@pytest.mark.parametrize("url", GET_ENDPOINTS)
def test_a_forged_bearer_token_is_401_json(url):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer pas.un.jeton")

    body = _assert_json_error(client.get(url), 401)
    assert "detail" in body


@pytest.mark.urls("tests.test_bad_input")
@pytest.mark.parametrize("url", ["/api/boom/", "/api/plain-boom/"])
def test_an_unhandled_error_is_a_500_json_without_traceback(url, caplog):
    client = APIClient(raise_request_exception=False)

    response = client.get(url)

    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Erreur interne du serveur."}
    assert b"4242" not in response.content
    assert b"Traceback" not in response.content
    assert any("4242" in str(record.exc_info) for record in caplog.records if record.exc_info)


# --- Hostile input (issue 12, item 9): each example of tests/hostile.py in each field of each operation -----------

DEEP_NESTING_MESSAGE = "Requête invalide : le JSON est imbriqué trop profondément."
LONE_SURROGATE_MESSAGE = "Requête invalide : le JSON contient un caractère Unicode isolé (substitut UTF-16 sans paire)."
# The French refusals of a NUL byte: DRF's ProhibitNullCharactersValidator, or a choice field's "not a choice".
NUL_REFUSALS = ("Le caractère nul n’est pas autorisé.", "n'est pas un choix valide.", "Un nombre valide est requis.")
DATE_OUT_OF_RANGE = "Date hors limites : choisissez une date du 0001-01-02 au 9999-12-30."
WEBHOOK_URL = "/api/telegram/webhook/"
WEBHOOK_SECRET = "webhook-secret-for-hostile-input-tests"


OPENAPI = SchemaGenerator().get_schema(request=None, public=True)
JSON_BODY_OPERATIONS = json_body_operations(OPENAPI)
STRING_FIELD_CASES = [
    pytest.param(method, url, auth, field, is_list, id=f"{method}-{url}-{field}")
    for method, url, auth, fields in JSON_BODY_OPERATIONS
    for field, is_list in fields.items()
]
DATE_QUERY_CASES = date_query_parameters(OPENAPI)


def test_the_schema_tables_cover_the_fields_named_in_the_issue():
    fields = {(url, field) for _, url, _, field, _ in (case.values for case in STRING_FIELD_CASES)}
    for expected in [
        ("/api/auth/login/", "email"),
        ("/api/auth/register/", "email"),
        ("/api/auth/password-reset/", "email"),
        ("/api/auth/resend-verification/", "email"),
        ("/api/auth/user/profile/", "risk_tolerance"),
        ("/api/auth/user/profile/", "preferred_markets"),
        ("/api/auth/user/payments/", "method"),
    ]:
        assert expected in fields
    assert ("post", WEBHOOK_URL) in {(method, url) for method, url, _, _ in JSON_BODY_OPERATIONS}
    assert {("/api/auth/user/signals/", "date_to"), ("/api/auth/user/signals/stats/", "date_from")} <= set(
        DATE_QUERY_CASES
    )


@pytest.fixture
def _webhook_configured(settings):
    settings.TELEGRAM_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.TELEGRAM_BOT_TOKEN = "123456:hostile-input"
    settings.TELEGRAM_API_BASE_URL = "http://127.0.0.1:9/bot"


def _send_hostile(method: str, url: str, auth: bool, body: bytes | str):
    if url.startswith("/api/admin/"):
        # Staff endpoints: an admin with every permission, on an object that exists (a signal, the only one there).
        client = client_for(UserFactory(is_staff=True, is_superuser=True))
        url = url.replace("{id}", str(cast(Signal, SignalFactory()).pk))
    else:
        client = _client(auth)
    client.raise_request_exception = False
    return client.generic(
        method.upper(),
        url,
        body,  # type: ignore[arg-type]  # Django's generic() under it takes bytes or str; the stubs say str
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=WEBHOOK_SECRET,
    )


@pytest.mark.usefixtures("_webhook_configured")
@pytest.mark.parametrize(("method", "url", "auth"), [operation[:3] for operation in JSON_BODY_OPERATIONS])
@pytest.mark.parametrize("body", list(DEEP_BODIES.values()), ids=list(DEEP_BODIES))
def test_deeply_nested_json_is_a_french_400(method, url, auth, body):
    response = _send_hostile(method, url, auth, body)

    assert _assert_json_error(response, 400) == {"detail": DEEP_NESTING_MESSAGE}


@pytest.mark.usefixtures("_webhook_configured")
@pytest.mark.parametrize(("method", "url", "auth"), [operation[:3] for operation in JSON_BODY_OPERATIONS])
@pytest.mark.parametrize("where", ["value", "key", "nested"])
def test_a_lone_surrogate_anywhere_in_the_body_is_a_french_400(method, url, auth, where):
    body = {
        "value": '{"update_id": 1, "email": "a\\ud800@example.com"}',
        "key": '{"update_id": 1, "\\udfff": "x"}',
        "nested": '{"update_id": 1, "message": {"text": ["/start \\ud800"]}}',
    }[where]

    response = _send_hostile(method, url, auth, body)

    assert _assert_json_error(response, 400) == {"detail": LONE_SURROGATE_MESSAGE}


@pytest.mark.parametrize(("method", "url", "auth", "field", "is_list"), STRING_FIELD_CASES)
@pytest.mark.parametrize("value", HOSTILE_STRINGS, ids=repr)
def test_a_hostile_string_in_any_field_is_a_french_400(method, url, auth, field, is_list, value):
    body = json.dumps({field: [value] if is_list else value})  # ensure_ascii: "\ud800" travels as its JSON escape

    response = _send_hostile(method, url, auth, body)

    errors = _assert_json_error(response, 400)
    if value in LONE_SURROGATE_STRINGS:
        assert errors == {"detail": LONE_SURROGATE_MESSAGE}
    else:
        assert field in errors, errors
        field_messages = " ".join(_flatten(errors[field]))
        assert any(refusal in field_messages for refusal in NUL_REFUSALS), field_messages


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _flatten(value)]
    if isinstance(detail, list):
        return [message for value in detail for message in _flatten(value)]
    return [str(detail)]


@pytest.mark.parametrize(("url", "parameter"), DATE_QUERY_CASES)
@pytest.mark.parametrize("day", EXTREME_DATES)
def test_a_day_at_the_end_of_the_calendar_is_a_french_400(url, parameter, day):
    client = _client(auth=True)
    client.raise_request_exception = False

    response = client.get(url, {parameter: day})

    assert _assert_json_error(response, 400) == {parameter: [DATE_OUT_OF_RANGE]}


@pytest.mark.parametrize(("url", "parameter"), DATE_QUERY_CASES)
@pytest.mark.parametrize("day", ["0001-01-02", "9999-12-30"])
def test_the_last_days_the_filters_can_hold_are_accepted(url, parameter, day):
    response = _client(auth=True).get(url, {parameter: day})

    assert response.status_code == 200, response.content[:300]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json; charset=bz2_codec", b'{"email": "a@example.com"}'),
        ("application/json", b'{"email": "\xff\xfe@example.com"}'),
        ("application/json; charset=utf-7", b'{"email": "+2AA-@example.com"}'),  # UTF-7 for a lone surrogate
    ],
    ids=["bytes-codec-charset", "not-utf-8", "utf-7-surrogate"],
)
def test_an_undecodable_body_is_a_french_400(content_type, body):
    client = APIClient(raise_request_exception=False)

    response = client.post("/api/auth/password-reset/", body, content_type=content_type)

    detail = _assert_json_error(response, 400)["detail"]
    assert detail.startswith("Requête invalide : "), detail


def _api_views(patterns) -> list[type]:
    views = []
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            views += _api_views(pattern.url_patterns)
        elif hasattr(getattr(pattern, "callback", None), "cls"):
            views.append(pattern.callback.cls)
    return views


def test_every_api_view_parses_json_with_the_hardened_parser():
    views = _api_views(get_resolver().url_patterns)

    assert len(views) > 20
    for view in views:
        for parser in view().get_parsers():
            # The one upload (a proof of payment) takes multipart only, with its own French refusals.
            assert isinstance(parser, HardenedJSONParser | ProofMultiPartParser), (view, parser)

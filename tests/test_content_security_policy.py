"""A Content-Security-Policy on every page we render, and pages that need nothing it forbids: no inline script, no
inline style, no event-handler attribute (issue 12, item 14). tests/e2e/test_content_security_policy.py runs the
same pages in Chromium and reads its console."""

from contextlib import suppress
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, reverse
from django.views.defaults import server_error

from accounts.tests.factories import UserFactory
from formations.tests.factories import CourseFactory, LessonFactory, SubscriptionFactory
from payments.tests.factories import PaymentFactory
from trading_signals.tests.factories import SignalFactory

pytestmark = pytest.mark.django_db

EXPECTED_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
}


def policy(response) -> dict[str, str]:
    directives = [part.strip() for part in response["Content-Security-Policy"].split(";") if part.strip()]
    return {name: value for name, _, value in (d.partition(" ") for d in directives)}


@pytest.fixture
def member_client(member) -> Client:
    client = Client()
    client.force_login(member)
    return client


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory.create(email="admin@example.com", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    ("who", "url", "status"),
    [
        ("anonymous", "/espace/connexion/", 200),
        ("member", "/espace/", 200),
        ("anonymous", "/admin/login/", 200),
        ("anonymous", "/api/docs/", 200),
        ("anonymous", "/espace/cette-page-n-existe-pas/", 404),
    ],
)
def test_content_security_policy_is_sent_on_every_rendered_page(who, url, status, member_client):
    client = member_client if who == "member" else Client()

    response = client.get(url)

    assert response.status_code == status
    directives = policy(response)
    assert {name: directives.get(name) for name in EXPECTED_POLICY} == EXPECTED_POLICY
    # Forms post to us; the channel-linking forms redirect to Telegram's and Discord's authorisation pages, the card
    # forms to Stripe's Checkout page and customer portal.
    assert directives["form-action"].split() == [
        "'self'",
        "https://t.me",
        "https://discord.com",
        "https://checkout.stripe.com",
        "https://billing.stripe.com",
        "https://api.stripe.com",
    ]
    assert "unsafe" not in response["Content-Security-Policy"]


class _InlineCode(HTMLParser):
    """What a strict policy blocks: <script> without src (JSON data blocks are not run), <style>, style="…",
    on…="…" handlers, javascript: links."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and not attrs.get("src") and attrs.get("type") != "application/json":
            self.found.append("<script> inline")
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs.items():
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")


def inline_code(html: str) -> list[str]:
    parser = _InlineCode()
    parser.feed(html)
    return parser.found


def _member_pages(member) -> list[str]:
    SubscriptionFactory(user=member)
    course = CourseFactory(slug="bases")
    lesson = LessonFactory.create(course=course, order=1)
    LessonFactory(course=course, order=2)
    signal = SignalFactory.create_batch(3)[0]
    return [
        "/espace/",
        "/espace/profil/",
        "/espace/formations/",
        "/espace/formations/bases/",
        f"/espace/formations/bases/lecons/{lesson.pk}/",
        "/espace/signaux/",
        f"/espace/signaux/{signal.pk}/",
        "/espace/paiements/",
        "/espace/notifications/",
    ]


def test_member_pages_have_no_inline_script_or_style(member, member_client):
    for url in _member_pages(member):
        response = member_client.get(url)
        assert response.status_code == 200, url
        assert inline_code(response.content.decode()) == [], url


def test_public_and_error_pages_have_no_inline_script_or_style():
    client = Client()
    csrf_client = Client(enforce_csrf_checks=True)
    pages = {
        url: client.get(url)
        for url in (
            "/espace/connexion/",
            "/espace/inscription/",
            "/espace/mot-de-passe/oublie/",
            "/espace/mot-de-passe/reinitialiser/?token=x",
            "/espace/verifier-email/?token=x",
            "/espace/nulle-part/",
        )
    }
    pages["403 CSRF"] = csrf_client.post("/espace/connexion/", {"username": "a@example.com", "password": "x"})
    pages["500"] = server_error(RequestFactory().get("/espace/"))

    for name, response in pages.items():
        assert response.status_code in (200, 403, 404, 500), name
        assert inline_code(response.content.decode()) == [], name


def test_admin_and_api_docs_pages_have_no_inline_script_or_style(admin_client):
    payment = PaymentFactory()  # pending: its change form shows the "Confirmer" button
    signal = SignalFactory()  # published and open: its change form shows the follow-up forms
    urls = [
        "/admin/",
        reverse("admin:payments_payment_change", args=[payment.pk]),
        reverse("admin:trading_signals_signal_change", args=[signal.pk]),
        reverse("admin:trading_signals_signal_correct", args=[signal.pk]),
        "/api/docs/",
    ]
    for model in apps.get_models():
        if admin.site.is_registered(model):
            for view in ("changelist", "add"):
                with suppress(NoReverseMatch):
                    urls.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}"))

    for url in urls:
        response = admin_client.get(url)
        if response.status_code == 403:  # no "add" for this model
            continue
        assert response.status_code == 200, url
        assert inline_code(response.content.decode()) == [], url
    assert Client().get("/admin/login/").status_code == 200
    assert inline_code(Client().get("/admin/login/").content.decode()) == []

"""What a new member reads: real French plurals, amounts written the French way, one login error, the icon."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from core.plurals import fr_plural
from core.templatetags.money import money
from formations.tests.factories import CourseFactory, LessonFactory
from notifications.tests.factories import UserNotificationFactory
from payments.models import Payment
from payments.tests.factories import PaymentFactory
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

NBSP = "\xa0"


# --- plurals -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "expected"), [(0, "leçon"), (1, "leçon"), (2, "leçons"), (-1, "leçon"), (12, "leçons")]
)
def test_french_agreement_takes_the_singular_for_zero_and_one(count, expected):
    assert fr_plural(count, "leçon", "leçons") == expected


@pytest.mark.parametrize(("count", "expected"), [(0, "0 leçon ·"), (1, "1 leçon ·"), (2, "2 leçons ·")])
def test_formations_page_counts_lessons_in_french(browser, count, expected):
    course = CourseFactory(slug="bases")
    for order in range(count):
        LessonFactory(course=course, order=order)

    page = browser.get("/espace/formations/").content.decode()

    assert expected in page
    assert "(s)" not in page


@pytest.mark.parametrize(("count", "expected"), [(0, "non lue"), (1, "non lue"), (2, "non lues")])
def test_notifications_page_counts_unread_in_french(browser, member, count, expected):
    UserNotificationFactory.create_batch(count, user=member)

    page = browser.get("/espace/notifications/").content.decode()

    assert f'<span id="unread-count">{count}</span> {expected}</p>' in page
    assert "(s)" not in page


@pytest.mark.parametrize(
    ("count", "subscriptions", "notifications"),
    [
        (0, "abonnement actif", "notification non lue"),
        (1, "abonnement actif", "notification non lue"),
        (2, "abonnements actifs", "notifications non lues"),
    ],
)
def test_dashboard_figures_agree_with_their_counts(browser, member, count, subscriptions, notifications):
    for _ in range(count):
        SubscriptionFactory(user=member)
    UserNotificationFactory.create_batch(count, user=member)

    page = browser.get("/espace/").content.decode()

    assert f'<span class="stat-label">{subscriptions}</span>' in page
    assert f'<span class="stat-label">{notifications}</span>' in page
    assert "(s)" not in page


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 notification marquée comme lue."), (1, "1 notification marquée comme lue."),
     (2, "2 notifications marquées comme lues.")],
)  # fmt: skip
def test_marking_all_read_says_how_many_in_french(browser, member, count, expected):
    UserNotificationFactory.create_batch(count, user=member)

    page = browser.post("/espace/notifications/tout-lire/", follow=True).content.decode()

    assert expected in page


@pytest.mark.parametrize(("hours", "expected"), [(1, "valable 1 heure et"), (48, "valable 48 heures et")])
def test_account_e_mails_agree_with_the_link_lifetime(hours, expected):
    from django.template.loader import render_to_string

    for name in ("verify_email", "password_reset"):
        context = {"user": None, "link": "https://example.com/?token=x", "max_age_hours": hours}
        assert expected in render_to_string(f"emails/accounts/{name}.txt", context)
        assert expected in render_to_string(f"emails/accounts/{name}.html", context)


# --- money -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("49"), "EUR", f"49,00{NBSP}€"),
        (Decimal("100.00"), "USD", f"100,00{NBSP}USD"),
        ("1449.5", "eur", f"1{NBSP}449,50{NBSP}€"),
        (Decimal("1234567.455"), "CHF", f"1{NBSP}234{NBSP}567,46{NBSP}CHF"),
        (Decimal("0"), "EUR", f"0,00{NBSP}€"),
        (Decimal("-12.5"), "EUR", f"-12,50{NBSP}€"),
        (None, "EUR", "—"),
    ],
)
def test_money_writes_amounts_the_french_way(amount, currency, expected):
    assert money(amount, currency) == expected


def test_money_filter_in_a_template_defaults_to_euros():
    rendered = Template('{% load money %}{{ a|money }} / {{ a|money:"GBP" }}').render(Context({"a": Decimal("9.9")}))

    assert rendered == f"9,90{NBSP}€ / 9,90{NBSP}GBP"


def test_money_refuses_what_is_not_an_amount():
    with pytest.raises(ValueError, match="not an amount"):
        money("abc", "EUR")


def test_dashboard_writes_amounts_with_the_money_filter(browser, member):
    PaymentFactory(user=member, plan=PlanFactory(slug="mensuel", price="49.00"), status=Payment.Status.CONFIRMED)

    page = browser.get("/espace/").content.decode()

    assert page.count(f"49,00{NBSP}€") == 2  # the total paid and the recent payment
    assert "EUR" not in page


def test_dashboard_writes_another_currency_by_its_code(browser, member):
    PaymentFactory(user=member, plan=PlanFactory(slug="dollar", price="100.00", currency="USD"))

    page = browser.get("/espace/").content.decode()

    assert f"100,00{NBSP}USD" in page


# --- login -------------------------------------------------------------------------------------------------


def test_login_error_is_the_same_clear_message_for_an_unknown_address_and_a_wrong_password(client, member):
    unknown = client.post("/espace/connexion/", {"username": "personne@example.com", "password": "MotDePasse123!"})
    wrong = client.post("/espace/connexion/", {"username": member.email, "password": "pas-le-bon"})

    assert unknown.status_code == wrong.status_code == 200
    assert unknown.context["form"].non_field_errors() == ["Adresse e-mail ou mot de passe incorrect."]
    assert wrong.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()
    for response in (unknown, wrong):
        page = response.content.decode()
        assert "<li>Adresse e-mail ou mot de passe incorrect.</li>" in page
        assert "casse" not in page and "Saisissez un " not in page


def test_login_with_an_inactive_account_says_the_same(client, member):
    member.is_active = False
    member.save(update_fields=["is_active"])

    response = client.post("/espace/connexion/", {"username": member.email, "password": "MotDePasse123!"})

    assert response.context["form"].non_field_errors() == ["Adresse e-mail ou mot de passe incorrect."]


def test_api_login_uses_the_same_words(api_client, member):
    unknown = api_client.post("/api/auth/login/", {"email": "personne@example.com", "password": "x"}, format="json")
    wrong = api_client.post("/api/auth/login/", {"email": member.email, "password": "x"}, format="json")

    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["detail"] == wrong.json()["detail"] == "Adresse e-mail ou mot de passe incorrect."


# --- favicon -----------------------------------------------------------------------------------------------


def test_pages_link_the_svg_favicon_and_it_is_served(client, browser):
    for page in (client.get("/espace/connexion/"), browser.get("/espace/formules/")):
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page.content.decode()

    icon = client.get("/static/favicon.svg")

    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content)


def test_favicon_ico_redirects_to_the_svg(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.svg"

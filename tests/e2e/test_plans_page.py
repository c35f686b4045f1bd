"""The plans page and the phone top bar in a real headless Chromium (issue 15)."""

import pytest

from subscriptions.models import Plan
from tests.e2e.helpers import SCREENSHOTS, horizontal_overflow, login, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390
MEMBER_PAGES = [
    "/espace/",
    "/espace/profil/",
    "/espace/formations/",
    "/espace/formations/bases-du-trading/",
    "/espace/signaux/",
    "/espace/formules/",
    "/espace/paiements/",
    "/espace/notifications/",
]
PUBLIC_PAGES = ["/espace/connexion/", "/espace/inscription/", "/espace/mot-de-passe/oublie/"]


def _with_features():
    Plan.objects.filter(slug="annuel").update(
        features="Signaux en temps réel\nSupport prioritaire\nAnalyse hebdomadaire des marchés"
    )


def test_a_subscriber_sees_the_plans_and_chooses_one_for_the_payment_page(page, test_member):
    _with_features()
    login(page)
    page.click(".sidebar nav >> text=Formules")
    page.wait_for_url("**/espace/formules/")

    cards = page.locator(".plan-card")
    assert cards.evaluate_all("cards => cards.map(c => c.dataset.slug)") == ["mensuel", "trimestriel", "annuel"]
    monthly = page.locator("[data-slug=mensuel]")
    assert "49,00\xa0€" in monthly.locator(".plan-amount").inner_text()
    assert monthly.locator(".badge").inner_text() == "Votre formule"
    assert monthly.locator(".button").inner_text() == "Prolonger avec Mensuel"
    yearly = page.locator("[data-slug=annuel]")
    gives = yearly.locator(".plan-gives li").all_inner_texts()
    assert "Canal Telegram privé" in gives and "Serveur Discord des membres" in gives
    assert "Formation « Stratégies avancées »" in [text.replace("\xa0", " ") for text in gives]
    assert "Support prioritaire" in gives
    assert page.js_errors == []
    screenshot(page, "plans")

    yearly.locator(".button", has_text="Passer à l'Annuel").click()

    page.wait_for_url("**/espace/paiements/?formule=annuel")


def test_phone_top_bar_is_compact_and_shows_the_whole_menu_on_every_page(phone_page, test_member):
    _with_features()
    login(phone_page)
    for url in MEMBER_PAGES:
        phone_page.goto(url)
        overflow = horizontal_overflow(phone_page)
        links = phone_page.locator(".sidebar nav a").evaluate_all(
            "links => links.map(a => { const r = a.getBoundingClientRect(); return [a.innerText, r.left, r.right]; })"
        )
        bar = phone_page.locator(".sidebar").bounding_box()
        if overflow > 0 or bar["height"] > 130:
            screenshot(phone_page, "phone-bar-" + url.strip("/").replace("/", "-"))
        assert overflow <= 0, url
        assert len(links) == 7, url
        assert all(left >= 0 and right <= PHONE_WIDTH for _, left, right in links), (url, links)
        assert bar["height"] <= 130, (url, bar)  # brand, logout and a menu wrapped on two lines; was 402 px
    screenshot(phone_page, "notifications-phone")

    phone_page.goto("/espace/formules/")
    phone_page.locator("[data-slug=annuel] .button").scroll_into_view_if_needed()
    button = phone_page.locator("[data-slug=annuel] .button").bounding_box()
    assert button["x"] >= 0 and button["x"] + button["width"] <= PHONE_WIDTH
    screenshot(phone_page, "plans-phone")
    assert (SCREENSHOTS / "plans-phone.png").exists()


def test_public_pages_fit_a_phone(phone_page, live_server):
    for url in PUBLIC_PAGES:
        phone_page.goto(url)
        assert horizontal_overflow(phone_page) <= 0, url

"""Paying by card in a real headless Chromium (issue 16): a plan's "Payer par carte" on /espace/paiements/, the
redirect to the fake Stripe's hosted page, paying there, back on /espace/paiements/ "en cours de confirmation"; the
webhook is delivered (signed, to the real endpoint) and the real task worker applies it; the page, polling, goes to
the dashboard with the countdown and "Renouvellement automatique le …" without a reload by hand. On a laptop and on
a 390 px phone. Screenshots land in artifacts/screenshots/ (docs/screenshots/ keeps a copy of each)."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from billing.models import StripeCheckout
from core.tests.queue import run_worker
from payments.models import Payment, PaymentKind
from subscriptions.models import Plan, Subscription
from tests.e2e.helpers import DESKTOP, PHONE, horizontal_overflow, login, screenshot
from tests.fakes.fixtures import fake_stripe  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "MotDePasse123!"
DOCS_SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
POLL_WAIT_MS = 30_000  # the page asks every 2 s at first, then at most every 10 s


@pytest.fixture
def shop(transactional_db, fake_stripe, settings, live_server, database_tasks):  # noqa: F811
    """The plans, the monthly one renewed by the card; Stripe is the fake, sending members back to the live server;
    tasks wait in the database for the worker, as in production."""
    settings.FRONTEND_URL = f"{live_server.url}/espace"
    # The card forms redirect to Stripe's pages, here the fake's (random port): allowed as the real ones are.
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {**directives, "form-action": [*directives["form-action"], fake_stripe.url]}
    }
    settings.TELEGRAM_BOT_TOKEN = settings.DISCORD_BOT_TOKEN = ""
    call_command("create_plans", verbosity=0)
    call_command("create_demo_payment_methods", "--force", verbosity=0)
    Plan.objects.filter(slug="mensuel").update(is_recurring=True)
    return fake_stripe


def _keep(name: str) -> None:
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(settings.BASE_DIR) / "artifacts" / "screenshots" / f"{name}.png", DOCS_SCREENSHOTS)


def test_plan_payer_par_carte_stripe_back_confirmed_by_the_webhook_then_the_countdown(open_page, live_server, shop):
    member = UserFactory(email="carte@example.com", first_name="Camille")
    page = open_page(DESKTOP)
    login(page, member.email, PASSWORD)
    page.goto("/espace/paiements/?formule=mensuel")

    offer = page.locator("#payer-par-carte")
    expect(offer).to_contain_text("Renouvellement automatique tous les 30 jours")
    assert "Virement bancaire (démonstration)" in page.locator("#declare").inner_text()  # still declared by hand
    screenshot(page, "card-checkout")
    _keep("card-checkout")

    offer.get_by_role("button", name="Payer par carte").click()
    page.wait_for_url(f"{shop.url}/pay/cs_test_*")
    payment = Payment.objects.get(user=member)
    assert (payment.status, payment.method) == (Payment.Status.PENDING, PaymentKind.CARD)
    assert page.url == StripeCheckout.objects.get(payment=payment).url

    page.get_by_role("button", name="Payer").click()  # the fake's hosted page: paid, then back to the success URL
    page.wait_for_url("**/espace/paiements/?paiement=retour")
    expect(page.locator("#pending-title")).to_have_text("Paiement en cours de confirmation…")
    expect(page.locator("#card-confirming")).to_contain_text("Cette page s'actualise d'elle-même")
    screenshot(page, "card-confirming")
    _keep("card-confirming")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING  # nothing is confirmed before the webhook

    results = shop.deliver(f"{live_server.url}/api/stripe/webhook/", shop.events_of())
    assert {status for _event, status in results} == {200}, results
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.PENDING  # stored, not yet applied
    run_worker()

    page.wait_for_url(f"{live_server.url}/espace/", timeout=POLL_WAIT_MS)  # the page's own polling, no reload
    expect(page.locator("#countdown")).to_be_visible()
    subscription = Subscription.objects.get(payment=payment)
    assert subscription.auto_renew and subscription.next_charge_at is not None
    expect(page.locator("#renewal")).to_contain_text("Renouvellement automatique le")
    assert "Paiement par carte en cours" not in page.content()
    screenshot(page, "card-dashboard")
    _keep("card-dashboard")
    assert page.js_errors == []

    phone = open_page(PHONE)
    login(phone, member.email, PASSWORD)
    expect(phone.locator("#renewal")).to_contain_text("Renouvellement automatique le")
    assert horizontal_overflow(phone) <= 0
    screenshot(phone, "card-dashboard-phone")
    _keep("card-dashboard-phone")
    phone.goto("/espace/paiements/")
    expect(phone.get_by_role("button", name="Gérer ma carte / mon abonnement")).to_be_visible()
    assert horizontal_overflow(phone) <= 0
    screenshot(phone, "card-payments-phone")
    _keep("card-payments-phone")
    assert phone.js_errors == []


def test_on_a_phone_the_card_offer_and_the_confirmation_wait_fit_the_screen(open_page, live_server, shop):
    member = UserFactory(email="telephone@example.com")
    phone = open_page(PHONE)
    login(phone, member.email, PASSWORD)
    phone.goto("/espace/paiements/")

    buttons = phone.locator("#payer-par-carte .card-pay-button")
    expect(buttons.first).to_have_text("Payer par carte")
    assert buttons.count() == Plan.objects.filter(is_active=True).count()
    assert horizontal_overflow(phone) <= 0
    box = buttons.first.bounding_box()
    assert box is not None and box["width"] > 0.7 * PHONE["width"]  # a full-width button under the thumb
    screenshot(phone, "card-checkout-phone")
    _keep("card-checkout-phone")

    phone.get_by_role("button", name="Payer la formule Mensuel par carte").click()
    phone.wait_for_url(f"{shop.url}/pay/cs_test_*")
    phone.go_back()  # left Stripe's page without paying
    phone.goto("/espace/paiements/")
    expect(phone.locator("#pending-title")).to_have_text("Paiement par carte non terminé")
    expect(phone.get_by_role("button", name="Reprendre le paiement par carte")).to_be_visible()
    assert horizontal_overflow(phone) <= 0

    phone.get_by_role("button", name="Reprendre le paiement par carte").click()
    phone.wait_for_url(f"{shop.url}/pay/cs_test_*")
    assert len(shop.objects["checkout/sessions"]) == 1  # the same session, not a second one
    phone.get_by_role("button", name="Payer").click()
    phone.wait_for_url("**/espace/paiements/?paiement=retour")
    expect(phone.locator("#card-confirming")).to_be_visible()
    assert horizontal_overflow(phone) <= 0
    screenshot(phone, "card-confirming-phone")
    _keep("card-confirming-phone")

    shop.deliver(f"{live_server.url}/api/stripe/webhook/", shop.events_of())
    run_worker()
    phone.wait_for_url(f"{live_server.url}/espace/", timeout=POLL_WAIT_MS)
    expect(phone.locator("#countdown")).to_be_visible()
    assert phone.js_errors == []

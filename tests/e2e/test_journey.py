"""A new member's whole journey in a real headless Chromium (issue 15): register, verify the address, complete the
profile, link Telegram (the bot's /start through our webhook), choose a plan, declare a bank transfer, see the
instructions and the pending state; an admin confirms in the admin; the dashboard then shows the countdown and the
"Accès" block with the Telegram invitation, which the fake Bot API delivered by private message.

Tasks run at commit in these tests (the test settings' immediate backend), so the invitation leaves when the
admin's confirmation commits, as the worker does within a second in production (bench/access.py). Screenshots of
each step land in artifacts/screenshots/ (journey-*.png); docs/screenshots/ keeps the dashboard's."""

import re
import shutil
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import User
from payments.models import Payment
from tests.e2e.helpers import horizontal_overflow, login, screenshot
from tests.fakes.fixtures import WEBHOOK_SECRET

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "nouvelle.membre@example.com"
PASSWORD = "Trading-Calme-2026!"
TELEGRAM_ID = 424242
DOCS_SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"


@pytest.fixture
def shop(transactional_db, fake_telegram, settings):
    """Plans, the demo payment methods and an admin; Telegram on (the fake Bot API, its webhook secret)."""
    settings.DISCORD_BOT_TOKEN = ""
    call_command("create_plans", verbosity=0)
    call_command("create_demo_payment_methods", "--force", verbosity=0)
    User.objects.create_superuser(email="admin@calmnessfi.com", password=PASSWORD, first_name="Admin")
    return fake_telegram


def _register_and_verify(page) -> None:
    page.goto("/espace/inscription/")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_first_name", "Camille")
    page.fill("#id_last_name", "Martin")
    page.check("#id_accept_terms")
    page.click("button[type=submit]")
    [message] = [m for m in mail.outbox if m.to == [EMAIL]]
    found = re.search(r"verifier-email/\?token=([^\s\"&<]+)", str(message.body))
    assert found, message.body
    token = found.group(1)
    page.goto(f"/espace/verifier-email/?token={token}")
    page.click("text=Confirmer mon adresse e-mail")
    assert User.objects.get(email=EMAIL).is_verified


def _link_telegram(page, live_server, fake_telegram) -> None:
    """The profile's button sends the member to the bot with a one-time token; they press Start in Telegram, which
    posts /start <token> to our webhook."""
    page.route("https://t.me/**", lambda route: route.fulfill(body="Telegram"))
    page.goto("/espace/profil/")
    with page.expect_request("https://t.me/**") as deep_link:
        page.click("text=Relier mon compte Telegram")
    found = re.search(r"start=([\w-]+)", deep_link.value.url)
    assert found, deep_link.value.url
    token = found.group(1)
    update = fake_telegram.start_update(user_id=TELEGRAM_ID, text=f"/start {token}")
    answer = httpx.post(
        f"{live_server.url}/api/telegram/webhook/",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    )
    assert answer.status_code == 200


def test_register_pay_get_confirmed_and_join(page, phone_page, chromium, live_server, shop):
    _register_and_verify(page)
    login(page, EMAIL, PASSWORD)
    page.goto("/espace/profil/")
    page.fill("#id_telegram_username", "@camille_trade")
    page.click("form >> text=Enregistrer")
    expect(page.locator(".messages")).to_contain_text("Profil enregistré")
    _link_telegram(page, live_server, shop)

    page.goto("/espace/formules/")
    page.locator("[data-slug=mensuel] .button").click()
    page.locator(".method-card", has_text="Virement bancaire").locator("input[type=radio]").check()
    page.click("#declare button[type=submit]")
    expect(page.locator("#pending")).to_be_visible()
    payment = Payment.objects.get(user__email=EMAIL, status=Payment.Status.PENDING)
    expect(page.locator("#pending")).to_contain_text(payment.code)
    screenshot(page, "journey-1-instructions")
    page.goto("/espace/")
    expect(page.locator("#pending-payment")).to_contain_text(payment.code)
    expect(page.locator("#access [data-platform=telegram] .next-step")).to_contain_text("en cours de vérification")
    screenshot(page, "journey-2-pending")

    admin = chromium.new_context(base_url=live_server.url, locale="fr-FR", timezone_id="Europe/Paris")
    admin_page = admin.new_page()
    admin_page.goto("/admin/login/")
    admin_page.fill("#id_username", "admin@calmnessfi.com")
    admin_page.fill("#id_password", PASSWORD)
    admin_page.click("input[type=submit]")
    row = admin_page.locator("tr", has_text=payment.code)
    row.locator("text=Confirmer").click()
    confirmed = admin_page.locator(".messagelist", has_text="Paiement confirmé")
    expect(confirmed).to_contain_text("invitation Telegram envoyée")
    screenshot(admin_page, "journey-3-admin-confirmed")
    admin.close()

    # The bot's private messages to the member: the link's confirmation, then the invitation.
    [invitation] = [m for m in shop.messages if m["chat_id"] == TELEGRAM_ID and m["text"] and "/+" in m["text"]]
    page.goto("/espace/")
    expect(page.locator("#countdown")).to_be_visible()
    expect(page.locator("#pending-payment")).to_have_count(0)
    telegram = page.locator("#access [data-platform=telegram]")
    join = telegram.locator("a.button")
    expect(join).to_have_text("Rejoindre le canal Telegram")
    assert join.get_attribute("href") in invitation["text"]
    expect(page.locator(".notification, li.unread").first).to_contain_text("Paiement confirmé")
    shutil.copy(screenshot(page, "journey-4-dashboard"), DOCS_SCREENSHOTS / "journey-dashboard.png")

    login(phone_page, EMAIL, PASSWORD)
    expect(phone_page.locator("#access [data-platform=telegram] a.button")).to_be_visible()
    assert horizontal_overflow(phone_page) <= 0
    shutil.copy(screenshot(phone_page, "journey-5-dashboard-phone"), DOCS_SCREENSHOTS / "journey-dashboard-phone.png")

"""The checkout /espace/paiements/ in a real headless Chromium (issue 15): a plan chosen on /espace/formules/, a
declaration with the demo bank transfer, the pending payment with its code and copy buttons, the cancellation; on a
desktop screen and on a phone. The screenshots land in artifacts/screenshots/ (docs/screenshots/ keeps a copy)."""

import re

import pytest
from playwright.sync_api import expect

from payments.models import Payment
from tests.e2e.helpers import DESKTOP, PHONE, horizontal_overflow, login, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BANK_TRANSFER = "Virement bancaire (démonstration)"
DEMO_IBAN = "FR7630006000011234567890189"
DEMO_IBAN_SHOWN = "FR76 3000 6000 0112 3456 7890 189"  # in groups of four; copied without the spaces


def _declare_with_the_bank_transfer(page) -> Payment:
    page.locator(".method-card", has_text=BANK_TRANSFER).locator("input[type=radio]").check()
    page.click("#declare button[type=submit]")
    page.wait_for_selector("#pending")
    return Payment.objects.get(status=Payment.Status.PENDING)


def test_a_member_chooses_a_plan_declares_copies_the_code_and_cancels(open_page, test_member):
    page = open_page(DESKTOP)
    login(page)
    page.goto("/espace/formules/")
    page.locator("[data-slug=annuel] .button").click()
    page.wait_for_url("**/espace/paiements/?formule=annuel")

    summary = page.locator(".plan-summary")
    assert "Annuel" in summary.inner_text() and "449,00\xa0€" in summary.inner_text()
    assert summary.get_by_role("link", name="Changer de formule").get_attribute("href") == "/espace/formules/"
    transfer_card = page.locator(".method-card", has_text=BANK_TRANSFER)
    assert DEMO_IBAN_SHOWN in transfer_card.inner_text()  # the details before declaring
    assert transfer_card.locator("button[data-copy-name=IBAN]").get_attribute("data-copy") == DEMO_IBAN
    assert "TG7Uz21UfGtY2s6w9eQ2sxfw35iDu4fUMo" in page.locator(".method-card", has_text="USDT").inner_text()
    screenshot(page, "checkout")

    payment = _declare_with_the_bank_transfer(page)

    assert (payment.user, payment.plan.slug, payment.payment_method.label) == (test_member, "annuel", BANK_TRANSFER)
    pending = page.locator("#pending")
    assert pending.locator("h2").inner_text() == "Paiement en attente de vérification"
    assert page.locator("#pending-code").inner_text() == payment.code
    assert page.locator("#pending-amount").inner_text() == "449,00\xa0€"
    assert f"en écrivant le code {payment.code} comme motif" in page.locator("#pending-instructions").inner_text()
    assert DEMO_IBAN_SHOWN in pending.inner_text()
    assert "généralement sous 24 h ouvrées" in pending.inner_text()
    assert page.locator("#declare").count() == 0  # no second declaration while this one waits
    assert payment.code in page.locator(".messages").inner_text()

    copy_code = pending.locator("button[data-copy-name=Code]")
    assert copy_code.inner_text() == "Copier le code"
    copy_code.click()
    expect(copy_code).to_have_text(re.compile("^(Copié !|Sélectionné : copiez-le)$"))
    if copy_code.inner_text() == "Copié !":
        assert page.evaluate("navigator.clipboard.readText()") == payment.code
    assert page.locator("#copy-status").inner_text().startswith("Code ")
    screenshot(page, "pending")

    page.locator("#cancel summary").click()
    page.get_by_role("button", name="Oui, annuler ce paiement").click()

    page.wait_for_selector("#declare")
    assert f"Paiement {payment.code} annulé" in page.locator(".messages").inner_text()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CANCELLED
    row = page.locator("#payments-table tbody tr", has_text=payment.code)
    assert row.locator(".badge").inner_text() == "Annulé"
    assert page.js_errors == []


def test_the_checkout_and_the_pending_payment_fit_a_phone(open_page, test_member):
    page = open_page(PHONE)
    login(page)
    page.goto("/espace/paiements/?formule=mensuel")

    assert horizontal_overflow(page) <= 0
    submit = page.locator("#declare button[type=submit]").bounding_box()
    assert submit["x"] >= 0 and submit["x"] + submit["width"] <= PHONE["width"]
    screenshot(page, "checkout-phone")

    payment = _declare_with_the_bank_transfer(page)

    assert horizontal_overflow(page) <= 0
    code = page.locator("#pending-code")
    assert code.inner_text() == payment.code
    box = code.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert float(code.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")) >= 24  # big enough to copy by eye
    assert page.locator("#pending button[data-copy]").first.is_visible()
    screenshot(page, "pending-phone")
    assert page.js_errors == []


def test_without_javascript_the_values_are_text_and_no_copy_button_shows(no_js_page, test_member):
    login(no_js_page)
    no_js_page.goto("/espace/paiements/?formule=mensuel")
    no_js_page.locator(".method-card", has_text=BANK_TRANSFER).locator("input[type=radio]").check()
    no_js_page.click("#declare button[type=submit]")

    payment = Payment.objects.get(status=Payment.Status.PENDING)
    assert no_js_page.locator("#pending-code").inner_text() == payment.code
    assert no_js_page.locator("#pending button[data-copy]").first.is_hidden()
    assert DEMO_IBAN_SHOWN in no_js_page.locator("#pending .pay-details").inner_text()

"""The admin's payments screens in a real headless Chromium (issue 15): the index opens on the payments to check, the
payment's page shows its member and proof; both fit a 1366 px laptop and a phone."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
import time_machine
from PIL import Image, ImageDraw

from accounts.tests.factories import UserFactory
from channels_sync.models import ChannelMembership, Platform
from channels_sync.tests.factories import link_telegram
from core import clock
from payments.models import Payment, PaymentKind
from payments.services import payment_proof_attach
from payments.tests.factories import PaymentFactory, PaymentMethodFactory
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory
from tests.e2e.helpers import DESKTOP, PHONE, admin_login, horizontal_overflow, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADMIN_EMAIL, ADMIN_PASSWORD = "chef@example.com", "Chef-Admin-2026"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def receipt(code: str) -> bytes:
    """A PNG that looks like a bank transfer's screenshot."""
    image = Image.new("RGB", (420, 300), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 420, 44), fill=(32, 80, 140))
    draw.text((16, 16), "Banque de demonstration - Virement emis", fill="white")  # the default font: ASCII
    for row, (label, value) in enumerate(
        [("Beneficiaire", "CalmnessFi"), ("Montant", "49,00 EUR"), ("Motif", code), ("Date", "aujourd hui")]
    ):
        draw.text((16, 70 + row * 44), label, fill=(90, 90, 90))
        draw.text((170, 70 + row * 44), value, fill="black")
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def declared(hours_ago: float, **fields) -> Payment:
    with time_machine.travel(clock.now() - timedelta(hours=hours_ago), tick=False):
        return PaymentFactory.create(**fields)


@pytest.fixture
def three_pending(settings, tmp_path):
    """Three members' pending payments (a proof image, a PDF, none), one member with a history and Telegram."""
    from accounts.models import User

    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private_media"
    User.objects.create_superuser(email=ADMIN_EMAIL, password=ADMIN_PASSWORD, first_name="Chef", last_name="Admin")
    transfer = PaymentMethodFactory(label="Virement bancaire")
    usdt = PaymentMethodFactory(kind=PaymentKind.CRYPTO, label="USDT TRC20")
    monthly = PlanFactory(name="Mensuel", slug="mensuel-e2e", price=Decimal("49.00"))
    quarterly = PlanFactory(name="Trimestriel", slug="trimestriel-e2e", price=Decimal("129.00"), duration_days=90)

    regular = UserFactory.create(
        first_name="Camille", last_name="Martin", email="camille.martin@example.com", whatsapp_number="+33612345678"
    )
    with time_machine.travel(clock.now() - timedelta(days=25), tick=False):  # renewing: 5 days left
        PaymentFactory.create(user=regular, plan=monthly, payment_method=transfer, status=Payment.Status.CONFIRMED)
        SubscriptionFactory.create(user=regular, plan=monthly)
    link_telegram(regular, 7_000_001)
    ChannelMembership.objects.filter(user=regular, platform=Platform.TELEGRAM).update(
        state=ChannelMembership.State.MEMBER, has_access=True
    )
    first = declared(27, user=regular, plan=monthly, payment_method=transfer)
    payment_proof_attach(payment=first, content=receipt(first.code))

    second = declared(
        5,
        user=UserFactory.create(first_name="Yao", last_name="Kouassi", email="yao.kouassi@example.com"),
        plan=quarterly,
        payment_method=usdt,
        reference="9f2c4e1ab07d3c5e8f61",
    )
    payment_proof_attach(payment=second, content=PDF)
    third = declared(
        0.7,
        user=UserFactory.create(first_name="Inès", last_name="Benali", email="ines.benali@example.com"),
        plan=monthly,
        payment_method=transfer,
    )
    return first, second, third


def test_the_admin_index_opens_on_the_payments_to_check_on_a_laptop(page, three_pending):
    first, second, third = three_pending
    page.set_viewport_size(DESKTOP)
    admin_login(page, ADMIN_EMAIL, ADMIN_PASSWORD)

    panel = page.locator(".payment-review")
    rows = panel.locator("tbody tr")
    assert rows.count() == 3
    assert [rows.nth(i).locator(".payment-code").inner_text() for i in range(3)] == [
        first.code,
        second.code,
        third.code,
    ]
    assert "3 en attente · 227,00\xa0€" in panel.locator("h2").inner_text()
    assert panel.bounding_box()["y"] < page.locator("#content-main").bounding_box()["y"]
    buttons = panel.locator(".payment-button")
    assert buttons.count() == 6
    assert all(buttons.nth(i).bounding_box()["height"] >= 40 for i in range(6))
    assert horizontal_overflow(page) <= 0
    assert rows.first.locator(".payment-proof-thumb img").evaluate("img => img.naturalWidth") == 420
    assert page.js_errors == []
    screenshot(page, "admin-index")

    rows.last.locator(".payment-button-confirm").click()

    page.wait_for_url("**/admin/")
    message = page.locator(".messagelist .success").inner_text()
    assert message.startswith("Paiement confirmé : abonnement du") and "Accès aux canaux" in message
    assert page.locator(".payment-review tbody tr").count() == 2


def test_the_payment_page_shows_the_member_and_the_proof_with_the_decision_at_the_top(page, three_pending):
    first, _second, _third = three_pending
    page.set_viewport_size(DESKTOP)
    admin_login(page, ADMIN_EMAIL, ADMIN_PASSWORD)

    page.goto(f"/admin/payments/payment/{first.pk}/change/")

    confirm = page.locator(".payment-head .payment-button-confirm")
    assert confirm.bounding_box()["y"] < 300 and confirm.bounding_box()["height"] >= 40
    member = page.locator(".payment-member-panel").inner_text()
    assert "Camille Martin" in member and "+33612345678" in member and "Membre" in member
    assert page.locator(".payment-history li").count() == 1
    assert page.locator(".payment-proof-image img").evaluate("img => img.naturalWidth") == 420
    assert page.locator("input[name=_save]").count() == 0
    assert horizontal_overflow(page) <= 0
    assert "Mensuel, jusqu'au" in member
    assert page.js_errors == []
    screenshot(page, "admin-payment")

    page.goto("/admin/payments/payment/")
    assert page.locator("#result_list tbody tr").count() == 4
    assert horizontal_overflow(page) <= 0
    # Every column in view beside the menu and the filters: the results do not scroll sideways.
    assert page.locator(".results").evaluate("div => div.scrollWidth - div.clientWidth") <= 0
    screenshot(page, "admin-payments-list")


def test_the_payments_to_check_fit_a_phone(phone_page, three_pending):
    phone_page.set_viewport_size(PHONE)
    admin_login(phone_page, ADMIN_EMAIL, ADMIN_PASSWORD)

    rows = phone_page.locator(".payment-review tbody tr")
    assert rows.count() == 3
    assert horizontal_overflow(phone_page) <= 0
    for i in range(3):
        for button in (".payment-button-confirm", ".payment-button-reject"):
            box = rows.nth(i).locator(button).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] and box["height"] >= 40
    screenshot(phone_page, "admin-index-phone")

    _first, second, _third = three_pending
    phone_page.goto(f"/admin/payments/payment/{second.pk}/change/")
    assert horizontal_overflow(phone_page) <= 0
    screenshot(phone_page, "admin-payment-phone")

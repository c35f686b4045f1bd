"""Recording a refund in the admin, in a real headless Chromium (issue 16): from a confirmed payment's page to the
confirmation page (access now by default), back to the refunded payment with its refund and the other outcome's
button; on a laptop and on a phone."""

from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from payments.models import Payment, Refund
from payments.services import payment_confirm
from payments.tests.factories import PaymentFactory, PaymentMethodFactory
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory
from tests.e2e.helpers import DESKTOP, PHONE, admin_login, horizontal_overflow, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADMIN_EMAIL, ADMIN_PASSWORD = "chef@example.com", "Chef-Admin-2026"


@pytest.fixture
def confirmed_payment() -> Payment:
    from accounts.models import User

    User.objects.create_superuser(email=ADMIN_EMAIL, password=ADMIN_PASSWORD, first_name="Chef", last_name="Admin")
    member = UserFactory.create(first_name="Camille", last_name="Martin", email="camille.martin@example.com")
    payment: Payment = PaymentFactory.create(
        user=member,
        plan=PlanFactory.create(name="Mensuel", slug="mensuel-e2e", price=Decimal("49.00")),
        payment_method=PaymentMethodFactory.create(label="Virement bancaire"),
    )
    payment_confirm(payment=payment, by=None, notify=False)
    return payment


def test_an_admin_records_a_refund_then_keeps_access_to_the_paid_end(page, confirmed_payment):
    payment = confirmed_payment
    page.set_viewport_size(DESKTOP)
    admin_login(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto(f"/admin/payments/payment/{payment.pk}/change/")

    page.locator(".payment-head .payment-button-refund").click()

    page.wait_for_url(f"**/admin/payments/payment/{payment.pk}/refund/")
    assert page.locator("#id_amount").input_value() == "49.00"
    assert page.locator("input[name=access_ends][value=now]").is_checked()
    assert horizontal_overflow(page) <= 0
    assert page.js_errors == []
    screenshot(page, "admin-refund")

    page.locator(".payment-button-refund-submit").click()

    page.wait_for_url(f"**/admin/payments/payment/{payment.pk}/change/")
    assert "Remboursement de 49,00\xa0€ enregistré" in page.locator(".messagelist .success").inner_text()
    assert page.locator(".payment-head .payment-status-refunded").inner_text() == "Remboursé"
    refund_panel = page.locator(".payment-refund").inner_text()
    assert "Maintenant" in refund_panel and ADMIN_EMAIL in refund_panel
    assert Subscription.objects.get(payment=payment).status == Subscription.Status.CANCELLED
    assert horizontal_overflow(page) <= 0
    screenshot(page, "admin-payment-refunded")

    page.get_by_role("button", name="Laisser l'accès jusqu'à la fin de la période payée").click()

    page.wait_for_url(f"**/admin/payments/payment/{payment.pk}/change/")
    assert "À la fin de la période payée" in page.locator(".payment-refund").inner_text()
    assert Refund.objects.get().access_ends == Refund.AccessEnds.PAID_END
    assert Subscription.objects.get(payment=payment).status == Subscription.Status.ACTIVE
    assert page.js_errors == []


def test_the_refund_pages_fit_a_phone(phone_page, confirmed_payment):
    payment = confirmed_payment
    admin_login(phone_page, ADMIN_EMAIL, ADMIN_PASSWORD)

    phone_page.goto(f"/admin/payments/payment/{payment.pk}/refund/")
    assert horizontal_overflow(phone_page) <= 0
    box = phone_page.locator(".payment-button-refund-submit").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] and box["height"] >= 40
    screenshot(phone_page, "admin-refund-phone")

    phone_page.locator(".payment-button-refund-submit").click()
    phone_page.wait_for_url(f"**/admin/payments/payment/{payment.pk}/change/")
    assert horizontal_overflow(phone_page) <= 0
    screenshot(phone_page, "admin-payment-refunded-phone")

"""The admins' "Tableau de bord" in Chromium: figures, server-drawn charts, no script error, no sideways scrolling
on a phone; screenshots for docs/screenshots/admin-dashboard.png."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from accounts.tests.factories import UserFactory
from core import clock
from payments.models import Payment, PaymentKind, Refund
from payments.tests.factories import PaymentFactory, PaymentMethodFactory
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory
from tests.e2e.helpers import DESKTOP, PHONE, admin_login, horizontal_overflow, screenshot
from trading_signals.models import Signal
from trading_signals.tests.factories import SignalFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADMIN_EMAIL, ADMIN_PASSWORD = "chef@example.com", "Chef-Admin-2026"


@pytest.fixture
def a_year_of_business():
    """40 members over the last year: monthly, quarterly and yearly plans, renewals and departures, a refund, two
    payments waiting for an admin and a few signals."""
    from accounts.models import User

    User.objects.create_superuser(email=ADMIN_EMAIL, password=ADMIN_PASSWORD, first_name="Chef", last_name="Admin")
    methods = [
        PaymentMethodFactory(kind=PaymentKind.BANK_TRANSFER),
        PaymentMethodFactory(kind=PaymentKind.CRYPTO),
        PaymentMethodFactory(kind=PaymentKind.PAYPAL),
    ]
    plans = [
        PlanFactory(name="Mensuel", slug="mensuel-e2e", price=Decimal("49.00"), duration_days=30),
        PlanFactory(name="Trimestriel", slug="trimestriel-e2e", price=Decimal("129.00"), duration_days=90),
        PlanFactory(name="Annuel", slug="annuel-e2e", price=Decimal("449.00"), duration_days=365),
    ]
    now = clock.now()
    for index in range(40):
        user = UserFactory()
        plan = plans[0] if index % 4 else plans[1 + index % 8 // 4]
        start = now - timedelta(days=340 - index * 8)
        renewals = 1 + (index * 7) % 5
        for number in range(renewals):
            at = start + timedelta(days=plan.duration_days * number)
            if at > now:
                break
            payment = PaymentFactory(
                user=user,
                plan=plan,
                payment_method=methods[(index + number) % 3],
                status=Payment.Status.CONFIRMED,
                confirmed_at=at,
            )
            SubscriptionFactory(
                user=user,
                plan=plan,
                payment=payment,
                starts_at=at,
                status=Subscription.Status.ACTIVE
                if at + timedelta(days=plan.duration_days) > now
                else Subscription.Status.EXPIRED,
            )
        if index == 5:
            Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.REFUNDED)
            Refund.objects.create(
                payment=payment,
                amount=payment.amount,
                currency=payment.currency,
                recorded_at=payment.confirmed_at + timedelta(days=2),
                access_decided_at=payment.confirmed_at + timedelta(days=2),
            )
    for hours in (3, 80):
        with time_machine.travel(now - timedelta(hours=hours), tick=False):
            PaymentFactory(user=UserFactory(), plan=plans[0], payment_method=methods[0])
    for status, result_r in (
        (Signal.Status.TP_HIT, "2.50"),
        (Signal.Status.TP_HIT, "1.25"),
        (Signal.Status.SL_HIT, "-1"),
    ):
        SignalFactory(status=status, result_r=Decimal(result_r), closed_at=now - timedelta(hours=1))


def test_the_dashboard_on_a_laptop(page, a_year_of_business):
    page.set_viewport_size(DESKTOP)
    admin_login(page, ADMIN_EMAIL, ADMIN_PASSWORD)

    page.click("text=Tableau de bord : revenus, membres, cohortes")

    page.wait_for_url("**/admin/tableau-de-bord/")
    assert page.locator("h1").inner_text() == "Tableau de bord"
    assert page.locator(".analytics-card").count() == 4
    assert page.locator(".analytics-chart svg rect").count() > 12
    assert page.locator(".analytics-cohorts tbody tr").count() >= 10
    assert horizontal_overflow(page) <= 0
    assert page.js_errors == []
    screenshot(page, "admin-dashboard")


def test_the_dashboard_fits_a_phone(open_page, a_year_of_business):
    phone = open_page(PHONE)
    admin_login(phone, ADMIN_EMAIL, ADMIN_PASSWORD)

    phone.goto("/admin/tableau-de-bord/")

    chart = phone.locator(".analytics-chart svg").first.bounding_box()
    assert chart is not None and chart["width"] <= PHONE["width"]
    assert horizontal_overflow(phone) <= 0
    assert phone.js_errors == []
    screenshot(phone, "admin-dashboard-phone")

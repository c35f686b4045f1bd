"""A small known history, figures computed by hand in test_selectors.py. "Now" is 2026-04-15 12:00 in Paris.

Two payments sit on a month's edge, on either side of the March DST change: 2026-02-28 23:30 UTC is 1 March 00:30
in Paris (UTC+1), 2026-03-31 22:30 UTC is 1 April 00:30 in Paris (UTC+2): both count in the Paris month.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import time_machine

from accounts.tests.factories import UserFactory
from payments.models import Payment, PaymentKind, Refund
from payments.tests.factories import PaymentFactory, PaymentMethodFactory
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory
from trading_signals.models import Signal
from trading_signals.tests.factories import SignalFactory

NOW = datetime(2026, 4, 15, 10, 0, tzinfo=UTC)  # 12:00 in Paris (CEST)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def build() -> dict:
    monthly = PlanFactory(slug="mensuel", name="Mensuel", price=Decimal("49.00"), duration_days=30)
    yearly = PlanFactory(slug="annuel", name="Annuel", price=Decimal("490.00"), duration_days=365)
    dollars = PlanFactory(slug="dollars", name="Dollars", price=Decimal("30.00"), currency="USD", duration_days=30)
    methods = {kind: PaymentMethodFactory(kind=kind) for kind in PaymentKind}

    def paid(user, plan, kind, confirmed_at, *, status=Subscription.Status.EXPIRED, starts_at=None, **payment):
        payment_row = PaymentFactory(
            user=user,
            plan=plan,
            payment_method=methods[kind],
            status=payment.pop("payment_status", Payment.Status.CONFIRMED),
            confirmed_at=confirmed_at,
        )
        starts = starts_at or confirmed_at
        SubscriptionFactory(
            user=user,
            plan=plan,
            payment=payment_row,
            starts_at=starts,
            ends_at=starts + timedelta(days=plan.duration_days),
            status=status,
        )
        return payment_row

    alice, bob, carol, dave, eve, hank = (UserFactory() for _ in range(6))
    # Alice: March in Paris (February in UTC), renewed back to back, the renewal in April in Paris.
    paid(alice, monthly, PaymentKind.BANK_TRANSFER, utc(2026, 2, 28, 23, 30))
    paid(
        alice,
        monthly,
        PaymentKind.CRYPTO,
        utc(2026, 3, 31, 22, 30),
        starts_at=utc(2026, 3, 30, 23, 30),
        status=Subscription.Status.ACTIVE,
    )
    # Bob: a year from June 2025.
    paid(bob, yearly, PaymentKind.PAYPAL, utc(2025, 6, 10, 10), status=Subscription.Status.ACTIVE)
    # Carol: one month in January, never renewed: churned in February.
    paid(carol, monthly, PaymentKind.BANK_TRANSFER, utc(2026, 1, 5, 10))
    # Dave: dollars, April.
    paid(dave, dollars, PaymentKind.CRYPTO, utc(2026, 4, 2, 10), status=Subscription.Status.ACTIVE)
    # Eve: March, refunded in April with her access ended at once (subscription cancelled).
    eve_payment = paid(
        eve,
        monthly,
        PaymentKind.BANK_TRANSFER,
        utc(2026, 3, 10, 10),
        status=Subscription.Status.CANCELLED,
        payment_status=Payment.Status.REFUNDED,
    )
    Refund.objects.create(
        payment=eve_payment,
        amount=Decimal("49.00"),
        currency="EUR",
        recorded_at=utc(2026, 4, 5, 10),
        access_decided_at=utc(2026, 4, 5, 10),
    )
    # Hank: January, renewed 5 days after the end (within CHURN_AFTER_DAYS = 7), then gone in March.
    paid(hank, monthly, PaymentKind.BANK_TRANSFER, utc(2026, 1, 1, 10))
    paid(hank, monthly, PaymentKind.CRYPTO, utc(2026, 2, 5, 10))

    # Payments waiting for an admin: 2 hours, 2 days and 10 days old.
    for age in (timedelta(hours=2), timedelta(days=2), timedelta(days=10)):
        with time_machine.travel(NOW - age, tick=False):
            PaymentFactory(plan=monthly, payment_method=methods[PaymentKind.BANK_TRANSFER])

    SignalFactory(status=Signal.Status.TP_HIT, result_r=Decimal("2.50"), closed_at=NOW - timedelta(hours=2))
    SignalFactory(status=Signal.Status.SL_HIT, result_r=Decimal("-1.00"), closed_at=NOW - timedelta(hours=1))
    SignalFactory(status=Signal.Status.OPEN)
    return {"monthly": monthly, "yearly": yearly, "dollars": dollars}

"""Each figure of the admins' dashboard against the small history of dataset.py, computed by hand."""

from decimal import Decimal

import pytest
import time_machine

from accounts.tests.factories import UserFactory
from analytics import selectors
from analytics.tests import dataset

pytestmark = pytest.mark.django_db

MONTHS = [
    "2025-05",
    "2025-06",
    "2025-07",
    "2025-08",
    "2025-09",
    "2025-10",
    "2025-11",
    "2025-12",
    "2026-01",
    "2026-02",
    "2026-03",
    "2026-04",
]


@pytest.fixture
def stats(settings):
    settings.CHURN_AFTER_DAYS = 7
    with time_machine.travel(dataset.NOW, tick=False):
        dataset.build()
        return selectors.admin_stats(user=UserFactory(is_staff=True))


def by_month(months: list[dict], field: str) -> dict[str, object]:
    return {row["month"]: row[field] for row in months if row[field]}


def test_the_window_is_the_twelve_paris_months_up_to_now(stats):
    assert stats["months"] == MONTHS
    assert stats["time_zone"] == "Europe/Paris"


def test_active_members_are_those_with_a_subscription_in_force_now(stats):
    # Alice (renewal), Bob (yearly), Dave (dollars); Eve's refunded subscription was cancelled.
    assert stats["active_members"] == 3


def test_mrr_spreads_each_plan_price_over_average_months_per_currency(stats):
    # EUR: 49 × 30.4375 / 30 + 490 × 30.4375 / 365 = 49.7146 + 40.8613 = 90.5759; USD: 30 × 30.4375 / 30.
    assert stats["mrr"] == [
        {"currency": "EUR", "amount": Decimal("90.58"), "subscriptions": 2},
        {"currency": "USD", "amount": Decimal("30.44"), "subscriptions": 1},
    ]


def test_revenue_counts_paid_payments_in_their_paris_month_and_refunds_in_theirs(stats):
    (eur, usd) = stats["revenue"]["total"]
    assert eur["currency"] == "EUR" and usd["currency"] == "USD"
    assert [row["month"] for row in eur["months"]] == MONTHS
    # Alice's first payment (28 February 23:30 UTC) is March's; her renewal (31 March 22:30 UTC) April's.
    assert by_month(eur["months"], "paid") == {
        "2025-06": Decimal("490.00"),
        "2026-01": Decimal("98.00"),
        "2026-02": Decimal("49.00"),
        "2026-03": Decimal("98.00"),
        "2026-04": Decimal("49.00"),
    }
    assert by_month(eur["months"], "refunded") == {"2026-04": Decimal("49.00")}
    assert {row["month"]: row["net"] for row in eur["months"]}["2026-04"] == Decimal("0.00")
    assert by_month(eur["months"], "payments") == {"2025-06": 1, "2026-01": 2, "2026-02": 1, "2026-03": 2, "2026-04": 1}
    assert by_month(usd["months"], "paid") == {"2026-04": Decimal("30.00")}


def test_revenue_by_plan_and_by_method(stats):
    plans = {(row["plan"], row["currency"]): by_month(row["months"], "net") for row in stats["revenue"]["by_plan"]}
    assert plans == {
        ("Annuel", "EUR"): {"2025-06": Decimal("490.00")},
        ("Mensuel", "EUR"): {
            "2026-01": Decimal("98.00"),
            "2026-02": Decimal("49.00"),
            "2026-03": Decimal("98.00"),
            # April: Alice's renewal 49, Eve's refund -49
        },
        ("Dollars", "USD"): {"2026-04": Decimal("30.00")},
    }
    methods = {
        (row["method"], row["currency"]): by_month(row["months"], "net") for row in stats["revenue"]["by_method"]
    }
    assert methods == {
        ("bank_transfer", "EUR"): {
            "2026-01": Decimal("98.00"),
            "2026-03": Decimal("98.00"),
            "2026-04": Decimal("-49.00"),
        },
        ("crypto", "EUR"): {"2026-02": Decimal("49.00"), "2026-04": Decimal("49.00")},
        ("paypal", "EUR"): {"2025-06": Decimal("490.00")},
        ("crypto", "USD"): {"2026-04": Decimal("30.00")},
    }
    labels = {row["method"]: row["label"] for row in stats["revenue"]["by_method"]}
    assert labels["bank_transfer"] == "Virement bancaire"


def test_new_members_are_counted_in_the_paris_month_of_their_first_paid_payment(stats):
    # Bob June; Carol and Hank January; Alice (February in UTC) and Eve March; Dave April.
    assert by_month(stats["members"]["months"], "new") == {"2025-06": 1, "2026-01": 2, "2026-03": 2, "2026-04": 1}


def test_churn_and_renewals_per_month(stats):
    months = stats["members"]["months"]
    # January: Hank's first month ends, renewed 5 days later (within 7). February: Carol's ends, nothing follows.
    # March: Alice's ends, renewed back to back; Hank's second ends, nothing follows. Alice's April end is to come.
    assert by_month(months, "ended") == {"2026-01": 1, "2026-02": 1, "2026-03": 2}
    assert by_month(months, "renewed") == {"2026-01": 1, "2026-03": 1}
    assert by_month(months, "churned") == {"2026-02": 1, "2026-03": 1}
    assert stats["members"]["renewal_rate"] == Decimal("50.0")
    assert stats["members"]["churn_after_days"] == 7


def test_a_shorter_churn_window_turns_a_late_renewal_into_churn(settings):
    settings.CHURN_AFTER_DAYS = 3
    with time_machine.travel(dataset.NOW, tick=False):
        dataset.build()
        stats = selectors.admin_stats(user=UserFactory(is_staff=True))

    # Hank renewed 5 days after his end: churned in January with a 3-day window.
    assert by_month(stats["members"]["months"], "churned") == {"2026-01": 1, "2026-02": 1, "2026-03": 1}
    assert stats["members"]["renewal_rate"] == Decimal("25.0")


def test_cohort_retention_shares_covered_after_whole_average_months(stats):
    cohorts = {row["month"]: row for row in stats["cohorts"]}
    assert list(cohorts) == ["2025-06", "2026-01", "2026-03", "2026-04"]
    assert [cohort["members"] for cohort in cohorts.values()] == [1, 2, 2, 1]

    def shares(month):
        return [step["share"] for step in cohorts[month]["retention"]]

    # Bob is covered for a year; 1 July + 10 average months is past 15 April: not reached yet.
    assert shares("2025-06") == [Decimal("100.0")] * 9 + [None, None]
    # One month after: Carol's month is over, Hank between two subscriptions (31 Jan 10:00 to 5 Feb);
    # two months after (3 March): Hank's renewal covers him; three months after is not reached.
    assert shares("2026-01") == [Decimal("0.0"), Decimal("50.0")] + [None] * 9
    assert shares("2026-03") == [None] * 11
    assert cohorts["2026-01"]["retention"][1] == {"after_months": 2, "covered": 1, "share": Decimal("50.0")}


def test_pending_payments_count_and_ages(stats):
    pending = stats["pending_payments"]
    assert pending["count"] == 3
    assert pending["oldest_age_hours"] == 240
    assert [(age["key"], age["count"]) for age in pending["ages"]] == [
        ("under_1_day", 1),
        ("1_to_3_days", 1),
        ("3_to_7_days", 0),
        ("over_7_days", 1),
    ]


def test_signals_summary_includes_results_for_staff(stats):
    signals = stats["signals"]
    assert (signals["count"], signals["open"], signals["wins"], signals["losses"]) == (3, 1, 1, 1)
    assert signals["win_rate"] == Decimal("50.0")
    assert (signals["total_r"], signals["expectancy_r"], signals["max_drawdown_r"]) == (
        Decimal("1.50"),
        Decimal("0.75"),
        Decimal("1.00"),
    )
    assert [(month["month"], month["cumulative_r"]) for month in signals["per_month"]] == [("2026-04", Decimal("1.50"))]

"""Statistics in R, checked figure by figure on a hand-made series (docs/architecture/signals.md)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from formations.tests.factories import SubscriptionFactory
from trading_signals.models import Market, Signal
from trading_signals.selectors import SignalFilters, signal_stats
from trading_signals.tests.factories import SignalFactory

pytestmark = pytest.mark.django_db

Status = Signal.Status

# (market, status, result in R, closing instant in UTC), listed in closing order but published in the reverse order
# (the first one closed is the last one published): the curve follows closed_at, not the publication.
SERIES = [
    (Market.FOREX, Status.TP_HIT, "2.00", datetime(2026, 1, 10, 12, tzinfo=UTC)),
    (Market.FOREX, Status.SL_HIT, "-1.00", datetime(2026, 1, 20, 12, tzinfo=UTC)),
    # 23:30 UTC on 31 January is 1 February in Paris: a February close.
    (Market.FOREX, Status.SL_HIT, "-1.00", datetime(2026, 1, 31, 23, 30, tzinfo=UTC)),
    (Market.FOREX, Status.CLOSED, "0.00", datetime(2026, 2, 15, 12, tzinfo=UTC)),
    (Market.FOREX, Status.SL_HIT, "-1.00", datetime(2026, 2, 25, 12, tzinfo=UTC)),
    (Market.CRYPTO, Status.CLOSED, "1.50", datetime(2026, 3, 3, 12, tzinfo=UTC)),
    (Market.CRYPTO, Status.CLOSED, "-0.50", datetime(2026, 3, 10, 12, tzinfo=UTC)),
    (Market.CRYPTO, Status.SL_HIT, "-1.00", datetime(2026, 3, 12, 12, tzinfo=UTC)),
    (Market.INDICES, Status.SL_HIT, "-1.00", datetime(2026, 3, 15, 12, tzinfo=UTC)),
    (Market.INDICES, Status.TP_HIT, "3.00", datetime(2026, 3, 20, 12, tzinfo=UTC)),
]
# cumulative R: 2, 1, 0, 0, -1, 0.5, 0, -1, -2, 1 → the deepest fall from the peak (2) is to -2: 4 R.
# losses in a row: 2 (a breakeven ends a streak), 1, then 3 (-0.5, -1, -1).


@pytest.fixture
def series():
    signals = [
        SignalFactory(
            market=market,
            instrument={Market.FOREX: "EUR/USD", Market.CRYPTO: "BTC/USDT", Market.INDICES: "DAX40"}[market],
            status=status,
            result_r=Decimal(result),
            exit_price=Decimal("1.09"),
            closed_at=closed_at,
            published_at=datetime(2026, 1, 10 - index, 8, tzinfo=UTC),
        )
        for index, (market, status, result, closed_at) in enumerate(SERIES)
    ]
    SignalFactory(status=Status.OPEN, published_at=datetime(2026, 1, 15, 8, tzinfo=UTC))
    SignalFactory(
        market=Market.CRYPTO,
        instrument="ETH/USDT",
        status=Status.CANCELLED,
        closed_at=datetime(2026, 1, 16, tzinfo=UTC),
        published_at=datetime(2026, 1, 15, 8, tzinfo=UTC),
    )
    return signals


def stats_for_staff(**filters) -> dict:
    return signal_stats(user=None, filters=SignalFilters(**filters), with_results=True)


def test_every_figure_of_the_hand_made_series(series):
    stats = stats_for_staff()

    assert {key: stats[key] for key in ("count", "open", "cancelled", "closed")} == {
        "count": 11,
        "open": 1,
        "cancelled": 1,
        "closed": 10,
    }
    assert (stats["wins"], stats["losses"], stats["breakeven"]) == (3, 6, 1)
    assert stats["win_rate"] == Decimal("33.3")  # 3 / (3 + 6): breakeven is neither
    assert stats["average_win_r"] == Decimal("2.17")  # 6.5 / 3
    assert stats["average_loss_r"] == Decimal("-0.92")  # -5.5 / 6
    assert stats["expectancy_r"] == Decimal("0.10")  # 1 R over 10 closed signals
    assert stats["profit_factor"] == Decimal("1.18")  # 6.5 / 5.5
    assert stats["total_r"] == Decimal("1.00")
    assert stats["max_drawdown_r"] == Decimal("4.00")
    assert stats["longest_losing_streak"] == 3
    assert (stats["results_locked"], stats["locked_message"]) == (False, None)


def test_per_month_of_closing_in_paris_with_the_equity_curve(series):
    months = stats_for_staff()["per_month"]

    keys = ("month", "closed", "wins", "losses", "total_r", "cumulative_r")
    assert [tuple(row[key] for key in keys) for row in months] == [
        ("2026-01", 2, 1, 1, Decimal("1.00"), Decimal("1.00")),
        ("2026-02", 3, 0, 2, Decimal("-2.00"), Decimal("-1.00")),
        ("2026-03", 5, 2, 3, Decimal("2.00"), Decimal("1.00")),
    ]
    assert [set(row) for row in months] == [set(keys)] * 3


def test_per_market(series):
    markets = {row["market"]: row for row in stats_for_staff()["per_market"]}

    assert list(markets) == [Market.FOREX, Market.CRYPTO, Market.INDICES]  # the choices' order
    assert markets[Market.FOREX] == {
        "market": "forex",
        "label": "Forex",
        "count": 6,
        "closed": 5,
        "wins": 1,
        "losses": 3,
        "win_rate": Decimal("25.0"),
        "total_r": Decimal("-1.00"),
        "expectancy_r": Decimal("-0.20"),
    }
    crypto = markets[Market.CRYPTO]
    assert (crypto["count"], crypto["closed"], crypto["win_rate"], crypto["total_r"]) == (
        3,
        3,
        Decimal("33.3"),
        Decimal("0.00"),
    )
    assert (markets[Market.INDICES]["win_rate"], markets[Market.INDICES]["expectancy_r"]) == (
        Decimal("50.0"),
        Decimal("1.00"),
    )


def test_a_market_filter_computes_drawdown_and_streak_on_its_own_curve(series):
    stats = stats_for_staff(market=Market.CRYPTO)

    # 1.5, -0.5, -1: from the peak 1.5 down to 0.
    assert (stats["count"], stats["cancelled"], stats["total_r"]) == (3, 1, Decimal("0.00"))
    assert (stats["max_drawdown_r"], stats["longest_losing_streak"]) == (Decimal("1.50"), 2)
    assert stats["profit_factor"] == Decimal("1.00")


def test_a_date_filter_keeps_the_signals_published_in_it(series):
    # Published 1-5 January: the last five of the series (crypto, indices).
    stats = stats_for_staff(date_from=datetime(2026, 1, 1).date(), date_to=datetime(2026, 1, 5).date())

    assert (stats["count"], stats["closed"], stats["total_r"]) == (5, 5, Decimal("2.00"))
    # 1.5, 1, 0, -1, 2: from 1.5 down to -1.
    assert (stats["max_drawdown_r"], stats["longest_losing_streak"]) == (Decimal("2.50"), 3)
    assert [row["month"] for row in stats["per_month"]] == ["2026-03"]


def test_a_status_filter_on_cancelled_counts_them_apart(series):
    stats = stats_for_staff(status=Status.CANCELLED)

    assert (stats["count"], stats["cancelled"], stats["closed"]) == (0, 1, 0)
    assert (stats["win_rate"], stats["expectancy_r"], stats["profit_factor"]) == (None, None, None)
    assert (stats["total_r"], stats["max_drawdown_r"], stats["longest_losing_streak"]) == (Decimal("0.00"), 0, 0)


def test_without_a_loss_there_is_no_profit_factor(series):
    stats = stats_for_staff(status=Status.TP_HIT)

    assert (stats["wins"], stats["losses"], stats["profit_factor"]) == (2, 0, None)
    assert stats["win_rate"] == Decimal("100.0")


def test_members_without_subscription_get_counts_and_the_status_win_rate_only(series, member):
    stats = signal_stats(user=member)

    assert {key: stats[key] for key in ("count", "open", "cancelled", "closed")} == {
        "count": 11,
        "open": 1,
        "cancelled": 1,
        "closed": 10,
    }
    # Take-profits against stop-losses, as the list shows each signal's status: 2 against 5.
    assert (stats["wins"], stats["losses"], stats["win_rate"]) == (2, 5, Decimal("28.6"))
    r_figures = ("breakeven", "average_win_r", "average_loss_r", "expectancy_r", "profit_factor", "total_r")
    assert [stats[key] for key in (*r_figures, "max_drawdown_r", "longest_losing_streak")] == [None] * 8
    assert stats["per_month"] == []
    assert all(row["total_r"] is None and row["expectancy_r"] is None for row in stats["per_market"])
    assert (stats["results_locked"], stats["locked_message"]) == (True, "Abonnez-vous pour voir les détails")


@pytest.mark.parametrize(("with_subscription", "queries"), [(True, 3), (False, 2)])
def test_a_constant_number_of_queries_whatever_the_signals(
    member, with_subscription, queries, django_assert_num_queries
):
    if with_subscription:
        SubscriptionFactory(user=member)
    for n in range(3):
        SignalFactory(market=list(Market.values)[n], status=Status.SL_HIT, result_r=Decimal("-1"), exit_price=1)
    with django_assert_num_queries(queries):
        signal_stats(user=member)

    for n in range(30):
        SignalFactory(
            market=list(Market.values)[n % 5],
            status=Status.TP_HIT,
            result_r=Decimal("1.5"),
            exit_price=Decimal("1.09"),
            closed_at=datetime(2026, 1 + n % 12, 2, tzinfo=UTC),
            published_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    with django_assert_num_queries(queries):
        assert signal_stats(user=member)["count"] == 33

"""Signal statistics reveal nothing the list hides: no figure in R for members without a subscription in force.

The list shows them each signal's market, date and status, so counts and a take-profit / stop-loss win rate are
theirs to see; results are not, and a figure narrowed by filters to one signal would be that signal's result (a
total, an average, an expectancy, a drawdown, a month of the equity curve).
"""

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from conftest import client_for
from core import clock
from formations.tests.factories import SubscriptionFactory
from trading_signals.models import Market, Signal
from trading_signals.tests.factories import SignalFactory

pytestmark = pytest.mark.django_db

STATS_URL = "/api/auth/user/signals/stats/"
PAGE_URL = "/espace/signaux/"
R_KEYS = ("average_win_r", "average_loss_r", "expectancy_r", "profit_factor", "total_r", "max_drawdown_r")


@pytest.fixture
def closed_signals():
    """Closed signals on separate days and markets, each with a result in R found nowhere else."""

    def closed(published_at: datetime, status: str, result_r: str, **kwargs):
        return SignalFactory(
            status=status,
            result_r=Decimal(result_r),
            exit_price=Decimal("1.09"),
            published_at=published_at,
            closed_at=published_at + timedelta(days=1),
            **kwargs,
        )

    return [
        closed(datetime(2026, 3, 2, 10, tzinfo=UTC), Signal.Status.TP_HIT, "2.37"),
        closed(datetime(2026, 3, 9, 10, tzinfo=UTC), Signal.Status.SL_HIT, "-1.00"),
        closed(datetime(2026, 4, 14, 10, tzinfo=UTC), Signal.Status.TP_HIT, "4.71", market=Market.CRYPTO),
        closed(datetime(2026, 4, 20, 10, tzinfo=UTC), Signal.Status.CLOSED, "-0.63", market=Market.INDICES),
    ]


def filters_isolating(signal: Signal) -> list[dict]:
    """Every combination of the filters around one signal: its day, its market, its status."""
    day = timezone.localdate(signal.published_at).isoformat()
    narrowing = [{"date_from": day, "date_to": day}, {"market": signal.market}, {"status": signal.status}]
    return [
        {key: value for part in combination for key, value in part.items()}
        for size in range(len(narrowing) + 1)
        for combination in itertools.combinations(narrowing, size)
    ]


def json_texts(signal: Signal) -> set[str]:
    """How the API would write the signal's result in R (DRF sends decimals as strings), its opposite too."""
    assert signal.result_r is not None
    return {f"{signal.result_r:.2f}", f"{-signal.result_r:.2f}"}


def page_texts(signal: Signal) -> set[str]:
    """How the page would write the signal's result: French decimals, two places or one, with or without a sign.
    A stop-loss hit is −1 R by definition (its status says it): only the other results are secrets."""
    assert signal.result_r is not None
    magnitude = abs(signal.result_r)
    if signal.status == Signal.Status.SL_HIT:
        return set()
    return {f"{magnitude:.2f}".replace(".", ","), f"{magnitude:.1f}".replace(".", ",")}


def r_figures(stats: dict) -> list:
    rows = stats["per_market"] + stats["per_month"]
    return [stats[key] for key in (*R_KEYS, "breakeven", "longest_losing_streak")] + [
        row.get(key) for row in rows for key in ("total_r", "expectancy_r", "cumulative_r")
    ]


def test_member_without_subscription_cannot_recover_any_result_with_any_filters(auth_client, closed_signals):
    for signal in closed_signals:
        for params in filters_isolating(signal):
            response = auth_client.get(STATS_URL, params)

            assert response.status_code == 200
            stats = response.json()
            assert not any(text in response.content.decode() for text in json_texts(signal)), params
            assert r_figures(stats) == [None] * len(r_figures(stats)), params
            assert stats["per_month"] == []
            assert stats["results_locked"] is True
            assert stats["locked_message"] == "Abonnez-vous pour voir les détails"


def test_member_without_subscription_still_gets_the_counts_the_list_shows(auth_client, closed_signals):
    [signal, *_] = closed_signals
    day = timezone.localdate(signal.published_at).isoformat()

    stats = auth_client.get(STATS_URL, {"date_from": day, "date_to": day, "market": signal.market}).json()

    assert (stats["count"], stats["wins"], stats["losses"], stats["win_rate"]) == (1, 1, 0, "100.0")
    assert auth_client.get(STATS_URL).json()["count"] == len(closed_signals)


def test_a_manual_close_counts_neither_as_won_nor_lost_without_subscription(auth_client, closed_signals):
    """Its sign would be its result's: the locked win rate counts take-profits against stop-losses only."""
    stats = auth_client.get(STATS_URL, {"status": Signal.Status.CLOSED}).json()

    assert (stats["closed"], stats["wins"], stats["losses"], stats["win_rate"]) == (1, 0, 0, None)


def test_whole_history_figures_do_not_move_by_the_result_of_a_signal_that_closes(auth_client, closed_signals):
    before = auth_client.get(STATS_URL).json()
    SignalFactory(
        instrument="GBP/USD",
        status=Signal.Status.TP_HIT,
        result_r=Decimal("3.14"),
        exit_price=Decimal("1.09"),
        published_at=clock.now() - timedelta(hours=1),
        closed_at=clock.now(),
    )

    after = auth_client.get(STATS_URL).json()

    assert after["count"] == before["count"] + 1
    assert r_figures(after) == [None] * len(r_figures(after))


def test_subscriber_gets_the_result_for_any_filters(member, closed_signals):
    SubscriptionFactory(user=member)
    client = client_for(member)

    for signal in closed_signals:
        day = timezone.localdate(signal.published_at).isoformat()
        stats = client.get(STATS_URL, {"date_from": day, "date_to": day, "market": signal.market}).json()

        assert stats["results_locked"] is False
        assert stats["locked_message"] is None
        assert stats["count"] == 1
        assert Decimal(stats["total_r"]) == signal.result_r
        assert Decimal(stats["per_month"][0]["cumulative_r"]) == signal.result_r


def test_signals_page_without_subscription_shows_no_result_for_any_filters(member, closed_signals):
    browser = Client()
    browser.force_login(member)

    for signal in closed_signals:
        for params in filters_isolating(signal):
            response = browser.get(PAGE_URL, params)

            assert response.status_code == 200
            html = response.content.decode()
            stats = response.context["stats"]
            assert r_figures(stats) == [None] * len(r_figures(stats)), params
            assert not any(text in html for text in page_texts(signal)), params

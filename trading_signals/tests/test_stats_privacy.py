"""Signal statistics reveal nothing the list hides: no result total for members without a subscription in force.

The list shows them each signal's market, date and status, so counts and win rates are theirs to see; results are
not, and a total narrowed by filters to one signal would be that signal's result.
"""

import itertools
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

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


@pytest.fixture
def closed_signals():
    """Closed signals on separate days and markets, each with a result found nowhere else."""
    return [
        SignalFactory(
            status=Signal.Status.TP_HIT, result=Decimal("123.45"), published_at=datetime(2026, 3, 2, 10, tzinfo=UTC)
        ),
        SignalFactory(
            status=Signal.Status.SL_HIT, result=Decimal("-67.89"), published_at=datetime(2026, 3, 9, 10, tzinfo=UTC)
        ),
        SignalFactory(
            market=Market.CRYPTO,
            instrument="BTC/USDT",
            status=Signal.Status.TP_HIT,
            result=Decimal("4.71"),
            result_unit=Signal.ResultUnit.PERCENT,
            published_at=datetime(2026, 4, 14, 10, tzinfo=UTC),
        ),
        SignalFactory(
            market=Market.INDICES,
            instrument="DAX40",
            status=Signal.Status.CLOSED,
            result=Decimal("88.13"),
            published_at=datetime(2026, 4, 20, 10, tzinfo=UTC),
        ),
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
    """How the API would write the signal's result (DRF sends decimals as strings)."""
    return {f"{signal.result:.2f}", str(signal.result)}


def page_texts(signal: Signal) -> set[str]:
    """How the page would write the signal's result: French decimals, two places or one (floatformat)."""
    assert signal.result is not None
    one_place = signal.result.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return {f"{signal.result:.2f}".replace(".", ","), f"{one_place}".replace(".", ",")}


def result_totals(stats: dict) -> list:
    return [stats["total_result"]] + [row["total_result"] for row in stats["per_market"] + stats["per_month"]]


def test_member_without_subscription_cannot_recover_any_result_with_any_filters(auth_client, closed_signals):
    for signal in closed_signals:
        for params in filters_isolating(signal):
            response = auth_client.get(STATS_URL, params)

            assert response.status_code == 200
            stats = response.json()
            assert not any(text in response.content.decode() for text in json_texts(signal)), params
            assert result_totals(stats) == [None] * len(result_totals(stats)), params
            assert stats["results_locked"] is True
            assert stats["locked_message"] == "Abonnez-vous pour voir les détails"


def test_member_without_subscription_still_gets_the_counts_the_list_shows(auth_client, closed_signals):
    [signal, *_] = closed_signals
    day = timezone.localdate(signal.published_at).isoformat()

    stats = auth_client.get(STATS_URL, {"date_from": day, "date_to": day, "market": signal.market}).json()

    assert (stats["count"], stats["tp_hit"], stats["sl_hit"], stats["win_rate"]) == (1, 1, 0, "100.0")
    assert auth_client.get(STATS_URL).json()["count"] == len(closed_signals)


def test_whole_history_total_does_not_move_by_the_result_of_a_signal_that_closes(auth_client, closed_signals):
    before = auth_client.get(STATS_URL).json()
    Signal.objects.create(
        market=Market.FOREX,
        instrument="GBP/USD",
        direction=Signal.Direction.SELL,
        entry_price=Decimal("1.27"),
        stop_loss=Decimal("1.28"),
        status=Signal.Status.TP_HIT,
        result=Decimal("31.42"),
        published_at=clock.now() - timedelta(hours=1),
        closed_at=clock.now(),
    )

    after = auth_client.get(STATS_URL).json()

    assert after["count"] == before["count"] + 1
    assert after["total_result"] is None
    assert result_totals(after) == [None] * len(result_totals(after))


def test_subscriber_gets_result_totals_for_any_filters(member, closed_signals):
    SubscriptionFactory(user=member)
    client = client_for(member)

    for signal in closed_signals:
        day = timezone.localdate(signal.published_at).isoformat()
        stats = client.get(STATS_URL, {"date_from": day, "date_to": day, "market": signal.market}).json()

        assert stats["results_locked"] is False
        assert stats["locked_message"] is None
        assert stats["count"] == 1
        assert Decimal(stats["total_result"][signal.result_unit]) == signal.result


def test_signals_page_without_subscription_shows_no_result_for_any_filters(member, closed_signals):
    browser = Client()
    browser.force_login(member)

    for signal in closed_signals:
        for params in filters_isolating(signal):
            response = browser.get(PAGE_URL, params)

            assert response.status_code == 200
            html = response.content.decode()
            assert response.context["stats"]["total_result"] is None
            assert response.context["chart_data"] == []
            assert 'id="monthly-data"' not in html
            assert not any(text in html for text in page_texts(signal)), params


def test_signals_page_shows_filtered_result_totals_to_a_subscriber(member, closed_signals):
    SubscriptionFactory(user=member)
    browser = Client()
    browser.force_login(member)
    signal = closed_signals[0]
    day = timezone.localdate(signal.published_at).isoformat()

    response = browser.get(PAGE_URL, {"date_from": day, "date_to": day, "market": signal.market})

    assert response.context["stats"]["total_result"]["pips"] == signal.result
    [month] = response.context["chart_data"]
    assert (month["month"], Decimal(month["pips"])) == ("2026-03", signal.result)
    assert "123,5" in response.content.decode()  # the total card, one decimal

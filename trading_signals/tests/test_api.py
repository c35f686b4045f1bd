from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from conftest import client_for
from core import clock
from formations.tests.factories import SubscriptionFactory
from trading_signals.models import Market, Signal
from trading_signals.services import signal_cancel, signal_close, signal_correct, signal_take_profit_reached
from trading_signals.tests.factories import SignalFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/auth/user/signals/"
STATS_URL = "/api/auth/user/signals/stats/"
DETAIL_FIELDS = {
    "entry_price",
    "stop_loss",
    "take_profits",
    "take_profits_reached",
    "exit_price",
    "result_r",
    "result_move",
    "move_unit",
    "result_percent",
    "closed_at",
    "corrected_at",
    "comment",
    "history",
}


@pytest.fixture
def subscriber(member):
    SubscriptionFactory(user=member)
    return member


def test_member_with_subscription_in_force_sees_full_details(subscriber):
    SignalFactory(take_profits=[Decimal("1.09"), Decimal("1.1")])

    signal = client_for(subscriber).get(LIST_URL).json()["results"][0]

    assert signal["locked"] is False
    assert signal["entry_price"] == "1.085000"
    assert signal["take_profits"] == ["1.090000", "1.100000"]
    assert signal["comment"] == "Cassure de résistance."


def test_member_without_subscription_sees_locked_signals_without_details(auth_client):
    SignalFactory()

    signal = auth_client.get(LIST_URL).json()["results"][0]

    assert signal["locked"] is True
    assert signal["locked_message"] == "Abonnez-vous pour voir les détails"
    assert signal["instrument"] == "EUR/USD"
    assert DETAIL_FIELDS.isdisjoint(signal)


def test_subscription_expired_by_time_locks_details_even_with_status_active(subscriber):
    SignalFactory()

    with time_machine.travel(clock.now() + timedelta(days=21)):
        signal = client_for(subscriber).get(LIST_URL).json()["results"][0]

    assert signal["locked"] is True
    assert DETAIL_FIELDS.isdisjoint(signal)


def test_anonymous_gets_401(api_client):
    assert api_client.get(LIST_URL).status_code == 401
    assert api_client.get(STATS_URL).status_code == 401


def test_unpublished_and_future_signals_are_hidden(subscriber):
    SignalFactory(is_published=False)
    SignalFactory(published_at=clock.now() + timedelta(hours=2))
    visible = SignalFactory()

    body = client_for(subscriber).get(LIST_URL).json()

    assert [s["id"] for s in body["results"]] == [visible.pk]
    assert client_for(subscriber).get(STATS_URL).json()["count"] == 1


def test_filters_by_status_market_and_local_dates(subscriber):
    client = client_for(subscriber)
    won = SignalFactory(status=Signal.Status.TP_HIT, published_at=datetime(2026, 10, 10, 12, tzinfo=UTC))
    SignalFactory(status=Signal.Status.SL_HIT, published_at=datetime(2026, 10, 11, 12, tzinfo=UTC))
    crypto = SignalFactory(market=Market.CRYPTO, instrument="BTC/USDT", published_at=datetime(2026, 9, 1, tzinfo=UTC))
    # 23:30 UTC on 30 Sept is 1 Oct 01:30 in Paris: it belongs to October.
    late = SignalFactory(published_at=datetime(2026, 9, 30, 23, 30, tzinfo=UTC))

    def ids(**params):
        return {s["id"] for s in client.get(LIST_URL, params).json()["results"]}

    assert ids(status="tp_hit") == {won.pk}
    assert ids(market="crypto") == {crypto.pk}
    assert ids(date_from="2026-10-01", date_to="2026-10-10") == {won.pk, late.pk}
    assert ids(date_to="2026-09-30") == {crypto.pk}
    assert len(ids(status="", market="")) == 4


@pytest.mark.parametrize(
    ("params", "field", "fragment"),
    [
        ({"status": "gagné"}, "status", "n'est pas un choix valide"),
        ({"market": "actions"}, "market", "n'est pas un choix valide"),
        ({"date_from": "2026-13-01"}, "date_from", "format"),
        ({"date_from": "2026-10-02", "date_to": "2026-10-01"}, "date_to", "postérieure"),
    ],
)
def test_bad_filter_values_are_400_in_french(auth_client, params, field, fragment):
    for url in (LIST_URL, STATS_URL):
        response = auth_client.get(url, params)

        assert response.status_code == 400
        assert fragment in response.json()[field][0]


def test_list_is_paginated(subscriber):
    for _ in range(3):
        SignalFactory()

    body = client_for(subscriber).get(LIST_URL, {"page_size": 2}).json()

    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"]


def test_stats_in_r_per_market_and_per_paris_month_of_closing(subscriber):
    SignalFactory(
        status="tp_hit",
        result_r=Decimal("2.5"),
        exit_price=Decimal("1.095"),
        closed_at=datetime(2026, 9, 10, tzinfo=UTC),
        published_at=datetime(2026, 9, 9, tzinfo=UTC),
    )
    SignalFactory(
        status="sl_hit",
        result_r=Decimal("-1"),
        exit_price=Decimal("1.08"),
        closed_at=datetime(2026, 9, 30, 23, 30, tzinfo=UTC),  # 1 October in Paris
        published_at=datetime(2026, 9, 9, tzinfo=UTC),
    )
    SignalFactory(market=Market.CRYPTO, status="open", published_at=datetime(2026, 10, 7, tzinfo=UTC))

    stats = client_for(subscriber).get(STATS_URL).json()

    assert (stats["count"], stats["open"], stats["closed"], stats["wins"], stats["losses"]) == (3, 1, 2, 1, 1)
    assert (stats["win_rate"], stats["total_r"], stats["expectancy_r"]) == ("50.0", "1.50", "0.75")
    assert (stats["profit_factor"], stats["max_drawdown_r"], stats["longest_losing_streak"]) == ("2.50", "1.00", 1)
    assert [(row["month"], row["total_r"], row["cumulative_r"]) for row in stats["per_month"]] == [
        ("2026-09", "2.50", "2.50"),
        ("2026-10", "-1.00", "1.50"),
    ]
    by_market = {row["market"]: row for row in stats["per_market"]}
    assert (by_market["forex"]["count"], by_market["forex"]["total_r"]) == (2, "1.50")
    assert (by_market["crypto"]["count"], by_market["crypto"]["total_r"]) == (1, "0.00")


def test_stats_without_closed_signal_have_no_win_rate(subscriber):
    SignalFactory(status="open")

    stats = client_for(subscriber).get(STATS_URL).json()

    assert (stats["win_rate"], stats["expectancy_r"], stats["total_r"]) == (None, None, "0.00")


def test_stats_follow_filters(auth_client):
    SignalFactory(status="tp_hit", result_r=Decimal("1"), exit_price=Decimal("1.09"), closed_at=clock.now())
    SignalFactory(
        market=Market.INDICES,
        instrument="DAX40",
        entry_price=Decimal("18350"),
        stop_loss=Decimal("18200"),
        take_profits=[Decimal("18600")],
        status="sl_hit",
        result_r=Decimal("-1"),
        exit_price=Decimal("18200"),
        closed_at=clock.now(),
    )

    stats = auth_client.get(STATS_URL, {"market": "indices"}).json()

    assert stats["count"] == 1
    assert stats["win_rate"] == "0.0"


def test_a_subscriber_sees_each_result_in_r_pips_and_percent_with_its_history(subscriber):
    admin = UserFactory(is_staff=True)
    signal = SignalFactory(take_profits=[Decimal("1.0900"), Decimal("1.0950")])
    signal_take_profit_reached(signal_id=signal.pk, order=1, by=admin)
    signal_correct(signal_id=signal.pk, by=admin, stop_loss=Decimal("1.0830"))
    signal_take_profit_reached(signal_id=signal.pk, order=2, by=admin)

    [item] = client_for(subscriber).get(LIST_URL).json()["results"]

    # Entry 1.0850, stop 1.0800 corrected to 1.0830 (20 pips of risk), TP2 1.0950: +100 pips, +5 R, +0.92 %.
    assert (item["status"], item["take_profits_reached"], item["exit_price"]) == ("tp_hit", 2, "1.095000")
    assert (item["result_r"], item["result_move"], item["move_unit"], item["result_percent"]) == (
        "5.00",
        "100.0",
        "pips",
        "0.92",
    )
    assert item["corrected_at"] is not None
    assert [(entry["type"], entry["text"]) for entry in item["history"]] == [
        ("event", "TP1 atteint"),
        ("revision", "stop-loss : 1,0800 → 1,0830"),
        ("event", "TP2 atteint"),
    ]


def test_the_list_reads_history_in_a_constant_number_of_queries(subscriber, django_assert_num_queries):
    admin = UserFactory(is_staff=True)
    client = client_for(subscriber)

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST_URL).status_code == 200
        return len(queries)

    signal = SignalFactory()
    signal_close(signal_id=signal.pk, exit_price=Decimal("1.09"), by=admin)
    one = page_queries()
    for _ in range(4):
        signal = SignalFactory()
        signal_correct(signal_id=signal.pk, by=admin, stop_loss=Decimal("1.0820"))
        signal_cancel(signal_id=signal.pk, by=admin)

    assert page_queries() == one


def test_queued_subscription_not_yet_started_does_not_unlock_details(member):
    SubscriptionFactory(
        user=member, starts_at=clock.now() + timedelta(days=2), ends_at=clock.now() + timedelta(days=30)
    )
    SignalFactory()

    assert client_for(member).get(LIST_URL).json()["results"][0]["locked"] is True


def test_admin_pages_render(admin_client):
    signal = SignalFactory()

    assert admin_client.get("/admin/trading_signals/signal/").status_code == 200
    assert admin_client.get(f"/admin/trading_signals/signal/{signal.pk}/change/").status_code == 200
    assert admin_client.get("/admin/trading_signals/signal/add/").status_code == 200

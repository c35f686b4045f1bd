from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from conftest import client_for
from core import clock
from formations.tests.factories import SubscriptionFactory
from trading_signals.models import Market, Signal
from trading_signals.tests.factories import SignalFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/auth/user/signals/"
STATS_URL = "/api/auth/user/signals/stats/"
DETAIL_FIELDS = {"entry_price", "stop_loss", "take_profits", "result", "result_unit", "closed_at", "comment"}


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


def test_stats_count_win_rate_totals_per_market_and_per_paris_month(subscriber):
    SignalFactory(status="tp_hit", result=Decimal("40"), published_at=datetime(2026, 9, 10, tzinfo=UTC))
    SignalFactory(status="tp_hit", result=Decimal("25.5"), published_at=datetime(2026, 9, 30, 23, 30, tzinfo=UTC))
    SignalFactory(status="sl_hit", result=Decimal("-20"), published_at=datetime(2026, 10, 5, tzinfo=UTC))
    SignalFactory(
        market=Market.CRYPTO,
        status="tp_hit",
        result=Decimal("3.5"),
        result_unit="percent",
        published_at=datetime(2026, 10, 6, tzinfo=UTC),
    )
    SignalFactory(market=Market.CRYPTO, status="open", published_at=datetime(2026, 10, 7, tzinfo=UTC))

    stats = client_for(subscriber).get(STATS_URL).json()

    assert stats["count"] == 5
    assert stats["open"] == 1
    assert stats["tp_hit"] == 3
    assert stats["sl_hit"] == 1
    assert stats["win_rate"] == "75.0"
    assert stats["total_result"] == {"pips": "45.50", "percent": "3.50"}
    by_market = {row["market"]: row for row in stats["per_market"]}
    assert by_market["forex"]["count"] == 3
    assert by_market["forex"]["win_rate"] == "66.7"
    assert by_market["crypto"]["win_rate"] == "100.0"
    assert by_market["crypto"]["total_result"]["percent"] == "3.50"
    by_month = {row["month"]: row for row in stats["per_month"]}
    assert list(by_month) == ["2026-09", "2026-10"]
    assert by_month["2026-09"]["total_result"]["pips"] == "40.00"
    assert by_month["2026-10"]["count"] == 4
    assert by_month["2026-10"]["total_result"]["pips"] == "5.50"


def test_stats_without_decided_signal_have_no_win_rate(subscriber):
    SignalFactory(status="open")

    stats = client_for(subscriber).get(STATS_URL).json()

    assert stats["win_rate"] is None
    assert stats["total_result"] == {"pips": "0.00", "percent": "0.00"}


def test_stats_follow_filters(auth_client):
    SignalFactory(status="tp_hit", result=Decimal("10"))
    SignalFactory(
        market=Market.INDICES, instrument="DAX40", status="sl_hit", result=Decimal("-1"), result_unit="percent"
    )

    stats = auth_client.get(STATS_URL, {"market": "indices"}).json()

    assert stats["count"] == 1
    assert stats["win_rate"] == "0.0"


def test_queued_subscription_not_yet_started_does_not_unlock_details(member):
    SubscriptionFactory(
        user=member, starts_at=clock.now() + timedelta(days=2), ends_at=clock.now() + timedelta(days=30)
    )
    SignalFactory()

    assert client_for(member).get(LIST_URL).json()["results"][0]["locked"] is True


@pytest.mark.parametrize("with_subscription", [False, True])
def test_stats_take_a_fixed_number_of_queries(member, with_subscription, django_assert_max_num_queries):
    if with_subscription:
        SubscriptionFactory(user=member)
    for n in range(12):
        SignalFactory(market=list(Market.values)[n % 5], status="tp_hit", result=Decimal("1"))
    client = client_for(member)

    with django_assert_max_num_queries(4):
        assert client.get(STATS_URL).json()["count"] == 12


def test_admin_pages_render(admin_client):
    signal = SignalFactory()

    assert admin_client.get("/admin/trading_signals/signal/").status_code == 200
    assert admin_client.get(f"/admin/trading_signals/signal/{signal.pk}/change/").status_code == 200
    assert admin_client.get("/admin/trading_signals/signal/add/").status_code == 200

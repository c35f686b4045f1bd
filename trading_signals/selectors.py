"""Reads about trading signals. Filters come validated from SignalFilterSerializer; stats are SQL aggregates."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Aggregate, Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from core import clock
from trading_signals import policies
from trading_signals.models import Market, Signal, TakeProfit


@dataclass(frozen=True)
class SignalFilters:
    status: str = ""
    market: str = ""
    date_from: date | None = None
    date_to: date | None = None


def signals_published(*, filters: SignalFilters | None = None) -> QuerySet[Signal]:
    """Published signals, newest first, filtered; dates are calendar days in TIME_ZONE, both ends included."""
    filters = filters or SignalFilters()
    queryset = Signal.objects.filter(is_published=True, published_at__lte=clock.now())
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.market:
        queryset = queryset.filter(market=filters.market)
    if filters.date_from:
        queryset = queryset.filter(published_at__gte=clock.start_of_local_day(filters.date_from))
    if filters.date_to:
        queryset = queryset.filter(published_at__lt=clock.start_of_local_day(filters.date_to + timedelta(days=1)))
    return queryset.prefetch_related(Prefetch("take_profits", queryset=TakeProfit.objects.order_by("order", "id")))


def _win_rate(won: int, lost: int) -> Decimal | None:
    """tp_hit / (tp_hit + sl_hit), in %, one decimal; None while no signal has reached either."""
    if won + lost == 0:
        return None
    return (Decimal(won * 100) / Decimal(won + lost)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _aggregates(*, with_results: bool) -> dict[str, Aggregate]:
    aggregates: dict[str, Aggregate] = {
        "count": Count("pk"),
        "open": Count("pk", filter=Q(status=Signal.Status.OPEN)),
        "won": Count("pk", filter=Q(status=Signal.Status.TP_HIT)),
        "lost": Count("pk", filter=Q(status=Signal.Status.SL_HIT)),
    }
    if with_results:
        aggregates["result_pips"] = Sum("result", filter=Q(result_unit=Signal.ResultUnit.PIPS))
        aggregates["result_percent"] = Sum("result", filter=Q(result_unit=Signal.ResultUnit.PERCENT))
    return aggregates


def _shape(row: Mapping[str, Any], *, with_results: bool) -> dict:
    return {
        "count": row["count"],
        "open": row["open"],
        "tp_hit": row["won"],
        "sl_hit": row["lost"],
        "win_rate": _win_rate(row["won"], row["lost"]),
        "total_result": (
            {"pips": row["result_pips"] or Decimal("0"), "percent": row["result_percent"] or Decimal("0")}
            if with_results
            else None
        ),
    }


def _sum_rows(rows, *, keys) -> dict:
    """The totals of every market: each published signal is in exactly one market (a database constraint)."""
    total = dict.fromkeys(keys, 0)
    for row in rows:
        for key in keys:
            total[key] += row[key] or 0
    return total


def signal_stats(*, user, filters: SignalFilters | None = None, with_results: bool | None = None) -> dict:
    """Count, win rate, total result (per unit: pips and % are never added together), per market, per month.

    Members who may not see signal results (trading_signals.policies) get the counts and the win rate, which the
    list already shows through each signal's status, and no result total anywhere (`total_result` is None,
    `results_locked` True): a date range and a market narrow any total down to one signal, and a total over the
    whole history moves by exactly the result of the signal that has just closed.

    Two aggregate queries whatever the number of signals (the totals add up the per-market rows); months are
    calendar months in TIME_ZONE. `with_results` overrides the policy for staff reads (analytics' dashboard).
    """
    if with_results is None:
        with_results = policies.member_sees_signal_details(user=user)
    aggregates = _aggregates(with_results=with_results)
    queryset = signals_published(filters=filters).order_by()
    markets = {row["market"]: row for row in queryset.values("market").annotate(**aggregates)}
    per_market = [
        {"market": value, "label": str(label), **_shape(markets[value], with_results=with_results)}
        for value, label in Market.choices
        if value in markets
    ]
    months = (
        queryset.annotate(month=TruncMonth("published_at", tzinfo=timezone.get_current_timezone()))
        .values("month")
        .annotate(**aggregates)
        .order_by("month")
    )
    per_month = [
        {"month": timezone.localtime(row["month"]).strftime("%Y-%m"), **_shape(row, with_results=with_results)}
        for row in months
    ]
    return {
        **_shape(_sum_rows(markets.values(), keys=aggregates), with_results=with_results),
        "results_locked": not with_results,
        "locked_message": None if with_results else str(policies.LOCKED_MESSAGE),
        "per_market": per_market,
        "per_month": per_month,
    }

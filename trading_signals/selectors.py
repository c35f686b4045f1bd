"""Reads about trading signals. Filters come validated from SignalFilterSerializer; stats are SQL aggregates plus
one pass over the ordered results (drawdown, streak)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from django.db.models import Aggregate, Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from core import clock
from trading_signals import policies
from trading_signals.models import Market, Signal, SignalEvent, SignalRevision, TakeProfit


@dataclass(frozen=True)
class SignalFilters:
    status: str = ""
    market: str = ""
    date_from: date | None = None
    date_to: date | None = None


def signals_published(*, filters: SignalFilters | None = None, with_history: bool = False) -> QuerySet[Signal]:
    """Published signals, newest first, filtered; dates are calendar days in TIME_ZONE, both ends included.
    `with_history` prefetches each signal's events and revisions (signal_history), two queries for a page."""
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
    queryset = queryset.prefetch_related(Prefetch("take_profits", queryset=TakeProfit.objects.order_by("order", "id")))
    if with_history:
        queryset = queryset.prefetch_related(
            Prefetch("events", queryset=SignalEvent.objects.order_by("created_at", "id")),
            Prefetch("revisions", queryset=SignalRevision.objects.order_by("changed_at", "id")),
        )
    return queryset


def signal_with_history(*, signal_id: int) -> Signal:
    """One signal, published or not (staff reads), with its take-profits, events and revisions prefetched."""
    return Signal.objects.prefetch_related(
        Prefetch("take_profits", queryset=TakeProfit.objects.order_by("order", "id")),
        Prefetch("events", queryset=SignalEvent.objects.order_by("created_at", "id")),
        Prefetch("revisions", queryset=SignalRevision.objects.order_by("changed_at", "id")),
    ).get(pk=signal_id)


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a signal's history: an event (kind set) or a correction (field set), as members read it."""

    at: datetime
    type: str  # "event" or "revision"
    text: str
    kind: str | None = None
    field: str | None = None
    take_profit_order: int = 0
    price: Decimal | None = None
    result_r: Decimal | None = None
    old_value: str | None = None
    new_value: str | None = None


def _event_text(event: SignalEvent) -> str:
    if event.kind == SignalEvent.Kind.TP_REACHED:
        return _("TP%(order)s atteint") % {"order": event.take_profit_order}
    return str(event.get_kind_display())


def _revision_text(revision: SignalRevision) -> str:
    label = str(revision.get_field_display())
    if revision.field == SignalRevision.Field.TAKE_PROFIT:
        label = f"{label} {revision.take_profit_order}"
    return f"{label} : {revision.old_value or '—'} → {revision.new_value or '—'}"


def signal_history(*, signal: Signal) -> list[HistoryEntry]:
    """Events and corrections, oldest first (events before corrections at the same instant). Reads
    `signal.events` and `signal.revisions`: prefetch them (signals_published(with_history=True)) for a list."""
    entries = [
        HistoryEntry(
            at=event.created_at,
            type="event",
            text=_event_text(event),
            kind=event.kind,
            take_profit_order=event.take_profit_order,
            price=event.price,
            result_r=event.result_r,
        )
        for event in signal.events.all()
    ] + [
        HistoryEntry(
            at=revision.changed_at,
            type="revision",
            text=_revision_text(revision),
            field=revision.field,
            take_profit_order=revision.take_profit_order,
            old_value=revision.old_value,
            new_value=revision.new_value,
        )
        for revision in signal.revisions.all()
    ]
    return sorted(entries, key=lambda entry: (entry.at, entry.type != "event"))


R = Decimal("0.01")
RATE = Decimal("0.1")
ZERO_R = Decimal("0.00")
Status = Signal.Status
ENDED = (Status.TP_HIT, Status.SL_HIT, Status.CLOSED)


def _ratio(numerator, denominator, places: Decimal = R) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(places, rounding=ROUND_HALF_UP)


def _win_rate(wins: int, losses: int) -> Decimal | None:
    """wins / (wins + losses), in %, one decimal; None while no signal has won or lost (breakeven ones don't count)."""
    return _ratio(wins * 100, wins + losses, RATE)


def _counts() -> dict[str, Aggregate]:
    return {
        "count": Count("pk", filter=~Q(status=Status.CANCELLED)),
        "open": Count("pk", filter=Q(status=Status.OPEN)),
        "cancelled": Count("pk", filter=Q(status=Status.CANCELLED)),
        "closed": Count("pk", filter=Q(status__in=ENDED)),
    }


def _outcomes(*, with_results: bool) -> dict[str, Aggregate]:
    """Won and lost by the result in R; without results, by the status the list shows (take-profit, stop-loss)."""
    if not with_results:
        return {
            "wins": Count("pk", filter=Q(status=Status.TP_HIT)),
            "losses": Count("pk", filter=Q(status=Status.SL_HIT)),
        }
    return {
        "wins": Count("pk", filter=Q(result_r__gt=0)),
        "losses": Count("pk", filter=Q(result_r__lt=0)),
        "breakeven": Count("pk", filter=Q(result_r=0)),
        "total_r": Sum("result_r"),
        "won_r": Sum("result_r", filter=Q(result_r__gt=0)),
        "lost_r": Sum("result_r", filter=Q(result_r__lt=0)),
    }


def _r_figures(row: Mapping[str, Any]) -> dict:
    """Every figure in R of a group of closed signals (a market, or all of them)."""
    total = row["total_r"] or ZERO_R
    lost = row["lost_r"] or ZERO_R
    return {
        "breakeven": row["breakeven"],
        "average_win_r": _ratio(row["won_r"] or 0, row["wins"]),
        "average_loss_r": _ratio(lost, row["losses"]),
        "expectancy_r": _ratio(total, row["closed"]),
        # Gains over losses; None without a loss (no finite factor).
        "profit_factor": _ratio(row["won_r"] or 0, -lost) if row["losses"] else None,
        "total_r": total.quantize(R),
    }


LOCKED_R_FIGURES = dict.fromkeys(
    ("breakeven", "average_win_r", "average_loss_r", "expectancy_r", "profit_factor", "total_r"), None
)


SUMS = ("total_r", "won_r", "lost_r")


def _sum_rows(rows: Iterable[Mapping[str, Any]], *, keys: Iterable[str]) -> dict[str, Any]:
    """Grouped rows added up (a market's months, a month's markets, every market): each published signal is in
    exactly one market and one month of closing or none, so nothing is counted twice. Sums of R stay None when no
    row has one, as SQL's SUM does."""
    total: dict[str, Any] = {key: None if key in SUMS else 0 for key in keys}
    for row in rows:
        for key in total:
            if row[key] is not None:
                total[key] = row[key] if total[key] is None else total[key] + row[key]
    return total


def _curve(results_r: Iterable[Decimal]) -> tuple[Decimal, int]:
    """Maximum drawdown (the deepest fall of the cumulative R from its previous peak, the start counting as a peak at
    0; a positive number) and the longest run of consecutive losses, over results in closing order. A plain loop
    with no call per row: it runs over every closed signal that matches the filters (bench/signal_stats.py)."""
    cumulative = peak = drawdown = ZERO_R
    streak = longest = 0
    for result in results_r:
        cumulative += result
        if cumulative > peak:
            peak = cumulative
        elif peak - cumulative > drawdown:
            drawdown = peak - cumulative
        if result < 0:
            streak += 1
            if streak > longest:
                longest = streak
        else:
            streak = 0
    return drawdown.quantize(R), longest


def _per_month(rows: Iterable[Mapping[str, Any]]) -> list[dict]:
    """Closed signals per calendar month of their closing (TIME_ZONE), with the cumulative R (the equity curve),
    from the (market, month) rows: a month's figures add up its markets'."""
    months: dict[datetime, list[Mapping[str, Any]]] = {}
    for row in rows:
        if row["month"] is not None and row["closed"]:
            months.setdefault(row["month"], []).append(row)
    cumulative = ZERO_R
    per_month = []
    for month in sorted(months):
        total = _sum_rows(months[month], keys=("closed", "wins", "losses", "total_r"))
        cumulative += total["total_r"]
        per_month.append(
            {
                "month": timezone.localtime(month).strftime("%Y-%m"),
                "closed": total["closed"],
                "wins": total["wins"],
                "losses": total["losses"],
                "total_r": total["total_r"].quantize(R),
                "cumulative_r": cumulative.quantize(R),
            }
        )
    return per_month


def signal_stats(*, user, filters: SignalFilters | None = None, with_results: bool | None = None) -> dict:
    """The statistics of the published signals that match `filters`, in R (docs/architecture/signals.md):
    count (cancelled ones apart), open, closed, wins/losses/breakeven, win rate, average win and loss, expectancy,
    profit factor, total R, maximum drawdown and longest losing streak over the closing order, per market and per
    month of closing (cumulative R: the equity curve).

    Members who may not see signal results (trading_signals.policies) get the counts and the status-based win rate
    (take-profits against stop-losses, which the list already shows) and no figure in R anywhere (None,
    `results_locked` True, no months): a date range and a market narrow any figure down to one signal, and a total
    over the whole history moves by exactly the result of the signal that has just closed.

    Constant queries: one aggregate grouped by market (with results, by market and month of closing), whose rows add
    up to the markets, the months and the totals; with results, one more reading the closed signals' R in closing
    order (values_list, no model instances) for the drawdown and the streak, in one pass.
    `with_results` overrides the policy for staff reads (analytics' dashboard).
    """
    if with_results is None:
        with_results = policies.member_sees_signal_details(user=user)
    aggregates = {**_counts(), **_outcomes(with_results=with_results)}
    queryset = signals_published(filters=filters).order_by().prefetch_related(None)
    # One aggregate: per market, and with results per market and calendar month of closing in TIME_ZONE (open
    # signals in a month None); the markets, the months and the totals add these rows up.
    grouped = (
        queryset.annotate(month=TruncMonth("closed_at", tzinfo=timezone.get_current_timezone())).values(
            "market", "month"
        )
        if with_results
        else queryset.values("market")
    )
    rows = [cast(Mapping[str, Any], row) for row in grouped.annotate(**aggregates)]
    markets = {
        value: _sum_rows([row for row in rows if row["market"] == value], keys=aggregates)
        for value in {row["market"] for row in rows}
    }

    def figures(row: Mapping[str, Any]) -> dict:
        return {
            "win_rate": _win_rate(row["wins"], row["losses"]),
            **(_r_figures(row) if with_results else LOCKED_R_FIGURES),
        }

    per_market = []
    for value, label in Market.choices:
        if value in markets:
            row = markets[value]
            shown = figures(row)
            per_market.append(
                {
                    "market": value,
                    "label": str(label),
                    **{key: row[key] for key in ("count", "closed", "wins", "losses")},
                    **{key: shown[key] for key in ("win_rate", "total_r", "expectancy_r")},
                }
            )
    total = _sum_rows(markets.values(), keys=aggregates)
    drawdown: Decimal | None = None
    streak: int | None = None
    per_month: list[dict] = []
    if with_results:
        # Closing order, then id: the order of the partial index trading_signals_closing_order.
        closed = queryset.filter(result_r__isnull=False).order_by("closed_at", "pk")
        drawdown, streak = _curve(cast(Iterable[Decimal], closed.values_list("result_r", flat=True)))
        per_month = _per_month(rows)
    return {
        **{key: total[key] for key in ("count", "open", "cancelled", "closed", "wins", "losses")},
        **figures(total),
        "max_drawdown_r": drawdown,
        "longest_losing_streak": streak,
        "results_locked": not with_results,
        "locked_message": None if with_results else str(policies.LOCKED_MESSAGE),
        "per_market": per_market,
        "per_month": per_month,
    }

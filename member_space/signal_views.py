"""The signals pages: `/espace/signaux/` (statistics in R, the equity curve and the monthly bars drawn on the server,
the history) and `/espace/signaux/<id>/` (one signal in full: its result, risk/reward per take-profit, what happened
to it and its corrections).

What a member sees of a signal is decided in one place (trading_signals.policies); the statistics come from
trading_signals.selectors.signal_stats and each result's figures from trading_signals.results: these views only
shape them for the templates.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from core.charts import BarChart, LineChart, Series, bar_chart, line_chart
from member_space.views import _errors, _page
from trading_signals import policies as signal_policies
from trading_signals import results
from trading_signals import selectors as signal_selectors
from trading_signals.models import Market, Signal, SignalEvent, SignalRevision
from trading_signals.serializers import SignalFilterSerializer

FILTER_KEYS = ("status", "market", "date_from", "date_to")
# The charts' drawing width: about their size on screen (half a laptop's content, a phone's width), so their text,
# scaled with them, stays legible.
CHART_WIDTH = 440


@dataclass(frozen=True)
class ResultFigures:
    """A closed signal's result as members read it: in R, with the move (pips on forex, points elsewhere) and the
    percent as details."""

    r: Decimal | None
    move: Decimal
    move_unit: str
    percent: Decimal


@dataclass(frozen=True)
class TakeProfitRow:
    order: int
    price: Decimal
    reached: bool
    reward_r: Decimal | None  # what reaching it is worth, in R (its risk/reward: 1 : reward_r)


@dataclass(frozen=True)
class SignalRow:
    signal: Signal
    take_profits: list[TakeProfitRow]
    result: ResultFigures | None


def _result(signal: Signal) -> ResultFigures | None:
    if signal.exit_price is None:
        return None
    return ResultFigures(
        r=signal.result_r,
        move=results.result_move(
            market=signal.market,
            instrument=signal.instrument,
            direction=signal.direction,
            entry=signal.entry_price,
            exit_price=signal.exit_price,
        ),
        move_unit=results.move_unit(market=signal.market),
        percent=results.result_percent(
            direction=signal.direction, entry=signal.entry_price, exit_price=signal.exit_price
        ),
    )


def _reward_r(signal: Signal, price: Decimal) -> Decimal | None:
    """The take-profit's distance in R: results.result_r with the take-profit as the exit (none without risk)."""
    if signal.entry_price == signal.stop_loss:
        return None
    return results.result_r(
        direction=signal.direction, entry=signal.entry_price, stop_loss=signal.stop_loss, exit_price=price
    )


def _row(signal: Signal) -> SignalRow:
    return SignalRow(
        signal=signal,
        take_profits=[
            TakeProfitRow(
                order=tp.order,
                price=tp.price,
                reached=tp.order <= signal.take_profits_reached,
                reward_r=_reward_r(signal, tp.price),
            )
            for tp in signal.take_profits.all()
        ],
        result=_result(signal),
    )


def _months_between(first: str, last: str) -> list[str]:
    year, month = map(int, first.split("-"))
    keys = []
    while f"{year:04d}-{month:02d}" <= last:
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def _charts(per_month: list[dict]) -> tuple[LineChart, BarChart] | None:
    """The equity curve (cumulative R at each month's end) and the R of each month, every month from the first
    closed signal's to the last one's (a month without a close is 0 R, the curve flat through it)."""
    if not per_month:
        return None
    by_month = {row["month"]: row for row in per_month}
    months = _months_between(per_month[0]["month"], per_month[-1]["month"])
    totals: list[Decimal] = []
    cumulative: list[Decimal] = []
    running = Decimal(0)
    for key in months:
        row = by_month.get(key)
        totals.append(row["total_r"] if row else Decimal(0))
        running = row["cumulative_r"] if row else running
        cumulative.append(running)
    x_title = _("Mois (de clôture)")
    equity = line_chart(
        title=_("Courbe des résultats (R cumulés)"),
        months=months,
        series=Series(_("R cumulés"), "equity-line", cumulative),
        unit="R",
        x_title=x_title,
        width=CHART_WIDTH,
    )
    monthly = bar_chart(
        title=_("Résultat par mois (R)"),
        months=months,
        series=[Series(_("R du mois"), "bar-positive", totals)],
        unit="R",
        x_title=x_title,
        negative_css_class="bar-negative",
        width=CHART_WIDTH,
    )
    return equity, monthly


@login_required
def signals(request):
    filter_form = SignalFilterSerializer(data=request.GET)
    valid = filter_form.is_valid()
    filters = filter_form.filters() if valid else signal_selectors.SignalFilters()
    errors = {} if valid else _errors(filter_form.errors)
    stats = signal_selectors.signal_stats(user=request.user, filters=filters)
    page = _page(request, signal_selectors.signals_published(filters=filters)) if valid else None
    query = request.GET.copy()
    query.pop("page", None)
    charts = None if stats["results_locked"] else _charts(stats["per_month"])
    return render(
        request,
        "member_space/signals.html",
        {
            "stats": stats,
            "page": page,
            "rows": [_row(signal) for signal in page.object_list] if page else [],
            "errors": errors,
            "filters": {key: request.GET.get(key, "") for key in FILTER_KEYS},
            "query": query.urlencode(),
            # signal_stats applied the same policy (trading_signals.policies): no second look-up.
            "sees_details": not stats["results_locked"],
            "locked_message": signal_policies.LOCKED_MESSAGE,
            "status_choices": Signal.Status.choices,
            "market_choices": Market.choices,
            "equity_chart": charts[0] if charts else None,
            "monthly_chart": charts[1] if charts else None,
            "nav": "signals",
        },
    )


@dataclass(frozen=True)
class Correction:
    """One corrected value, as the page writes it: "modifié le 12/11 à 09:40 : stop-loss 1,0810 → 1,0830"."""

    revision: SignalRevision
    label: str
    old: str
    new: str


def _correction(revision: SignalRevision) -> Correction:
    """The values are stored as members read them (trading_signals.services.signal_correct writes them with
    results.price_text and the direction's label); "" is a take-profit added (before) or removed (after)."""
    label = str(revision.get_field_display())
    if revision.field == SignalRevision.Field.TAKE_PROFIT:
        label = f"{label} {revision.take_profit_order}"
    return Correction(
        revision=revision,
        label=label,
        old=revision.old_value or "—",
        new=revision.new_value or "—",
    )


@login_required
def signal_detail(request, pk: int):
    """One published signal (a draft, a signal not yet published or an unknown id: 404). Members without a
    subscription in force see what the list shows them (market, instrument, direction, status, publication date),
    the trade's fields, its later events and its corrections locked, as the API's LockedSignalSerializer."""
    signal = get_object_or_404(
        signal_selectors.signals_published().prefetch_related(
            Prefetch("events", queryset=SignalEvent.objects.order_by("created_at", "id")),
            Prefetch("revisions", queryset=SignalRevision.objects.order_by("changed_at", "id")),
        ),
        pk=pk,
    )
    sees_details = signal_policies.member_sees_signal_details(user=request.user)
    return render(
        request,
        "member_space/signal_detail.html",
        {
            "signal": signal,
            "row": _row(signal),
            "events": list(signal.events.all()),
            "corrections": [_correction(revision) for revision in signal.revisions.all()],
            "sees_details": sees_details,
            "locked_message": signal_policies.LOCKED_MESSAGE,
            "nav": "signals",
        },
    )

"""A hand-made series of signals for the signals pages' tests (page tests and the browser test): published over
three months, closed at a take-profit, at the stop-loss and by hand, one open, one cancelled, one corrected through
the service. Results come from trading_signals.results, as the services write them."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from trading_signals import results, services
from trading_signals.models import Signal, SignalEvent
from trading_signals.tests.factories import SignalFactory

PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Closed:
    market: str
    instrument: str
    direction: str
    entry: str
    stop: str
    take_profits: tuple[str, ...]
    status: str
    exit: str
    reached: int
    published: datetime


def _closed(spec: Closed) -> Signal:
    entry, stop, exit_price = Decimal(spec.entry), Decimal(spec.stop), Decimal(spec.exit)
    closed_at = spec.published + timedelta(days=2)
    signal: Signal = SignalFactory.create(
        market=spec.market,
        instrument=spec.instrument,
        direction=spec.direction,
        entry_price=entry,
        stop_loss=stop,
        take_profits=[Decimal(price) for price in spec.take_profits],
        status=spec.status,
        take_profits_reached=spec.reached,
        exit_price=exit_price,
        result_r=results.result_r(direction=spec.direction, entry=entry, stop_loss=stop, exit_price=exit_price),
        published_at=spec.published,
        closed_at=closed_at,
    )
    SignalEvent.objects.create(signal=signal, kind=SignalEvent.Kind.PUBLISHED, created_at=spec.published)
    for order in range(1, spec.reached + 1):
        SignalEvent.objects.create(
            signal=signal,
            kind=SignalEvent.Kind.TP_REACHED,
            take_profit_order=order,
            price=Decimal(spec.take_profits[order - 1]),
            result_r=signal.result_r if order == spec.reached and spec.status == Signal.Status.TP_HIT else None,
            created_at=closed_at,
        )
    if spec.status == Signal.Status.SL_HIT:
        SignalEvent.objects.create(
            signal=signal, kind=SignalEvent.Kind.SL_HIT, price=stop, result_r=signal.result_r, created_at=closed_at
        )
    if spec.status == Signal.Status.CLOSED:
        SignalEvent.objects.create(
            signal=signal,
            kind=SignalEvent.Kind.CLOSED,
            price=exit_price,
            result_r=signal.result_r,
            created_at=closed_at,
        )
    return signal


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=PARIS)


SERIES = (
    # September: +2 R (TP2 of a forex buy), −1 R (stop of a crypto sell)
    Closed("forex", "EUR/USD", "buy", "1.0850", "1.0800", ("1.0900", "1.0950"), "tp_hit", "1.0950", 2, at(9, 3)),
    Closed("crypto", "BTC/USDT", "sell", "64000", "65000", ("62000",), "sl_hit", "65000", 0, at(9, 10)),
    # October: −1 R, −1 R (a losing streak of 2), then +0,5 R closed by hand
    Closed("forex", "GBP/USD", "sell", "1.2710", "1.2760", ("1.2640",), "sl_hit", "1.2760", 0, at(10, 2)),
    Closed("indices", "US500", "buy", "5200", "5150", ("5300",), "sl_hit", "5150", 0, at(10, 9)),
    Closed("commodities", "XAU/USD", "buy", "2400", "2380", ("2440", "2460"), "closed", "2410", 1, at(10, 20)),
    # November: +1 R
    Closed("forex", "USD/JPY", "buy", "151.20", "150.70", ("151.70",), "tp_hit", "151.70", 1, at(11, 4)),
)


def signal_series(*, by=None) -> dict[str, Signal]:
    """The series, plus an open signal (corrected once through the service: stop-loss 1,0810 → 1,0830) and a
    cancelled one. Returns the notable ones by name."""
    closed = [_closed(spec) for spec in SERIES]
    open_signal: Signal = SignalFactory.create(
        market="forex",
        instrument="AUD/USD",
        entry_price=Decimal("1.0850"),
        stop_loss=Decimal("1.0810"),
        take_profits=[Decimal("1.0900"), Decimal("1.0950")],
        is_published=False,
    )
    services.signal_publish(signal_id=open_signal.pk, by=by)
    services.signal_correct(signal_id=open_signal.pk, by=by, stop_loss=Decimal("1.0830"))
    cancelled: Signal = SignalFactory.create(instrument="ETH/USDT", market="crypto", published_at=at(11, 10))
    services.signal_cancel(signal_id=cancelled.pk, by=by)
    return {
        "won": closed[0],
        "lost": closed[1],
        "closed_by_hand": closed[4],
        "open": open_signal,
        "cancelled": cancelled,
    }


# What the series adds up to (hand-computed): 6 closed, 2 won (+2, +1) and 1 closed at +0,5 R, 3 lost (−1 each).
TOTAL_R = Decimal("0.50")
MONTHS = {"2026-09": Decimal("1.00"), "2026-10": Decimal("-1.50"), "2026-11": Decimal("1.00")}

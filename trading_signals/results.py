"""The one definition of a signal's result: in R (multiples of its initial risk, entry to stop-loss), with the
move in pips or points and in percent as details. Every figure shown (page, API, channel messages, statistics)
comes from here; `result_r` is stored on the signal so that statistics are SQL aggregates.
"""

from decimal import ROUND_HALF_UP, Decimal

from accounts.models import User

Market = User.Market

R_PLACES = Decimal("0.01")
DETAIL_PLACES = Decimal("0.1")
PERCENT_PLACES = Decimal("0.01")


def _sign(direction: str) -> int:
    return 1 if direction == "buy" else -1


def pip_size(*, market: str, instrument: str) -> Decimal:
    """A pip on forex (0.0001, or 0.01 for yen pairs); a point (one unit of price) on every other market."""
    if market == Market.FOREX:
        return Decimal("0.01") if "JPY" in instrument.upper() else Decimal("0.0001")
    return Decimal("1")


def move_unit(*, market: str) -> str:
    """What the move is counted in: "pips" on forex, "points" elsewhere."""
    return "pips" if market == Market.FOREX else "points"


def result_r(*, direction: str, entry: Decimal, stop_loss: Decimal, exit_price: Decimal) -> Decimal:
    """(exit − entry) / (entry − stop-loss), signed by the direction: +2 R is twice the risk won, −1 R the stop hit.
    Rounded once, to 0.01 R. A stop-loss equal to the entry has no risk to count in: refused (ValueError)."""
    risk = abs(entry - stop_loss)
    if not risk:
        raise ValueError("stop-loss equals entry: no risk to measure a result in R")
    return (_sign(direction) * (exit_price - entry) / risk).quantize(R_PLACES, rounding=ROUND_HALF_UP)


def result_move(*, market: str, instrument: str, direction: str, entry: Decimal, exit_price: Decimal) -> Decimal:
    """The move in pips (forex) or points, signed by the direction, to 0.1."""
    move = _sign(direction) * (exit_price - entry) / pip_size(market=market, instrument=instrument)
    return move.quantize(DETAIL_PLACES, rounding=ROUND_HALF_UP)


def result_percent(*, direction: str, entry: Decimal, exit_price: Decimal) -> Decimal:
    """The move in percent of the entry, signed by the direction, to 0.01."""
    return (_sign(direction) * (exit_price - entry) * 100 / entry).quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)


def _places(value: Decimal) -> int:
    """Digits after the point that `value` needs (0 for a whole number)."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def price_text(*, market: str, instrument: str, value: Decimal) -> str:
    """A price as members read it (French decimal comma), to the pip on forex (1,0810) and at least two places
    elsewhere, never cutting a digit that was given: the old → new values of a correction are written with it."""
    places = max(2, _places(pip_size(market=market, instrument=instrument)), _places(value))
    return f"{value.quantize(Decimal(1).scaleb(-places)):f}".replace(".", ",")

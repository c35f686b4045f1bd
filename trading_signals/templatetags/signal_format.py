"""How signals figures are written, French style, on the member pages and in the admin: `{% load signal_format %}`.

- `{{ value|r_result }}`: "+1,25 R", "−1,00 R", "0,00 R" (a result in R: signed, two decimals, a non-breaking space
  before the unit so it never wraps); "—" for none.
- `{{ value|signed:1 }}`: "+25,0", "−0,23" (a move in pips/points or percent, signed, with the places given).
- `{{ value|decimal:2 }}`: "1,85" (a figure with no sign: a profit factor, a win rate's number).
"""

from decimal import ROUND_HALF_UP, Decimal

from django import template

from core.charts import month_label

register = template.Library()

NBSP = "\xa0"
# Python groups with "," and separates decimals with "."; French writes a non-breaking space and a comma.
TO_FRENCH = str.maketrans({",": NBSP, ".": ","})
MINUS = "\u2212"  # the typographic minus: "−1,00 R" reads as one figure, never as a dash


def format_decimal(value, places: int = 2, *, sign: bool = False) -> str:
    """`value` rounded half up to `places`, a comma before the decimals, a non-breaking space between thousands;
    with `sign`, "+" before a positive figure (zero has none) and the minus sign before a negative one."""
    if value is None or value == "":
        return "—"
    number = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{abs(number):,.{places}f}".translate(TO_FRENCH)
    if number < 0:
        return f"{MINUS}{text}"
    return f"+{text}" if sign and number > 0 else text


@register.filter
def r_result(value) -> str:
    if value is None or value == "":
        return "—"
    return f"{format_decimal(value, 2, sign=True)}{NBSP}R"


@register.filter
def signed(value, places: int = 1) -> str:
    return format_decimal(value, int(places), sign=True)


@register.filter
def decimal(value, places: int = 2) -> str:
    return format_decimal(value, int(places))


@register.filter
def drawdown_r(value) -> str:
    """The largest fall of the equity curve, written as the loss it is ("−3,50 R") whichever sign it is given with."""
    if value is None or value == "":
        return "—"
    return r_result(-abs(Decimal(str(value))))


@register.filter
def month_name(key: str) -> str:
    """ "2026-04" → "avr. 26", as under the charts (core.charts.month_label)."""
    return month_label(key)

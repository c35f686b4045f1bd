"""Bar charts drawn on the server: the geometry of an SVG (no script, no inline style: the CSP stays strict), which
templates/admin/analytics/bar_chart.html renders. Values may be negative (a month refunded more than it earned)."""

from dataclasses import dataclass, field
from decimal import Decimal

WIDTH = 640
HEIGHT = 240
LEFT = 56  # room for the value axis' labels
RIGHT = 8
TOP = 12
BOTTOM = 28  # room for the months
MONTH_NAMES = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")


def month_label(key: str) -> str:
    """'2026-04' -> 'avr. 26'."""
    year, month = key.split("-")
    return f"{MONTH_NAMES[int(month) - 1]} {year[2:]}"


@dataclass(frozen=True)
class Series:
    name: str
    css_class: str
    values: list[Decimal] | list[int]


@dataclass
class BarChart:
    title: str
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[dict] = field(default_factory=list)
    month_labels: list[dict] = field(default_factory=list)
    value_labels: list[dict] = field(default_factory=list)
    zero_y: float = 0
    legend: list[dict] = field(default_factory=list)


def _nice_top(value: Decimal) -> Decimal:
    """The smallest 1, 2 or 5 × 10^n at or above `value` (a readable top for the axis)."""
    if value <= 0:
        return Decimal(1)
    scale = Decimal(1)
    while scale * 10 <= value:
        scale *= 10
    while scale > value:
        scale /= 10
    for step in (1, 2, 5, 10):
        if scale * step >= value:
            return scale * step
    return scale * 10


def _axis_text(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",") if value % 1 else f"{int(value):,}".replace(",", "\u202f")


def bar_chart(*, title: str, months: list[str], series: list[Series]) -> BarChart:
    """Grouped bars: one group per month, one bar per series, on an axis from the lowest to the highest value."""
    values = [Decimal(value) for one in series for value in one.values]
    top = _nice_top(max([*values, Decimal(0)]))
    bottom = -_nice_top(-min(values)) if values and min(values) < 0 else Decimal(0)
    plot_height = HEIGHT - TOP - BOTTOM
    plot_width = WIDTH - LEFT - RIGHT

    def y_of(value: Decimal) -> float:
        return TOP + float((top - value) / (top - bottom)) * plot_height

    chart = BarChart(title=title, zero_y=round(y_of(Decimal(0)), 1))
    group = plot_width / max(len(months), 1)
    bar = group * 0.8 / max(len(series), 1)
    for index, key in enumerate(months):
        chart.month_labels.append({"x": round(LEFT + group * (index + 0.5), 1), "text": month_label(key)})
        for position, one in enumerate(series):
            value = Decimal(one.values[index])
            y_value, y_zero = y_of(value), y_of(Decimal(0))
            chart.bars.append(
                {
                    "x": round(LEFT + group * index + group * 0.1 + bar * position, 1),
                    "y": round(min(y_value, y_zero), 1),
                    "width": round(bar, 1),
                    "height": round(abs(y_zero - y_value), 1),
                    "css_class": one.css_class,
                    "title": f"{one.name}, {month_label(key)} : {_axis_text(value)}",
                }
            )
    for value in sorted({bottom, bottom / 2, Decimal(0), top / 2, top}):
        chart.value_labels.append({"y": round(y_of(value), 1), "text": _axis_text(value)})
    chart.legend = [{"name": one.name, "css_class": one.css_class} for one in series]
    chart.height = HEIGHT
    return chart

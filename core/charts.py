"""Charts drawn on the server: the geometry of an SVG (no script, no inline style: the CSP stays strict), which a
template renders (the admins' dashboard: templates/admin/analytics/bar_chart.html; the member space's signals:
templates/member_space/_chart.html). One month per step on the horizontal axis; values may be negative (a month
refunded more than it earned, a month of losing trades).

- `bar_chart`: grouped bars, one group per month, one bar per series.
- `line_chart`: one line through the months (a running total, e.g. the equity curve in R), the same axes.
"""

import math
from dataclasses import dataclass, field
from decimal import Decimal

WIDTH = 640
HEIGHT = 240
LEFT = 56  # room for the value axis' labels
RIGHT = 8
TOP = 12
BOTTOM = 28  # room for the months
X_TITLE_HEIGHT = 16  # the horizontal axis' title under the months, when there is one
MIN_LABEL_GAP = 14  # px between two values written on the axis
MAX_MONTH_LABELS = 12  # beyond, one month in every few is named (the latest always), so the names never overlap
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
    unit: str = ""  # the value axis' unit ("R"), written above its labels
    x_title: str = ""  # the horizontal axis' title ("Mois"), under the months
    left: int = LEFT
    plot_bottom: float = HEIGHT - BOTTOM
    x_title_x: float = 0
    x_title_y: float = 0


@dataclass
class LineChart(BarChart):
    points: list[dict] = field(default_factory=list)
    polyline: str = ""  # the SVG <polyline points="…"> value
    css_class: str = ""


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


def axis_text(value: Decimal) -> str:
    """A value as the axes write it, French style: "2,5", "−10", "12 000"."""
    text = f"{value.normalize():f}".replace(".", ",") if value % 1 else f"{int(value):,}".replace(",", "\u202f")
    return text.replace("-", "\u2212")


@dataclass(frozen=True)
class _Frame:
    """The plot's box and its value scale, shared by both kinds of chart."""

    top: Decimal
    bottom: Decimal
    months: int
    width: int
    height: int  # with the horizontal axis' title under the months, when there is one

    @property
    def plot_bottom(self) -> int:
        return HEIGHT - BOTTOM

    @property
    def group(self) -> float:
        return (self.width - LEFT - RIGHT) / max(self.months, 1)

    def y_of(self, value: Decimal) -> float:
        return TOP + float((self.top - value) / (self.top - self.bottom)) * (self.plot_bottom - TOP)

    def x_of(self, index: int) -> float:
        return LEFT + self.group * (index + 0.5)


def _frame(values: list[Decimal], *, months: int, width: int, x_title: str) -> _Frame:
    top = _nice_top(max([*values, Decimal(0)]))
    bottom = -_nice_top(-min(values)) if values and min(values) < 0 else Decimal(0)
    height = HEIGHT + (X_TITLE_HEIGHT if x_title else 0)
    return _Frame(top=top, bottom=bottom, months=months, width=width, height=height)


def _axes(chart: BarChart, frame: _Frame, months: list[str]) -> None:
    """The months under the plot (thinned past MAX_MONTH_LABELS), the value labels and the zero line."""
    step = math.ceil(len(months) / MAX_MONTH_LABELS) if months else 1
    for index, key in enumerate(months):
        if (len(months) - 1 - index) % step == 0:
            chart.month_labels.append({"x": round(frame.x_of(index), 1), "text": month_label(key)})
    # Zero and the ends first, then the halves, each only where it leaves room to read its neighbours (a small
    # negative end under a large positive top would print "−0,25" over "0").
    kept: list[Decimal] = []
    for value in (Decimal(0), frame.top, frame.bottom, frame.top / 2, frame.bottom / 2):
        if value not in kept and all(abs(frame.y_of(value) - frame.y_of(other)) >= MIN_LABEL_GAP for other in kept):
            kept.append(value)
    for value in sorted(kept):
        chart.value_labels.append({"y": round(frame.y_of(value), 1), "text": axis_text(value)})
    chart.zero_y = round(frame.y_of(Decimal(0)), 1)
    chart.width = frame.width
    chart.height = frame.height
    chart.plot_bottom = frame.plot_bottom
    chart.x_title_x = round(LEFT + (frame.width - LEFT - RIGHT) / 2, 1)
    chart.x_title_y = frame.height - 4


def bar_chart(
    *,
    title: str,
    months: list[str],
    series: list[Series],
    unit: str = "",
    x_title: str = "",
    negative_css_class: str = "",
    width: int = WIDTH,
) -> BarChart:
    """Grouped bars: one group per month, one bar per series, on an axis from the lowest to the highest value.
    `negative_css_class` colours the bars below zero (a losing month) apart from their series'. A narrower `width`
    suits a chart shown small (its text is scaled down with it)."""
    values = [Decimal(value) for one in series for value in one.values]
    frame = _frame(values, months=len(months), width=width, x_title=x_title)
    chart = BarChart(title=title, unit=unit, x_title=x_title)
    bar = frame.group * 0.8 / max(len(series), 1)
    suffix = f" {unit}" if unit else ""
    for index, key in enumerate(months):
        for position, one in enumerate(series):
            value = Decimal(one.values[index])
            y_value, y_zero = frame.y_of(value), frame.y_of(Decimal(0))
            chart.bars.append(
                {
                    "x": round(LEFT + frame.group * index + frame.group * 0.1 + bar * position, 1),
                    "y": round(min(y_value, y_zero), 1),
                    "width": round(bar, 1),
                    "height": round(abs(y_zero - y_value), 1),
                    "css_class": negative_css_class if value < 0 and negative_css_class else one.css_class,
                    "title": f"{one.name}, {month_label(key)} : {axis_text(value)}{suffix}",
                }
            )
    _axes(chart, frame, months)
    chart.legend = [{"name": one.name, "css_class": one.css_class} for one in series]
    return chart


def line_chart(
    *, title: str, months: list[str], series: Series, unit: str = "", x_title: str = "", width: int = WIDTH
) -> LineChart:
    """One line through the months' values (a point per month, at the middle of its step), on the same axes as
    bar_chart: an equity curve drawn above the monthly bars lines up with them."""
    values = [Decimal(value) for value in series.values]
    frame = _frame(values, months=len(months), width=width, x_title=x_title)
    chart = LineChart(title=title, unit=unit, x_title=x_title, css_class=series.css_class)
    suffix = f" {unit}" if unit else ""
    for index, (key, value) in enumerate(zip(months, values, strict=True)):
        chart.points.append(
            {
                "x": round(frame.x_of(index), 1),
                "y": round(frame.y_of(value), 1),
                "title": f"{series.name}, {month_label(key)} : {axis_text(value)}{suffix}",
            }
        )
    chart.polyline = " ".join(f"{point['x']},{point['y']}" for point in chart.points)
    _axes(chart, frame, months)
    chart.legend = [{"name": series.name, "css_class": series.css_class}]
    return chart

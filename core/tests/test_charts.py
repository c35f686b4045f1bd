"""The server-drawn charts' geometry (core/charts.py): values placed on a readable axis, negatives below zero, the
month names thinned when many, a line chart on the same axes as the bars."""

import itertools
from decimal import Decimal

import pytest

from core.charts import HEIGHT, X_TITLE_HEIGHT, Series, axis_text, bar_chart, line_chart, month_label


def test_month_label_and_axis_text_are_french():
    assert month_label("2026-04") == "avr. 26"
    assert axis_text(Decimal("2.5")) == "2,5"
    assert axis_text(Decimal("-10")) == "\u221210"
    assert axis_text(Decimal("12000")) == "12\u202f000"


def test_bars_go_up_from_zero_and_down_below_it_with_their_own_class():
    chart = bar_chart(
        title="R par mois",
        months=["2026-01", "2026-02"],
        series=[Series("R", "bar-positive", [Decimal("3"), Decimal("-1.5")])],
        unit="R",
        x_title="Mois",
        negative_css_class="bar-negative",
    )

    up, down = chart.bars
    assert up["y"] + up["height"] == pytest.approx(chart.zero_y, abs=0.11)  # stands on the zero line (rounded)
    assert down["y"] == chart.zero_y  # hangs from it
    assert (up["css_class"], down["css_class"]) == ("bar-positive", "bar-negative")
    assert up["height"] == pytest.approx(2 * down["height"], abs=0.2)  # 3 R against 1.5 R on one scale
    assert down["title"] == "R, févr. 26 : \u22121,5 R"
    assert [label["text"] for label in chart.value_labels] == ["5", "2,5", "0", "\u22121", "\u22122"][::-1]
    assert chart.height == HEIGHT + X_TITLE_HEIGHT
    assert (chart.unit, chart.x_title) == ("R", "Mois")


def test_bars_without_an_axis_title_keep_the_admin_dashboards_size():
    chart = bar_chart(title="t", months=["2026-01"], series=[Series("a", "chart-a", [5])])

    assert chart.height == HEIGHT
    assert chart.bars[0]["css_class"] == "chart-a"


def test_past_twelve_months_one_name_in_every_few_and_always_the_latest():
    months = [f"{2025 + (index // 12)}-{index % 12 + 1:02d}" for index in range(24)]

    chart = bar_chart(title="t", months=months, series=[Series("a", "chart-a", [1] * 24)])

    names = [label["text"] for label in chart.month_labels]
    assert len(names) == 12
    assert names[-1] == "déc. 26"
    assert len(chart.bars) == 24


def test_the_line_passes_through_each_month_at_the_bars_places():
    months = ["2026-01", "2026-02", "2026-03"]
    values = [Decimal("2"), Decimal("-1"), Decimal("4")]

    line = line_chart(title="Courbe", months=months, series=Series("R cumulés", "equity-line", values), unit="R")
    bars = bar_chart(title="Barres", months=months, series=[Series("R", "bar-positive", values)])

    assert [point["x"] for point in line.points] == [round(bar["x"] + bar["width"] / 2, 1) for bar in bars.bars]
    assert [point["y"] for point in line.points][1] > line.zero_y  # below zero is lower on the screen
    assert line.polyline == " ".join(f"{point['x']},{point['y']}" for point in line.points)
    assert line.points[2]["title"] == "R cumulés, mars 26 : 4 R"


def test_a_narrower_chart_keeps_its_height_and_puts_the_axis_title_under_the_months():
    chart = bar_chart(
        title="t", months=["2026-01", "2026-02"], series=[Series("a", "a", [1, 2])], x_title="Mois", width=440
    )

    assert (chart.width, chart.height) == (440, HEIGHT + X_TITLE_HEIGHT)
    assert chart.bars[-1]["x"] + chart.bars[-1]["width"] < 440
    assert chart.x_title_y > chart.plot_bottom + 18  # below the months' names


def test_a_value_too_close_to_another_is_not_written_over_it():
    chart = line_chart(
        title="t", months=["2026-01", "2026-02"], series=Series("a", "a", [Decimal("4.6"), Decimal("-0.4")])
    )

    texts = [label["text"] for label in chart.value_labels]
    assert texts == ["\u22120,5", "0", "2,5", "5"]  # "−0,25" would sit on "0" and "−0,5"
    ys = [label["y"] for label in chart.value_labels]  # lowest value first: lowest on the screen (largest y)
    assert all(lower - higher >= 14 for lower, higher in itertools.pairwise(ys))

"""The signals pages through Django's test client: the list's figures in R come from signal_stats (and add up to the
hand-made series), the charts are server-drawn SVG with labelled axes, members without a subscription see what
they saw before (no R figure, no chart of results), and a signal's page shows its result, its risk/reward, its
events and its corrections, or a 404 for a draft."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import clock
from formations.tests.factories import SubscriptionFactory
from member_space.tests.signals_data import MONTHS, TOTAL_R, signal_series
from trading_signals.models import Signal
from trading_signals.selectors import SignalFilters, signal_stats
from trading_signals.templatetags.signal_format import decimal, drawdown_r, r_result
from trading_signals.tests.factories import SignalFactory

pytestmark = pytest.mark.django_db

LIST = "/espace/signaux/"
R_FIGURE = re.compile(r"\d\xa0R\b")  # how every R figure is written (r_result: a non-breaking space before R)


def stat(html: str, name: str) -> str:
    match = re.search(rf'id="stat-{name}">(.*?)</span>', html, re.S)
    assert match, name
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


@pytest.fixture
def subscriber(member):
    SubscriptionFactory(user=member)
    return member


def test_the_stat_cards_show_the_stats_figures_in_r(browser, subscriber):
    signal_series()
    stats = signal_stats(user=subscriber, filters=SignalFilters())
    assert stats["total_r"] == TOTAL_R  # the hand-made series

    html = browser.get(LIST).content.decode()

    assert stat(html, "count") == str(stats["count"])
    assert stat(html, "total-r") == r_result(stats["total_r"]) == "+0,50\xa0R"
    assert stat(html, "expectancy") == r_result(stats["expectancy_r"])
    assert stat(html, "profit-factor") == decimal(stats["profit_factor"], 2)
    assert stat(html, "drawdown") == drawdown_r(stats["max_drawdown_r"])
    assert stat(html, "streak") == str(stats["longest_losing_streak"])
    assert stat(html, "win-rate") == f"{decimal(stats['win_rate'], 1)} %"
    assert f"{stats['cancelled']} annulé à part" in html


def test_the_charts_are_server_drawn_svg_with_r_and_months_on_their_axes(browser, subscriber):
    signal_series()

    html = browser.get(LIST).content.decode()

    equity = re.search(r'id="equity-chart">(.*?)</section>', html, re.S).group(1)
    monthly = re.search(r'id="monthly-chart">(.*?)</section>', html, re.S).group(1)
    for chart in (equity, monthly):
        assert "<svg" in chart and "<script" not in chart and "style=" not in chart
        assert ">R</text>" in chart  # the value axis' unit
        assert "Mois (de clôture)" in chart
        assert all(month in chart for month in ("sept. 26", "oct. 26", "nov. 26"))
    assert equity.count("<circle") == len(MONTHS)
    assert "R cumulés, nov. 26 : 0,5 R" in equity  # the equity curve ends at the total
    assert 'class="bar-negative"' in monthly  # October lost 1,5 R
    assert "R du mois, oct. 26 : \u22121,5 R" in monthly


def test_the_history_shows_each_result_in_r_with_its_move_and_percent(browser, subscriber):
    signals = signal_series()

    html = browser.get(LIST).content.decode()

    row = re.search(rf'<tr [^>]*data-id="{signals["won"].pk}">(.*?)</tr>', html, re.S).group(1)
    assert "+2,00\xa0R" in row
    assert "+100,0 pips · +0,92 %" in row
    assert "TP1 1,09" in row and "TP2 1,095" in row and row.count("(atteint)") == 2
    assert f'href="/espace/signaux/{signals["won"].pk}/"' in row
    card = re.search(rf'<li class="signal-card" [^>]*data-id="{signals["lost"].pk}">(.*?)</li>', html, re.S).group(1)
    assert "\u22121,00\xa0R" in card and "points" in card


def test_without_a_subscription_no_r_figure_and_no_chart_of_results(browser):
    signal_series()

    html = browser.get(LIST).content.decode()

    assert "Abonnez-vous pour voir les détails" in html
    assert not R_FIGURE.search(html)
    assert "<svg" not in html
    assert "1,085" not in html and "pips" not in html
    assert 'id="stat-results-locked"' in html
    assert 'id="monthly-locked"' in html and 'id="monthly-table"' not in html


def test_the_list_takes_the_same_number_of_queries_for_more_signals(browser, subscriber):
    signal_series()
    with CaptureQueriesContext(connection) as few:
        browser.get(LIST)
    SignalFactory.create_batch(10)
    with CaptureQueriesContext(connection) as more:
        browser.get(LIST)

    assert len(more) == len(few)


def test_a_signals_page_shows_its_result_risk_reward_events_and_corrections(browser, subscriber):
    with time_machine.travel(datetime(2026, 11, 12, 8, 40, tzinfo=UTC), tick=False):  # 09:40 in Paris
        signals = signal_series()

    won = browser.get(f"/espace/signaux/{signals['won'].pk}/").content.decode()
    corrected = browser.get(f"/espace/signaux/{signals['open'].pk}/").content.decode()

    assert 'id="result-r">+2,00\xa0R' in won
    assert 'id="result-move">+100,0' in won and "En pips" in won
    assert 'id="result-percent">+0,92 %' in won
    assert "1 : 1,00" in won and "1 : 2,00" in won  # TP1 and TP2 in R
    timeline = re.sub(
        r"\s+", " ", re.sub(r"<[^>]+>", " ", re.search(r'id="signal-timeline">(.*?)</ol>', won, re.S).group(1))
    )
    assert (
        "Publié" in timeline and "TP1 atteint à 1,09" in timeline and "TP2 atteint à 1,095 (+2,00 R)" in timeline
    )  # \s folds the NBSP
    assert "modifié le 12/11 à 09:40 : stop-loss 1,0810 → 1,0830" in corrected
    assert 'id="signal-corrected"' in corrected
    assert 'id="signal-corrected"' not in won


def test_a_signals_page_without_a_subscription_locks_the_trade_and_its_corrections(browser):
    signals = signal_series()

    html = browser.get(f"/espace/signaux/{signals['open'].pk}/").content.decode()

    assert html.count("Abonnez-vous pour voir les détails") >= 3
    assert "1,085" not in html and "1,083" not in html and "1,0830" not in html
    assert not R_FIGURE.search(html)
    assert "1 correction" in html


def test_a_draft_a_future_signal_and_an_unknown_id_are_404(browser, subscriber):
    draft = SignalFactory(is_published=False)
    future = SignalFactory(published_at=clock.now() + timedelta(days=1))

    assert browser.get(f"/espace/signaux/{draft.pk}/").status_code == 404
    assert browser.get(f"/espace/signaux/{future.pk}/").status_code == 404
    assert browser.get("/espace/signaux/999999/").status_code == 404
    assert Signal.objects.count() == 2


def test_the_detail_page_requires_login(client):
    signal = SignalFactory()

    response = client.get(f"/espace/signaux/{signal.pk}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/espace/connexion/")

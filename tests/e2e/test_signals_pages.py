"""The signals pages in a real headless Chromium (issue 18): on a 1,366 px laptop every column of the history fits
(the result column is on screen, nothing scrolls sideways) and the equity curve and monthly bars are server-drawn
SVG; on a 390 px phone each signal is a card and nothing is cut; a signal's page; the admin's change page of a
published signal with its follow-up forms. Screenshots land in artifacts/screenshots/, and docs/screenshots/ keeps
signals-desktop.png, signals-phone.png, signal-detail.png and admin-signal.png."""

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from formations.tests.factories import SubscriptionFactory
from member_space.tests.signals_data import MONTHS, TOTAL_R, at, signal_series
from tests.e2e.helpers import DESKTOP, PHONE, admin_login, horizontal_overflow, login, screenshot
from trading_signals import results
from trading_signals.models import Signal
from trading_signals.templatetags.signal_format import r_result
from trading_signals.tests.factories import SignalFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "MotDePasse123!"  # UserFactory's
DOCS_SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
SIGNALS_SHOWN = 9  # the series (6 closed, 1 open, 1 cancelled) and a wide one
WIDE_R = results.result_r(
    direction="buy", entry=Decimal("78.4525"), stop_loss=Decimal("76.1050"), exit_price=Decimal("86.9875")
)


def _keep(name: str) -> None:
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(settings.BASE_DIR) / "artifacts" / "screenshots" / f"{name}.png", DOCS_SCREENSHOTS)


@pytest.fixture
def trader(transactional_db, settings):
    """A member with a subscription in force, an admin, and the hand-made series published through the services
    (no bot configured: the channels are skipped)."""
    settings.TELEGRAM_BOT_TOKEN = settings.DISCORD_BOT_TOKEN = ""
    member = UserFactory(email="trader@example.com", first_name="Camille")
    SubscriptionFactory(user=member)
    admin = UserFactory(email="chef@example.com", is_staff=True, is_superuser=True)
    signals = signal_series(by=admin)
    # The widest row a page may hold: a long instrument, the longest market and status, three take-profits.
    SignalFactory(
        market="commodities",
        instrument="BRENT-CRUDE-OIL/USD-JAN27",
        entry_price=Decimal("78.4525"),
        stop_loss=Decimal("76.1050"),
        take_profits=[Decimal("80.8750"), Decimal("83.2500"), Decimal("86.9875")],
        status=Signal.Status.TP_HIT,
        take_profits_reached=3,
        exit_price=Decimal("86.9875"),
        result_r=WIDE_R,
        published_at=at(11, 18),
        closed_at=at(11, 20),  # in the series' last month: the charts keep their three months
    )
    return {"member": member, "admin": admin, "signals": signals}


def _inside_viewport(page, selector: str) -> list[str]:
    """The elements matching `selector` whose right edge passes the window's (cut off or scrolled out of view)."""
    return page.locator(selector).evaluate_all(
        "(els) => els.filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5)"
        ".map(el => el.textContent.trim().slice(0, 40))"
    )


def test_on_a_laptop_every_column_fits_and_the_charts_are_drawn(open_page, trader):
    page = open_page(DESKTOP)
    login(page, trader["member"].email, PASSWORD)
    page.goto("/espace/signaux/")

    table = page.locator("#signals-table")
    expect(table).to_be_visible()
    expect(page.locator("#signal-cards")).to_be_hidden()
    assert table.locator("tbody tr").count() == SIGNALS_SHOWN
    assert horizontal_overflow(page) <= 0
    assert _inside_viewport(page, "#signals-table th, #signals-table td") == []
    result_header = table.locator("th", has_text="Résultat")
    result_header.scroll_into_view_if_needed()  # below the fold; the page cannot scroll sideways (checked above)
    expect(result_header).to_be_in_viewport(ratio=1)
    page.evaluate("window.scrollTo(0, 0)")
    won = table.locator(f"tr[data-id='{trader['signals']['won'].pk}']")
    expect(won.locator(".result-cell")).to_contain_text("+2,00\xa0R")
    expect(won.locator(".result-cell")).to_contain_text("+100,0 pips · +0,92 %")
    # The table stays inside its card's content box: no column pushes into the padding or past the edge.
    content_right = table.evaluate(
        "el => el.parentElement.getBoundingClientRect().right"
        " - parseFloat(getComputedStyle(el.parentElement).paddingRight)"
    )
    assert table.evaluate("el => el.getBoundingClientRect().right") <= content_right + 0.5
    assert page.locator("#equity-chart svg circle").count() == len(MONTHS)
    assert page.locator("#monthly-chart svg rect").count() == len(MONTHS)
    expect(page.locator("#equity-chart")).to_contain_text("Mois (de clôture)")
    expect(page.locator("#stat-total-r")).to_have_text(r_result(TOTAL_R + WIDE_R))  # +0,50 R + 3,64 R
    screenshot(page, "signals-desktop")
    _keep("signals-desktop")

    won.get_by_role("link").click()
    page.wait_for_url(f"**/espace/signaux/{trader['signals']['won'].pk}/")
    expect(page.locator("#result-r")).to_have_text("+2,00\xa0R")
    expect(page.locator("#signal-timeline")).to_contain_text("TP2 atteint à 1,095")
    assert horizontal_overflow(page) <= 0
    page.goto(f"/espace/signaux/{trader['signals']['open'].pk}/")
    expect(page.locator("#signal-corrections")).to_contain_text("stop-loss 1,0810 → 1,0830")
    expect(page.locator("#signal-corrected")).to_have_text("modifié")
    screenshot(page, "signal-detail")
    _keep("signal-detail")


def test_on_a_phone_each_signal_is_a_card_and_nothing_is_cut(open_page, trader):
    page = open_page(PHONE)
    login(page, trader["member"].email, PASSWORD)
    page.goto("/espace/signaux/")

    expect(page.locator("#signals-table")).to_be_hidden()
    cards = page.locator("#signal-cards .signal-card")
    assert cards.count() == SIGNALS_SHOWN
    expect(cards.first).to_be_visible()
    assert horizontal_overflow(page) <= 0
    assert _inside_viewport(page, ".signal-card, .signal-card *, .stat, .svg-chart svg") == []
    lost = page.locator(f".signal-card[data-id='{trader['signals']['lost'].pk}']")
    expect(lost).to_contain_text("\u22121,00\xa0R")
    expect(lost).to_contain_text("points")
    screenshot(page, "signals-phone")
    _keep("signals-phone")

    lost.get_by_role("link", name="Voir le signal").click()
    page.wait_for_url(f"**/espace/signaux/{trader['signals']['lost'].pk}/")
    assert horizontal_overflow(page) <= 0
    screenshot(page, "signal-detail-phone")


def test_the_admin_follows_a_published_signal_from_its_change_page(open_page, trader):
    signal = trader["signals"]["open"]
    page = open_page(DESKTOP)
    admin_login(page, trader["admin"].email, PASSWORD)
    page.goto(f"/admin/trading_signals/signal/{signal.pk}/change/")

    expect(page.locator("#signal-actions")).to_contain_text("Suivi du signal")
    expect(page.locator(".field-channel_posts_state")).to_contain_text("Telegram")
    expect(page.locator("#signal-publish")).to_have_count(0)  # already published
    screenshot(page, "admin-signal")
    _keep("admin-signal")

    page.locator("#signal-tp").click()

    expect(page.locator(".messagelist")).to_contain_text("TP1 atteint, enregistré.")
    signal.refresh_from_db()
    assert (signal.status, signal.take_profits_reached) == (Signal.Status.OPEN, 1)
    expect(page.locator("#signal-tp")).to_have_value("TP2 atteint")

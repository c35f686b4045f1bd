"""The French text of the channel messages (no server involved)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from publishing import messages
from trading_signals.models import Signal, SignalEvent
from trading_signals.tests.factories import SignalFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "signed", "text"),
    [
        (Decimal("1.085000"), False, "1,085"),
        (Decimal("-1.00"), True, "−1"),
        (Decimal("0.80"), True, "+0,8"),
        (Decimal("2.00"), False, "2"),
        (Decimal("0"), True, "0"),
        (Decimal("65000"), False, "65000"),
    ],
)
def test_numbers_are_french_without_trailing_zeros(value, signed, text):
    assert messages.number(value, signed=signed) == text


def test_a_sell_signal_on_another_market_counts_points(settings):
    settings.FRONTEND_URL = "https://calmnessfi.test/espace"
    signal = SignalFactory(
        market="indices",
        instrument="US30",
        direction=Signal.Direction.SELL,
        entry_price=Decimal("39000"),
        stop_loss=Decimal("39200"),
        take_profits=[Decimal("38600")],
        status=Signal.Status.CLOSED,
        exit_price=Decimal("38800"),
        result_r=Decimal("1.00"),
    )

    text = messages.signal_text(signal, platform="telegram")

    assert text.splitlines()[0] == "🔴 VENTE US30 · Indices"
    assert "TP1 : 38600,00 (risque/rendement 1:2)" in text
    assert "Statut : Clôturé" in text
    assert "Résultat : +1 R (+200 points, +0,51 %)" in text
    assert text.endswith(f"Voir le signal : https://calmnessfi.test/espace/signaux/{signal.pk}/")


def test_a_correction_is_dated_in_the_members_time_zone(settings):
    settings.TIME_ZONE = "Europe/Paris"
    signal = SignalFactory(corrected_at=datetime(2026, 11, 12, 8, 40, tzinfo=UTC))

    assert "✏️ Signal modifié le 12/11 à 09:40" in messages.signal_text(signal, platform="telegram")


def test_text_typed_by_the_admin_is_escaped_for_discord_markdown_only():
    signal = SignalFactory(instrument="BTC_USDT*")

    assert "BTC\\_USDT\\*" in messages.signal_text(signal, platform="discord")
    assert "BTC_USDT*" in messages.signal_text(signal, platform="telegram")


@pytest.mark.parametrize(
    ("kind", "order", "price", "result", "text"),
    [
        (SignalEvent.Kind.TP_REACHED, 1, Decimal("1.0910"), None, "🎯 TP1 atteint (+1,2 R)"),
        (SignalEvent.Kind.SL_HIT, 0, Decimal("1.0800"), Decimal("-1.00"), "🛑 Stop-loss touché (−1 R)"),
        (SignalEvent.Kind.CLOSED, 0, Decimal("1.0890"), Decimal("0.80"), "Clôturé à 1,0890 (+0,8 R)"),
        (SignalEvent.Kind.CANCELLED, 0, None, None, "Annulé"),
    ],
)
def test_the_replies_say_what_happened_with_the_result_in_r(kind, order, price, result, text):
    signal = SignalFactory(take_profits=[Decimal("1.0910"), Decimal("1.0950")])
    event = SignalEvent(signal=signal, kind=kind, take_profit_order=order, price=price, result_r=result)

    assert messages.event_reply_text(event) == text

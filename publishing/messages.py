"""The French text of the signals' messages in the channels: the original post (edited as the signal lives) and the
short replies. Plain text on Telegram (no parse mode, so nothing to escape there); Discord reads markdown, so the
text typed by the admin (the instrument) is escaped for it. Every figure comes from trading_signals.results."""

from decimal import Decimal

from discord.utils import escape_markdown
from django.utils import timezone

from channels_sync.models import Platform
from notifications.references import signal_link
from trading_signals import results
from trading_signals.models import Signal, SignalEvent

MINUS = "\u2212"  # the typographic minus: "−1 R"
DIRECTION_ICONS: dict[str, str] = {Signal.Direction.BUY: "🟢", Signal.Direction.SELL: "🔴"}


def number(value: Decimal, *, signed: bool = False) -> str:
    """A French decimal without trailing zeros: 1.085000 → "1,085", −1.00 → "−1" (signed: "+0,8")."""
    text = format(abs(value).normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    text = text.replace(".", ",")
    if value < 0:
        return MINUS + text
    return f"+{text}" if signed and value > 0 else text


def price(signal: Signal, value: Decimal) -> str:
    """As members read it everywhere (results.price_text): to the pip on forex, 1,0810."""
    return results.price_text(market=signal.market, instrument=signal.instrument, value=value)


def r_multiple(value: Decimal) -> str:
    return f"{number(value, signed=True)} R"


def signal_url(signal: Signal) -> str:
    return signal_link(signal.pk)


def _user_text(text: str, platform: str) -> str:
    return escape_markdown(text) if platform == Platform.DISCORD else text


def _status_line(signal: Signal) -> str:
    status = signal.get_status_display()
    if signal.status == Signal.Status.OPEN and signal.take_profits_reached:
        return f"{status} (TP{signal.take_profits_reached} atteint)"
    return str(status)


def signal_text(signal: Signal, *, platform: str) -> str:
    """The original message: the trade, its take-profits with their risk/reward, its status and result."""
    direction = str(signal.get_direction_display()).upper()
    lines = [
        f"{DIRECTION_ICONS.get(signal.direction, '')} {direction} {_user_text(signal.instrument, platform)} "
        f"· {signal.get_market_display()}".strip(),
        "",
        f"Entrée : {price(signal, signal.entry_price)}",
        f"Stop-loss : {price(signal, signal.stop_loss)}",
    ]
    for take_profit in signal.take_profits.order_by("order", "id"):
        reward = results.result_r(
            direction=signal.direction,
            entry=signal.entry_price,
            stop_loss=signal.stop_loss,
            exit_price=take_profit.price,
        )
        reached = " ✅" if take_profit.order <= signal.take_profits_reached else ""
        lines.append(
            f"TP{take_profit.order} : {price(signal, take_profit.price)} (risque/rendement 1:{number(reward)}){reached}"
        )
    lines += ["", f"Statut : {_status_line(signal)}"]
    if signal.result_r is not None and signal.exit_price is not None:
        move = results.result_move(
            market=signal.market,
            instrument=signal.instrument,
            direction=signal.direction,
            entry=signal.entry_price,
            exit_price=signal.exit_price,
        )
        percent = results.result_percent(
            direction=signal.direction, entry=signal.entry_price, exit_price=signal.exit_price
        )
        unit = results.move_unit(market=signal.market)
        lines.append(
            f"Résultat : {r_multiple(signal.result_r)} "
            f"({number(move, signed=True)} {unit}, {number(percent, signed=True)} %)"
        )
    if signal.corrected_at:
        lines.append(f"✏️ Signal modifié le {timezone.localtime(signal.corrected_at):%d/%m à %H:%M}")
    lines += ["", f"Voir le signal : {signal_url(signal)}"]
    return "\n".join(lines)


def event_reply_text(event: SignalEvent) -> str:
    """The short reply to the original message for a change of status."""
    signal = event.signal
    result = event.result_r
    if event.kind == SignalEvent.Kind.TP_REACHED:
        if result is None and event.price is not None:
            result = results.result_r(
                direction=signal.direction, entry=signal.entry_price, stop_loss=signal.stop_loss, exit_price=event.price
            )
        suffix = f" ({r_multiple(result)})" if result is not None else ""
        return f"🎯 TP{event.take_profit_order} atteint{suffix}"
    if event.kind == SignalEvent.Kind.SL_HIT:
        result = result if result is not None else signal.result_r
        suffix = f" ({r_multiple(result)})" if result is not None else ""
        return f"🛑 Stop-loss touché{suffix}"
    if event.kind == SignalEvent.Kind.CLOSED:
        result = result if result is not None else signal.result_r
        at = f" à {price(signal, event.price)}" if event.price is not None else ""
        suffix = f" ({r_multiple(result)})" if result is not None else ""
        return f"Clôturé{at}{suffix}"
    if event.kind == SignalEvent.Kind.CANCELLED:
        return "Annulé"
    raise ValueError(f"no reply for a {event.kind} event")

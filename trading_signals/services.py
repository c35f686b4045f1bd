"""Writes on trading signals: create, publish, the status changes (a take-profit reached, the stop-loss hit, a
close at a price, a cancellation) and the corrections of a published signal.

Each one locks the signal's row (select_for_update), checks that the change is possible (a French
`django.core.exceptions.ValidationError` otherwise), bumps `version` when members see a change, records what
happened as a row (SignalEvent, SignalRevision) and sends the matching hook (trading_signals.hooks) inside the
transaction: the apps above enqueue their durable work there, which runs once the change is committed.

A second identical call (a double click, a retry) finds the event the first one recorded and returns it, sending
nothing; the row lock serialises the two calls and the unique constraint (signal, kind, take-profit) backs it.
"""

import itertools
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import clock
from trading_signals import hooks, results
from trading_signals.models import Signal, SignalEvent, SignalRevision, TakeProfit

Kind = SignalEvent.Kind
Status = Signal.Status


def signal_check_trade(
    *, direction: str, entry_price: Decimal, stop_loss: Decimal, take_profits: Sequence[Decimal]
) -> None:
    """The trade makes sense: a risk to count results in (stop-loss on the losing side of the entry, never equal to
    it) and take-profits on the winning side, TP1 the nearest. Raises a ValidationError keyed by field."""
    errors: dict[str, str] = {}
    sign = 1 if direction == Signal.Direction.BUY else -1
    if entry_price <= 0:
        errors["entry_price"] = _("Le prix d'entrée doit être positif.")
    if stop_loss <= 0:
        errors["stop_loss"] = _("Le stop-loss doit être positif.")
    elif stop_loss == entry_price:
        errors["stop_loss"] = _("Le stop-loss ne peut pas être égal au prix d'entrée : le risque serait nul.")
    elif sign * (entry_price - stop_loss) < 0:
        errors["stop_loss"] = (
            _("Pour un achat, le stop-loss doit être sous le prix d'entrée.")
            if sign > 0
            else _("Pour une vente, le stop-loss doit être au-dessus du prix d'entrée.")
        )
    if not take_profits:
        errors["take_profits"] = _("Indiquez au moins un take-profit.")
    elif any(sign * (price - entry_price) <= 0 for price in take_profits):
        errors["take_profits"] = (
            _("Pour un achat, chaque take-profit doit être au-dessus du prix d'entrée.")
            if sign > 0
            else _("Pour une vente, chaque take-profit doit être sous le prix d'entrée.")
        )
    elif any(sign * (later - earlier) <= 0 for earlier, later in itertools.pairwise(take_profits)):
        errors["take_profits"] = _("Les take-profits doivent s'éloigner du prix d'entrée dans l'ordre : TP1 d'abord.")
    if errors:
        raise ValidationError(errors)


def _locked(signal_id: int) -> Signal:
    return Signal.objects.select_for_update().get(pk=signal_id)


def _take_profits(signal: Signal) -> list[TakeProfit]:
    return list(TakeProfit.objects.filter(signal=signal).order_by("order", "id"))


def _recorded(signal: Signal, kind: str, take_profit_order: int = 0) -> SignalEvent | None:
    return SignalEvent.objects.filter(signal=signal, kind=kind, take_profit_order=take_profit_order).first()


def _record(
    signal: Signal,
    *,
    kind: str,
    by,
    at: datetime,
    take_profit_order: int = 0,
    price: Decimal | None = None,
    result_r: Decimal | None = None,
) -> SignalEvent:
    """The event row and its hook, in the caller's transaction (the receivers enqueue the channel posts)."""
    event = SignalEvent.objects.create(
        signal=signal,
        kind=kind,
        take_profit_order=take_profit_order,
        price=price,
        result_r=result_r,
        created_by=by,
        created_at=at,
    )
    hooks.signal_event_recorded.send(sender=SignalEvent, event=event)
    return event


def _require_live(signal: Signal, *, now: datetime) -> None:
    """A status change needs a published signal that is still open."""
    if not signal.is_published or signal.published_at > now:
        raise ValidationError(_("Ce signal n'est pas publié : publiez-le avant de changer son statut."))
    if signal.status == Status.CANCELLED:
        raise ValidationError(_("Ce signal est annulé : son statut ne peut plus changer."))
    if signal.status != Status.OPEN:
        raise ValidationError(_("Ce signal est déjà clôturé (%(status)s).") % {"status": signal.get_status_display()})


def _close(signal: Signal, *, status: str, exit_price: Decimal, now: datetime) -> Decimal:
    """Set the ending of `signal` (not saved) and return its result in R."""
    signal.status = status
    signal.exit_price = exit_price
    signal.result_r = results.result_r(
        direction=signal.direction, entry=signal.entry_price, stop_loss=signal.stop_loss, exit_price=exit_price
    )
    signal.closed_at = now
    return signal.result_r


def _save(signal: Signal, *fields: str) -> None:
    signal.version += 1
    signal.save(update_fields=[*fields, "version", "updated_at"])


ENDING_FIELDS = ("status", "exit_price", "result_r", "closed_at")
TRADE_FIELDS = ("direction", "entry_price", "stop_loss")


@transaction.atomic
def signal_create(
    *,
    by,
    market: str,
    instrument: str,
    direction: str,
    entry_price: Decimal,
    stop_loss: Decimal,
    take_profits: Sequence[Decimal],
    comment: str = "",
    publish: bool = True,
) -> Signal:
    """A new signal with its take-profits (TP1 first), published at once unless `publish` is False (a draft)."""
    signal_check_trade(direction=direction, entry_price=entry_price, stop_loss=stop_loss, take_profits=take_profits)
    signal = Signal.objects.create(
        market=market,
        instrument=instrument,
        direction=direction,
        entry_price=entry_price,
        stop_loss=stop_loss,
        comment=comment,
        is_published=False,
    )
    TakeProfit.objects.bulk_create(
        TakeProfit(signal=signal, order=order, price=price) for order, price in enumerate(take_profits, start=1)
    )
    if publish:
        signal_publish(signal_id=signal.pk, by=by)
        signal.refresh_from_db()
    return signal


@transaction.atomic
def signal_publish(*, signal_id: int, by) -> SignalEvent:
    """Publish a draft (or a signal scheduled for later) now: members see it and the channels get it (hook)."""
    signal = _locked(signal_id)
    if existing := _recorded(signal, Kind.PUBLISHED):
        return existing
    if signal.status != Status.OPEN:
        raise ValidationError(_("Seul un signal en cours peut être publié."))
    signal_check_trade(
        direction=signal.direction,
        entry_price=signal.entry_price,
        stop_loss=signal.stop_loss,
        take_profits=[tp.price for tp in _take_profits(signal)],
    )
    now = clock.now()
    if not signal.is_published or signal.published_at > now:
        signal.published_at = now
    signal.is_published = True
    _save(signal, "is_published", "published_at")
    return _record(signal, kind=Kind.PUBLISHED, by=by, at=now)


@transaction.atomic
def signal_take_profit_reached(*, signal_id: int, order: int, by) -> SignalEvent:
    """Take-profit n° `order` reached (in order: TP1, then TP2…). The last one closes the signal (TP_HIT) at its
    price, with its result in R."""
    signal = _locked(signal_id)
    if existing := _recorded(signal, Kind.TP_REACHED, order):
        return existing
    now = clock.now()
    _require_live(signal, now=now)
    take_profits = _take_profits(signal)
    if not 1 <= order <= len(take_profits):
        raise ValidationError(_("Ce signal n'a pas de take-profit n° %(order)s.") % {"order": order})
    expected = signal.take_profits_reached + 1
    if order < expected:
        raise ValidationError(_("Le TP%(order)s est déjà atteint.") % {"order": order})
    if order > expected:
        raise ValidationError(
            _("Le TP%(expected)s doit être atteint avant le TP%(order)s.") % {"expected": expected, "order": order}
        )
    price = take_profits[order - 1].price
    signal.take_profits_reached = order
    result_r = None
    if order == len(take_profits):
        result_r = _close(signal, status=Status.TP_HIT, exit_price=price, now=now)
    _save(signal, "take_profits_reached", *ENDING_FIELDS)
    return _record(signal, kind=Kind.TP_REACHED, by=by, at=now, take_profit_order=order, price=price, result_r=result_r)


@transaction.atomic
def signal_stop_loss_hit(*, signal_id: int, by) -> SignalEvent:
    """The stop-loss was hit: the signal ends at its stop (−1 R: results.result_r), whatever was reached before."""
    signal = _locked(signal_id)
    if existing := _recorded(signal, Kind.SL_HIT):
        return existing
    now = clock.now()
    _require_live(signal, now=now)
    result_r = _close(signal, status=Status.SL_HIT, exit_price=signal.stop_loss, now=now)
    _save(signal, *ENDING_FIELDS)
    return _record(signal, kind=Kind.SL_HIT, by=by, at=now, price=signal.stop_loss, result_r=result_r)


@transaction.atomic
def signal_close(*, signal_id: int, exit_price: Decimal, by) -> SignalEvent:
    """Closed by hand at `exit_price` (before a take-profit or the stop-loss); its result in R follows."""
    signal = _locked(signal_id)
    if existing := _recorded(signal, Kind.CLOSED):
        if existing.price != exit_price:
            raise ValidationError(
                _("Ce signal est déjà clôturé à %(price)s.")
                % {
                    "price": results.price_text(
                        market=signal.market, instrument=signal.instrument, value=existing.price or Decimal(0)
                    )
                }
            )
        return existing
    if exit_price <= 0:
        raise ValidationError({"exit_price": _("Le prix de sortie doit être positif.")})
    now = clock.now()
    _require_live(signal, now=now)
    result_r = _close(signal, status=Status.CLOSED, exit_price=exit_price, now=now)
    _save(signal, *ENDING_FIELDS)
    return _record(signal, kind=Kind.CLOSED, by=by, at=now, price=exit_price, result_r=result_r)


@transaction.atomic
def signal_cancel(*, signal_id: int, by) -> SignalEvent:
    """Cancelled before anything happened (no take-profit reached, no result): it leaves the statistics."""
    signal = _locked(signal_id)
    if existing := _recorded(signal, Kind.CANCELLED):
        return existing
    now = clock.now()
    if signal.status in (Status.TP_HIT, Status.SL_HIT, Status.CLOSED):
        raise ValidationError(_("Un signal clôturé ne peut pas être annulé : son résultat compte."))
    _require_live(signal, now=now)
    if signal.take_profits_reached:
        raise ValidationError(
            _("Un take-profit est déjà atteint : clôturez le signal à son prix au lieu de l'annuler.")
        )
    signal.status = Status.CANCELLED
    signal.closed_at = now
    _save(signal, "status", "closed_at")
    return _record(signal, kind=Kind.CANCELLED, by=by, at=now)


def _price_changes(signal: Signal, old: Sequence[Decimal], new: Sequence[Decimal]) -> list[tuple[int, str, str]]:
    """(order, old text, new text) for each take-profit that changed, was added ("" before) or removed ("" after)."""

    def text(prices: Sequence[Decimal], index: int) -> str:
        if index >= len(prices):
            return ""
        return results.price_text(market=signal.market, instrument=signal.instrument, value=prices[index])

    return [
        (index + 1, text(old, index), text(new, index))
        for index in range(max(len(old), len(new)))
        if index >= len(old) or index >= len(new) or old[index] != new[index]
    ]


def _check_reached(signal: Signal, take_profits: Sequence[Decimal]) -> None:
    reached = signal.take_profits_reached
    if len(take_profits) < reached:
        raise ValidationError(
            {"take_profits": _("Le TP%(order)s est déjà atteint : il ne peut pas être retiré.") % {"order": reached}}
        )
    if signal.status == Status.TP_HIT and len(take_profits) != reached:
        raise ValidationError(
            {"take_profits": _("Ce signal s'est clôturé à son dernier take-profit (TP%(order)s).") % {"order": reached}}
        )
    if signal.status == Status.OPEN and reached and len(take_profits) == reached:
        raise ValidationError(
            {"take_profits": _("Il doit rester un take-profit à atteindre : clôturez plutôt le signal.")}
        )


@transaction.atomic
def signal_correct(
    *,
    signal_id: int,
    by,
    direction: str | None = None,
    entry_price: Decimal | None = None,
    stop_loss: Decimal | None = None,
    take_profits: Sequence[Decimal] | None = None,
) -> list[SignalRevision]:
    """Correct a signal's trade (None: unchanged). A draft is simply edited. A published signal keeps one revision
    per changed value (who, when, old → new as members read it), is marked corrected (corrected_at), and a
    closed one gets its exit (the corrected stop-loss or take-profit it ended at) and its result in R again."""
    signal = _locked(signal_id)
    old_prices = [tp.price for tp in _take_profits(signal)]
    new_direction = signal.direction if direction is None else direction
    new_entry = signal.entry_price if entry_price is None else entry_price
    new_stop = signal.stop_loss if stop_loss is None else stop_loss
    new_prices = old_prices if take_profits is None else list(take_profits)
    signal_check_trade(direction=new_direction, entry_price=new_entry, stop_loss=new_stop, take_profits=new_prices)
    _check_reached(signal, new_prices)

    def price(value: Decimal) -> str:
        return results.price_text(market=signal.market, instrument=signal.instrument, value=value)

    labels = dict(Signal.Direction.choices)
    changes: list[tuple[str, int, str, str]] = []
    if new_direction != signal.direction:
        changes.append((SignalRevision.Field.DIRECTION, 0, str(labels[signal.direction]), str(labels[new_direction])))
    if new_entry != signal.entry_price:
        changes.append((SignalRevision.Field.ENTRY_PRICE, 0, price(signal.entry_price), price(new_entry)))
    if new_stop != signal.stop_loss:
        changes.append((SignalRevision.Field.STOP_LOSS, 0, price(signal.stop_loss), price(new_stop)))
    for order, old_text, new_text in _price_changes(signal, old_prices, new_prices):
        changes.append((SignalRevision.Field.TAKE_PROFIT, order, old_text, new_text))
    if not changes:
        return []

    signal.direction, signal.entry_price, signal.stop_loss = new_direction, new_entry, new_stop
    if new_prices != old_prices:
        TakeProfit.objects.filter(signal=signal).delete()
        TakeProfit.objects.bulk_create(
            TakeProfit(signal=signal, order=order, price=value) for order, value in enumerate(new_prices, start=1)
        )
    if not signal.is_published:
        signal.save(update_fields=[*TRADE_FIELDS, "updated_at"])
        return []

    now = clock.now()
    # A take-profit or the stop-loss ended the trade: the trade ended where the corrected level says.
    if signal.status == Status.TP_HIT:
        signal.exit_price = new_prices[signal.take_profits_reached - 1]
    elif signal.status == Status.SL_HIT:
        signal.exit_price = signal.stop_loss
    if signal.exit_price is not None and signal.result_r is not None:
        signal.result_r = results.result_r(
            direction=new_direction, entry=new_entry, stop_loss=new_stop, exit_price=signal.exit_price
        )
    signal.corrected_at = now
    _save(signal, *TRADE_FIELDS, "exit_price", "result_r", "corrected_at")
    revisions = [
        SignalRevision.objects.create(
            signal=signal,
            field=field,
            take_profit_order=order,
            old_value=old_text,
            new_value=new_text,
            changed_by=by,
            changed_at=now,
        )
        for field, order, old_text, new_text in changes
    ]
    hooks.signal_corrected.send(sender=Signal, trading_signal=signal, revisions=revisions)
    return revisions

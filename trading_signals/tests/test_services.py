from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError

from accounts.tests.factories import UserFactory
from core import clock
from trading_signals import hooks
from trading_signals.models import Market, Signal, SignalEvent, SignalRevision
from trading_signals.services import (
    signal_cancel,
    signal_close,
    signal_correct,
    signal_create,
    signal_publish,
    signal_stop_loss_hit,
    signal_take_profit_reached,
)
from trading_signals.tests.factories import SignalFactory

pytestmark = pytest.mark.django_db

Kind = SignalEvent.Kind


@pytest.fixture
def admin():
    return UserFactory(is_staff=True)


@pytest.fixture
def sent():
    """What the hooks sent, in order: ("event", kind, order) and ("corrected", [field, ...])."""
    calls: list = []

    def on_event(sender, event, **kwargs):
        calls.append(("event", event.kind, event.take_profit_order))

    def on_corrected(sender, trading_signal, revisions, **kwargs):
        calls.append(("corrected", [revision.field for revision in revisions]))

    hooks.signal_event_recorded.connect(on_event, dispatch_uid="test-event")
    hooks.signal_corrected.connect(on_corrected, dispatch_uid="test-corrected")
    yield calls
    hooks.signal_event_recorded.disconnect(dispatch_uid="test-event")
    hooks.signal_corrected.disconnect(dispatch_uid="test-corrected")


@contextmanager
def refused(fragment: str):
    with pytest.raises(ValidationError) as caught:
        yield
    assert fragment in " ".join(caught.value.messages)


def two_targets(**kwargs):
    """EUR/USD buy at 1.0850, stop 1.0810 (40 pips of risk), TP1 1.0900 (+1.25 R), TP2 1.0950 (+2.5 R)."""
    defaults = {
        "entry_price": Decimal("1.0850"),
        "stop_loss": Decimal("1.0810"),
        "take_profits": [Decimal("1.0900"), Decimal("1.0950")],
    }
    return SignalFactory(**{**defaults, **kwargs})


def draft(admin, **kwargs) -> Signal:
    values = {
        "market": Market.FOREX,
        "instrument": "EUR/USD",
        "direction": Signal.Direction.BUY,
        "entry_price": Decimal("1.0850"),
        "stop_loss": Decimal("1.0810"),
        "take_profits": [Decimal("1.0900"), Decimal("1.0950")],
        "publish": False,
    }
    return signal_create(by=admin, **{**values, **kwargs})


# Publishing


def test_create_publishes_at_once_with_one_event_and_its_hook(admin, sent):
    signal = signal_create(
        by=admin,
        market=Market.INDICES,
        instrument="DAX40",
        direction=Signal.Direction.SELL,
        entry_price=Decimal("18350"),
        stop_loss=Decimal("18450"),
        take_profits=[Decimal("18200"), Decimal("18000")],
        comment="Rejet de résistance.",
    )

    assert signal.is_published is True
    assert signal.published_at == signal.events.get().created_at
    assert [tp.price for tp in signal.take_profits.order_by("order")] == [Decimal("18200"), Decimal("18000")]
    assert signal.events.get().created_by == admin
    assert signal.version == 2
    assert sent == [("event", Kind.PUBLISHED, 0)]


def test_a_draft_is_not_published_until_asked_then_dated_when_published(admin, sent):
    signal = draft(admin)
    assert signal.is_published is False
    assert sent == []

    with time_machine.travel(clock.now() + timedelta(hours=3), tick=False):
        event = signal_publish(signal_id=signal.pk, by=admin)
        signal.refresh_from_db()

        assert signal.is_published is True
        assert signal.published_at == clock.now() == event.created_at
    assert sent == [("event", Kind.PUBLISHED, 0)]


def test_publishing_twice_returns_the_first_event_and_sends_nothing_more(admin, sent):
    signal = draft(admin)
    first = signal_publish(signal_id=signal.pk, by=admin)

    second = signal_publish(signal_id=signal.pk, by=admin)

    assert second.pk == first.pk
    assert SignalEvent.objects.filter(signal=signal).count() == 1
    assert Signal.objects.get(pk=signal.pk).version == 2
    assert len(sent) == 1


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"stop_loss": Decimal("1.0850")}, "stop_loss", "égal au prix d'entrée"),
        ({"stop_loss": Decimal("1.0900")}, "stop_loss", "sous le prix d'entrée"),
        ({"direction": "sell", "stop_loss": Decimal("1.08")}, "stop_loss", "au-dessus du prix d'entrée"),
        ({"take_profits": []}, "take_profits", "au moins un take-profit"),
        ({"take_profits": [Decimal("1.0800")]}, "take_profits", "au-dessus du prix d'entrée"),
        ({"take_profits": [Decimal("1.0950"), Decimal("1.0900")]}, "take_profits", "TP1 d'abord"),
    ],
)
def test_impossible_trades_are_refused_in_french_by_field(admin, changes, field, fragment):
    with pytest.raises(ValidationError) as caught:
        draft(admin, **changes)

    assert fragment in caught.value.message_dict[field][0]
    assert not Signal.objects.exists()


# Status changes


def test_take_profits_are_reached_in_order_and_the_last_one_closes_in_r(admin, sent):
    signal = two_targets()

    first = signal_take_profit_reached(signal_id=signal.pk, order=1, by=admin)
    signal.refresh_from_db()
    assert (signal.status, signal.take_profits_reached, signal.result_r) == (Signal.Status.OPEN, 1, None)
    assert (first.price, first.result_r) == (Decimal("1.090000"), None)

    last = signal_take_profit_reached(signal_id=signal.pk, order=2, by=admin)
    signal.refresh_from_db()

    assert signal.status == Signal.Status.TP_HIT
    assert signal.exit_price == Decimal("1.095000")
    assert signal.result_r == last.result_r == Decimal("2.50")
    assert signal.closed_at == last.created_at
    assert signal.version == 3
    assert sent == [("event", Kind.TP_REACHED, 1), ("event", Kind.TP_REACHED, 2)]


def test_tp2_before_tp1_is_refused(admin):
    signal = two_targets()

    with refused("Le TP1 doit être atteint avant le TP2"):
        signal_take_profit_reached(signal_id=signal.pk, order=2, by=admin)
    with refused("pas de take-profit n° 3"):
        signal_take_profit_reached(signal_id=signal.pk, order=3, by=admin)
    assert not SignalEvent.objects.filter(signal=signal).exists()


def test_stop_loss_hit_after_tp1_ends_at_the_stop_minus_one_r(admin, sent):
    signal = two_targets()
    signal_take_profit_reached(signal_id=signal.pk, order=1, by=admin)

    event = signal_stop_loss_hit(signal_id=signal.pk, by=admin)
    signal.refresh_from_db()

    assert (signal.status, signal.exit_price, signal.result_r) == (
        Signal.Status.SL_HIT,
        Decimal("1.081000"),
        Decimal("-1.00"),
    )
    assert (event.price, event.result_r) == (Decimal("1.081000"), Decimal("-1.00"))
    assert sent[-1] == ("event", Kind.SL_HIT, 0)


def test_close_at_a_price_gives_the_result_in_r_for_a_sell(admin):
    signal = SignalFactory(
        direction=Signal.Direction.SELL,
        entry_price=Decimal("1.2710"),
        stop_loss=Decimal("1.2760"),
        take_profits=[Decimal("1.2640")],
    )

    event = signal_close(signal_id=signal.pk, exit_price=Decimal("1.2690"), by=admin)
    signal.refresh_from_db()

    assert signal.status == Signal.Status.CLOSED
    assert signal.result_r == event.result_r == Decimal("0.40")  # 20 pips won on 50 of risk


def test_a_double_click_on_close_returns_the_first_close_and_another_price_is_refused(admin, sent):
    signal = two_targets()
    first = signal_close(signal_id=signal.pk, exit_price=Decimal("1.0870"), by=admin)

    assert signal_close(signal_id=signal.pk, exit_price=Decimal("1.0870"), by=admin).pk == first.pk
    with refused("déjà clôturé à 1,0870"):
        signal_close(signal_id=signal.pk, exit_price=Decimal("1.0880"), by=admin)
    assert len(sent) == 1
    assert Signal.objects.get(pk=signal.pk).version == 2


def test_cancel_takes_the_signal_out_without_a_result(admin, sent):
    signal = two_targets()

    signal_cancel(signal_id=signal.pk, by=admin)
    signal.refresh_from_db()

    assert (signal.status, signal.result_r, signal.exit_price) == (Signal.Status.CANCELLED, None, None)
    assert signal_cancel(signal_id=signal.pk, by=admin).kind == Kind.CANCELLED
    assert sent == [("event", Kind.CANCELLED, 0)]


def test_a_cancelled_signal_cannot_be_closed_nor_reach_a_target(admin):
    signal = two_targets()
    signal_cancel(signal_id=signal.pk, by=admin)

    with refused("annulé"):
        signal_close(signal_id=signal.pk, exit_price=Decimal("1.09"), by=admin)
    with refused("annulé"):
        signal_take_profit_reached(signal_id=signal.pk, order=1, by=admin)
    with refused("annulé"):
        signal_stop_loss_hit(signal_id=signal.pk, by=admin)


def test_a_closed_signal_cannot_be_cancelled_nor_hit_its_stop(admin):
    signal = two_targets()
    signal_close(signal_id=signal.pk, exit_price=Decimal("1.0900"), by=admin)

    with refused("clôturé ne peut pas être annulé"):
        signal_cancel(signal_id=signal.pk, by=admin)
    with refused("déjà clôturé"):
        signal_stop_loss_hit(signal_id=signal.pk, by=admin)


def test_a_signal_with_a_target_reached_is_closed_not_cancelled(admin):
    signal = two_targets()
    signal_take_profit_reached(signal_id=signal.pk, order=1, by=admin)

    with refused("clôturez le signal"):
        signal_cancel(signal_id=signal.pk, by=admin)


def test_a_draft_cannot_change_status(admin):
    signal = draft(admin)

    with refused("publiez-le"):
        signal_stop_loss_hit(signal_id=signal.pk, by=admin)


# Corrections


def test_correcting_a_published_signal_records_old_and_new_and_marks_it(admin, sent):
    signal = two_targets()

    with time_machine.travel(clock.now() + timedelta(minutes=5), tick=False):
        revisions = signal_correct(
            signal_id=signal.pk,
            by=admin,
            stop_loss=Decimal("1.0830"),
            take_profits=[Decimal("1.0900"), Decimal("1.0960"), Decimal("1.1000")],
        )
        now = clock.now()
    signal.refresh_from_db()

    assert [(r.field, r.take_profit_order, r.old_value, r.new_value) for r in revisions] == [
        ("stop_loss", 0, "1,0810", "1,0830"),
        ("take_profit", 2, "1,0950", "1,0960"),
        ("take_profit", 3, "", "1,1000"),
    ]
    assert all(r.changed_by == admin and r.changed_at == now for r in revisions)
    assert signal.stop_loss == Decimal("1.083000")
    assert [tp.price for tp in signal.take_profits.order_by("order")] == [
        Decimal("1.090000"),
        Decimal("1.096000"),
        Decimal("1.100000"),
    ]
    assert signal.corrected_at == now
    assert signal.version == 2
    assert sent == [("corrected", ["stop_loss", "take_profit", "take_profit"])]


def test_correcting_a_closed_signal_computes_its_result_again(admin):
    signal = two_targets()
    signal_take_profit_reached(signal_id=signal.pk, order=1, by=admin)
    signal_take_profit_reached(signal_id=signal.pk, order=2, by=admin)

    signal_correct(
        signal_id=signal.pk, by=admin, stop_loss=Decimal("1.0830"), take_profits=[Decimal("1.0900"), Decimal("1.0930")]
    )
    signal.refresh_from_db()

    # TP2 corrected to 1.0930: 80 pips won on a corrected risk of 20.
    assert (signal.exit_price, signal.result_r) == (Decimal("1.093000"), Decimal("4.00"))


def test_correcting_the_stop_of_a_stopped_signal_moves_its_exit(admin):
    signal = two_targets()
    signal_stop_loss_hit(signal_id=signal.pk, by=admin)

    signal_correct(signal_id=signal.pk, by=admin, entry_price=Decimal("1.0860"), stop_loss=Decimal("1.0820"))
    signal.refresh_from_db()

    assert (signal.exit_price, signal.result_r) == (Decimal("1.082000"), Decimal("-1.00"))


def test_a_correction_changing_nothing_records_nothing(admin, sent):
    signal = two_targets()

    assert signal_correct(signal_id=signal.pk, by=admin, stop_loss=Decimal("1.0810")) == []
    signal.refresh_from_db()
    assert (signal.version, signal.corrected_at, sent) == (1, None, [])


def test_a_correction_cannot_remove_a_reached_target_nor_make_the_trade_impossible(admin):
    signal = two_targets(take_profits=[Decimal("1.0900"), Decimal("1.0950"), Decimal("1.1000")])
    signal_take_profit_reached(signal_id=signal.pk, order=1, by=admin)
    signal_take_profit_reached(signal_id=signal.pk, order=2, by=admin)

    with refused("TP2 est déjà atteint"):
        signal_correct(signal_id=signal.pk, by=admin, take_profits=[Decimal("1.0900")])
    with refused("Il doit rester un take-profit"):
        signal_correct(signal_id=signal.pk, by=admin, take_profits=[Decimal("1.0900"), Decimal("1.0950")])
    with refused("égal au prix d'entrée"):
        signal_correct(signal_id=signal.pk, by=admin, stop_loss=Decimal("1.0850"))
    assert not SignalRevision.objects.exists()


def test_a_direction_correction_is_written_in_french(admin):
    signal = two_targets()

    [revision] = signal_correct(
        signal_id=signal.pk,
        by=admin,
        direction=Signal.Direction.SELL,
        stop_loss=Decimal("1.0890"),
        take_profits=[Decimal("1.0800"), Decimal("1.0750")],
    )[:1]

    assert (revision.old_value, revision.new_value) == ("Achat", "Vente")


def test_a_draft_is_edited_without_revisions(admin, sent):
    signal = draft(admin)

    assert signal_correct(signal_id=signal.pk, by=admin, stop_loss=Decimal("1.0820")) == []
    signal.refresh_from_db()

    assert signal.stop_loss == Decimal("1.082000")
    assert (signal.corrected_at, signal.version, sent) == (None, 1, [])


# Deleting


def test_a_published_signal_cannot_be_deleted(admin):
    signal = two_targets()

    with refused("annulez-le"):
        signal.delete()
    assert Signal.objects.filter(pk=signal.pk).exists()


def test_its_events_protect_it_in_the_database_too(admin):
    signal = two_targets()
    signal_cancel(signal_id=signal.pk, by=admin)

    with pytest.raises(ProtectedError):
        Signal.objects.filter(pk=signal.pk).delete()


def test_a_draft_can_be_deleted(admin):
    signal = draft(admin)

    signal.delete()

    assert not Signal.objects.exists()


def test_the_hook_runs_inside_the_transaction_so_a_failing_receiver_undoes_the_change(admin):
    """Receivers enqueue their durable tasks in the service's transaction: if that fails, nothing was recorded."""
    signal = two_targets()

    def failing(sender, event, **kwargs):
        assert SignalEvent.objects.filter(pk=event.pk).exists()  # the row is there, not yet committed
        raise RuntimeError("queue unavailable")

    hooks.signal_event_recorded.connect(failing, dispatch_uid="test-failing")
    try:
        with pytest.raises(RuntimeError):
            signal_close(signal_id=signal.pk, exit_price=Decimal("1.0900"), by=admin)
    finally:
        hooks.signal_event_recorded.disconnect(dispatch_uid="test-failing")

    signal.refresh_from_db()
    assert (signal.status, signal.result_r, signal.version) == (Signal.Status.OPEN, None, 1)
    assert not SignalEvent.objects.filter(signal=signal).exists()

"""Double clicks at the same instant, on PostgreSQL: real threads, real row locks. One event, one hook call."""

from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from tests.concurrency import run_together
from trading_signals import hooks
from trading_signals.models import Signal, SignalEvent
from trading_signals.services import signal_close, signal_publish, signal_take_profit_reached
from trading_signals.tests.factories import SignalFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sent():
    calls: list = []
    hooks.signal_event_recorded.connect(
        lambda sender, event, **kwargs: calls.append(event.kind), dispatch_uid="test-concurrency", weak=False
    )
    yield calls
    hooks.signal_event_recorded.disconnect(dispatch_uid="test-concurrency")


def test_two_admins_publishing_at_once_record_one_event():
    admin = UserFactory(is_staff=True)
    signal = SignalFactory(is_published=False)

    results = run_together(
        *(lambda: signal_publish(signal_id=signal.pk, by=admin).pk for _ in range(2)),
        slowed_tables=("trading_signals_signalevent",),
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[0] == results[1]
    assert SignalEvent.objects.filter(signal=signal).count() == 1
    assert Signal.objects.get(pk=signal.pk).version == 2


def test_closing_twice_at_once_records_one_close_and_one_hook(sent):
    admin = UserFactory(is_staff=True)
    signal = SignalFactory()

    results = run_together(
        *(lambda: signal_close(signal_id=signal.pk, exit_price=Decimal("1.0870"), by=admin).pk for _ in range(2)),
        slowed_tables=("trading_signals_signalevent",),
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[0] == results[1]
    assert list(SignalEvent.objects.filter(signal=signal).values_list("kind", flat=True)) == ["closed"]
    assert sent == ["closed"]
    assert Signal.objects.get(pk=signal.pk).version == 2


def test_a_close_and_the_last_target_at_once_end_the_signal_once():
    admin = UserFactory(is_staff=True)
    signal = SignalFactory(take_profits=[Decimal("1.0900")])

    results = run_together(
        lambda: signal_close(signal_id=signal.pk, exit_price=Decimal("1.0870"), by=admin).kind,
        lambda: signal_take_profit_reached(signal_id=signal.pk, order=1, by=admin).kind,
        slowed_tables=("trading_signals_signalevent",),
    )

    ended = [r for r in results if not isinstance(r, Exception)]
    assert len(ended) == 1, results
    assert "déjà clôturé" in " ".join(next(r for r in results if isinstance(r, Exception)).messages)
    assert SignalEvent.objects.filter(signal=signal).count() == 1

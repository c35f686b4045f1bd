from io import StringIO

import pytest
from django.core.management import call_command

from formations.models import Course, Lesson
from subscriptions.tests.factories import PlanFactory
from trading_signals.models import Signal, SignalEvent

pytestmark = pytest.mark.django_db


def test_demo_content_is_idempotent_and_reserves_one_course_to_the_yearly_plan():
    yearly = PlanFactory(name="Annuel", slug="annuel", duration_days=365)
    PlanFactory(name="Mensuel", slug="mensuel", duration_days=30)

    call_command("create_demo_content", stdout=StringIO())
    call_command("create_demo_content", stdout=StringIO())

    assert Course.objects.count() == 2
    open_course = Course.objects.get(slug="bases-du-trading")
    assert not open_course.plans.exists()
    assert open_course.lessons.count() == 4
    assert list(Course.objects.get(slug="strategies-avancees").plans.all()) == [yearly]
    assert Lesson.objects.count() == 6
    assert Signal.objects.count() == 15
    assert Signal.objects.values("market").distinct().count() == 5
    assert Signal.objects.values("status").distinct().count() == 5


def test_each_finished_demo_signal_has_the_events_that_ended_it():
    call_command("create_demo_content", stdout=StringIO())

    for signal in Signal.objects.exclude(status=Signal.Status.OPEN).prefetch_related("events"):
        events = list(signal.events.order_by("created_at", "id"))
        ending = events[-1]
        assert events[0].kind == SignalEvent.Kind.PUBLISHED
        assert ending.created_at == signal.closed_at
        assert (ending.price, ending.result_r) == (signal.exit_price, signal.result_r)
        if signal.status == Signal.Status.TP_HIT:
            orders = [event.take_profit_order for event in events[1:]]
            assert orders == list(range(1, signal.take_profits.count() + 1))
            assert signal.take_profits_reached == len(orders)
        else:
            assert [event.kind for event in events[1:]] == [signal.status]
    assert SignalEvent.objects.filter(kind=SignalEvent.Kind.TP_REACHED, take_profit_order=2).exists()

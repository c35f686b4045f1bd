"""Concurrency proofs on PostgreSQL: two deliveries of one event at the same instant, real threads and connections."""

import pytest
from django_tasks_db.models import DBTaskResult

from billing import services
from billing.models import StripeEvent
from billing.services import stripe_event_process, stripe_event_record
from billing.tests.factories import payment_with_customer
from billing.tests.stripe_signing import checkout_session, deliver, stripe_event
from subscriptions.models import Subscription
from tests.concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run_together(*targets):
    return run_together(*targets, slowed_tables=("billing_stripeevent",))


@pytest.mark.usefixtures("stripe_on", "database_tasks")
def test_two_concurrent_deliveries_of_one_event_store_one_row_and_one_task():
    event = stripe_event("checkout.session.completed", checkout_session(payment_id=1))

    results = _run_together(lambda: deliver(event).status_code, lambda: deliver(event).status_code)

    assert results == [200, 200]
    assert StripeEvent.objects.count() == 1
    assert DBTaskResult.objects.filter(task_path="billing.tasks.stripe_event_process").count() == 1


@pytest.mark.usefixtures("stripe_on", "database_tasks")  # the task waits in the queue: the two workers run it
def test_two_workers_processing_one_event_confirm_once():
    payment = payment_with_customer()
    event = stripe_event("checkout.session.completed", checkout_session(payment_id=payment.pk))
    stripe_event_record(event=event)

    results = _run_together(
        lambda: stripe_event_process(event_id=event["id"]), lambda: stripe_event_process(event_id=event["id"])
    )

    assert results == [StripeEvent.Outcome.PROCESSED, StripeEvent.Outcome.PROCESSED]
    assert Subscription.objects.filter(payment=payment).count() == 1


@pytest.mark.usefixtures("database_tasks")
def test_two_workers_run_an_events_handler_once(monkeypatch):
    # The handlers to come (a renewal creates a payment) are not all idempotent by themselves: the event's row lock
    # and outcome must keep a second worker out. A registered handler that counts its calls shows it.
    calls: list[str] = []
    monkeypatch.setitem(
        services.HANDLERS, "test.counted", lambda data_object, event: calls.append(data_object["id"]) or ""
    )
    event = stripe_event("test.counted", {"id": "obj_counted"})
    stripe_event_record(event=event)

    results = _run_together(
        lambda: stripe_event_process(event_id=event["id"]), lambda: stripe_event_process(event_id=event["id"])
    )

    assert results == [StripeEvent.Outcome.PROCESSED, StripeEvent.Outcome.PROCESSED]
    assert calls == ["obj_counted"]

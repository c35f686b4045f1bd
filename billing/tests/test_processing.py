"""Processing stored events: the paid checkout confirms its payment once, through the admin's confirmation service."""

import pytest
from django_tasks_db.models import DBTaskResult

from billing.errors import StripeEventError
from billing.models import StripeEvent
from billing.services import stripe_event_process, stripe_event_record
from billing.tests.factories import payment_with_customer
from billing.tests.stripe_signing import checkout_session, deliver, stripe_event
from core.tests.queue import run_worker
from notifications.models import NotificationType, UserNotification
from payments.models import Payment
from payments.services import payment_confirm
from subscriptions.models import Subscription

pytestmark = pytest.mark.django_db


def stored(event: dict) -> dict:
    stripe_event_record(event=event)
    return event


def outcome(event: dict) -> tuple[str, str]:
    row = StripeEvent.objects.get(event_id=event["id"])
    return row.outcome, row.detail


def test_a_paid_checkout_confirms_its_pending_payment():
    payment = payment_with_customer()
    event = stored(stripe_event("checkout.session.completed", checkout_session(payment_id=payment.pk)))

    assert stripe_event_process(event_id=event["id"]) == StripeEvent.Outcome.PROCESSED

    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED
    assert payment.confirmed_by is None
    assert Subscription.objects.filter(payment=payment).count() == 1
    assert outcome(event) == (StripeEvent.Outcome.PROCESSED, "")
    assert StripeEvent.objects.get().processed_at is not None


def test_processing_an_event_twice_confirms_once():
    payment = payment_with_customer()
    event = stored(stripe_event("checkout.session.completed", checkout_session(payment_id=payment.pk)))
    stripe_event_process(event_id=event["id"])
    processed_at = StripeEvent.objects.get().processed_at

    assert stripe_event_process(event_id=event["id"]) == StripeEvent.Outcome.PROCESSED

    assert Subscription.objects.filter(payment=payment).count() == 1
    assert StripeEvent.objects.get().processed_at == processed_at


def test_two_events_for_one_session_make_one_subscription():
    # Stripe may send the same session in two distinct events (e.g. a resend with a new id): one subscription.
    payment = payment_with_customer()
    session = checkout_session(payment_id=payment.pk)
    for event in (
        stripe_event("checkout.session.completed", session),
        stripe_event("checkout.session.completed", session),
    ):
        stripe_event_process(event_id=stored(event)["id"])

    assert Subscription.objects.filter(payment__user=payment.user).count() == 1


def test_a_paid_checkout_for_an_already_confirmed_payment_changes_nothing(admin_user):
    payment = payment_with_customer()
    subscription = payment_confirm(payment=payment, by=admin_user)
    event = stored(stripe_event("checkout.session.completed", checkout_session(payment_id=payment.pk)))

    assert stripe_event_process(event_id=event["id"]) == StripeEvent.Outcome.PROCESSED

    payment.refresh_from_db()
    assert payment.confirmed_by == admin_user
    assert list(Subscription.objects.filter(user=payment.user)) == [subscription]


def test_an_unpaid_checkout_is_ignored_and_confirms_nothing():
    payment = payment_with_customer()
    event = stored(
        stripe_event("checkout.session.completed", checkout_session(payment_id=payment.pk, payment_status="unpaid"))
    )

    assert stripe_event_process(event_id=event["id"]) == StripeEvent.Outcome.IGNORED

    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert outcome(event) == (StripeEvent.Outcome.IGNORED, "session non payée (statut unpaid)")


@pytest.mark.parametrize("reference", [999_999, None, "pas-un-nombre"])
def test_an_unknown_payment_fails_with_its_reason_and_raises_for_a_retry(reference):
    event = stored(stripe_event("checkout.session.completed", checkout_session(payment_id=reference)))

    with pytest.raises(StripeEventError):
        stripe_event_process(event_id=event["id"])

    state, detail = outcome(event)
    assert state == StripeEvent.Outcome.FAILED
    assert "Paiement introuvable" in detail
    assert str(reference) in detail


def test_a_failed_event_succeeds_on_a_later_try():
    payment = payment_with_customer()
    session = checkout_session(payment_id=payment.pk)
    event = stored(stripe_event("checkout.session.completed", session))
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.REJECTED)
    with pytest.raises(Exception, match="rejeté"):
        stripe_event_process(event_id=event["id"])
    assert outcome(event)[0] == StripeEvent.Outcome.FAILED
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.PENDING)

    assert stripe_event_process(event_id=event["id"]) == StripeEvent.Outcome.PROCESSED

    assert outcome(event) == (StripeEvent.Outcome.PROCESSED, "")
    assert Subscription.objects.filter(payment=payment).count() == 1


@pytest.mark.parametrize("event_type", ["payment_intent.created", "customer.updated", "charge.succeeded"])
def test_other_types_are_ignored_for_now(event_type):
    event = stored(stripe_event(event_type, {"id": "obj_1"}))

    assert stripe_event_process(event_id=event["id"]) == StripeEvent.Outcome.IGNORED

    assert outcome(event) == (StripeEvent.Outcome.IGNORED, "type non traité pour l'instant")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("stripe_on", "database_tasks")
def test_end_to_end_a_delivered_paid_checkout_is_confirmed_by_the_worker():
    payment = payment_with_customer()
    event = stripe_event("checkout.session.completed", checkout_session(payment_id=payment.pk))

    assert deliver(event).status_code == 200
    assert deliver(event).status_code == 200  # a replay before the worker ran
    run_worker()

    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED
    assert Subscription.objects.filter(payment=payment).count() == 1
    assert UserNotification.objects.filter(
        user=payment.user, notification_type=NotificationType.PAYMENT_CONFIRMED
    ).exists()
    assert outcome(event)[0] == StripeEvent.Outcome.PROCESSED
    assert DBTaskResult.objects.filter(task_path="billing.tasks.stripe_event_process").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("stripe_on", "database_tasks")
def test_end_to_end_a_failing_event_is_left_to_the_queue_to_retry():
    event = stripe_event("checkout.session.completed", checkout_session(payment_id=999_999))

    assert deliver(event).status_code == 200
    run_worker()

    assert outcome(event)[0] == StripeEvent.Outcome.FAILED
    task_row = DBTaskResult.objects.get(task_path="billing.tasks.stripe_event_process")
    assert task_row.status == "READY"  # given back to the queue, with a delay (core/tasks.py)
    assert task_row.run_after is not None

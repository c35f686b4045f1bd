"""Card refunds made in Stripe's dashboard, told end to end: the member pays through our checkout at the fake Stripe,
the refund is made with the real `stripe` library, the fake's `charge.refunded` is delivered signed to the real
webhook and the real worker records it on our payment (payments.refunds)."""

from decimal import Decimal

import pytest
import stripe
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import UserFactory
from billing.checkout import checkout_start
from billing.client import stripe_client
from billing.errors import StripeEventError
from billing.models import StripeCheckout, StripeEvent, StripeInvoice
from billing.services import stripe_event_process, stripe_event_record
from billing.tests.stripe_signing import stripe_event
from billing.tests.stripe_story import WEBHOOK_PATH, Story
from payments.models import Payment, Refund
from payments.refunds import payment_refund_record, refund_access_decide
from subscriptions.models import MemberFigures, Subscription
from subscriptions.selectors import coverage_end
from subscriptions.tests.factories import PlanFactory
from tests.fakes.fixtures import fake_stripe  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("database_tasks")]

ACCESS_SYNC = "channels_sync.tasks.member_access_sync"


@pytest.fixture
def story(fake_stripe, live_server):  # noqa: F811  (the fixture imported above)
    return Story(fake=fake_stripe, webhook_url=live_server.url + WEBHOOK_PATH)


@pytest.fixture
def member():
    return UserFactory()


def paid_once(story: Story, member, *, price: str = "49.00") -> Payment:
    """A one-off plan paid by card at the fake's checkout, its events delivered and applied."""
    payment, _url, _created = checkout_start(
        user=member, plan=PlanFactory.create(price=Decimal(price), duration_days=30)
    )
    story.fake.complete_checkout(StripeCheckout.objects.get(payment=payment).session_id)
    story.deliver_new()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED
    return payment


def intent_of(payment: Payment) -> str:
    intent = StripeCheckout.objects.get(payment=payment).payment_intent_id
    assert intent.startswith("pi_")
    return intent


def refund_at_stripe(payment_intent: str, amount: int | None = None) -> stripe.Refund:
    """What an admin does in Stripe's dashboard, through the real library."""
    params: stripe.params.RefundCreateParams = {"payment_intent": payment_intent}
    if amount is not None:
        params["amount"] = amount
    return stripe_client().v1.refunds.create(params)


def outcomes(event_type: str) -> list[tuple[str, str]]:
    return list(StripeEvent.objects.filter(type=event_type).order_by("created", "id").values_list("outcome", "detail"))


def test_a_card_payment_refunded_at_stripe_becomes_refunded_and_access_ends_now(story, member):
    payment = paid_once(story, member)
    subscription = Subscription.objects.get(payment=payment)
    DBTaskResult.objects.filter(task_path=ACCESS_SYNC).delete()

    stripe_refund = refund_at_stripe(intent_of(payment))
    [event] = story.new_events()
    assert event["type"] == "charge.refunded"
    story.deliver([event], twice=True)  # and Stripe delivers it again

    payment.refresh_from_db()
    subscription.refresh_from_db()
    refund = Refund.objects.get()
    assert payment.status == Payment.Status.REFUNDED
    assert (refund.payment, refund.amount, refund.currency) == (payment, Decimal("49.00"), "EUR")
    assert (refund.external_id, refund.recorded_by, refund.access_ends) == (
        stripe_refund["charge"],
        None,
        Refund.AccessEnds.NOW,
    )
    assert subscription.status == Subscription.Status.CANCELLED
    assert coverage_end(user=member) is None
    assert outcomes("charge.refunded") == [(StripeEvent.Outcome.PROCESSED, "")]
    # The member's access was synced by the worker, once for the refund.
    [sync] = DBTaskResult.objects.filter(task_path=ACCESS_SYNC)
    assert (sync.args_kwargs["kwargs"], sync.status) == ({"user_id": member.pk}, "SUCCESSFUL")
    figures = MemberFigures.objects.get(user_id=member.pk)
    assert (figures.payments_confirmed, figures.paid_cents) == (0, 0)


def test_a_partial_refund_is_ignored_until_the_rest_is_given_back(story, member):
    payment = paid_once(story, member)

    refund_at_stripe(intent_of(payment), amount=1000)
    story.deliver_new()

    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED
    assert not Refund.objects.exists()
    assert outcomes("charge.refunded") == [
        (StripeEvent.Outcome.IGNORED, "remboursement partiel (1000 sur 4900 centimes) : le paiement reste confirmé")
    ]

    refund_at_stripe(intent_of(payment))  # the rest
    story.deliver_new()

    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert Refund.objects.get().amount == Decimal("49.00")
    assert [state for state, _detail in outcomes("charge.refunded")] == [
        StripeEvent.Outcome.IGNORED,
        StripeEvent.Outcome.PROCESSED,
    ]


def test_a_refund_arriving_before_its_payment_fails_then_applies_on_retry(story, member):
    payment, _url, _created = checkout_start(user=member, plan=PlanFactory(price=Decimal("49.00")))
    session = story.fake.complete_checkout(StripeCheckout.objects.get(payment=payment).session_id)
    refund_at_stripe(session["payment_intent"])
    events = story.new_events()
    assert [e["type"] for e in events] == ["checkout.session.completed", "charge.refunded"]

    story.deliver(events, reverse=True)  # the refund first: its payment is not known yet

    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED  # the checkout, delivered second, was applied
    [(state, detail)] = outcomes("charge.refunded")
    assert state == StripeEvent.Outcome.FAILED
    assert "Paiement introuvable pour la charge" in detail
    # The queue retries it later (a delay): what that retry runs.
    assert stripe_event_process(event_id=events[1]["id"]) == StripeEvent.Outcome.PROCESSED
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert Refund.objects.filter(payment=payment).count() == 1


def test_a_refunded_subscription_invoice_refunds_its_payment_and_the_admin_may_keep_access_to_the_end(
    story, member, admin_user
):
    plan = PlanFactory(price=Decimal("29.00"), duration_days=30, is_recurring=True)
    payment = story.subscribe(user=member, plan=plan)
    story.deliver_new()
    invoice = StripeInvoice.objects.get(payment=payment)
    subscription = Subscription.objects.get(payment=payment)

    refund_at_stripe(invoice.payment_intent_id)
    story.deliver_new()

    refund = Refund.objects.get(payment=payment)
    assert refund.amount == Decimal("29.00")
    subscription.refresh_from_db()
    assert (subscription.status, subscription.auto_renew, subscription.next_charge_at) == (
        Subscription.Status.CANCELLED,
        False,
        None,
    )

    refund_access_decide(refund=refund, by=admin_user, access_ends=Refund.AccessEnds.PAID_END)

    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE
    assert coverage_end(user=member) == subscription.ends_at


def test_a_refund_the_admin_already_recorded_is_not_recorded_twice(story, member, admin_user):
    payment = paid_once(story, member)
    payment_refund_record(payment=payment, by=admin_user, access_ends=Refund.AccessEnds.PAID_END)

    refund_at_stripe(intent_of(payment))
    story.deliver_new()

    refund = Refund.objects.get()
    assert (refund.recorded_by, refund.access_ends, refund.external_id) == (admin_user, Refund.AccessEnds.PAID_END, "")
    assert outcomes("charge.refunded") == [
        (StripeEvent.Outcome.IGNORED, f"remboursement déjà enregistré pour le paiement {payment.code}")
    ]


@pytest.mark.usefixtures("stripe_on")
@pytest.mark.parametrize("intent", ["pi_unknown", None])
def test_a_charge_of_no_payment_of_ours_fails_for_a_retry(intent):
    charge = {
        "id": "ch_unknown",
        "object": "charge",
        "refunded": True,
        "amount_refunded": 4900,
        "payment_intent": intent,
    }
    event = stripe_event("charge.refunded", charge)
    stripe_event_record(event=event)

    with pytest.raises(StripeEventError, match="Paiement introuvable"):
        stripe_event_process(event_id=event["id"])

    assert StripeEvent.objects.get().outcome == StripeEvent.Outcome.FAILED
    assert not Refund.objects.exists()

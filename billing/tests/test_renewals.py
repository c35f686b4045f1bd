"""Renewals, refused renewals and cancellations of card subscriptions, told end to end: our checkout service makes the
session at the fake Stripe, the fake's events are delivered signed to the real webhook, the real worker applies
them, and time-machine moves the clock (ours, the fake's and the signatures') to each period's end."""

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import UserFactory
from billing.client import stripe_client
from billing.models import StripeEvent, StripeInvoice, StripeSubscription
from billing.renewals import stripe_subscription_sync
from billing.services import stripe_event_process, stripe_event_record
from billing.tests.stripe_story import WEBHOOK_PATH, Story
from notifications.models import NotificationType, UserNotification
from payments.models import Payment, PaymentKind, Refund
from payments.refunds import payment_refund_record
from payments.tests.factories import PaymentFactory
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory
from tests.concurrency import run_together
from tests.fakes.fixtures import fake_stripe  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("database_tasks")]

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MONTH = timedelta(days=30)
CONFIRMED_SUBJECT = "Votre paiement est confirmé"
REFUSED_SUBJECT = "Paiement refusé"


@pytest.fixture
def story(fake_stripe, live_server):  # noqa: F811  (the fixture imported above)
    return Story(fake=fake_stripe, webhook_url=live_server.url + WEBHOOK_PATH)


@pytest.fixture
def plan():
    return PlanFactory(price=Decimal("49.00"), duration_days=30, is_recurring=True)


@pytest.fixture
def member():
    return UserFactory()


def subscriptions_of(member) -> list[Subscription]:
    return list(Subscription.objects.filter(user=member).order_by("starts_at", "id"))


def payments_of(member) -> list[Payment]:
    return list(Payment.objects.filter(user=member).order_by("created_at", "id"))


def subjects(prefix: str) -> list[str]:
    return [str(message.subject) for message in mail.outbox if message.subject.startswith(prefix)]


def renewal_state(member) -> tuple[bool, datetime | None]:
    """(auto_renew, next_charge_at), the same on every row the Stripe subscription paid for."""
    states = {(s.auto_renew, s.next_charge_at) for s in subscriptions_of(member)}
    assert len(states) == 1, states
    return states.pop()


def back_to_back(subscriptions: list[Subscription]) -> bool:
    return all(later.starts_at == earlier.ends_at for earlier, later in itertools.pairwise(subscriptions))


def test_first_payment_and_three_renewals_stack_coverage_exactly(story, plan, member):
    with time_machine.travel(START, tick=False) as traveller:
        first = story.subscribe(user=member, plan=plan)
        story.deliver_new()
        assert renewal_state(member) == (True, START + MONTH)
        for months in (1, 2, 3):
            traveller.move_to(story.period_end())
            story.renew()
            story.deliver_new()
            # At each step every row says when the card is charged next: the new period's end.
            assert renewal_state(member) == (True, START + (months + 1) * MONTH)

    payments = payments_of(member)
    assert payments[0] == first
    assert [(p.status, p.method, p.amount, p.currency) for p in payments] == [
        (Payment.Status.CONFIRMED, PaymentKind.CARD, Decimal("49.00"), "EUR")
    ] * 4
    subscriptions = subscriptions_of(member)
    assert [s.payment for s in subscriptions] == payments
    assert subscriptions[0].starts_at == START
    assert back_to_back(subscriptions)
    assert subscriptions[-1].ends_at == START + 4 * MONTH == story.period_end()
    invoices = StripeInvoice.objects.order_by("created_at", "id")
    assert [(i.payment, i.billing_reason) for i in invoices] == [(payments[0], "subscription_create")] + [
        (p, "subscription_cycle") for p in payments[1:]
    ]
    assert all(i.payment_intent_id.startswith("pi_") for i in invoices)
    assert len({i.payment_intent_id for i in invoices}) == 4
    assert len(subjects(CONFIRMED_SUBJECT)) == 4
    assert (
        UserNotification.objects.filter(user=member, notification_type=NotificationType.PAYMENT_CONFIRMED).count() == 4
    )
    # Each paid period asked the worker for the member's channel access, as an admin's confirmation does.
    access_syncs = DBTaskResult.objects.filter(task_path="channels_sync.tasks.member_access_sync")
    assert access_syncs.filter(status="SUCCESSFUL").count() == 4
    assert set(StripeEvent.objects.values_list("outcome", flat=True)) == {StripeEvent.Outcome.PROCESSED}
    row = StripeSubscription.objects.get()
    assert (row.subscription_id, row.user, row.plan, row.first_payment, row.status) == (
        story.subscription_id,
        member,
        plan,
        first,
        "active",
    )


def test_a_renewal_heard_of_days_late_covers_the_period_stripe_charged_for(story, plan, member):
    # A webhook outage: the renewal's events reach us two days after Stripe charged (reconciliation, or a late
    # delivery). The member paid for the period from the end of the first: no gap, no shift.
    with time_machine.travel(START, tick=False) as traveller:
        story.subscribe(user=member, plan=plan)
        story.deliver_new()
        traveller.move_to(story.period_end())
        story.renew()
        events = story.new_events()
        traveller.shift(timedelta(days=2))
        story.deliver(events)

    first, renewal = subscriptions_of(member)
    assert renewal.starts_at == first.ends_at == START + MONTH
    assert renewal.ends_at == START + 2 * MONTH


def test_a_refused_renewal_warns_once_keeps_access_and_a_later_payment_restores_everything(story, plan, member):
    with time_machine.travel(START, tick=False) as traveller:
        story.subscribe(user=member, plan=plan)
        story.deliver_new()
        traveller.move_to(START + MONTH)
        mail.outbox.clear()

        story.renew(succeed=False)
        story.deliver_new()

        row = StripeSubscription.objects.get()
        assert row.status == "past_due"
        assert renewal_state(member) == (False, None)  # no renewal shown while the card is refused
        [subscription] = subscriptions_of(member)
        assert (subscription.status, subscription.ends_at) == (Subscription.Status.ACTIVE, START + MONTH)
        assert len(payments_of(member)) == 1
        notice = UserNotification.objects.get(user=member, notification_type=NotificationType.RENEWAL_FAILED)
        assert notice.status == UserNotification.Status.SENT
        assert "a été refusé par votre banque" in notice.message
        assert "49,00\xa0€" in notice.message
        assert "Une nouvelle tentative aura lieu automatiquement le samedi 4 avril 2026" in notice.message
        assert "mettez à jour votre carte" in notice.message
        [email] = mail.outbox
        assert email.subject == "CalmnessFi – Paiement refusé : mettez à jour votre carte"
        assert email.to == [member.email]
        assert "a été refusé par votre banque" in email.body
        assert "/paiements/" in email.body

        # Stripe delivers the refusal again: nothing more is said.
        story.deliver(story.fake.events_of("invoice.payment_failed"), twice=True)
        assert UserNotification.objects.filter(notification_type=NotificationType.RENEWAL_FAILED).count() == 1
        assert len(mail.outbox) == 1

        traveller.move_to(START + MONTH + timedelta(days=2))
        story.renew()  # Stripe's retry succeeds
        story.deliver_new()

    row.refresh_from_db()
    assert row.status == "active"
    payments = payments_of(member)
    assert [p.status for p in payments] == [Payment.Status.CONFIRMED] * 2
    _first, renewal = subscriptions_of(member)
    # Coverage had ended two days before: the paid period starts when it is paid.
    assert renewal.starts_at == START + MONTH + timedelta(days=2)
    assert renewal.ends_at == renewal.starts_at + MONTH
    assert renewal_state(member) == (True, story.period_end())
    assert subjects(CONFIRMED_SUBJECT) == [f"{CONFIRMED_SUBJECT} – abonnement {plan.name}"]


def test_a_cancellation_stops_renewals_and_access_runs_to_the_paid_end(story, plan, member):
    with time_machine.travel(START, tick=False) as traveller:
        story.subscribe(user=member, plan=plan)
        story.deliver_new()
        traveller.move_to(START + timedelta(days=10))

        story.cancel_at_period_end()  # in Stripe's customer portal
        story.deliver_new()

        row = StripeSubscription.objects.get()
        assert (row.status, row.cancel_at_period_end) == ("active", True)
        assert renewal_state(member) == (False, None)
        [subscription] = subscriptions_of(member)
        assert subscription.ends_at == START + MONTH  # access runs to the paid end

        traveller.move_to(START + MONTH)
        story.renew()  # the period ends: Stripe deletes the subscription instead of charging
        story.deliver_new()

    row.refresh_from_db()
    assert row.status == "canceled"
    assert renewal_state(member) == (False, None)
    assert len(payments_of(member)) == 1
    assert [s.ends_at for s in subscriptions_of(member)] == [START + MONTH]
    assert story.fake.events_of("invoice.paid")[-1]["data"]["object"]["billing_reason"] == "subscription_create"


def test_renewals_come_back_when_the_member_undoes_the_cancellation(story, plan, member):
    with time_machine.travel(START, tick=False) as traveller:
        story.subscribe(user=member, plan=plan)
        story.deliver_new()
        story.cancel_at_period_end()
        story.deliver_new()
        assert renewal_state(member) == (False, None)
        traveller.move_to(START + timedelta(days=1))

        stripe_client().v1.subscriptions.update(story.subscription_id, {"cancel_at_period_end": False})
        story.deliver_new()

    assert renewal_state(member) == (True, START + MONTH)


def test_replayed_events_pay_each_period_once(story, plan, member):
    with time_machine.travel(START, tick=False) as traveller:
        story.subscribe(user=member, plan=plan)
        story.deliver_new(twice=True)
        for _ in range(2):
            traveller.move_to(story.period_end())
            story.renew()
            story.deliver_new(twice=True)
        # Much later, Stripe sends the whole history again, and a renewal's invoice once more under a new event id.
        story.deliver(story.fake.events_of())
        paid = story.fake.events_of("invoice.paid")[-1]
        story.deliver([{**paid, "id": paid["id"] + "_resent"}])

    assert len(payments_of(member)) == 3
    assert StripeInvoice.objects.count() == 3
    subscriptions = subscriptions_of(member)
    assert len(subscriptions) == 3 and back_to_back(subscriptions)
    assert len(subjects(CONFIRMED_SUBJECT)) == 3
    assert StripeEvent.objects.count() == len(story.fake.events_of()) + 1
    assert set(StripeEvent.objects.values_list("outcome", flat=True)) == {StripeEvent.Outcome.PROCESSED}


def _the_same_story(story: Story, traveller, *, member, plan, deliver_each_step: bool) -> None:
    """Checkout, a renewal, a refused renewal, a paid one, then a cancellation at period end."""
    story.subscribe(user=member, plan=plan)
    steps = [
        lambda: story.renew(),
        lambda: story.renew(succeed=False),
        lambda: story.renew(),
        lambda: story.cancel_at_period_end(),
    ]
    if deliver_each_step:
        story.deliver_new()
    for step in steps:
        traveller.move_to(story.period_end())
        step()
        if deliver_each_step:
            story.deliver_new()


def test_events_delivered_newest_first_give_the_state_of_an_in_order_delivery(fake_stripe, live_server, plan):  # noqa: F811
    in_order, reversed_ = UserFactory(), UserFactory()
    url = live_server.url + WEBHOOK_PATH
    with time_machine.travel(START, tick=False) as traveller:
        first = Story(fake=fake_stripe, webhook_url=url)
        _the_same_story(first, traveller, member=in_order, plan=plan, deliver_each_step=True)
        second = Story(fake=fake_stripe, webhook_url=url, seen=first.seen)
        traveller.move_to(START)
        _the_same_story(second, traveller, member=reversed_, plan=plan, deliver_each_step=False)
        # Every event of the second member at once, newest first: each late one arrives after later ones.
        second.deliver(second.new_events(), reverse=True)

    def state(member, story):
        row = StripeSubscription.objects.get(subscription_id=story.subscription_id)
        subscriptions = subscriptions_of(member)
        return {
            "stripe": (row.status, row.cancel_at_period_end, row.current_period_end == story.period_end()),
            "payments": [(p.status, p.amount) for p in payments_of(member)],
            "invoices": sorted(
                StripeInvoice.objects.filter(stripe_subscription=row).values_list("billing_reason", flat=True)
            ),
            "renewal": renewal_state(member),
            # When each period starts depends on when it was applied (the in-order member's coverage had a gap
            # while the card was refused); how much was paid for does not.
            "coverage": sum((s.ends_at - s.starts_at for s in subscriptions), timedelta()),
        }

    assert state(reversed_, second) == state(in_order, first)
    assert state(in_order, first)["payments"] == [(Payment.Status.CONFIRMED, Decimal("49.00"))] * 3
    assert state(in_order, first)["renewal"] == (False, None)
    # The refusal is old news once a later payment is known: only the in-order member was told.
    refused = UserNotification.objects.filter(notification_type=NotificationType.RENEWAL_FAILED)
    assert list(refused.values_list("user", flat=True)) == [in_order.pk]


def test_a_renewal_invoice_before_its_checkout_event_stacks_after_the_first_period(story, plan, member):
    with time_machine.travel(START, tick=False) as traveller:
        story.subscribe(user=member, plan=plan)
        checkout_events = story.new_events()  # held back: the webhook was slow for these
        traveller.move_to(START + MONTH)
        story.renew()
        story.deliver_new()

        first, renewal = payments_of(member)
        assert (first.status, renewal.status) == (Payment.Status.CONFIRMED, Payment.Status.CONFIRMED)
        subscriptions = subscriptions_of(member)
        assert [s.payment for s in subscriptions] == [first, renewal]
        assert subscriptions[0].starts_at == START + MONTH and back_to_back(subscriptions)

        story.deliver(checkout_events)

    assert len(payments_of(member)) == 2
    assert len(subscriptions_of(member)) == 2
    assert StripeInvoice.objects.count() == 2
    assert len(subjects(CONFIRMED_SUBJECT)) == 2
    assert renewal_state(member) == (True, START + 2 * MONTH)


def test_a_renewal_is_recorded_while_the_member_has_a_declared_payment_pending(story, plan, member):
    with time_machine.travel(START, tick=False) as traveller:
        story.subscribe(user=member, plan=plan)
        story.deliver_new()
        declared = PaymentFactory(user=member, plan=plan)  # a bank transfer waiting for an admin
        traveller.move_to(START + MONTH)
        story.renew()
        story.deliver_new()

    declared.refresh_from_db()
    assert declared.status == Payment.Status.PENDING
    renewal = StripeInvoice.objects.get(billing_reason="subscription_cycle").payment
    assert (renewal.status, renewal.method) == (Payment.Status.CONFIRMED, PaymentKind.CARD)
    assert renewal.subscription.starts_at == START + MONTH


def test_sync_touches_only_the_rows_the_stripe_subscription_paid_for(plan, member):
    paid = PaymentFactory(user=member, plan=plan, status=Payment.Status.CONFIRMED)
    own = SubscriptionFactory(user=member, plan=plan, payment=paid)
    other = SubscriptionFactory(user=member, plan=plan, payment=PaymentFactory(user=member, status="confirmed"))
    row = StripeSubscription.objects.create(
        subscription_id="sub_1",
        user=member,
        plan=plan,
        first_payment=paid,
        status="active",
        current_period_end=START,
    )

    assert stripe_subscription_sync(stripe_subscription=row) == 1

    own.refresh_from_db()
    other.refresh_from_db()
    assert (own.auto_renew, own.next_charge_at) == (True, START)
    assert (other.auto_renew, other.next_charge_at) == (False, None)


def test_sync_leaves_a_refunded_payments_row_not_renewing(plan, member):
    paid = PaymentFactory(user=member, plan=plan, status=Payment.Status.CONFIRMED)
    refunded = SubscriptionFactory(user=member, plan=plan, payment=paid)
    row = StripeSubscription.objects.create(
        subscription_id="sub_1", user=member, plan=plan, first_payment=paid, status="active", current_period_end=START
    )
    # Refunded with access to the paid end: the row stays active, and must not say it renews.
    payment_refund_record(payment=paid, by=None, access_ends=Refund.AccessEnds.PAID_END)

    assert stripe_subscription_sync(stripe_subscription=row) == 0

    refunded.refresh_from_db()
    assert (refunded.status, refunded.auto_renew, refunded.next_charge_at) == ("active", False, None)


@pytest.mark.parametrize(
    ("event_type", "data_object", "detail"),
    [
        ("invoice.paid", {"id": "in_1", "billing_reason": "manual"}, "facture sans abonnement Stripe"),
        (
            "invoice.paid",
            {"id": "in_1", "parent": {"subscription_details": {"subscription": "sub_x", "metadata": {}}}},
            "abonnement Stripe inconnu (sans les métadonnées de notre paiement)",
        ),
        (
            "customer.subscription.updated",
            {"id": "sub_x", "status": "active", "metadata": {}},
            "abonnement Stripe inconnu (sans les métadonnées de notre paiement)",
        ),
    ],
)
def test_events_about_subscriptions_we_did_not_make_are_ignored(event_type, data_object, detail):
    event = {"id": "evt_1", "type": event_type, "created": int(START.timestamp()), "data": {"object": data_object}}
    stripe_event_record(event=event)

    assert stripe_event_process(event_id="evt_1") == StripeEvent.Outcome.IGNORED

    assert StripeEvent.objects.get().detail == detail
    assert not StripeSubscription.objects.exists()


@pytest.mark.postgres
def test_two_workers_applying_one_renewal_record_one_payment(fake_stripe, plan, member):  # noqa: F811
    story = Story(fake=fake_stripe, webhook_url="")
    with time_machine.travel(START, tick=False) as traveller:
        story.subscribe(user=member, plan=plan)
        for event in story.new_events():
            stripe_event_record(event=event)
            stripe_event_process(event_id=event["id"])
        traveller.move_to(START + MONTH)
        story.renew()
        paid = story.fake.events_of("invoice.paid")[-1]
        # The same invoice twice: once as sent, once under another id (as a resend could).
        stripe_event_record(event=paid)
        stripe_event_record(event={**paid, "id": paid["id"] + "_again"})

        results = run_together(
            lambda: stripe_event_process(event_id=paid["id"]),
            lambda: stripe_event_process(event_id=paid["id"]),
            lambda: stripe_event_process(event_id=paid["id"] + "_again"),
            slowed_tables=("billing_stripeinvoice", "billing_stripesubscription"),
        )

    assert results == [StripeEvent.Outcome.PROCESSED] * 3
    assert len(payments_of(member)) == 2
    assert StripeInvoice.objects.count() == 2
    assert back_to_back(subscriptions_of(member))

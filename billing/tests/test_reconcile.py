"""`manage.py stripe_reconcile`: a webhook outage loses nothing; a run applies each missed event once, through the
webhook's own path; the admin warns when no run succeeded lately while Stripe is on."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.tests.factories import UserFactory
from billing.models import StripeEvent, StripeInvoice, StripeSubscription
from billing.reconcile import COMMAND, stripe_reconcile_since_default
from billing.tests.stripe_story import Story
from core.models import CronRun
from core.tests.queue import run_worker
from payments.models import Payment
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory
from tests.fakes.fixtures import fake_stripe  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("database_tasks")]

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MONTH = timedelta(days=30)
OVERDUE_WARNING = "Rapprochement Stripe en retard"


@pytest.fixture
def story(fake_stripe):  # noqa: F811  (the fixture imported above)
    return Story(fake=fake_stripe, webhook_url="")  # the webhook is down: nothing is delivered


@pytest.fixture
def member():
    return UserFactory()


@pytest.fixture
def plan():
    return PlanFactory(price=Decimal("49.00"), duration_days=30, is_recurring=True)


def reconcile(*args: str) -> str:
    out = StringIO()
    call_command("stripe_reconcile", *args, stdout=out)
    return out.getvalue()


def test_a_webhook_outage_is_recovered_by_the_reconciliation(story, member):
    plan = PlanFactory(price=Decimal("19.00"), duration_days=10, is_recurring=True)
    period = timedelta(days=10)
    with time_machine.travel(START, tick=False) as traveller:
        first = story.subscribe(user=member, plan=plan)
        traveller.move_to(START + period)
        story.renew()
        traveller.move_to(START + 2 * period)
        story.renew()
        late = START + 2 * period + timedelta(hours=1)
        traveller.move_to(late)
        assert not StripeEvent.objects.exists()  # nothing reached us

        output = reconcile("--since", "2026-03-01")
        run_worker()  # the e-mails and channel access the applied events asked for

        assert "6 événements lus : 6 nouveaux, 0 déjà connu, 0 repris, 0 échec." in output
        assert StripeEvent.objects.filter(outcome=StripeEvent.Outcome.PROCESSED).count() == 6
        payments = Payment.objects.filter(user=member).order_by("created_at", "id")
        assert [(p.status, p.amount) for p in payments] == [(Payment.Status.CONFIRMED, Decimal("19.00"))] * 3
        assert payments[0] == first
        assert StripeInvoice.objects.count() == 3
        subscriptions = list(Subscription.objects.filter(user=member).order_by("starts_at"))
        # Applied late, oldest first: the member is covered from the run on, for the three paid periods.
        assert subscriptions[0].starts_at == late
        assert subscriptions[-1].ends_at == late + 3 * period
        assert {(s.auto_renew, s.next_charge_at) for s in subscriptions} == {(True, START + 3 * period)}
        assert len([m for m in mail.outbox if m.subject.startswith("Votre paiement est confirmé")]) == 3
        run = CronRun.objects.get(command=COMMAND)
        assert run.last_success_at == late
        assert run.last_summary["new"] == 6

        # The next run finds everything known and changes nothing.
        traveller.move_to(late + timedelta(days=1))
        output = reconcile("--since", "2026-03-01")

    assert "6 événements lus : 0 nouveau, 6 déjà connus, 0 repris, 0 échec." in output
    assert Payment.objects.filter(user=member).count() == 3


def test_by_default_a_run_starts_a_day_before_the_last_success(story, member, plan):
    with time_machine.travel(START, tick=False) as traveller:
        assert stripe_reconcile_since_default() == START - timedelta(days=3)  # no run yet
        story.subscribe(user=member, plan=plan)
        traveller.move_to(START + timedelta(hours=2))
        assert "2 événements lus : 2 nouveaux" in reconcile()
        traveller.move_to(START + timedelta(days=1))

        assert stripe_reconcile_since_default() == START + timedelta(hours=2) - timedelta(days=1)

        traveller.move_to(START + MONTH)
        story.renew()  # during an outage
        traveller.move_to(START + MONTH + timedelta(days=2))  # the cron did not run for two days either
        output = reconcile()
        assert stripe_reconcile_since_default() == START + MONTH + timedelta(days=1)
        traveller.move_to(START + 3 * MONTH)
        assert stripe_reconcile_since_default() == START + 2 * MONTH  # Stripe keeps 30 days of events

    # The window reaches back to the last success, a month before: the renewal is found.
    assert "2 nouveaux" in output
    assert StripeInvoice.objects.filter(billing_reason="subscription_cycle").count() == 1


def test_an_event_stored_but_left_failed_is_applied_again(story, member, plan):
    with time_machine.travel(START, tick=False):
        story.subscribe(user=member, plan=plan)
        paid = story.fake.events_of("invoice.paid")[0]
        # The webhook stored it, but its processing failed (the task's retries ran out).
        StripeEvent.objects.create(
            event_id=paid["id"],
            type=paid["type"],
            created=START,
            payload=paid,
            outcome=StripeEvent.Outcome.FAILED,
            detail="OperationalError: base indisponible",
        )

        output = reconcile()

    assert "2 événements lus : 1 nouveau, 0 déjà connu, 1 repris, 0 échec." in output
    assert StripeEvent.objects.get(event_id=paid["id"]).outcome == StripeEvent.Outcome.PROCESSED
    assert StripeSubscription.objects.get().first_payment.status == Payment.Status.CONFIRMED


def test_an_event_that_cannot_be_applied_fails_the_run_and_is_kept(story, fake_stripe, member, plan):  # noqa: F811
    with time_machine.travel(START, tick=False):
        story.subscribe(user=member, plan=plan)
        invoice = story.fake.events_of("invoice.paid")[0]["data"]["object"]
        details = invoice["parent"]["subscription_details"]
        fake_stripe.record_event(
            "invoice.paid",
            {
                **invoice,
                "id": "in_orphan",
                "parent": {
                    "subscription_details": {
                        **details,
                        "subscription": "sub_other",
                        "metadata": {**details["metadata"], "payment_id": "999999"},
                    }
                },
            },
        )

        with pytest.raises(CommandError, match="1 opération en échec"):
            reconcile()

    orphan = StripeEvent.objects.get(payload__data__object__id="in_orphan")
    assert orphan.outcome == StripeEvent.Outcome.FAILED
    assert "Paiement introuvable" in orphan.detail
    run = CronRun.objects.get(command=COMMAND)
    assert run.last_success_at is None and run.last_error == "1 échec"
    # The others were applied all the same.
    assert Payment.objects.get(user=member).status == Payment.Status.CONFIRMED


def test_stripe_unreachable_fails_the_run_and_stores_nothing(story, fake_stripe, member, plan):  # noqa: F811
    with time_machine.travel(START, tick=False):
        story.subscribe(user=member, plan=plan)
        fake_stripe.fail("events.list", 500, times=3)  # the first try and the client's two retries

        with pytest.raises(CommandError, match="Stripe injoignable ou en erreur"):
            reconcile()

    assert not StripeEvent.objects.exists()
    run = CronRun.objects.get(command=COMMAND)
    assert run.last_failure_at == START and run.last_success_at is None


def test_with_stripe_off_the_run_does_nothing_and_succeeds(settings):
    settings.STRIPE_SECRET_KEY = ""

    assert "Stripe n'est pas configuré" in reconcile()

    assert CronRun.objects.get(command=COMMAND).last_success_at is not None


def test_a_dry_run_stores_nothing(story, member, plan):
    with time_machine.travel(START, tick=False):
        story.subscribe(user=member, plan=plan)

        output = reconcile("--dry-run")

    assert "2 événements lus : 2 nouveaux" in output
    assert not StripeEvent.objects.exists()
    assert not CronRun.objects.filter(command=COMMAND).exists()


def test_a_since_date_that_is_not_one_is_refused_before_the_run():
    with pytest.raises(CommandError, match="Date invalide « 03/2026 »"):
        reconcile("--since", "03/2026")


@pytest.mark.usefixtures("stripe_on")
@pytest.mark.parametrize("path", ["/admin/", "/admin/billing/stripesubscription/", "/admin/billing/stripeinvoice/"])
def test_the_admin_warns_while_the_reconciliation_is_overdue(admin_client, path):
    with time_machine.travel(START, tick=False) as traveller:
        assert OVERDUE_WARNING in admin_client.get(path).content.decode()  # never ran

        CronRun.objects.create(command=COMMAND, last_success_at=START)
        traveller.move_to(START + timedelta(hours=36))
        assert OVERDUE_WARNING not in admin_client.get(path).content.decode()

        traveller.move_to(START + timedelta(hours=37))
        page = admin_client.get(path).content.decode()
    assert OVERDUE_WARNING in page
    assert "02/03/2026 10:00" in page  # the last success, in Paris time


@pytest.mark.parametrize("path", ["/admin/", "/admin/billing/stripesubscription/"])
def test_the_admin_says_nothing_of_the_reconciliation_while_stripe_is_off(admin_client, settings, path):
    settings.STRIPE_SECRET_KEY = ""

    assert OVERDUE_WARNING not in admin_client.get(path).content.decode()

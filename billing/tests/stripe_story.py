"""A member's card subscription told through the fake Stripe (tests/fakes/fake_stripe.py) and the real stack: our
checkout service makes the session with the real `stripe` library, the fake's events are delivered, signed, to the
real webhook on a live server, and the real task worker applies them."""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from billing.checkout import checkout_start
from billing.client import stripe_client
from billing.models import StripeCheckout
from core.tests.queue import run_worker
from payments.models import Payment
from tests.fakes.fake_stripe import FakeStripe

WEBHOOK_PATH = "/api/stripe/webhook/"


@dataclass
class Story:
    fake: FakeStripe
    webhook_url: str
    seen: int = 0  # the fake's events already handed out by `new_events`
    subscription_id: str = ""
    first_payment: Payment | None = None
    delivered: list[str] = field(default_factory=list)

    def subscribe(self, *, user, plan) -> Payment:
        """The member's checkout through billing.checkout (our pending card payment, its Stripe customer, price and
        session), paid on the fake's page. Nothing is delivered yet."""
        payment, _url, _created = checkout_start(user=user, plan=plan)
        completed = self.fake.complete_checkout(StripeCheckout.objects.get(payment=payment).session_id)
        self.subscription_id = completed["subscription"]
        self.first_payment = payment
        return payment

    def period_end(self) -> datetime:
        """The end of the period Stripe has been paid for (or will charge for next)."""
        subscription = stripe_client().v1.subscriptions.retrieve(self.subscription_id)
        return datetime.fromtimestamp(subscription["items"]["data"][0]["current_period_end"], tz=UTC)

    def renew(self, *, succeed: bool = True) -> dict:
        return self.fake.renew(self.subscription_id, succeed=succeed)

    def cancel_at_period_end(self) -> None:
        """What the member does in Stripe's customer portal."""
        stripe_client().v1.subscriptions.update(self.subscription_id, {"cancel_at_period_end": True})

    def new_events(self) -> list[dict]:
        """The fake's events not handed out yet, oldest first."""
        events = self.fake.events_of()[self.seen :]
        self.seen += len(events)
        return events

    def deliver(self, events: list[dict], *, twice: bool = False, reverse: bool = False) -> None:
        """Signed deliveries to the webhook (all answered 200), then the worker runs every task due."""
        results = self.fake.deliver(self.webhook_url, events, twice=twice, reverse=reverse)
        assert {status for _event_id, status in results} <= {200}, results
        self.delivered += [event_id for event_id, _status in results]
        run_worker()

    def deliver_new(self, **options) -> list[dict]:
        events = self.new_events()
        self.deliver(events, **options)
        return events

"""Stripe's webhook events: stored once, then processed by the durable queue (docs/architecture/stripe.md)."""

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from billing import checkout, refunds, renewals
from billing.models import StripeEvent
from core import clock
from core.tasks import task_enqueue

logger = logging.getLogger("calmnessfi.billing")


@transaction.atomic
def stripe_event_record(*, event: dict[str, Any]) -> bool:
    """Store a verified event once; True when this call stored it (its processing task is then enqueued in the same
    transaction). A replay, or a concurrent delivery of the same event, finds the row and does nothing more: the
    unique event id decides, not a read before the write."""
    from billing.tasks import stripe_event_process  # the task module imports this one

    _event, created = StripeEvent.objects.get_or_create(
        event_id=event["id"],
        defaults={
            "type": event["type"],
            "created": datetime.fromtimestamp(event["created"], tz=UTC),
            "payload": event,
        },
    )
    if created:
        task_enqueue(stripe_event_process, event_id=event["id"])
    return created


def stripe_event_process(*, event_id: str) -> str:
    """Apply one stored event, once: the row is locked, and an event already processed (or ignored) is left alone,
    so a retry or a second worker does nothing twice. A handler's error marks the event failed, keeps the reason,
    and is raised again so that the queue retries. Returns the outcome."""
    try:
        with transaction.atomic():
            event = StripeEvent.objects.select_for_update().get(event_id=event_id)
            if event.outcome in {StripeEvent.Outcome.PROCESSED, StripeEvent.Outcome.IGNORED}:
                return event.outcome
            handler = HANDLERS.get(event.type)
            note = handler(event.payload["data"]["object"], event) if handler else _("type non traité pour l'instant")
            event.outcome = StripeEvent.Outcome.IGNORED if note else StripeEvent.Outcome.PROCESSED
            event.detail = note
            event.processed_at = clock.now()
            event.save(update_fields=["outcome", "detail", "processed_at"])
            return event.outcome
    except Exception as exc:
        # The handler's work was rolled back with the transaction; the failure itself is kept.
        StripeEvent.objects.filter(event_id=event_id).exclude(outcome=StripeEvent.Outcome.PROCESSED).update(
            outcome=StripeEvent.Outcome.FAILED, detail=f"{type(exc).__name__}: {exc}"
        )
        logger.warning("stripe event failed", extra={"event_id": event_id, "error": type(exc).__name__})
        raise


# One handler per event type, in the module of its topic. Each takes the event's object and the stored event (its
# `created` orders late events), and returns "" when it applied the event, or why it had nothing to do ("ignored").
HANDLERS: dict[str, Callable[[dict[str, Any], StripeEvent], str]] = {
    **checkout.HANDLERS,
    **renewals.HANDLERS,
    **refunds.HANDLERS,
}

"""Reconciliation with Stripe: the events the webhook missed (an outage, a secret changed by mistake), asked from
Stripe's events list and applied through the webhook's own path, once each (docs/architecture/stripe.md)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _
from stripe.params import EventListParams

from billing.client import stripe_client, stripe_enabled
from billing.models import StripeEvent
from billing.services import HANDLERS, stripe_event_process, stripe_event_record
from core import clock
from core.models import CronRun
from core.services import OverdueCron

COMMAND = "stripe_reconcile"
# Stripe keeps events 30 days: nothing older can be asked for.
STRIPE_EVENTS_KEPT = timedelta(days=30)
# With no successful run yet, how far back the first one looks.
FIRST_RUN_LOOKBACK = timedelta(days=3)
# A run starts this long before the previous success: events created while that run was listing are not skipped,
# and asking twice for an event costs nothing (its id is stored once).
OVERLAP = timedelta(days=1)
# The cron runs daily: no success for this long while Stripe is on is worth an admin's look.
OVERDUE_AFTER = timedelta(hours=36)
PAGE_SIZE = 100  # Stripe's maximum


@dataclass
class ReconcileReport:
    since: datetime
    listed: int = 0
    new: int = 0  # stored by this run: the webhook had missed them
    known: int = 0  # stored and settled already
    retried: int = 0  # stored but not settled (pending, failed) and settled by this run
    failed: int = 0  # could not be applied: left to the queue's retries and the next run

    def summary(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "listed": self.listed,
            "new": self.new,
            "known": self.known,
            "retried": self.retried,
            "failed": self.failed,
        }


def stripe_reconcile_since_default() -> datetime:
    """Where a run starts when not told: the last success minus an overlap, else a few days back; never beyond
    what Stripe keeps."""
    now = clock.now()
    last = CronRun.objects.filter(command=COMMAND).values_list("last_success_at", flat=True).first()
    since = last - OVERLAP if last else now - FIRST_RUN_LOOKBACK
    return max(since, now - STRIPE_EVENTS_KEPT)


def _events_since(since: datetime) -> list[dict[str, Any]]:
    """Stripe's events of the handled types created since `since`, oldest first (the list comes newest first, a page
    at a time)."""
    params: EventListParams = {
        "created": {"gte": int(since.timestamp())},
        "limit": PAGE_SIZE,
        "types": sorted(HANDLERS),
    }
    events = [event.to_dict(for_json=True) for event in stripe_client().v1.events.list(params).auto_paging_iter()]
    return events[::-1]


def stripe_events_reconcile(
    *, since: datetime, dry_run: bool = False, progress: Callable[[str], None] | None = None
) -> ReconcileReport:
    """Apply every event Stripe has since `since` that we have not settled: stored as the webhook stores it
    (stripe_event_record, which also queues its processing) and processed now, so a run settles what it finds even
    when no worker runs. Idempotent: a known event is left alone. A stripe.StripeError (Stripe unreachable) is
    raised: the run fails as a whole and the next one asks again."""
    report = ReconcileReport(since=since)
    for event in _events_since(since):
        report.listed += 1
        stored = StripeEvent.objects.filter(event_id=event["id"]).values_list("outcome", flat=True).first()
        settled = stored in {StripeEvent.Outcome.PROCESSED, StripeEvent.Outcome.IGNORED}
        if settled:
            report.known += 1
            continue
        if dry_run:
            report.new += stored is None
            report.retried += stored is not None
            continue
        if stored is None:
            stripe_event_record(event=event)
        try:
            stripe_event_process(event_id=event["id"])
        except Exception as exc:
            report.failed += 1
            if progress:
                progress(
                    _("échec %(id)s (%(type)s) : %(error)s") % {"id": event["id"], "type": event["type"], "error": exc}
                )
            continue
        if stored is None:
            report.new += 1
        else:
            report.retried += 1
        if progress:
            progress(_("appliqué %(id)s (%(type)s)") % {"id": event["id"], "type": event["type"]})
    return report


def stripe_reconcile_overdue() -> OverdueCron | None:
    """The reconciliation's lateness, for the admin's warning: only while Stripe is on."""
    if not stripe_enabled():
        return None
    last = CronRun.objects.filter(command=COMMAND).values_list("last_success_at", flat=True).first()
    if last is not None and clock.now() - last <= OVERDUE_AFTER:
        return None
    return OverdueCron(command=COMMAND, last_success_at=last, max_hours=int(OVERDUE_AFTER.total_seconds() // 3600))

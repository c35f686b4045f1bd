"""Writes about notifications: the calendar run (creation, delivery) and the member's read/dismiss actions.

Safe on several hosts at once: creation relies on the unique constraints (one notification per subscription
and type, one delivery per notification and channel) with INSERT ... ON CONFLICT DO NOTHING; deliveries are
claimed in short transactions with `select_for_update(skip_locked=True)` and a lease, so two runs never send
one delivery twice.
"""

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from core import clock
from notifications.calendar import CalendarEntry, already_covered, entry_due
from notifications.models import NotificationDelivery, UserNotification
from notifications.selectors import (
    UNREAD_STATUSES,
    deliveries_claimable,
    subscriptions_ending_coverage,
    subscriptions_renewing,
)
from notifications.senders import SENDERS, DeliveryOutcome
from subscriptions.models import Subscription

logger = logging.getLogger("calmnessfi.notifications")

CREATION_BATCH_SIZE = 1000
# Values in one INSERT: under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters.
INSERT_PARAMETERS = 30_000
# A claimed delivery is invisible to other runs for this long; if the run that claimed it dies, the next run
# after the lease picks it up again. Longer than the slowest batch (50 e-mails x EMAIL_TIMEOUT).
CLAIM_LEASE = timedelta(minutes=30)

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class PlannedNotification:
    subscription_id: int
    user_id: int
    notification_type: str


@dataclass
class CreationReport:
    created: Counter = field(default_factory=Counter)
    delivered_in_app: int = 0
    planned: list[PlannedNotification] = field(default_factory=list)  # filled on dry runs only


@dataclass
class DeliveryReport:
    delivered: Counter = field(default_factory=Counter)
    failed: int = 0
    given_up: int = 0
    skipped: int = 0
    would_send: Counter = field(default_factory=Counter)  # dry runs only
    unavailable: list[str] = field(default_factory=list)  # channels stopped for this run


def _batches(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def notifications_create_due(
    *,
    as_of: date,
    scheduled_for: datetime,
    dry_run: bool = False,
    batch_size: int = CREATION_BATCH_SIZE,
    progress: Progress | None = None,
) -> CreationReport:
    """Creates the reminders due on the local day `as_of`, each with one delivery per registered channel.

    For each subscription that ends its member's coverage within the calendar's window, only the most recent
    due row is created, and only when neither it nor a later row exists yet (catch-up without stale
    reminders). The in-app delivery is the notification row itself, so it is recorded sent in the same
    transaction; the other channels' deliveries start pending. A constant number of queries per batch of
    subscriptions; each batch is one transaction, so a crash leaves no notification without its deliveries.
    """
    report = CreationReport()
    candidate_ids = list(subscriptions_ending_coverage(as_of=as_of).order_by("pk").values_list("pk", flat=True))
    done = 0
    for ids in _batches(candidate_ids, batch_size):
        due = _due_in_batch(ids, as_of=as_of)
        if dry_run:
            report.planned += [PlannedNotification(d.subscription_id, d.user_id, d.notification_type) for d in due]
            report.created.update(d.notification_type for d in due)
        elif due:
            created = _create_with_deliveries(due, scheduled_for=scheduled_for)
            report.created.update(created)
            report.delivered_in_app += sum(created.values())
        done += len(ids)
        if progress:
            progress("création", done, len(candidate_ids))
    return report


class _Due(NamedTuple):
    user_id: int
    subscription_id: int
    notification_type: str
    title: str
    message: str


def _due_in_batch(ids: list[int], *, as_of: date) -> list[_Due]:
    existing: dict[int, set[str]] = defaultdict(set)
    for subscription_id, notification_type in UserNotification.objects.filter(subscription_id__in=ids).values_list(
        "subscription_id", "notification_type"
    ):
        existing[subscription_id].add(notification_type)

    rendered: dict[tuple[str, str, date], tuple[str, str]] = {}
    due = []
    rows = Subscription.objects.filter(pk__in=ids).order_by("pk").values_list("pk", "user_id", "ends_at", "plan__name")
    for subscription_id, user_id, ends_at, plan_name in rows:
        end_day = timezone.localtime(ends_at).date()
        offset = clock.days_between(end_day, as_of)
        entry: CalendarEntry | None = entry_due(offset)
        if entry is None or already_covered(entry, existing[subscription_id]):
            continue
        key = (entry.type.value, plan_name, end_day)
        if key not in rendered:
            message = entry.render_message(plan_name=plan_name, ends_at=ends_at, days_left=-offset)
            rendered[key] = (str(entry.title), message)
        due.append(_Due(user_id, subscription_id, entry.type.value, *rendered[key]))
    return due


def _insert_ignoring_conflicts(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Multi-row INSERT ... ON CONFLICT DO NOTHING (SQLite >= 3.24 and PostgreSQL), a few thousand rows a statement.

    Used instead of bulk_create, whose per-value preparation dominated the run time on 100,000 rows, and instead
    of executemany, which still sends (and PostgreSQL plans) one statement per row.
    """
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.get_field(c).column) for c in columns)
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per_statement = max(1, INSERT_PARAMETERS // len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            # Only model metadata goes into the SQL text; every value is a parameter.
            values = ", ".join([row_sql] * len(chunk))
            sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES {values} ON CONFLICT DO NOTHING"  # noqa: S608
            cursor.execute(sql, [value for row in chunk for value in row])


NOTIFICATION_COLUMNS = (
    "user",
    "subscription",
    "notification_type",
    "title",
    "message",
    "status",
    "scheduled_for",
    "sent_at",
    "created_at",
)


@transaction.atomic
def _create_with_deliveries(due: list[_Due], *, scheduled_for: datetime) -> Counter:
    now = clock.now()
    db_now = connection.ops.adapt_datetimefield_value(now)
    # Another host may have created some of these a moment ago: the unique constraint keeps one of each.
    _insert_ignoring_conflicts(
        UserNotification,
        NOTIFICATION_COLUMNS,
        [
            (
                *d,
                UserNotification.Status.SENT.value,
                connection.ops.adapt_datetimefield_value(scheduled_for),
                db_now,
                db_now,
            )
            for d in due
        ],
    )
    # Rows of another host were committed with their deliveries, so "without deliveries" means ours.
    fresh = list(
        UserNotification.objects.filter(
            subscription_id__in=[d.subscription_id for d in due], deliveries__isnull=True
        ).values_list("pk", "notification_type")
    )
    in_app = NotificationDelivery.Channel.IN_APP
    sent, pending = NotificationDelivery.Status.SENT.value, NotificationDelivery.Status.PENDING.value
    _insert_ignoring_conflicts(
        NotificationDelivery,
        ("notification", "channel", "status", "attempts", "last_error", "sent_at", "created_at", "updated_at"),
        [
            (pk, channel, sent, 1, "", db_now, db_now, db_now)
            if channel == in_app
            else (pk, channel, pending, 0, "", None, db_now, db_now)
            for pk, _ in fresh
            for channel in SENDERS
        ],
    )
    return Counter(notification_type for _, notification_type in fresh)


def deliveries_send_pending(
    *, dry_run: bool = False, channels: Iterable[str] | None = None, progress: Progress | None = None
) -> DeliveryReport:
    """Sends every claimable pending delivery, channel by channel, in claimed batches.

    Each batch is claimed in a short transaction (row locks with SKIP LOCKED where the database has them,
    attempts counted, a lease set), sent outside it, then its outcomes recorded. A failure stays pending for
    the next run until settings.NOTIFICATION_MAX_ATTEMPTS, then becomes failed. One pass per channel (ids
    ascending), so a failure is not retried within the same run. `channels` limits the run to some channels.
    """
    report = DeliveryReport()
    now = clock.now()
    if not dry_run:
        report.skipped += deliveries_skip_superseded(now=now)
    for channel, sender in SENDERS.items():
        if channels is not None and channel not in channels:
            continue
        if dry_run:
            report.would_send[channel] = deliveries_claimable(channel=channel, now=now).count()
            continue
        total = deliveries_claimable(channel=channel, now=now).count() if progress else 0
        cursor, done = 0, 0
        while True:
            ids = _claim(channel=channel, after_id=cursor, limit=sender.batch_size)
            if not ids:
                break
            cursor = ids[-1]
            deliveries = list(
                NotificationDelivery.objects.filter(pk__in=ids).select_related(*sender.select_related).order_by("pk")
            )
            try:
                outcomes = sender.send_batch(deliveries)
            except Exception as exc:
                # Whatever went wrong, the claim is released with the attempt counted: nothing is lost.
                logger.exception("sender %s failed", channel)
                outcomes = [
                    DeliveryOutcome(d.pk, NotificationDelivery.Status.FAILED, str(exc), True) for d in deliveries
                ]
            _record(deliveries, outcomes, sender.marks_notification_sent, report)
            done += len(ids)
            if progress:
                progress(channel, done, max(total, done))
            if any(o.channel_down for o in outcomes):
                report.unavailable.append(channel)
                break
    return report


SUPERSEDED_REASON = "Remplacée par un rappel plus récent ou un renouvellement : non envoyée en retard."


def deliveries_skip_superseded(*, now: datetime) -> int:
    """Pending deliveries of reminders that are no longer true are skipped, never sent late: the subscription
    got a newer calendar row (a failed "Dernière chance !" is not retried once "Abonnement expiré" exists), or
    the member renewed (another non-cancelled subscription ends later). One UPDATE."""
    newer_reminder = UserNotification.objects.filter(
        subscription_id=OuterRef("notification__subscription_id"), pk__gt=OuterRef("notification_id")
    )
    renewal = subscriptions_renewing(
        user=OuterRef("notification__user_id"),
        ends_at=OuterRef("notification__subscription__ends_at"),
        pk=OuterRef("notification__subscription_id"),
    )
    return NotificationDelivery.objects.filter(
        Exists(newer_reminder) | Exists(renewal), status=NotificationDelivery.Status.PENDING
    ).update(
        status=NotificationDelivery.Status.SKIPPED, last_error=SUPERSEDED_REASON, next_attempt_at=None, updated_at=now
    )


def _claim(*, channel: str, after_id: int, limit: int) -> list[int]:
    now = clock.now()
    with transaction.atomic():
        claimable = deliveries_claimable(channel=channel, now=now).filter(pk__gt=after_id).order_by("pk")
        if connection.features.has_select_for_update_skip_locked:
            claimable = claimable.select_for_update(skip_locked=True)
        # Without SKIP LOCKED (SQLite) the database serialises writers, which is enough for one host.
        ids = list(claimable.values_list("pk", flat=True)[:limit])
        if ids:
            NotificationDelivery.objects.filter(pk__in=ids).update(
                attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_LEASE, updated_at=now
            )
    return ids


def _record(
    deliveries: list[NotificationDelivery],
    outcomes: list[DeliveryOutcome],
    marks_notification_sent: bool,
    report: DeliveryReport,
) -> None:
    now = clock.now()
    status = NotificationDelivery.Status
    by_id = {d.pk: d for d in deliveries}
    channel = deliveries[0].channel
    sent_ids = [o.delivery_id for o in outcomes if o.status == status.SENT]
    skipped: dict[str, list[int]] = defaultdict(list)  # one UPDATE per reason
    for outcome in outcomes:
        if outcome.status == status.SKIPPED:
            skipped[outcome.error].append(outcome.delivery_id)
    failures = []
    max_attempts = settings.NOTIFICATION_MAX_ATTEMPTS
    for outcome in outcomes:
        if outcome.status != status.FAILED:
            continue
        delivery = by_id[outcome.delivery_id]
        # Loaded after the claim's UPDATE: attempts already counts this attempt.
        given_up = delivery.attempts >= max_attempts
        delivery.status = status.FAILED if given_up else status.PENDING
        delivery.last_error = outcome.error[:2000]
        delivery.next_attempt_at = None
        delivery.updated_at = now
        failures.append(delivery)
        report.given_up += given_up
    with transaction.atomic():
        if sent_ids:
            NotificationDelivery.objects.filter(pk__in=sent_ids).update(
                status=status.SENT, sent_at=now, last_error="", next_attempt_at=None, updated_at=now
            )
            if marks_notification_sent:
                newly_sent = UserNotification.objects.filter(
                    pk__in=[by_id[i].notification_id for i in sent_ids], status=UserNotification.Status.PENDING
                )
                newly_sent.update(status=UserNotification.Status.SENT, sent_at=now)
        for reason, ids in skipped.items():
            NotificationDelivery.objects.filter(pk__in=ids).update(
                status=status.SKIPPED, last_error=reason, next_attempt_at=None, updated_at=now
            )
        if failures:
            NotificationDelivery.objects.bulk_update(
                failures, ["status", "last_error", "next_attempt_at", "updated_at"]
            )
    report.delivered[channel] += len(sent_ids)
    report.skipped += sum(len(ids) for ids in skipped.values())
    report.failed += len(failures)
    for delivery in failures:
        logger.warning("delivery %s (%s) failed: %s", delivery.pk, channel, delivery.last_error)


def deliveries_retry_failed(*, deliveries: QuerySet[NotificationDelivery]) -> int:
    """Puts failed (given up) deliveries back in the queue for the next run; attempts are kept as history."""
    return deliveries.filter(status=NotificationDelivery.Status.FAILED).update(
        status=NotificationDelivery.Status.PENDING, next_attempt_at=None, updated_at=clock.now()
    )


def notification_mark_read(*, notification: UserNotification) -> UserNotification:
    """Marks one of the member's notifications read (idempotent: the first read_at is kept)."""
    if notification.read_at is None:
        notification.read_at = clock.now()
    if notification.status in UNREAD_STATUSES:
        notification.status = UserNotification.Status.READ
    notification.save(update_fields=["status", "read_at"])
    return notification


def notifications_mark_all_read(*, user) -> int:
    """Marks every unread notification of the member read; returns how many changed."""
    return user.notifications.filter(status__in=UNREAD_STATUSES).update(
        status=UserNotification.Status.READ, read_at=clock.now()
    )


def notification_dismiss(*, notification: UserNotification) -> UserNotification:
    """Hides a notification from the member's default list (reading it first if it was unread)."""
    if notification.read_at is None:
        notification.read_at = clock.now()
    notification.status = UserNotification.Status.DISMISSED
    notification.save(update_fields=["status", "read_at"])
    return notification

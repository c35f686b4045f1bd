"""Writes about notifications: the calendar run (creation, delivery) and the member's read/dismiss actions.

Safe on several hosts at once: creation relies on the unique constraints (one notification per subscription
and type, one delivery per notification and channel) with INSERT ... ON CONFLICT DO NOTHING, and gives
deliveries only to the notifications its own INSERT returned (RETURNING); deliveries are claimed in short
transactions with `select_for_update(skip_locked=True)` and a lease, so two runs never send one delivery twice.
"""

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Exists, F, IntegerField, OuterRef, QuerySet, Value, When

from core import clock
from notifications.calendar import FIRST_OFFSET, LAST_OFFSET, CalendarEntry, already_covered, entry_due
from notifications.models import NotificationDelivery, NotificationType, UserNotification
from notifications.selectors import (
    UNREAD_STATUSES,
    deliveries_claimable,
    subscriptions_ending_coverage,
    subscriptions_renewing,
)
from notifications.senders import SENDERS, DeliveryOutcome
from payments.selectors import payment_pending_before_end

logger = logging.getLogger("calmnessfi.notifications")

# Subscriptions per transaction: 1,000,000 reminders on PostgreSQL took 10-20 % less time than with 5,000 (fewer
# commits and per-batch queries); a batch keeps its members' figures rows locked about half a second.
CREATION_BATCH_SIZE = 10_000
# Values in one INSERT on SQLite (PostgreSQL's path sends arrays): under its 32,766 bound parameters.
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
    texts = _Texts(as_of)
    done = 0
    for ids in _batches(candidate_ids, batch_size):
        due = _due_in_batch(ids[0], ids[-1], as_of=as_of, texts=texts)
        if dry_run:
            planned = [PlannedNotification(d.subscription_id, d.user_id, texts.rows[d.text][0]) for d in due]
            report.planned += planned
            report.created.update(p.notification_type for p in planned)
        elif due:
            created = _create_with_deliveries(due, texts=texts.rows, scheduled_for=scheduled_for)
            report.created.update(created)
            report.delivered_in_app += sum(created.values())
        done += len(ids)
        if progress:
            progress("création", done, len(candidate_ids))
    return report


@dataclass(frozen=True)
class _EndDay:
    """A local day of the calendar's window: a subscription that ends on it has `entry` due on the run's day."""

    starts: datetime
    entry: CalendarEntry | None
    days_left: int
    auto_renew_entry: CalendarEntry | None  # the row due instead for a subscription that renews by itself
    trial_entry: CalendarEntry | None  # the row due instead for a free trial


class _Texts:
    """The window's local days and the run's reminder texts (type, title, message), rendered once per (end day,
    plan): a due reminder points to its text by index, so a batch carries three integers per reminder."""

    def __init__(self, as_of: date) -> None:
        self.end_days = [
            _EndDay(
                clock.start_of_local_day(clock.add_days(as_of, -offset)),
                entry_due(offset),
                -offset,
                entry_due(offset, auto_renew=True),
                entry_due(offset, trial=True),
            )
            for offset in range(LAST_OFFSET, FIRST_OFFSET - 1, -1)  # earliest end first
        ]
        self.rows: list[tuple[str, str, str]] = []
        self._index: dict[tuple[int, str, bool, bool, bool], int] = {}

    def entry(self, day: int, *, auto_renew: bool, trial: bool = False) -> CalendarEntry | None:
        end = self.end_days[day]
        if auto_renew:
            return end.auto_renew_entry
        return end.trial_entry if trial else end.entry

    def index(self, day: int, plan_name: str, *, auto_renew: bool, payment_pending: bool, trial: bool = False) -> int:
        key = (day, plan_name, auto_renew, payment_pending, trial)
        if key not in self._index:
            end = self.end_days[day]
            entry = self.entry(day, auto_renew=auto_renew, trial=trial)
            assert entry is not None  # asked only for a due row
            message = entry.render_message(
                plan_name=plan_name, ends_at=end.starts, days_left=end.days_left, payment_pending=payment_pending
            )
            self._index[key] = len(self.rows)
            self.rows.append((entry.type.value, str(entry.title), message))
        return self._index[key]


class _Due(NamedTuple):
    user_id: int
    subscription_id: int
    text: int  # index in _Texts.rows


def _due_in_batch(first_id: int, last_id: int, *, as_of: date, texts: _Texts) -> list[_Due]:
    """The reminders due for the candidates whose id is in [first_id, last_id], in id order: a range, not a list
    of ids, so the batch costs two short queries whatever its size. The database gives each subscription's end
    day as an index in `texts.end_days` (comparisons with the days' first instants, DST-safe), so no date or
    time zone is computed per subscription in Python."""
    batch = subscriptions_ending_coverage(as_of=as_of).filter(pk__range=(first_id, last_id))
    existing: dict[int, set[str]] = defaultdict(set)
    for subscription_id, notification_type in (
        # The id bounds let the unique (subscription, type) index bound the scan whatever the table's statistics.
        UserNotification.objects.filter(
            subscription__gte=first_id, subscription__lte=last_id, subscription__in=batch.values("pk")
        )
        .order_by()
        .values_list("subscription_id", "notification_type")
    ):
        existing[subscription_id].add(notification_type)

    end_days = texts.end_days
    # The candidates all end within the window: their day is the first one whose next day starts after the end.
    end_day = Case(
        *(When(ends_at__lt=later.starts, then=Value(day)) for day, later in enumerate(end_days[1:])),
        default=Value(len(end_days) - 1),
        output_field=IntegerField(),
    )
    due = []
    # A payment the member declared before the end and an admin has not verified yet: the reminder says so
    # instead of asking them to renew (their access is kept meanwhile: channels_sync.selectors.awaiting_payment_q).
    rows = (
        batch.annotate(end_day=end_day, payment_pending=payment_pending_before_end())
        .order_by("pk")
        .values_list("pk", "user_id", "end_day", "plan__name", "payment_pending", "auto_renew", "is_trial")
    )
    for subscription_id, user_id, day, plan_name, pending, auto_renew, trial in rows:
        entry = texts.entry(day, auto_renew=auto_renew, trial=trial)
        if entry is None or (subscription_id in existing and already_covered(entry, existing[subscription_id])):
            continue
        # A renewal the card pays needs no word about a declared payment being verified.
        text = texts.index(
            day, plan_name, auto_renew=auto_renew, payment_pending=pending and not auto_renew, trial=trial
        )
        due.append(_Due(user_id, subscription_id, text))
    return due


def _insert_ignoring_conflicts(
    model, columns: tuple[str, ...], rows: list[tuple], returning: tuple[str, ...] = ()
) -> list[tuple]:
    """Multi-row INSERT ... ON CONFLICT DO NOTHING, a few thousand rows a statement; returns the `returning`
    columns of the rows it inserted (not of those skipped for a conflict). SQLite's path (RETURNING: SQLite 3.35+).

    Used instead of bulk_create, whose per-value preparation dominated the run time on 100,000 rows, and instead
    of executemany, which sends one statement per row.
    """
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.get_field(c).column) for c in columns)
    returned = f" RETURNING {', '.join(quote(model._meta.get_field(c).column) for c in returning)}" if returning else ""
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per_statement = max(1, INSERT_PARAMETERS // len(columns))
    inserted: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            # Only model metadata goes into the SQL text; every value is a parameter.
            values = ", ".join([row_sql] * len(chunk))
            sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES {values} ON CONFLICT DO NOTHING"  # noqa: S608
            cursor.execute(sql + returned, [value for row in chunk for value in row])
            if returning:
                inserted += cursor.fetchall()
    return inserted


TEXT_COLUMNS = ("notification_type", "title", "message")
DELIVERY_COLUMNS = ("channel", "status", "attempts", "last_error", "sent_at", "created_at", "updated_at")


@transaction.atomic
def _create_with_deliveries(due: list[_Due], *, texts: list[tuple[str, str, str]], scheduled_for: datetime) -> Counter:
    """Inserts the batch's notifications and, for those it inserted, one delivery per channel; returns the
    number created per type. Another host may have created some of these a moment ago: the unique constraint
    keeps one of each, and RETURNING gives only the rows this statement inserted, whose deliveries are ours."""
    now = clock.now()
    # The same for every notification of the batch.
    shared = {
        "status": UserNotification.Status.SENT.value,
        "scheduled_for": scheduled_for,
        "sent_at": now,
        "created_at": now,
    }
    sent, pending = NotificationDelivery.Status.SENT.value, NotificationDelivery.Status.PENDING.value
    # The in-app delivery is the notification row itself: sent with it.
    per_channel = [
        (channel, sent, 1, "", now, now, now)
        if channel == NotificationDelivery.Channel.IN_APP
        else (channel, pending, 0, "", None, now, now)
        for channel in SENDERS
    ]
    if connection.vendor == "postgresql":
        return _create_on_postgresql(due, texts, shared, per_channel)

    def adapt(values) -> tuple:
        return tuple(connection.ops.adapt_datetimefield_value(v) if isinstance(v, datetime) else v for v in values)

    shared_values = adapt(shared.values())
    fresh = _insert_ignoring_conflicts(
        UserNotification,
        ("user", "subscription", *TEXT_COLUMNS, *shared),
        [(d.user_id, d.subscription_id, *texts[d.text], *shared_values) for d in due],
        returning=("id", "notification_type"),
    )
    channel_values = [adapt(row) for row in per_channel]
    _insert_ignoring_conflicts(
        NotificationDelivery,
        ("notification", *DELIVERY_COLUMNS),
        [(pk, *row) for pk, _ in fresh for row in channel_values],
    )
    return Counter(notification_type for _, notification_type in fresh)


def _create_on_postgresql(
    due: list[_Due], texts: list[tuple[str, str, str]], shared: dict[str, object], per_channel: list[tuple]
) -> Counter:
    """One statement for the batch. The reminders travel as three integer arrays (member, subscription, text),
    which unnest() turns back into rows in id order (the same order on every host, so two hosts never wait on
    each other's rows in opposite orders), and the texts as three short arrays. A VALUES list instead costs the
    driver and the server one placeholder per value to parse (25,000 a batch of 1,000 with its deliveries: the
    largest cost of the run). The rows inserted (RETURNING) get one delivery per channel from a cross join, in the
    same statement."""
    quote = connection.ops.quote_name
    notification, delivery = UserNotification._meta, NotificationDelivery._meta

    def column(meta, name: str) -> str:
        return quote(meta.get_field(name).column)

    def array(meta, name: str) -> str:
        return f"%s::{meta.get_field(name).db_type(connection)}[]"

    pk, notification_type = column(notification, "id"), column(notification, "notification_type")
    inserted = ", ".join(column(notification, c) for c in ("user", "subscription", *TEXT_COLUMNS, *shared))
    texts_sql = ", ".join(f"({array(notification, c)})[r.text + 1]" for c in TEXT_COLUMNS)
    delivered = ", ".join(column(delivery, c) for c in ("notification", *DELIVERY_COLUMNS))
    channels_sql = ", ".join(array(delivery, c) for c in DELIVERY_COLUMNS)
    # Only model metadata goes into the SQL text; every value is a parameter.
    sql = (
        f"WITH fresh AS (INSERT INTO {quote(notification.db_table)} ({inserted}) "  # noqa: S608
        f"SELECT r.user_id, r.subscription_id, {texts_sql}, {', '.join(['%s'] * len(shared))} "
        f"FROM unnest(%s::bigint[], %s::bigint[], %s::integer[]) r(user_id, subscription_id, text) "
        f"ON CONFLICT DO NOTHING RETURNING {pk}, {notification_type}), "
        f"deliveries AS (INSERT INTO {quote(delivery.db_table)} ({delivered}) "
        f"SELECT fresh.{pk}, c.* FROM fresh CROSS JOIN unnest({channels_sql}) c) "
        f"SELECT {notification_type}, COUNT(*) FROM fresh GROUP BY {notification_type}"
    )
    params: list = [
        *(list(values) for values in zip(*texts, strict=True)),
        *shared.values(),
        *(list(values) for values in zip(*due, strict=True)),
        *(list(values) for values in zip(*per_channel, strict=True)),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return Counter(dict(cursor.fetchall()))


def deliveries_send_pending(
    *,
    dry_run: bool = False,
    channels: Iterable[str] | None = None,
    progress: Progress | None = None,
    reference: str | None = None,
) -> DeliveryReport:
    """Sends every claimable pending delivery, channel by channel, in claimed batches.

    Each batch is claimed in a short transaction (row locks with SKIP LOCKED where the database has them,
    attempts counted, a lease set), sent outside it, then its outcomes recorded. A failure stays pending for
    the next run until settings.NOTIFICATION_MAX_ATTEMPTS, then becomes failed. One pass per channel (ids
    ascending), so a failure is not retried within the same run. `channels` limits the run to some channels;
    `reference` to the notices about one thing (a new signal's alerts, sent by their task without waiting for the
    daily run).
    """
    report = DeliveryReport()
    now = clock.now()
    if not dry_run and reference is None:
        report.skipped += deliveries_skip_superseded(now=now)
    for channel, sender in SENDERS.items():
        if channels is not None and channel not in channels:
            continue
        if dry_run:
            report.would_send[channel] = deliveries_claimable(channel=channel, now=now, reference=reference).count()
            continue
        total = deliveries_claimable(channel=channel, now=now, reference=reference).count() if progress else 0
        cursor, done = 0, 0
        while True:
            ids = _claim(channel=channel, after_id=cursor, limit=sender.batch_size, reference=reference)
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
STALE_ALERT_REASON = "Alerte de nouveau signal trop ancienne : non envoyée en retard."
# A new signal's alert still undelivered after this long is skipped: its task retried it for minutes already, and
# the daily run must not announce hours later a signal that may have moved since.
SIGNAL_ALERT_FRESHNESS = timedelta(hours=2)


def deliveries_skip_superseded(*, now: datetime) -> int:
    """Pending deliveries of reminders that are no longer true are skipped, never sent late: the subscription
    got a newer calendar row (a failed "Dernière chance !" is not retried once "Abonnement expiré" exists), or
    the member renewed (another non-cancelled subscription ends later); and a new signal's alerts older than
    SIGNAL_ALERT_FRESHNESS. One UPDATE per reason: with the two EXISTS in one OR, PostgreSQL checks them one
    pending delivery at a time (8 s for 1,000,000 pending); alone, each can be a join."""
    newer_reminder = UserNotification.objects.filter(
        subscription_id=OuterRef("notification__subscription_id"), pk__gt=OuterRef("notification_id")
    )
    renewal = subscriptions_renewing(
        user=OuterRef("notification__user_id"),
        ends_at=OuterRef("notification__subscription__ends_at"),
        pk=OuterRef("notification__subscription_id"),
    )
    skipped = sum(
        NotificationDelivery.objects.filter(Exists(reason), status=NotificationDelivery.Status.PENDING).update(
            status=NotificationDelivery.Status.SKIPPED,
            last_error=SUPERSEDED_REASON,
            next_attempt_at=None,
            updated_at=now,
        )
        for reason in (newer_reminder, renewal)
    )
    return skipped + NotificationDelivery.objects.filter(
        status=NotificationDelivery.Status.PENDING,
        notification__notification_type=NotificationType.SIGNAL_PUBLISHED,
        notification__created_at__lt=now - SIGNAL_ALERT_FRESHNESS,
    ).update(
        status=NotificationDelivery.Status.SKIPPED, last_error=STALE_ALERT_REASON, next_attempt_at=None, updated_at=now
    )


def _claim(*, channel: str, after_id: int, limit: int, reference: str | None = None) -> list[int]:
    now = clock.now()
    with transaction.atomic():
        claimable = (
            deliveries_claimable(channel=channel, now=now, reference=reference).filter(pk__gt=after_id).order_by("pk")
        )
        if connection.features.has_select_for_update_skip_locked:
            # Only the deliveries: the notices joined for `reference` stay unlocked.
            claimable = claimable.select_for_update(skip_locked=True, of=("self",))
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

"""Reads for the member dashboard: a fixed number of queries whatever the member's history."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.utils.dateparse import parse_datetime

from channels_sync.selectors import channel_statuses_from, member_memberships_statement
from core import clock
from core.prepared import PreparedQuery, Statement, run_together
from notifications.models import UserNotification
from payments.selectors import payments_for_member
from subscriptions.models import MemberFigures, Subscription
from subscriptions.selectors import subscriptions_active_list_for, time_remaining

RECENT_ITEMS = 5


# Compiled once per process (core/prepared.py): every uncached dashboard read runs these three.
_active_subscriptions = PreparedQuery(
    lambda user_id, at: subscriptions_active_list_for(user=user_id, at=at), user_id=int, at=datetime
)
_recent_payments = PreparedQuery(lambda user_id: payments_for_member(user=user_id)[:RECENT_ITEMS], user_id=int)
_recent_notifications = PreparedQuery(
    lambda user_id: (
        UserNotification.objects.filter(user=user_id)
        .exclude(status=UserNotification.Status.DISMISSED)
        .order_by("-scheduled_for", "-id")[:RECENT_ITEMS]
    ),
    user_id=int,
)


@dataclass(frozen=True)
class Dashboard:
    user: object
    stats: dict
    countdown: dict | None
    active_subscriptions: list
    recent_payments: list
    recent_notifications: list
    server_time: datetime
    channels: dict  # per platform, as channels_sync.selectors.channel_status_for
    # The next instant at which this body changes with no write at all (a subscription starting or ending, a
    # channel grace period running out), or None: how long the dashboard cache may keep it.
    next_change: datetime | None = None


def dashboard_for_member(*, user, at: datetime | None = None) -> Dashboard:
    """Everything the dashboard shows, computed at one instant `at` (default now).

    Five statements in one round trip (`run_together`): the figures (one row, `_facts_statement`), active
    subscriptions, recent payments and recent notifications (each a LIMIT in index order), and the member's
    channel memberships.
    """
    at = at or clock.now()
    facts, active, recent_payments, recent_notifications, memberships = run_together(
        [
            _facts_statement(user=user, at=at),
            _active_subscriptions.statement(user_id=user.pk, at=at),
            _recent_payments.statement(user_id=user.pk),
            _recent_notifications.statement(user_id=user.pk),
            member_memberships_statement(user.pk),
        ]
    )
    stats = {
        # Same filter as the list above, at the same instant: its length is the count.
        "active_subscriptions": len(active),
        "total_subscriptions": facts["total_subscriptions"],
        "total_payments": facts["total_payments"],
        "confirmed_payments": facts["confirmed_payments"],
        "pending_payments": facts["pending_payments"],
        "total_paid": facts["total_paid"],
        "unread_notifications": facts["unread_notifications"],
    }
    return Dashboard(
        user=user,
        stats=stats,
        countdown=countdown_for(subscription=active[0], at=at) if active else None,
        active_subscriptions=active,
        recent_payments=recent_payments,
        recent_notifications=recent_notifications,
        server_time=at,
        channels=channel_statuses_from([user.pk], memberships)[user.pk],
        next_change=_next_change(facts, active=active, at=at),
    )


def _facts_statement(*, user, at: datetime) -> Statement:
    """Every figure of the dashboard in one statement: the member's running totals (one row of `MemberFigures`,
    kept by triggers, so the cost does not grow with the history) and the subscription ends that matter for time,
    each an index seek on (user, status, ends_at): the first end still to come (an active subscription ending)
    and the first end still inside the channel grace period (access ends at end + grace).

    Plain SQL (the same on PostgreSQL and SQLite): built with the ORM, scalar subqueries cost milliseconds of
    Python per request to construct and compile, many times the statement's own time."""
    grace = timedelta(hours=settings.CHANNEL_GRACE_HOURS)
    adapt = connection.ops.adapt_datetimefield_value
    shown = [Subscription.Status.ACTIVE.value, Subscription.Status.EXPIRED.value]
    params = [
        user.pk, *shown, adapt(at),
        user.pk, adapt(at - grace), adapt(at), *shown,
        user.pk,
    ]  # fmt: skip
    return Statement(sql=_facts_sql(), params=params, result=lambda rows: _facts_from(rows[0], grace=grace))


def _facts_from(row: tuple, *, grace: timedelta) -> dict:
    names = ("total_subscriptions", "next_end", "grace_from", "total_payments", "confirmed_payments")
    names += ("pending_payments", "paid_cents", "unread_notifications")
    facts = dict(zip(names, row, strict=True))
    for name in ("next_end", "grace_from"):
        facts[name] = _as_datetime(facts[name])
    if not grace:
        facts["grace_from"] = None
    facts["total_paid"] = Decimal(int(facts.pop("paid_cents"))).scaleb(-2)
    return facts


def _facts_sql() -> str:
    q = connection.ops.quote_name
    subscriptions, figures = q(Subscription._meta.db_table), q(MemberFigures._meta.db_table)
    user, status, ends_at = q("user_id"), q("status"), q("ends_at")

    def total(name: str) -> str:
        return f"COALESCE(f.{q(name)}, 0)"

    return f"""SELECT
        {total("subscriptions_total")},
        (SELECT MIN({ends_at}) FROM {subscriptions} WHERE {user} = %s AND {status} IN (%s, %s) AND {ends_at} > %s),
        (SELECT MIN({ends_at}) FROM {subscriptions}
            WHERE {user} = %s AND {ends_at} > %s AND {ends_at} <= %s AND {status} IN (%s, %s)),
        {total("payments_total")}, {total("payments_confirmed")}, {total("payments_pending")},
        {total("paid_cents")}, {total("notifications_unread")}
        FROM (SELECT 1 AS one) AS base LEFT JOIN {figures} AS f ON f.{user} = %s"""  # noqa: S608 (names from model metadata, values as parameters)


def _as_datetime(value) -> datetime | None:
    """PostgreSQL returns aware datetimes, SQLite the stored UTC text."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_datetime(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _next_change(facts: dict, *, active: list, at: datetime) -> datetime | None:
    # Starts in the future (queued renewals) are only among the active subscriptions, already loaded.
    grace = timedelta(hours=settings.CHANNEL_GRACE_HOURS)
    candidates = [s.starts_at for s in active if s.starts_at > at]
    if facts["next_end"] is not None:
        candidates.append(facts["next_end"])
    if facts.get("grace_from") is not None:
        candidates.append(facts["grace_from"] + grace)
    return min(candidates, default=None)


def countdown_for(*, subscription: Subscription, at: datetime) -> dict:
    remaining = time_remaining(ends_at=subscription.ends_at, at=at)
    remaining.pop("is_expired")
    return {"subscription_id": subscription.pk, "ends_at": subscription.ends_at, **remaining}

"""The member dashboard: one read across the apps below (subscriptions, payments, notifications, channels_sync).

A fixed number of queries whatever the member's history: the totals come from one `MemberFigures` row (running
totals kept by database triggers, subscriptions/figures.py), every list is a plain ORM LIMIT in index order.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection

from channels_sync.selectors import channel_statuses_for, grace_next_change
from core import clock
from notifications.selectors import notifications_for_member
from payments.selectors import payments_for_member
from subscriptions import figures as figures_sql
from subscriptions.models import MemberFigures, PlansVersion, Subscription
from subscriptions.selectors import subscriptions_active_list_for, time_remaining

RECENT_ITEMS = 5


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


def member_figures(*, user_id: int) -> tuple[MemberFigures, int]:
    """The member's figures row (their totals and version) and the plans' version, in one query of two
    primary-key reads: every dashboard read starts with it, cache hits included, so it is plain SQL (through the
    ORM it cost three times as much). No row: no history (zeros, version 0); nothing such a member's dashboard
    shows depends on plans either, but the plans' version is read all the same."""
    q = connection.ops.quote_name
    names = ["user_id", *figures_sql.COLUMNS, figures_sql.VERSION]  # column names, also the fields' attnames
    sql = (
        f"SELECT {', '.join(f'f.{q(name)}' for name in names)}, "  # noqa: S608 (names from constants, values as parameters)
        f"(SELECT {q('version')} FROM {q(PlansVersion._meta.db_table)} WHERE {q('id')} = 1) "
        f"FROM (SELECT 1 AS one) AS base LEFT JOIN {q(MemberFigures._meta.db_table)} AS f ON f.{q('user_id')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        *values, plans_version = cursor.fetchone()
    if values[0] is None:
        return MemberFigures(user_id=user_id), plans_version or 0
    return MemberFigures(**dict(zip(names, values, strict=True))), plans_version or 0


def dashboard_for_member(*, user, at: datetime | None = None, figures: MemberFigures | None = None) -> Dashboard:
    """Everything the dashboard shows, computed at one instant `at` (default now).

    Five queries: the member's figures (`member_figures`, unless given: the cache lookup read them), active
    subscriptions, recent payments, recent notifications, channel memberships; one more while an account is
    linked and waiting for access, and one with a channel grace period or a pending payment (when a grace
    changes access next).
    """
    at = at or clock.now()
    if figures is None:
        figures, _ = member_figures(user_id=user.pk)
    active = list(subscriptions_active_list_for(user=user.pk, at=at))
    stats = {
        # Same filter as the list above, at the same instant: its length is the count.
        "active_subscriptions": len(active),
        "total_subscriptions": figures.subscriptions_total,
        "total_payments": figures.payments_total,
        "confirmed_payments": figures.payments_confirmed,
        "pending_payments": figures.payments_pending,
        "total_paid": Decimal(figures.paid_cents).scaleb(-2),
        "unread_notifications": figures.notifications_unread,
    }
    return Dashboard(
        user=user,
        stats=stats,
        countdown=countdown_for(subscription=active[0], at=at) if active else None,
        active_subscriptions=active,
        recent_payments=list(payments_for_member(user=user.pk)[:RECENT_ITEMS]),
        recent_notifications=list(notifications_for_member(user=user).order_by("-scheduled_for", "-id")[:RECENT_ITEMS]),
        server_time=at,
        channels=channel_statuses_for([user.pk])[user.pk],
        next_change=_next_change(user=user, active=active, at=at, payment_pending=figures.payments_pending > 0),
    )


def _next_change(*, user, active: list, at: datetime, payment_pending: bool) -> datetime | None:
    """The first of: an active subscription ending, a queued one starting (both already loaded), the channel
    grace changing the member's access (channels_sync's rule)."""
    candidates = [s.starts_at for s in active if s.starts_at > at] + [s.ends_at for s in active]
    candidates.append(grace_next_change(user_id=user.pk, at=at, payment_pending=payment_pending))
    return min((instant for instant in candidates if instant is not None), default=None)


def countdown_for(*, subscription: Subscription, at: datetime) -> dict:
    remaining = time_remaining(ends_at=subscription.ends_at, at=at)
    remaining.pop("is_expired")
    return {"subscription_id": subscription.pk, "ends_at": subscription.ends_at, **remaining}

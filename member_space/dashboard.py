"""The member dashboard: one read across the apps below (subscriptions, payments, notifications, channels_sync).

A fixed number of plain ORM queries whatever the member's history: the totals come from one `MemberFigures` row
(running totals kept by database triggers, subscriptions/figures.py), every list is a LIMIT in index order.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Min, Q

from channels_sync.selectors import channel_grace, channel_statuses_for, in_grace_q
from core import clock
from notifications.selectors import notifications_for_member
from payments.selectors import payments_for_member
from subscriptions.models import MemberFigures, Subscription
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


def dashboard_for_member(*, user, at: datetime | None = None) -> Dashboard:
    """Everything the dashboard shows, computed at one instant `at` (default now).

    Six queries: the member's figures (one row), the subscription ends that matter for time, active
    subscriptions, recent payments, recent notifications, channel memberships (a seventh only while an account
    is linked and waiting for access).
    """
    at = at or clock.now()
    figures = MemberFigures.objects.filter(user_id=user.pk).first() or MemberFigures(user_id=user.pk)
    ends = _ends(user=user, at=at)
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
        next_change=_next_change(ends, active=active, at=at),
    )


def _ends(*, user, at: datetime) -> dict:
    """In one query on the (user, status, ends_at) index: the first end still to come (a subscription ending)
    and the first end still inside the channel grace period (channels_sync's rule: access ends at end + grace)."""
    shown = [Subscription.Status.ACTIVE, Subscription.Status.EXPIRED]
    return Subscription.objects.filter(user_id=user.pk, status__in=shown, ends_at__gt=at - channel_grace()).aggregate(
        next_end=Min("ends_at", filter=Q(ends_at__gt=at)),
        grace_from=Min("ends_at", filter=in_grace_q(at=at)),
    )


def _next_change(ends: dict, *, active: list, at: datetime) -> datetime | None:
    # Starts in the future (queued renewals) are only among the active subscriptions, already loaded.
    candidates = [s.starts_at for s in active if s.starts_at > at]
    if ends["next_end"] is not None:
        candidates.append(ends["next_end"])
    if ends["grace_from"] is not None:
        candidates.append(ends["grace_from"] + channel_grace())
    return min(candidates, default=None)


def countdown_for(*, subscription: Subscription, at: datetime) -> dict:
    remaining = time_remaining(ends_at=subscription.ends_at, at=at)
    remaining.pop("is_expired")
    return {"subscription_id": subscription.pk, "ends_at": subscription.ends_at, **remaining}

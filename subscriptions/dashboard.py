"""Reads for the member dashboard: a fixed number of queries whatever the member's history."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min, Q

from core import clock
from notifications.models import UserNotification
from payments.selectors import payment_stats_for_member, payments_for_member
from subscriptions.models import Subscription
from subscriptions.selectors import subscriptions_active_list_for, time_remaining

RECENT_ITEMS = 5
UNREAD_STATUSES = (UserNotification.Status.PENDING, UserNotification.Status.SENT)


@dataclass(frozen=True)
class Dashboard:
    user: object
    stats: dict
    countdown: dict | None
    active_subscriptions: list
    recent_payments: list
    recent_notifications: list
    server_time: datetime
    # The next instant at which this body changes with no write at all (a subscription starting or ending, a
    # channel grace period running out), or None: how long the dashboard cache may keep it.
    next_change: datetime | None = None


def dashboard_for_member(*, user, at: datetime | None = None) -> Dashboard:
    """Everything the dashboard shows, computed at one instant `at` (default now).

    Six queries: subscription count (with the next time-driven change), unread count, active subscriptions,
    recent payments, recent notifications, payment stats; each a count over an index or a LIMIT in index order.
    """
    at = at or clock.now()
    subscription_facts = _subscription_facts(user=user, at=at)
    total_subscriptions = subscription_facts["total"]
    unread = UserNotification.objects.filter(user=user, status__in=UNREAD_STATUSES).count()
    active = list(subscriptions_active_list_for(user=user, at=at))
    recent_payments = list(payments_for_member(user=user)[:RECENT_ITEMS])
    recent_notifications = list(
        UserNotification.objects.filter(user=user)
        .exclude(status=UserNotification.Status.DISMISSED)
        .order_by("-scheduled_for", "-id")[:RECENT_ITEMS]
    )
    stats = {
        # Same filter as the list above, at the same instant: its length is the count.
        "active_subscriptions": len(active),
        "total_subscriptions": total_subscriptions,
        **payment_stats_for_member(user=user),
        "unread_notifications": unread,
    }
    return Dashboard(
        user=user,
        stats=stats,
        countdown=countdown_for(subscription=active[0], at=at) if active else None,
        active_subscriptions=active,
        recent_payments=recent_payments,
        recent_notifications=recent_notifications,
        server_time=at,
        next_change=_next_change(subscription_facts, active=active, at=at),
    )


def _subscription_facts(*, user, at: datetime) -> dict:
    """The member's subscription count and the ends that matter for time, in one scan of the
    (user, status, ends_at) index: the first end still to come (an active subscription ending) and the first end
    still inside the channel grace period (its access ends at end + grace)."""
    grace = timedelta(hours=settings.CHANNEL_GRACE_HOURS)
    shown = Q(status__in=[Subscription.Status.ACTIVE, Subscription.Status.EXPIRED])
    aggregates = {"total": Count("*"), "next_end": Min("ends_at", filter=shown & Q(ends_at__gt=at))}
    if grace:
        aggregates["grace_from"] = Min("ends_at", filter=shown & Q(ends_at__gt=at - grace, ends_at__lte=at))
    return Subscription.objects.filter(user=user).aggregate(**aggregates)


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

"""Reads for the member dashboard: a fixed number of queries whatever the member's history."""

from dataclasses import dataclass
from datetime import datetime

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


def dashboard_for_member(*, user, at: datetime | None = None) -> Dashboard:
    """Everything the dashboard shows, computed at one instant `at` (default now).

    Six queries: subscription count, unread count, active subscriptions, recent payments, recent
    notifications, payment stats; each a count over an index or a LIMIT in index order.
    """
    at = at or clock.now()
    total_subscriptions = Subscription.objects.filter(user=user).count()
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
    )


def countdown_for(*, subscription: Subscription, at: datetime) -> dict:
    remaining = time_remaining(ends_at=subscription.ends_at, at=at)
    remaining.pop("is_expired")
    return {"subscription_id": subscription.pk, "ends_at": subscription.ends_at, **remaining}

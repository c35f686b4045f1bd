"""Reads for the member dashboard: a fixed number of queries whatever the member's history."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count

from core import clock
from notifications.models import UserNotification
from payments.selectors import payment_stats_for_member, payments_for_member
from subscriptions.models import Subscription
from subscriptions.selectors import active_q, subscriptions_active_list_for, time_remaining

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

    Six queries: payment stats, subscription stats, unread count, active subscriptions, recent
    payments, recent notifications; each an aggregate or a LIMIT over an index on the member.
    """
    at = at or clock.now()
    subscription_stats = Subscription.objects.filter(user=user).aggregate(
        total_subscriptions=Count("id"), active_subscriptions=Count("id", filter=active_q(at=at))
    )
    unread = UserNotification.objects.filter(user=user, status__in=UNREAD_STATUSES).count()
    active = list(subscriptions_active_list_for(user=user, at=at))
    recent_payments = list(payments_for_member(user=user)[:RECENT_ITEMS])
    recent_notifications = list(
        UserNotification.objects.filter(user=user)
        .exclude(status=UserNotification.Status.DISMISSED)
        .order_by("-scheduled_for", "-id")[:RECENT_ITEMS]
    )
    stats = {
        "active_subscriptions": subscription_stats["active_subscriptions"],
        "total_subscriptions": subscription_stats["total_subscriptions"],
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

"""The dashboard body built as plain dicts, one small function per shape.

The documented shape is `subscriptions.api.DashboardSerializer` (OpenAPI schema); these functions produce exactly
what it produces (tests/test_dashboard_body.py compares them field for field) without building DRF fields on
every request: per request, ModelSerializer field construction was about a third of the uncached dashboard's time.
Scalars go through the same DRF field classes (`to_representation`), so dates and amounts are formatted alike.
"""

from datetime import datetime

from rest_framework import serializers

from accounts.serializers import profile_body
from subscriptions.models import Subscription
from subscriptions.selectors import subscription_effective_status, time_remaining

_datetime = serializers.DateTimeField()
_stats_money = serializers.DecimalField(max_digits=14, decimal_places=2)
_payment_money = serializers.DecimalField(max_digits=10, decimal_places=2)  # Payment.amount


def _dt(value: datetime | None) -> str | None:
    return None if value is None else _datetime.to_representation(value)


def _str(value) -> str | None:
    return None if value is None else str(value)


def plan_brief_body(plan) -> dict:
    """As `PlanBriefSerializer`."""
    return {"id": plan.pk, "name": str(plan.name), "slug": str(plan.slug), "duration_days": plan.duration_days}


def subscription_body(subscription, *, at: datetime, channels: dict) -> dict:
    """As `SubscriptionSerializer` with context {"at": at}; `channels` is the member's channel block."""
    status = subscription_effective_status(subscription=subscription, at=at)
    return {
        "id": subscription.pk,
        "plan": plan_brief_body(subscription.plan),
        "status": status,
        "is_active": status == Subscription.Status.ACTIVE,
        "starts_at": _dt(subscription.starts_at),
        "ends_at": _dt(subscription.ends_at),
        "time_remaining": time_remaining(ends_at=subscription.ends_at, at=at),
        "telegram_added": subscription.telegram_added,
        "discord_added": subscription.discord_added,
        "channels": channels,
        "created_at": _dt(subscription.created_at),
    }


def payment_body(payment) -> dict:
    """As `payments.serializers.PaymentSerializer`."""
    return {
        "id": payment.pk,
        "plan": plan_brief_body(payment.plan),
        "amount": None if payment.amount is None else _payment_money.to_representation(payment.amount),
        "currency": _str(payment.currency),
        "method": _str(payment.method),
        "reference": _str(payment.reference),
        "note": _str(payment.note),
        "status": _str(payment.status),
        "created_at": _dt(payment.created_at),
        "confirmed_at": _dt(payment.confirmed_at),
        "rejected_at": _dt(payment.rejected_at),
        "rejection_reason": _str(payment.rejection_reason),
    }


def notification_body(notification) -> dict:
    """As `subscriptions.api.DashboardNotificationSerializer`."""
    return {
        "id": notification.pk,
        "notification_type": _str(notification.notification_type),
        "title": _str(notification.title),
        "message": _str(notification.message),
        "status": _str(notification.status),
        "scheduled_for": _dt(notification.scheduled_for),
        "sent_at": _dt(notification.sent_at),
        "read_at": _dt(notification.read_at),
    }


def stats_body(stats: dict) -> dict:
    return {**stats, "total_paid": _stats_money.to_representation(stats["total_paid"])}


def countdown_body(countdown: dict | None) -> dict | None:
    if countdown is None:
        return None
    return {**countdown, "ends_at": _dt(countdown["ends_at"])}


def dashboard_body(dashboard) -> dict:
    """The whole body for a `subscriptions.dashboard.Dashboard`."""
    at = dashboard.server_time
    channels = dashboard.channels
    return {
        "user": profile_body(dashboard.user),
        "stats": stats_body(dashboard.stats),
        "countdown": countdown_body(dashboard.countdown),
        "active_subscriptions": [
            subscription_body(subscription, at=at, channels=channels) for subscription in dashboard.active_subscriptions
        ],
        "recent_payments": [payment_body(payment) for payment in dashboard.recent_payments],
        "recent_notifications": [notification_body(notification) for notification in dashboard.recent_notifications],
        "server_time": _dt(at),
        "channels": channels,
    }

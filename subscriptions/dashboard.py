"""Reads for the member dashboard: a fixed number of queries whatever the member's history."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, DecimalField, Min, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from core import clock
from notifications.models import UserNotification
from payments.models import Payment
from payments.selectors import payments_for_member
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

    Four queries: the figures (one row, `_facts`), active subscriptions, recent payments, recent notifications;
    each a count over an index or a LIMIT in index order. (The channels block adds one, see `dashboard_body`.)
    """
    at = at or clock.now()
    facts = _facts(user=user, at=at)
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
        next_change=_next_change(facts, active=active, at=at),
    )


def _per_member(queryset, aggregate):
    """A scalar subquery: `aggregate` over the outer member's rows of `queryset` (NULL when they have none)."""
    rows = queryset.filter(user=OuterRef("pk")).order_by().values("user").annotate(value=aggregate)
    return Subquery(rows.values("value"))


def _facts(*, user, at: datetime) -> dict:
    """Every figure of the dashboard in one query: the member's own row with one scalar subquery per figure, each
    read from an index ((user, status, ends_at) for subscriptions, (user, status, amount) for payments, (user,
    status) for notifications). Also the subscription ends that matter for time: the first end still to come (an
    active subscription ending) and the first end still inside the channel grace period (access ends at end +
    grace)."""
    grace = timedelta(hours=settings.CHANNEL_GRACE_HOURS)
    subscriptions = Subscription.objects.all()
    shown = subscriptions.filter(status__in=[Subscription.Status.ACTIVE, Subscription.Status.EXPIRED])
    payments = Payment.objects.all()
    confirmed = payments.filter(status=Payment.Status.CONFIRMED)
    money = DecimalField(max_digits=14, decimal_places=2)
    figures = {
        "total_subscriptions": Coalesce(_per_member(subscriptions, Count("*")), 0),
        "next_end": _per_member(shown.filter(ends_at__gt=at), Min("ends_at")),
        "total_payments": Coalesce(_per_member(payments, Count("*")), 0),
        "confirmed_payments": Coalesce(_per_member(confirmed, Count("*")), 0),
        "pending_payments": Coalesce(_per_member(payments.filter(status=Payment.Status.PENDING), Count("*")), 0),
        "total_paid": Coalesce(_per_member(confirmed, Sum("amount")), Value(Decimal("0.00")), output_field=money),
        "unread_notifications": Coalesce(
            _per_member(UserNotification.objects.filter(status__in=UNREAD_STATUSES), Count("*")), 0
        ),
    }
    if grace:
        figures["grace_from"] = _per_member(shown.filter(ends_at__gt=at - grace, ends_at__lte=at), Min("ends_at"))
    return get_user_model().objects.filter(pk=user.pk).annotate(**figures).values(*figures).get()


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

"""Reads about notifications and about which subscriptions the calendar concerns."""

from datetime import date, datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from core import clock
from notifications.calendar import AUTO_RENEW_LAST_OFFSET, FIRST_OFFSET, LAST_OFFSET
from notifications.models import NotificationDelivery, UserNotification
from subscriptions.models import Subscription

UNREAD_STATUSES = (UserNotification.Status.PENDING, UserNotification.Status.SENT)


def notifications_for_member(*, user, status: str | None = None) -> QuerySet[UserNotification]:
    """The member's notifications, newest first. Dismissed ones only when asked for by status."""
    notifications = user.notifications.all()
    if status:
        return notifications.filter(status=status)
    return notifications.exclude(status=UserNotification.Status.DISMISSED)


def notifications_unread_count(*, user) -> int:
    return user.notifications.filter(status__in=UNREAD_STATUSES).count()


def subscriptions_renewing(*, user, ends_at, pk) -> QuerySet[Subscription]:
    """The member's non-cancelled subscriptions that end after the one given by (`user`, `ends_at`, `pk`),
    ties broken by id: when one exists, that subscription no longer ends the coverage (the member renewed).
    Arguments are usually OuterRef expressions, to use the result in Exists()."""
    return (
        Subscription.objects.filter(user=user)
        .exclude(status=Subscription.Status.CANCELLED)
        .filter(Q(ends_at__gt=ends_at) | Q(ends_at=ends_at, pk__gt=pk))
    )


def subscriptions_ending_coverage(*, as_of: date) -> QuerySet[Subscription]:
    """Non-cancelled subscriptions whose local end day is within the calendar's window around `as_of`
    and that end their member's coverage: no other non-cancelled subscription of the member ends later
    (ties broken by id), so a member who renewed gets no reminder for the old end. A subscription that renews by
    itself is left out after its end day (notifications.calendar.AUTO_RENEW_LAST_OFFSET): it is being renewed, not
    expired.
    """
    window_start = clock.start_of_local_day(clock.add_days(as_of, -LAST_OFFSET))
    window_end = clock.start_of_local_day(clock.add_days(as_of, -FIRST_OFFSET + 1))
    renewing_until = clock.start_of_local_day(clock.add_days(as_of, -AUTO_RENEW_LAST_OFFSET))
    ends_later = subscriptions_renewing(user=OuterRef("user"), ends_at=OuterRef("ends_at"), pk=OuterRef("pk"))
    return (
        Subscription.objects.exclude(status=Subscription.Status.CANCELLED)
        .filter(ends_at__gte=window_start, ends_at__lt=window_end)
        .exclude(auto_renew=True, ends_at__lt=renewing_until)
        .filter(~Exists(ends_later))
    )


def deliveries_claimable(
    *, channel: str, now: datetime, reference: str | None = None
) -> QuerySet[NotificationDelivery]:
    """Pending deliveries of a channel that nobody holds: never claimed, failed earlier, or whose claim
    lease ran out (the run that claimed them died). `reference`: only those of the notices about it."""
    claimable = NotificationDelivery.objects.filter(channel=channel, status=NotificationDelivery.Status.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    if reference is not None:
        claimable = claimable.filter(notification__reference=reference)
    return claimable

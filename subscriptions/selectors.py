"""Reads about subscriptions. "Active" is decided by time, never by the stored status alone."""

from datetime import datetime

from django.db.models import Max, Prefetch, Q, QuerySet

from core import clock
from subscriptions.models import Plan, Subscription


def active_q(*, at: datetime | None = None, prefix: str = "") -> Q:
    """Q for subscriptions in force at `at` (default now): status active and not yet ended.

    `prefix` lets other models filter through a relation, e.g. prefix="subscriptions__".
    """
    at = at or clock.now()
    return Q(**{f"{prefix}status": Subscription.Status.ACTIVE, f"{prefix}ends_at__gt": at})


def in_force_q(*, at: datetime | None = None, prefix: str = "") -> Q:
    """Active and already started at `at` (a renewal queued after the current one is active but not in force)."""
    at = at or clock.now()
    return active_q(at=at, prefix=prefix) & Q(**{f"{prefix}starts_at__lte": at})


def subscriptions_active_for(*, user, at: datetime | None = None) -> QuerySet[Subscription]:
    return Subscription.objects.filter(active_q(at=at), user=user)


def coverage_end(*, user, at: datetime | None = None) -> datetime | None:
    """End of the member's paid coverage: the latest `ends_at` of their active subscriptions.

    Renewals always start at the current coverage end, so active subscriptions are back to back
    and the latest end is the end of the chain.
    """
    return subscriptions_active_for(user=user, at=at).aggregate(end=Max("ends_at"))["end"]


def time_remaining(*, ends_at: datetime, at: datetime | None = None) -> dict:
    """The countdown to `ends_at`: the one definition used by every endpoint (never negative)."""
    at = at or clock.now()
    total_seconds = max(int((ends_at - at).total_seconds()), 0)
    days, rest = divmod(total_seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    return {
        "days": days,
        "hours": hours,
        "minutes": minutes,
        "seconds": seconds,
        "total_seconds": total_seconds,
        "is_expired": total_seconds == 0,
    }


def subscription_effective_status(*, subscription: Subscription, at: datetime | None = None) -> str:
    """The status the member sees: an active subscription whose end has passed is expired already."""
    at = at or clock.now()
    if subscription.status == Subscription.Status.ACTIVE and subscription.ends_at <= at:
        return Subscription.Status.EXPIRED
    return subscription.status


def subscriptions_for_member(*, user) -> QuerySet[Subscription]:
    """Every subscription of the member, the one ending last first."""
    return Subscription.objects.filter(user=user).select_related("plan").order_by("-ends_at", "-id")


def subscriptions_active_list_for(*, user, at: datetime | None = None) -> QuerySet[Subscription]:
    """The member's active subscriptions (by time), the one ending last first."""
    return subscriptions_active_for(user=user, at=at).select_related("plan").order_by("-ends_at", "-id")


def plans_offered() -> QuerySet[Plan]:
    """The plans a member may choose, cheapest first: the plans list, the payment form, the declaration check."""
    return Plan.objects.filter(is_active=True).order_by("price", "duration_days", "id")


def plans_offered_with_formations() -> QuerySet[Plan]:
    """The plans offered, each with `formations_unlocked`: the published formations reserved to it (id, title, slug),
    in the formations' own order, in one extra query whatever the number of plans.

    The formations app declares the link (Course.plans, reverse name "courses") and sits above this one: the
    relation and its fields are named, the model is not imported.
    """
    course_model = Plan._meta.get_field("courses").related_model
    published = (
        course_model._default_manager.filter(is_published=True).only("id", "title", "slug").order_by("order", "id")
    )
    return plans_offered().prefetch_related(Prefetch("courses", queryset=published, to_attr="formations_unlocked"))

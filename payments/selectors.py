"""Reads about payments, always scoped to one member."""

from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from payments.models import Payment


def payments_for_member(*, user) -> QuerySet[Payment]:
    """The member's payments, newest first."""
    return Payment.objects.filter(user=user).select_related("plan").order_by("-created_at", "-id")


def payment_stats_for_member(*, user) -> dict:
    """Counts and total paid in one aggregate query (served by the (user, status, amount) index)."""
    stats = Payment.objects.filter(user=user).aggregate(
        total_payments=Count("id"),
        confirmed_payments=Count("id", filter=Q(status=Payment.Status.CONFIRMED)),
        pending_payments=Count("id", filter=Q(status=Payment.Status.PENDING)),
        total_paid=Sum("amount", filter=Q(status=Payment.Status.CONFIRMED)),
    )
    stats["total_paid"] = stats["total_paid"] or Decimal("0.00")
    return stats

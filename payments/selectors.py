"""Reads about payments, always scoped to one member."""

from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from payments.models import Payment


def payments_for_member(*, user) -> QuerySet[Payment]:
    """The member's payments, newest first."""
    return Payment.objects.filter(user=user).select_related("plan").order_by("-created_at", "-id")


def payment_stats_for_member(*, user) -> dict:
    """Counts and total paid in one query: a GROUP BY status read from the (user, status, amount) index."""
    per_status = {
        row["status"]: row
        for row in Payment.objects.filter(user=user)
        .order_by()
        .values("status")
        .annotate(count=Count("id"), total=Sum("amount"))
    }
    confirmed = per_status.get(Payment.Status.CONFIRMED, {})
    return {
        "total_payments": sum(row["count"] for row in per_status.values()),
        "confirmed_payments": confirmed.get("count", 0),
        "pending_payments": per_status.get(Payment.Status.PENDING, {}).get("count", 0),
        "total_paid": confirmed.get("total") or Decimal("0.00"),
    }

"""Reads about payments, always scoped to one member."""

from django.db.models import QuerySet

from payments.models import Payment


def payments_for_member(*, user) -> QuerySet[Payment]:
    """The member's payments, newest first."""
    return Payment.objects.filter(user=user).select_related("plan").order_by("-created_at", "-id")

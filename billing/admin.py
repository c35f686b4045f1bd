"""Stripe's events, read-only: they are records of what Stripe said, changed only by the processing task."""

from django.contrib import admin

from billing.models import StripeEvent


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "type", "outcome", "created", "received_at", "processed_at"]
    list_filter = ["type", "outcome"]
    search_fields = ["event_id"]
    date_hierarchy = "received_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

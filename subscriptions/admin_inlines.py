"""The member's subscriptions shown inline on their admin page (registered by accounts.admin.UserAdmin)."""

from django.contrib import admin

from subscriptions.models import Subscription


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    fk_name = "user"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("plan", "status", "starts_at", "ends_at", "telegram_added", "discord_added", "payment")
    readonly_fields = fields
    ordering = ("-ends_at",)

    def has_add_permission(self, request, obj=None):
        return False

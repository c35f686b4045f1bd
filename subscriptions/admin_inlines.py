"""The member's subscriptions shown inline on their admin page (member_space.admin.MemberAdmin)."""

from core.admin import ReadOnlyInline
from subscriptions.models import Subscription


class SubscriptionInline(ReadOnlyInline):
    model = Subscription
    fk_name = "user"
    show_change_link = True
    fields = ("plan", "status", "starts_at", "ends_at", "telegram_added", "discord_added", "payment")
    ordering = ("-ends_at",)

from django.contrib import admin

from core.admin import ReadOnlyModelAdmin
from trials.models import TrialGrant


@admin.register(TrialGrant)
class TrialGrantAdmin(ReadOnlyModelAdmin):
    """The trials given, to read: written by trials.services.trial_start only (they are what refuses a second one)."""

    list_display = ("email", "user", "plan", "telegram_id", "discord_id", "granted_at")
    list_filter = ("plan",)
    search_fields = ("email", "telegram_id", "discord_id")
    list_select_related = ("user", "plan")
    date_hierarchy = "granted_at"

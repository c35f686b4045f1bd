"""The member's channel access and action log, inline on their admin page (for accounts.admin.UserAdmin)."""

from django.contrib import admin

from channels_sync.models import ChannelAction, ChannelMembership


class ChannelMembershipInline(admin.TabularInline):
    model = ChannelMembership
    fk_name = "user"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("platform", "state", "has_access", "invite_link", "attempts", "next_attempt_at", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ChannelActionInline(admin.TabularInline):
    model = ChannelAction
    fk_name = "user"
    extra = 0
    can_delete = False
    fields = ("created_at", "platform", "action", "outcome", "remote_id", "error")
    readonly_fields = fields
    ordering = ("-created_at",)
    max_num = 0

    def has_add_permission(self, request, obj=None):
        return False

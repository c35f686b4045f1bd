"""The member's channel access and action log, inline on their admin page (member_space.admin.MemberAdmin)."""

from channels_sync.models import ChannelAction, ChannelMembership
from core.admin import ReadOnlyInline


class ChannelMembershipInline(ReadOnlyInline):
    model = ChannelMembership
    fk_name = "user"
    show_change_link = True
    fields = ("platform", "state", "has_access", "invite_link", "attempts", "next_attempt_at", "last_error")


class ChannelActionInline(ReadOnlyInline):
    model = ChannelAction
    fk_name = "user"
    fields = ("created_at", "platform", "action", "outcome", "remote_id", "error")
    ordering = ("-created_at",)
    max_num = 0

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from channels_sync import sync
from channels_sync.models import AccountLink, ChannelAction, ChannelMembership
from core.plurals import fr_count, fr_plural


@admin.register(ChannelMembership)
class ChannelMembershipAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "platform",
        "state",
        "action_reason",
        "has_access",
        "attempts",
        "next_attempt_at",
        "updated_at",
    )
    list_filter = ("platform", "state", "action_reason", "has_access")
    search_fields = ("user__email", "user__last_name")
    list_select_related = ("user",)
    readonly_fields = (
        "user",
        "platform",
        "state",
        "has_access",
        "stale_remote_id",
        "invite_link",
        "invite_expires_at",
        "attempts",
        "next_attempt_at",
        "action_reason",
        "last_error",
        "lease_until",
        "lease_owner",
        "created_at",
        "updated_at",
        "action_log",
    )
    fields = readonly_fields
    actions = ["resync_now", "remove_now"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("journal des actions"))
    def action_log(self, obj):
        from django.utils.html import format_html_join

        rows = ChannelAction.objects.filter(user_id=obj.user_id, platform=obj.platform)[:30]
        return (
            format_html_join(
                "\n",
                "<div>{} — {} : {} {}</div>",
                (
                    (a.created_at.strftime("%d/%m/%Y %H:%M"), a.get_action_display(), a.get_outcome_display(), a.error)
                    for a in rows
                ),
            )
            or "—"
        )

    def _report(self, request, reports):
        done = sum(sum(r.counts[k] for k in ("invited", "added", "removed", "checked")) for r in reports)
        failed = sum(r.counts["failed"] for r in reports)
        lost = sum(r.counts["lost"] for r in reports)
        if lost:
            self.message_user(
                request,
                fr_plural(
                    lost,
                    _("%(n)s accès traité entre-temps par une autre exécution."),
                    _("%(n)s accès traités entre-temps par une autre exécution."),
                )
                % {"n": lost},
                messages.INFO,
            )
        errors = {r.error for r in reports if r.error} | {f"{r.platform} désactivé" for r in reports if r.disabled}
        self.message_user(
            request,
            f"{fr_count(done, 'action réussie', 'actions réussies')}, {fr_count(failed, 'échec', 'échecs')}.",
            messages.SUCCESS,
        )
        for error in errors:
            self.message_user(request, error, messages.ERROR)

    @admin.action(description=_("Resynchroniser maintenant"), permissions=["change"])
    def resync_now(self, request, queryset):
        self._report(request, [sync.membership_resync_now(membership=m) for m in queryset])

    @admin.action(description=_("Retirer l'accès maintenant"), permissions=["change"])
    def remove_now(self, request, queryset):
        self._report(request, [sync.membership_remove_now(membership=m) for m in queryset])


@admin.register(ChannelAction)
class ChannelActionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "platform", "action", "outcome", "remote_id")
    list_filter = ("platform", "action", "outcome")
    search_fields = ("user__email", "remote_id")
    list_select_related = ("user",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AccountLink)
class AccountLinkAdmin(admin.ModelAdmin):
    list_display = ("user", "platform", "remote_id", "remote_username", "linked_at")
    list_filter = ("platform",)
    search_fields = ("user__email", "remote_id", "remote_username")
    list_select_related = ("user",)
    # OAuth tokens never leave the database, not even encrypted.
    fields = ("user", "platform", "remote_id", "remote_username", "token_expires_at", "linked_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications.models import NotificationDelivery, SignalAlertPreference, UserNotification
from notifications.services import deliveries_retry_failed


def _report_retry(modeladmin, request, count: int) -> None:
    if count:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d envoi en échec remis en file : il partira au prochain passage de la commande.",
                "%(count)d envois en échec remis en file : ils partiront au prochain passage de la commande.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
    else:
        modeladmin.message_user(request, _("Aucun envoi en échec dans la sélection."), messages.WARNING)


class NotificationDeliveryInline(admin.TabularInline):
    model = NotificationDelivery
    extra = 0
    can_delete = False
    fields = ("channel", "status", "attempts", "last_error", "sent_at", "next_attempt_at", "updated_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(UserNotification)
class UserNotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "notification_type", "title", "status", "scheduled_for", "sent_at", "read_at")
    list_filter = ("notification_type", "status", "scheduled_for")
    date_hierarchy = "scheduled_for"
    search_fields = ("user__email", "title")
    list_select_related = ("user",)
    # A reminder is a record of what was sent: it is read, filtered and re-sent, never rewritten.
    readonly_fields = (
        "user",
        "subscription",
        "reference",
        "notification_type",
        "title",
        "message",
        "status",
        "scheduled_for",
        "created_at",
        "sent_at",
        "read_at",
    )
    inlines = [NotificationDeliveryInline]

    def has_add_permission(self, request):
        return False

    actions = ["retry_failed_deliveries"]

    def has_retry_deliveries_permission(self, request) -> bool:
        # The action rewrites deliveries, not the notification: it needs the deliveries' change permission.
        return request.user.has_perm("notifications.change_notificationdelivery")

    @admin.action(
        description=_("Renvoyer les envois en échec des notifications sélectionnées"), permissions=["retry_deliveries"]
    )
    def retry_failed_deliveries(self, request, queryset):
        count = deliveries_retry_failed(deliveries=NotificationDelivery.objects.filter(notification__in=queryset))
        _report_retry(self, request, count)


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(admin.ModelAdmin):
    list_display = ("notification", "channel", "status", "attempts", "last_error", "sent_at", "updated_at")
    list_filter = ("channel", "status", "notification__notification_type")
    search_fields = ("notification__user__email",)
    list_select_related = ("notification__user",)
    readonly_fields = (
        "notification",
        "channel",
        "status",
        "attempts",
        "last_error",
        "sent_at",
        "next_attempt_at",
        "created_at",
        "updated_at",
    )
    actions = ["retry_failed"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Renvoyer les envois en échec sélectionnés"), permissions=["change"])
    def retry_failed(self, request, queryset):
        _report_retry(self, request, deliveries_retry_failed(deliveries=queryset))


@admin.register(SignalAlertPreference)
class SignalAlertPreferenceAdmin(admin.ModelAdmin):
    """The members' new-signal alerts, to read (how many members follow a market, on which channel): the member
    chooses them (profile page or API), never the staff."""

    list_display = ("user", "market", "channel", "created_at")
    list_filter = ("market", "channel")
    search_fields = ("user__email",)
    list_select_related = ("user",)
    readonly_fields = ("user", "market", "channel", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

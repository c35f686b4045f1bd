from datetime import timedelta

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core import clock
from subscriptions.models import Plan, Subscription
from subscriptions.selectors import active_q, subscription_effective_status


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "slug",
        "price",
        "currency",
        "duration_days",
        "is_active",
        "grants_telegram",
        "grants_discord",
        "is_recurring",
        "trial_days",
    )
    list_filter = ("is_active", "is_recurring")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


class EndsWithinFilter(admin.SimpleListFilter):
    title = _("se termine dans")
    parameter_name = "ends_within"

    def lookups(self, request, model_admin):
        return [("7", _("7 jours")), ("30", _("30 jours"))]

    def queryset(self, request, queryset):
        days = self.value()
        if days in {"7", "30"}:
            now = clock.now()
            return queryset.filter(active_q(at=now), ends_at__lte=now + timedelta(days=int(days)))
        return queryset


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "plan",
        "starts_at",
        "ends_at",
        "status",
        "is_active_now",
        "telegram_added",
        "discord_added",
        "auto_renew",
        "is_trial",
    )
    list_filter = ("status", "plan", EndsWithinFilter, "telegram_added", "discord_added", "auto_renew", "is_trial")
    search_fields = ("user__email",)
    list_select_related = ("user", "plan")
    date_hierarchy = "ends_at"
    raw_id_fields = ("user", "payment")
    # Stripe's state, kept in step by billing (billing.renewals.stripe_subscription_sync): not edited by hand.
    readonly_fields = ("auto_renew", "next_charge_at", "is_trial", "created_at", "updated_at")

    @admin.display(description=_("actif maintenant"), boolean=True)
    def is_active_now(self, obj: Subscription) -> bool:
        return subscription_effective_status(subscription=obj) == Subscription.Status.ACTIVE

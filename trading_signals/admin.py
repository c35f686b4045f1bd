from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.plurals import fr_plural
from trading_signals.models import Signal, TakeProfit


class TakeProfitInline(admin.TabularInline):
    model = TakeProfit
    extra = 1
    ordering = ("order", "id")


@admin.register(Signal)
class SignalAdmin(admin.ModelAdmin):
    list_display = (
        "instrument",
        "market",
        "direction",
        "status",
        "result_r",
        "published_at",
        "closed_at",
        "is_published",
    )
    list_filter = ("is_published", "market", "status", "direction")
    list_editable = ("is_published",)
    search_fields = ("instrument", "comment")
    date_hierarchy = "published_at"
    inlines = [TakeProfitInline]
    actions = ["publish", "unpublish"]
    fieldsets = (
        (None, {"fields": ("market", "instrument", "direction", "entry_price", "stop_loss")}),
        (_("Suivi"), {"fields": ("status", "exit_price", "result_r", "closed_at", "comment")}),
        (_("Publication"), {"fields": ("is_published", "published_at")}),
    )

    @admin.action(description=_("Publier les signaux sélectionnés"), permissions=["change"])
    def publish(self, request, queryset):
        updated = queryset.update(is_published=True)
        self.message_user(
            request, fr_plural(updated, _("%(n)d signal publié."), _("%(n)d signaux publiés.")) % {"n": updated}
        )

    @admin.action(description=_("Dépublier les signaux sélectionnés"), permissions=["change"])
    def unpublish(self, request, queryset):
        updated = queryset.update(is_published=False)
        self.message_user(
            request, fr_plural(updated, _("%(n)d signal dépublié."), _("%(n)d signaux dépubliés.")) % {"n": updated}
        )

"""The member's payments shown inline on their admin page (registered by accounts.admin.UserAdmin)."""

from django.contrib import admin

from payments.models import Payment


class PaymentInline(admin.TabularInline):
    model = Payment
    fk_name = "user"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("created_at", "plan", "amount", "currency", "method", "reference", "status", "confirmed_at")
    readonly_fields = fields
    ordering = ("-created_at",)

    def has_add_permission(self, request, obj=None):
        return False

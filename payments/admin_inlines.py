"""The member's payments shown inline on their admin page (member_space.admin.MemberAdmin)."""

from core.admin import ReadOnlyInline
from payments.models import Payment


class PaymentInline(ReadOnlyInline):
    model = Payment
    fk_name = "user"
    show_change_link = True
    fields = ("created_at", "code", "plan", "amount", "currency", "method", "reference", "status", "confirmed_at")
    ordering = ("-created_at",)

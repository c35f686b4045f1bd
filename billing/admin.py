"""Stripe's records, read-only: what Stripe said (events) and our record of it (customers, prices, checkout sessions,
subscriptions, paid invoices), written only by billing's services and event handlers. Every page warns when the
daily reconciliation with Stripe is overdue (billing/reconcile.py)."""

from decimal import Decimal

from django.contrib import admin, messages
from django.db.models import Count
from django.utils.formats import date_format
from django.utils.timezone import localtime

from billing.models import StripeCheckout, StripeCustomer, StripeEvent, StripeInvoice, StripePrice, StripeSubscription
from billing.reconcile import stripe_reconcile_overdue
from billing.renewals import stripe_subscription_renews
from core.admin import ReadOnlyModelAdmin
from core.templatetags.money import format_money


def reconcile_overdue_message() -> str | None:
    """The French warning of an overdue reconciliation, or None."""
    late = stripe_reconcile_overdue()
    if late is None:
        return None
    since = (
        f"dernier succès le {date_format(localtime(late.last_success_at), 'd/m/Y H:i')}"
        if late.last_success_at
        else "jamais réussi"
    )
    return (
        f"Rapprochement Stripe en retard ({since}, attendu au moins toutes les {late.max_hours} h) : les événements "
        "que le webhook aurait manqués ne sont pas rattrapés. Vérifiez le cron « manage.py stripe_reconcile » et ses "
        "journaux."
    )


class StripeRecordAdmin(ReadOnlyModelAdmin):
    """Read-only, and the reconciliation's warning on the list."""

    def get_readonly_fields(self, request, obj=None):
        # Every field shown as text: no form field is built for a page that never saves.
        return [field.name for field in self.model._meta.fields]

    def changelist_view(self, request, extra_context=None):
        warning = reconcile_overdue_message()
        if warning:
            self.message_user(request, warning, level=messages.WARNING)
        return super().changelist_view(request, extra_context)


@admin.register(StripeEvent)
class StripeEventAdmin(StripeRecordAdmin):
    list_display = ["event_id", "type", "outcome", "created", "received_at", "processed_at"]
    list_filter = ["type", "outcome"]
    search_fields = ["event_id"]
    date_hierarchy = "received_at"


@admin.register(StripeCustomer)
class StripeCustomerAdmin(StripeRecordAdmin):
    list_display = ["customer_id", "user", "created_at"]
    search_fields = ["customer_id", "user__email", "user__last_name"]
    list_select_related = ["user"]


@admin.register(StripePrice)
class StripePriceAdmin(StripeRecordAdmin):
    list_display = ["price_id", "plan", "amount", "recurring", "interval_days", "created_at"]
    list_filter = ["recurring", "plan"]
    search_fields = ["price_id", "plan__name"]
    list_select_related = ["plan"]

    @admin.display(description="montant", ordering="unit_amount")
    def amount(self, obj: StripePrice) -> str:
        return format_money(Decimal(obj.unit_amount) / 100, obj.currency.upper())


@admin.register(StripeCheckout)
class StripeCheckoutAdmin(StripeRecordAdmin):
    list_display = ["session_id", "payment", "mode", "payment_status", "expires_at", "created_at"]
    list_filter = ["mode", "payment__status"]
    search_fields = ["session_id", "payment__code", "payment__user__email", "payment_intent_id"]
    list_select_related = ["payment", "payment__user", "payment__plan"]
    date_hierarchy = "created_at"

    @admin.display(description="statut du paiement", ordering="payment__status")
    def payment_status(self, obj: StripeCheckout) -> str:
        return obj.payment.get_status_display()


@admin.register(StripeSubscription)
class StripeSubscriptionAdmin(StripeRecordAdmin):
    list_display = [
        "subscription_id",
        "user",
        "plan",
        "status",
        "renews",
        "current_period_end",
        "invoices_paid",
        "state_at",
    ]
    list_filter = ["status", "cancel_at_period_end", "plan"]
    search_fields = ["subscription_id", "user__email", "user__last_name", "first_payment__code"]
    list_select_related = ["user", "plan"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(invoices_count=Count("invoices"))

    @admin.display(description="renouvellement automatique", boolean=True)
    def renews(self, obj: StripeSubscription) -> bool:
        return stripe_subscription_renews(obj)

    @admin.display(description="factures payées", ordering="invoices_count")
    def invoices_paid(self, obj: StripeSubscription) -> int:
        return obj.invoices_count  # type: ignore[attr-defined]  # the annotation above


@admin.register(StripeInvoice)
class StripeInvoiceAdmin(StripeRecordAdmin):
    list_display = ["invoice_id", "member", "payment", "amount", "billing_reason", "payment_intent_id", "created_at"]
    list_filter = ["billing_reason"]
    search_fields = [
        "invoice_id",
        "payment_intent_id",
        "payment__code",
        "payment__user__email",
        "stripe_subscription__subscription_id",
    ]
    list_select_related = ["payment", "payment__user", "payment__plan"]
    date_hierarchy = "created_at"

    @admin.display(description="membre", ordering="payment__user__email")
    def member(self, obj: StripeInvoice):
        return obj.payment.user

    @admin.display(description="montant", ordering="payment__amount")
    def amount(self, obj: StripeInvoice) -> str:
        return format_money(obj.payment.amount, obj.payment.currency)

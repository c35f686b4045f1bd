"""Invoices and credit notes in the admin: listed, opened and downloaded as PDF, never added, changed nor deleted
(the services issue them from payment decisions)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyModelAdmin
from core.templatetags.money import format_money
from invoicing.models import CreditNote, ImmutableDocument, Invoice
from invoicing.responses import credit_note_pdf_response, invoice_pdf_response


class DocumentAdmin(ReadOnlyModelAdmin):
    date_hierarchy = "issued_at"
    pdf_url_name = ""

    @admin.display(description=_("montant TTC"), ordering="amount_incl_tax")
    def amount(self, document: ImmutableDocument) -> str:
        return format_money(document.amount_incl_tax, document.currency)

    @admin.display(description=_("PDF"))
    def pdf_link(self, document: ImmutableDocument) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse(f"admin:{self.pdf_url_name}", args=[document.pk]), _("Télécharger")
        )

    def pdf_response(self, document):
        raise NotImplementedError

    def pdf_view(self, request, pk: int):
        document = get_object_or_404(self.model, pk=pk)
        if not self.has_view_permission(request, document):
            raise PermissionDenied
        return self.pdf_response(document)

    def get_urls(self):
        custom = [path("<int:pk>/pdf/", self.admin_site.admin_view(self.pdf_view), name=self.pdf_url_name)]
        return custom + super().get_urls()


@admin.register(Invoice)
class InvoiceAdmin(DocumentAdmin):
    pdf_url_name = "invoicing_invoice_pdf"
    list_display = (
        "number",
        "buyer_name",
        "buyer_email",
        "amount",
        "plan_name",
        "payment_method_label",
        "issued_at",
        "pdf_link",
    )
    list_select_related = ("payment",)
    search_fields = ("number", "buyer_name", "buyer_email", "payment_code")

    def pdf_response(self, document):
        return invoice_pdf_response(document)


@admin.register(CreditNote)
class CreditNoteAdmin(DocumentAdmin):
    pdf_url_name = "invoicing_creditnote_pdf"
    list_display = ("number", "buyer_name", "buyer_email", "amount", "invoice", "issued_at", "pdf_link")
    search_fields = ("number", "buyer_name", "buyer_email", "invoice__number")
    list_select_related = ("invoice",)

    def pdf_response(self, document):
        return credit_note_pdf_response(document)

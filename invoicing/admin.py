"""Invoices and credit notes in the admin: listed, opened and downloaded as PDF, never added, changed nor deleted
(the services issue them from payment decisions). One write: "Corriger la facture" (invoicing.services.invoice_correct)
issues a credit note cancelling the invoice and its replacement with the buyer the admin gives."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyModelAdmin
from core.templatetags.money import format_money
from invoicing.models import CreditNote, ImmutableDocument, Invoice
from invoicing.responses import credit_note_pdf_response, invoice_pdf_response
from invoicing.services import Buyer, InvoiceCorrectionError, invoice_correct, invoice_correction_refusal

CORRECT_PERMISSION = "invoicing.correct_invoice"


class InvoiceCorrectionForm(forms.Form):
    """The buyer as the new invoice prints it, and why; the amounts are never typed (computed from the payment)."""

    buyer_name = forms.CharField(label=_("Nom du client"), max_length=300)
    buyer_email = forms.EmailField(label=_("E-mail du client"), max_length=254)
    buyer_company = forms.CharField(label=_("Société (facultatif)"), max_length=200, required=False)
    buyer_address = forms.CharField(
        label=_("Adresse de facturation (facultatif)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )
    reason = forms.CharField(
        label=_("Motif de la correction"),
        max_length=300,
        help_text=_("Imprimé sur l'avoir qui annule la facture (ex. : « Nom du client erroné »)."),
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )

    def clean_buyer_address(self) -> str:
        # A browser sends a textarea's lines with CRLF; the PDF and the CSV want one line break.
        return "\n".join(line.strip() for line in self.cleaned_data["buyer_address"].splitlines() if line.strip())


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
        "state",
        "issued_at",
        "pdf_link",
    )
    list_select_related = ("payment", "replaces", "replaced_by")
    search_fields = ("number", "buyer_name", "buyer_email", "payment_code")
    change_form_template = "admin/invoicing/invoice/change_form.html"

    @admin.display(description=_("état"))
    def state(self, invoice: Invoice) -> str:
        replacement = getattr(invoice, "replaced_by", None)
        if replacement is not None:
            return gettext("Remplacée par %(number)s") % {"number": replacement.number}
        if invoice.replaces is not None:
            return gettext("En vigueur (remplace %(number)s)") % {"number": invoice.replaces.number}
        return gettext("En vigueur")

    def pdf_response(self, document):
        return invoice_pdf_response(document)

    def get_urls(self):
        custom = [
            path("<int:pk>/correct/", self.admin_site.admin_view(self.correct_view), name="invoicing_invoice_correct")
        ]
        return custom + super().get_urls()

    def _can_correct(self, request) -> bool:
        return request.user.has_perm(CORRECT_PERMISSION)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = dict(extra_context or {})
        invoice = Invoice.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        if invoice is not None:
            context["pdf_url"] = reverse("admin:invoicing_invoice_pdf", args=[invoice.pk])
            context["credit_notes"] = CreditNote.objects.filter(invoice=invoice).order_by("issued_at", "pk")
            context["replacement"] = getattr(invoice, "replaced_by", None)
            if self._can_correct(request) and invoice_correction_refusal(invoice=invoice) is None:
                context["correct_url"] = reverse("admin:invoicing_invoice_correct", args=[invoice.pk])
        return super().change_view(request, object_id, form_url, context)

    def correct_view(self, request, pk: int):
        """ "Corriger la facture": a form with the buyer (prefilled with the invoice's) and a mandatory reason."""
        invoice = get_object_or_404(Invoice.objects.select_related("payment__user"), pk=pk)
        if not self._can_correct(request):
            raise PermissionDenied
        change_url = reverse("admin:invoicing_invoice_change", args=[invoice.pk])
        refusal = invoice_correction_refusal(invoice=invoice)
        if refusal is not None:
            self.message_user(request, refusal, messages.ERROR)
            return HttpResponseRedirect(change_url)
        initial = {
            "buyer_name": invoice.buyer_name,
            "buyer_email": invoice.buyer_email,
            "buyer_company": invoice.buyer_company,
            "buyer_address": invoice.buyer_address,
        }
        form = InvoiceCorrectionForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            buyer = Buyer(
                name=data["buyer_name"],
                email=data["buyer_email"],
                company=data["buyer_company"],
                address=data["buyer_address"],
            )
            try:
                credit_note, replacement = invoice_correct(invoice=invoice, buyer=buyer, reason=data["reason"])
            except InvoiceCorrectionError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return HttpResponseRedirect(change_url)
            summary = gettext("Facture %(old)s annulée par l'avoir %(note)s et remplacée par la facture %(new)s.") % {
                "old": invoice.number,
                "note": credit_note.number,
                "new": replacement.number,
            }
            self.log_change(request, invoice, f"{summary} {gettext('Motif')} : {credit_note.reason}")
            self.message_user(request, summary, messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:invoicing_invoice_change", args=[replacement.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Corriger la facture %(number)s") % {"number": invoice.number},
            "opts": self.model._meta,
            "original": invoice,
            "invoice": invoice,
            "amount_money": format_money(invoice.amount_incl_tax, invoice.currency),
            "form": form,
            "cancel_url": change_url,
        }
        return TemplateResponse(request, "admin/invoicing/invoice/correct.html", context)


@admin.register(CreditNote)
class CreditNoteAdmin(DocumentAdmin):
    pdf_url_name = "invoicing_creditnote_pdf"
    list_display = ("number", "buyer_name", "buyer_email", "amount", "invoice", "cause", "issued_at", "pdf_link")
    search_fields = ("number", "buyer_name", "buyer_email", "invoice__number")
    list_select_related = ("invoice",)

    def pdf_response(self, document):
        return credit_note_pdf_response(document)

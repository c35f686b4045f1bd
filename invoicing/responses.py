"""The one way a PDF of ours is answered: a download, never cached (it names the member), never sniffed."""

from django.http import HttpResponse

from invoicing.models import CreditNote, Invoice
from invoicing.pdf import credit_note_pdf, invoice_pdf
from invoicing.selectors import PDF, credit_note_filename, invoice_filename


def _pdf_response(content: bytes, *, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=PDF)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def invoice_pdf_response(invoice: Invoice) -> HttpResponse:
    return _pdf_response(invoice_pdf(invoice), filename=invoice_filename(invoice))


def credit_note_pdf_response(credit_note: CreditNote) -> HttpResponse:
    return _pdf_response(credit_note_pdf(credit_note), filename=credit_note_filename(credit_note))

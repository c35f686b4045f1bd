"""The accountant's export of a year: one CSV line per invoice and credit note (a credit note's amounts negative),
with their links (the invoice a credit note is on, the invoice a correction replaced), and optionally a zip of their
PDFs. The year is the calendar year of issue in TIME_ZONE, as the numbers'."""

import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import IO

from django.utils import timezone

from core import clock
from invoicing.models import CreditNote, ImmutableDocument, Invoice
from invoicing.pdf import credit_note_pdf, invoice_pdf
from invoicing.selectors import credit_note_filename, invoice_filename

# Semicolons and decimal commas: what a French spreadsheet opens as columns and numbers.
CSV_HEADER = (
    "numéro",
    "type",
    "date",
    "client",
    "e-mail",
    "HT",
    "TVA",
    "TTC",
    "devise",
    "moyen de paiement",
    "code du paiement",
    "facture d'origine",
    "remplace la facture",
    "motif de l'avoir",
    "société du client",
)


@dataclass(frozen=True)
class ExportSummary:
    invoices: int
    credit_notes: int
    total_incl_tax: dict[str, Decimal]  # per currency, credit notes deducted


def _year_bounds(year: int):
    return clock.start_of_local_day(date(year, 1, 1)), clock.start_of_local_day(date(year + 1, 1, 1))


def _amount(value: Decimal, *, negative: bool) -> str:
    return str(-value if negative else value).replace(".", ",")


def _row(
    document: ImmutableDocument, *, kind: str, method: str, code: str, origin: str, replaces: str = "", reason: str = ""
) -> list[str]:
    negative = isinstance(document, CreditNote)
    return [
        document.number,
        kind,
        timezone.localtime(document.issued_at).strftime("%d/%m/%Y"),
        document.buyer_name,
        document.buyer_email,
        _amount(document.amount_excl_tax, negative=negative),
        _amount(document.vat_amount, negative=negative),
        _amount(document.amount_incl_tax, negative=negative),
        document.currency,
        method,
        code,
        origin,
        replaces,
        reason,
        document.buyer_company,
    ]


def _invoices(year: int) -> Iterator[Invoice]:
    start, end = _year_bounds(year)
    documents = Invoice.objects.filter(issued_at__gte=start, issued_at__lt=end).select_related("replaces")
    return documents.order_by("number").iterator(chunk_size=500)


def _credit_notes(year: int) -> Iterator[CreditNote]:
    start, end = _year_bounds(year)
    documents = CreditNote.objects.filter(issued_at__gte=start, issued_at__lt=end).select_related("invoice")
    return documents.order_by("number").iterator(chunk_size=500)


def documents_export(*, year: int, csv_file: IO[str], zip_path: str | None = None) -> ExportSummary:
    """Writes the year's CSV to `csv_file` (invoices then credit notes, each in number order) and, with `zip_path`,
    a zip of every PDF; returns the counts and the net total per currency."""
    writer = csv.writer(csv_file, delimiter=";")
    writer.writerow(CSV_HEADER)
    archive = zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) if zip_path else None
    invoices = credit_notes = 0
    totals: dict[str, Decimal] = {}
    try:
        for invoice in _invoices(year):
            writer.writerow(
                _row(
                    invoice,
                    kind="facture",
                    method=invoice.payment_method_label,
                    code=invoice.payment_code,
                    origin="",
                    replaces=invoice.replaces.number if invoice.replaces is not None else "",
                )
            )
            totals[invoice.currency] = totals.get(invoice.currency, Decimal("0")) + invoice.amount_incl_tax
            invoices += 1
            if archive is not None:
                archive.writestr(invoice_filename(invoice), invoice_pdf(invoice))
        for credit_note in _credit_notes(year):
            origin = credit_note.invoice
            writer.writerow(
                _row(
                    credit_note,
                    kind="avoir",
                    method=origin.payment_method_label,
                    code=origin.payment_code,
                    origin=origin.number,
                    reason=credit_note.reason,
                )
            )
            totals[credit_note.currency] = totals.get(credit_note.currency, Decimal("0")) - credit_note.amount_incl_tax
            credit_notes += 1
            if archive is not None:
                archive.writestr(credit_note_filename(credit_note), credit_note_pdf(credit_note))
    finally:
        if archive is not None:
            archive.close()
    return ExportSummary(invoices=invoices, credit_notes=credit_notes, total_incl_tax=totals)

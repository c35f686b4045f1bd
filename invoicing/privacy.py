"""The member's invoices and credit notes in their data export (accounts.privacy, docs/architecture/personal-data.md).

The documents are accounting records, kept 10 years: on the member's erasure (`member_erasing`) their buyer's name,
e-mail, company and billing address are replaced, their numbers, dates and amounts kept."""

from django.utils.translation import gettext as _

from accounts.privacy import deleted_email, iso
from invoicing.models import CreditNote, Invoice


def invoices_export(user) -> list[dict]:
    credit_notes: dict[int, list[dict]] = {}
    for note in CreditNote.objects.filter(invoice__payment__user=user).order_by("issued_at", "pk"):
        credit_notes.setdefault(note.invoice_id, []).append(
            {
                "number": note.number,
                "issued_at": iso(note.issued_at),
                "amount_incl_tax": str(note.amount_incl_tax),
                "currency": note.currency,
                "reason": note.reason,
                "cause": note.cause,
            }
        )
    return [
        {
            "number": invoice.number,
            "issued_at": iso(invoice.issued_at),
            "payment_code": invoice.payment_code,
            "plan": invoice.plan_name,
            "buyer_name": invoice.buyer_name,
            "buyer_email": invoice.buyer_email,
            "buyer_company": invoice.buyer_company,
            "buyer_address": invoice.buyer_address,
            "replaces": invoice.replaces.number if invoice.replaces is not None else None,
            "amount_excl_tax": str(invoice.amount_excl_tax),
            "vat_amount": str(invoice.vat_amount),
            "amount_incl_tax": str(invoice.amount_incl_tax),
            "currency": invoice.currency,
            "credit_notes": credit_notes.get(invoice.pk, []),
        }
        for invoice in Invoice.objects.filter(payment__user=user).select_related("replaces").order_by("issued_at", "pk")
    ]


def member_invoices_anonymise(*, user) -> int:
    """Blanks the buyer on the member's invoices and credit notes, keeping numbers, dates, plan and amounts.

    The documents refuse `save()` once issued (ImmutableDocument); this one erasure, the law's own exception, writes
    through an UPDATE of the buyer's fields only (name, e-mail, and the company and address a correction gave), on
    every invoice of the member's payments, replaced ones included, and every credit note on them. Returns how many
    documents changed."""
    buyer = {
        "buyer_name": _("Membre supprimé"),
        "buyer_email": deleted_email(user),
        "buyer_company": "",
        "buyer_address": "",
    }
    invoices = Invoice.objects.filter(payment__user=user).update(**buyer)
    credit_notes = CreditNote.objects.filter(invoice__payment__user=user).update(**buyer)
    return invoices + credit_notes

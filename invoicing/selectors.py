"""Reads of invoices: the member's own (another member's is as missing), and the PDFs with their file names."""

from invoicing.models import CreditNote, Invoice
from invoicing.pdf import invoice_pdf
from payments.models import Payment

PDF = "application/pdf"


def invoice_of_member_payment(*, user, payment_id: int) -> Invoice | None:
    """The live invoice of one of `user`'s payments (the last correction's, if it was corrected); None for another
    member's payment or a payment with no invoice."""
    return Invoice.objects.live().filter(payment_id=payment_id, payment__user=user).first()


def invoice_filename(invoice: Invoice) -> str:
    return f"facture-{invoice.number}.pdf"


def credit_note_filename(credit_note: CreditNote) -> str:
    return f"avoir-{credit_note.number}.pdf"


def invoice_attachment(*, payment: Payment) -> tuple[str, bytes, str] | None:
    """The invoice's PDF for the confirmation e-mail (payments.emails), when the payment has one."""
    invoice = Invoice.objects.live().filter(payment=payment).first()
    if invoice is None:
        return None
    return invoice_filename(invoice), invoice_pdf(invoice), PDF

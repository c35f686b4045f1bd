"""The PDF of an invoice or a credit note (fpdf2), drawn from its frozen fields only: the same document gives the
same bytes whenever it is downloaded. The DejaVu fonts are shipped in invoicing/fonts/ so accents render with no
system font."""

from decimal import Decimal
from pathlib import Path

from django.utils import timezone
from fpdf import FPDF

from core.templatetags.money import format_money
from invoicing.models import CreditNote, CreditNoteCause, ImmutableDocument, Invoice

FONTS = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"
INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (206, 212, 218)


def _date(moment) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y")


def _rate(rate: Decimal) -> str:
    return f"{rate.normalize():f}".replace(".", ",")


def _new_pdf(document: ImmutableDocument, *, title: str) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(f"{title} {document.number}")
    pdf.set_author(document.seller_name)
    pdf.set_subject(document.number)
    pdf.set_creation_date(document.issued_at)
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    pdf.set_text_color(*INK)
    return pdf


def _header(pdf: FPDF, document: ImmutableDocument, *, title: str) -> None:
    top = pdf.get_y()
    pdf.set_font(FONT, "B", 14)
    pdf.multi_cell(95, 7, document.seller_name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    seller_lines = [document.seller_address]
    if document.seller_siret:
        seller_lines.append(f"SIRET : {document.seller_siret}")
    if document.seller_vat_number:
        seller_lines.append(f"N° TVA intracommunautaire : {document.seller_vat_number}")
    pdf.multi_cell(95, 5, "\n".join(line for line in seller_lines if line), new_x="LMARGIN", new_y="NEXT")
    seller_bottom = pdf.get_y()

    pdf.set_xy(120, top)
    pdf.set_font(FONT, "B", 18)
    pdf.cell(72, 9, title.upper(), align="R", new_x="LEFT", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    pdf.cell(72, 6, f"N° {document.number}", align="R", new_x="LEFT", new_y="NEXT")
    pdf.cell(72, 6, f"Date : {_date(document.issued_at)}", align="R", new_x="LEFT", new_y="NEXT")

    pdf.set_xy(120, max(seller_bottom, pdf.get_y()) + 8)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(72, 6, "Client", new_x="LEFT", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    buyer_lines = [document.buyer_company, document.buyer_name, document.buyer_address, document.buyer_email]
    pdf.multi_cell(72, 5, "\n".join(line for line in buyer_lines if line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)


def _lines(pdf: FPDF, rows: list[tuple[str, str]]) -> None:
    """The table: one description and its amount (HT) per row."""
    pdf.set_font(FONT, "B", 10)
    pdf.set_fill_color(241, 243, 245)
    pdf.cell(134, 8, "Désignation", border="B", fill=True)
    pdf.cell(40, 8, "Montant HT", border="B", fill=True, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    for description, amount in rows:
        y = pdf.get_y()
        pdf.multi_cell(134, 6, description, new_x="LMARGIN", new_y="NEXT", padding=(1, 0))
        bottom = pdf.get_y()
        pdf.set_xy(152, y + 1)
        pdf.cell(40, 6, amount, align="R")
        pdf.set_y(bottom + 2)
    pdf.set_draw_color(*RULE)
    pdf.line(18, pdf.get_y(), 192, pdf.get_y())
    pdf.ln(4)


def _totals(pdf: FPDF, document: ImmutableDocument) -> None:
    money = lambda amount: format_money(amount, document.currency)  # noqa: E731
    rows = [("Total HT", money(document.amount_excl_tax))]
    if not document.vat_exemption:
        rows.append((f"TVA {_rate(document.vat_rate)} %", money(document.vat_amount)))
    rows.append(("Total TTC", money(document.amount_incl_tax)))
    for index, (label, amount) in enumerate(rows):
        last = index == len(rows) - 1
        pdf.set_font(FONT, "B" if last else "", 11 if last else 10)
        pdf.set_x(112)
        pdf.cell(40, 7, label)
        pdf.cell(40, 7, amount, align="R", new_x="LMARGIN", new_y="NEXT")
    if document.vat_exemption:
        pdf.ln(2)
        pdf.set_font(FONT, "", 9)
        pdf.cell(0, 5, document.vat_exemption, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)


def _footer_lines(pdf: FPDF, lines: list[str]) -> None:
    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(*MUTED)
    for line in lines:
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")


def _output(pdf: FPDF) -> bytes:
    return bytes(pdf.output())


def _first_invoice(invoice: Invoice) -> Invoice:
    """The payment's first invoice, issued when it was paid: the start of the chain of corrections."""
    while invoice.replaces is not None:
        invoice = invoice.replaces
    return invoice


def invoice_pdf(invoice: Invoice) -> bytes:
    pdf = _new_pdf(invoice, title="Facture")
    _header(pdf, invoice, title="Facture")
    period = f"du {_date(invoice.period_start)} au {_date(invoice.period_end)}"
    description = f"Abonnement « {invoice.plan_name} »\nPériode couverte : {period}"
    if invoice.discount:
        money = lambda amount: format_money(amount, invoice.currency)  # noqa: E731
        coupon = f" (code {invoice.coupon_code})" if invoice.coupon_code else ""
        description += f"\nPrix catalogue {money(invoice.list_price)} TTC, remise{coupon} : −{money(invoice.discount)}"
    _lines(
        pdf,
        [
            (
                description,
                format_money(invoice.amount_excl_tax, invoice.currency),
            )
        ],
    )
    _totals(pdf, invoice)
    footer = []
    replaced = invoice.replaces
    if replaced is not None:
        # A correction is issued later than the payment: the payment's date is the replaced invoice's.
        footer.append(
            f"Cette facture remplace la facture {replaced.number} du {_date(replaced.issued_at)}, annulée par un avoir."
        )
    first = _first_invoice(invoice)
    footer += [
        f"Payé le {_date(first.issued_at)} par {invoice.payment_method_label}.",
        f"Code du paiement : {invoice.payment_code}",
    ]
    _footer_lines(pdf, footer)
    return _output(pdf)


def credit_note_pdf(credit_note: CreditNote) -> bytes:
    invoice = credit_note.invoice
    pdf = _new_pdf(credit_note, title="Avoir")
    _header(pdf, credit_note, title="Avoir")
    _lines(
        pdf,
        [
            (
                f"{credit_note.reason}\nAvoir sur la facture {invoice.number} du {_date(invoice.issued_at)}",
                format_money(credit_note.amount_excl_tax, credit_note.currency),
            )
        ],
    )
    _totals(pdf, credit_note)
    if credit_note.cause == CreditNoteCause.CORRECTION:
        replacement = Invoice.objects.filter(replaces=invoice).first()
        after = f", remplacée par la facture {replacement.number}" if replacement is not None else ""
        _footer_lines(pdf, [f"Annule la facture {invoice.number} en totalité{after}."])
    else:
        _footer_lines(pdf, [f"Montant remboursé au client, en déduction de la facture {invoice.number}."])
    return _output(pdf)

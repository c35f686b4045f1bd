"""Issuing invoices and credit notes (docs/architecture/invoicing.md). Called from payments' signals, inside the
transaction that confirms or refunds, the member's and the payment's rows locked (payments.services)."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from core import clock
from invoicing.amounts import amounts_from_incl_tax
from invoicing.models import CreditNote, DocumentKind, Invoice
from invoicing.numbering import document_number_next
from payments.models import Payment, Refund
from subscriptions.models import Subscription


@dataclass(frozen=True)
class Seller:
    name: str
    address: str
    siret: str
    vat_number: str
    vat_rate: Decimal
    vat_exemption: str


def seller_from_settings() -> Seller:
    """The seller as configured now (INVOICE_* settings); with a rate of 0 the exemption mention is printed."""
    rate = Decimal(settings.INVOICE_VAT_RATE)
    return Seller(
        name=settings.INVOICE_SELLER_NAME,
        address=settings.INVOICE_SELLER_ADDRESS,
        siret=settings.INVOICE_SELLER_SIRET,
        vat_number=settings.INVOICE_SELLER_VAT_NUMBER,
        vat_rate=rate,
        vat_exemption=settings.INVOICE_VAT_EXEMPTION if rate == 0 else "",
    )


def _payment_method_label(payment: Payment) -> str:
    if payment.payment_method is not None:
        return payment.payment_method.label
    return str(payment.get_method_display())


@transaction.atomic
def invoice_issue(*, payment: Payment, subscription: Subscription | None = None) -> Invoice:
    """The invoice of a confirmed (or since refunded) payment, issued once: a second call returns the first.

    Everything printed is frozen now: the seller from the settings, the buyer's name and e-mail, the plan, the
    period its subscription covers, the method and code, the amounts from the amount paid."""
    existing = Invoice.objects.filter(payment=payment).first()
    if existing is not None:
        return existing
    if payment.status not in (Payment.Status.CONFIRMED, Payment.Status.REFUNDED):
        raise ValueError(f"payment {payment.pk} is {payment.status}: only a confirmed payment is invoiced")
    if subscription is None:
        subscription = Subscription.objects.get(payment=payment)
    seller = seller_from_settings()
    amounts = amounts_from_incl_tax(incl_tax=payment.amount, vat_rate=seller.vat_rate)
    issued_at = clock.now()
    user = payment.user
    return Invoice.objects.create(
        number=document_number_next(kind=DocumentKind.INVOICE, issued_at=issued_at),
        issued_at=issued_at,
        payment=payment,
        seller_name=seller.name,
        seller_address=seller.address,
        seller_siret=seller.siret,
        seller_vat_number=seller.vat_number,
        vat_rate=seller.vat_rate,
        vat_exemption=seller.vat_exemption,
        buyer_name=user.get_full_name() or user.email,
        buyer_email=user.email,
        plan_name=payment.plan.name,
        period_start=subscription.starts_at,
        period_end=subscription.ends_at,
        payment_method_label=_payment_method_label(payment),
        payment_code=payment.code,
        list_price=payment.list_price,
        discount=payment.discount,
        coupon_code=payment.coupon.code if payment.coupon is not None else "",
        amount_excl_tax=amounts.excl_tax,
        vat_amount=amounts.vat,
        amount_incl_tax=amounts.incl_tax,
        currency=payment.currency,
    )


@transaction.atomic
def credit_note_issue(*, refund: Refund) -> CreditNote:
    """The credit note of a refund, once, referencing the payment's invoice (issued first if the payment was
    confirmed before invoicing existed). The seller, buyer and VAT rate are the invoice's: a credit note cancels
    what that invoice charged, at its rate."""
    existing = CreditNote.objects.filter(refund=refund).first()
    if existing is not None:
        return existing
    invoice = invoice_issue(payment=refund.payment)
    amounts = amounts_from_incl_tax(incl_tax=refund.amount, vat_rate=invoice.vat_rate)
    issued_at = clock.now()
    return CreditNote.objects.create(
        number=document_number_next(kind=DocumentKind.CREDIT_NOTE, issued_at=issued_at),
        issued_at=issued_at,
        invoice=invoice,
        refund=refund,
        reason=_("Remboursement du paiement %(code)s") % {"code": invoice.payment_code},
        seller_name=invoice.seller_name,
        seller_address=invoice.seller_address,
        seller_siret=invoice.seller_siret,
        seller_vat_number=invoice.seller_vat_number,
        vat_rate=invoice.vat_rate,
        vat_exemption=invoice.vat_exemption,
        buyer_name=invoice.buyer_name,
        buyer_email=invoice.buyer_email,
        amount_excl_tax=amounts.excl_tax,
        vat_amount=amounts.vat,
        amount_incl_tax=amounts.incl_tax,
        currency=refund.currency,
    )


def invoices_issue_missing() -> tuple[int, int]:
    """Invoices (and credit notes) for payments confirmed or refunded before invoicing existed; returns how many of
    each were issued. Each payment in its own transaction with its row locked, so a run beside live confirmations
    or a second run issues nothing twice."""
    invoices = credit_notes = 0
    missing = Payment.objects.filter(
        status__in=(Payment.Status.CONFIRMED, Payment.Status.REFUNDED), invoice__isnull=True
    ).order_by("confirmed_at", "pk")
    for payment_id in missing.values_list("pk", flat=True).iterator(chunk_size=500):
        with transaction.atomic():
            payment = (
                Payment.objects.select_for_update(of=("self",))
                .select_related("user", "plan", "payment_method")
                .get(pk=payment_id)
            )
            if not Invoice.objects.filter(payment=payment).exists():
                invoice_issue(payment=payment)
                invoices += 1
            refund = Refund.objects.filter(payment=payment).first()
            if refund is not None and not CreditNote.objects.filter(refund=refund).exists():
                credit_note_issue(refund=refund)
                credit_notes += 1
    return invoices, credit_notes

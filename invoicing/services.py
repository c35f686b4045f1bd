"""Issuing invoices and credit notes (docs/architecture/invoicing.md). Called from payments' signals, inside the
transaction that confirms or refunds, the member's and the payment's rows locked (payments.services)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from core import clock
from invoicing.amounts import Amounts, amounts_from_incl_tax
from invoicing.models import CreditNote, CreditNoteCause, DocumentKind, Invoice
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


@dataclass(frozen=True)
class Buyer:
    name: str
    email: str
    company: str = ""
    address: str = ""


def buyer_of_member(user) -> Buyer:
    """The buyer printed by default: the member's full name (or e-mail) and e-mail, as they are now."""
    return Buyer(name=user.get_full_name() or user.email, email=user.email)


def _seller_of_invoice(invoice: Invoice) -> Seller:
    return Seller(
        name=invoice.seller_name,
        address=invoice.seller_address,
        siret=invoice.seller_siret,
        vat_number=invoice.seller_vat_number,
        vat_rate=invoice.vat_rate,
        vat_exemption=invoice.vat_exemption,
    )


def _payment_method_label(payment: Payment) -> str:
    if payment.payment_method is not None:
        return payment.payment_method.label
    return str(payment.get_method_display())


def _invoice_create(
    *,
    payment: Payment,
    subscription: Subscription,
    seller: Seller,
    buyer: Buyer,
    issued_at: datetime,
    replaces: Invoice | None = None,
) -> Invoice:
    """The one place an invoice's contents are computed from its payment: the plan, the period its subscription
    covers, the method and code, the coupon, the amounts from the amount paid at the seller's rate. Numbered now, in
    the caller's transaction."""
    amounts = amounts_from_incl_tax(incl_tax=payment.amount, vat_rate=seller.vat_rate)
    return Invoice.objects.create(
        number=document_number_next(kind=DocumentKind.INVOICE, issued_at=issued_at),
        issued_at=issued_at,
        payment=payment,
        replaces=replaces,
        seller_name=seller.name,
        seller_address=seller.address,
        seller_siret=seller.siret,
        seller_vat_number=seller.vat_number,
        vat_rate=seller.vat_rate,
        vat_exemption=seller.vat_exemption,
        buyer_name=buyer.name,
        buyer_email=buyer.email,
        buyer_company=buyer.company,
        buyer_address=buyer.address,
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


def _credit_note_create(
    *,
    invoice: Invoice,
    amounts: Amounts,
    cause: CreditNoteCause,
    reason: str,
    issued_at: datetime,
    refund: Refund | None = None,
) -> CreditNote:
    """A credit note on `invoice`: its seller, buyer and VAT rate are the invoice's, since it cancels what that
    invoice charged, at its rate."""
    return CreditNote.objects.create(
        number=document_number_next(kind=DocumentKind.CREDIT_NOTE, issued_at=issued_at),
        issued_at=issued_at,
        invoice=invoice,
        cause=cause,
        refund=refund,
        reason=reason,
        seller_name=invoice.seller_name,
        seller_address=invoice.seller_address,
        seller_siret=invoice.seller_siret,
        seller_vat_number=invoice.seller_vat_number,
        vat_rate=invoice.vat_rate,
        vat_exemption=invoice.vat_exemption,
        buyer_name=invoice.buyer_name,
        buyer_email=invoice.buyer_email,
        buyer_company=invoice.buyer_company,
        buyer_address=invoice.buyer_address,
        amount_excl_tax=amounts.excl_tax,
        vat_amount=amounts.vat,
        amount_incl_tax=amounts.incl_tax,
        currency=invoice.currency,
    )


@transaction.atomic
def invoice_issue(*, payment: Payment, subscription: Subscription | None = None) -> Invoice:
    """The invoice of a confirmed (or since refunded) payment, issued once: a second call returns the live one (the
    first, or the last correction's).

    Everything printed is frozen now: the seller from the settings, the buyer's name and e-mail, the plan, the
    period its subscription covers, the method and code, the amounts from the amount paid."""
    existing = Invoice.objects.live().filter(payment=payment).first()
    if existing is not None:
        return existing
    if payment.status not in (Payment.Status.CONFIRMED, Payment.Status.REFUNDED):
        raise ValueError(f"payment {payment.pk} is {payment.status}: only a confirmed payment is invoiced")
    if subscription is None:
        subscription = Subscription.objects.get(payment=payment)
    return _invoice_create(
        payment=payment,
        subscription=subscription,
        seller=seller_from_settings(),
        buyer=buyer_of_member(payment.user),
        issued_at=clock.now(),
    )


@transaction.atomic
def credit_note_issue(*, refund: Refund) -> CreditNote:
    """The credit note of a refund, once, referencing the payment's live invoice (issued first if the payment was
    confirmed before invoicing existed), for the refund's amount."""
    existing = CreditNote.objects.filter(refund=refund).first()
    if existing is not None:
        return existing
    invoice = invoice_issue(payment=refund.payment)
    return _credit_note_create(
        invoice=invoice,
        amounts=amounts_from_incl_tax(incl_tax=refund.amount, vat_rate=invoice.vat_rate),
        cause=CreditNoteCause.REFUND,
        refund=refund,
        reason=_("Remboursement du paiement %(code)s") % {"code": invoice.payment_code},
        issued_at=clock.now(),
    )


class InvoiceCorrectionError(Exception):
    """A correction refused, with the reason in French for the admin."""


def invoice_correction_refusal(*, invoice: Invoice) -> str | None:
    """Why `invoice` cannot be corrected (in French), or None: only a payment's live invoice is, and not once the
    payment was refunded (its credit note already deducts from the invoice). Read by the admin to offer the button,
    and by invoice_correct under the payment's lock."""
    live = Invoice.objects.live().filter(payment_id=invoice.payment_id).first()
    if live is None or live.pk != invoice.pk:
        return _("La facture %(number)s a déjà été corrigée : la facture en vigueur est %(live)s.") % {
            "number": invoice.number,
            "live": live.number if live is not None else "—",
        }
    if (
        Refund.objects.filter(payment_id=invoice.payment_id).exists()
        or CreditNote.objects.filter(invoice=live).exists()
    ):
        return _(
            "Le paiement %(code)s a été remboursé (un avoir a été émis) : sa facture ne peut plus être corrigée."
        ) % {"code": invoice.payment_code}
    return None


@transaction.atomic
def invoice_correct(*, invoice: Invoice, buyer: Buyer, reason: str) -> tuple[CreditNote, Invoice]:
    """Corrects the buyer of `invoice`, which stays as issued: a credit note cancels it in full (for `reason`), and a
    new invoice for the same payment, with `buyer`, `replaces` it. Returns both.

    Only the buyer is given: the new invoice's contents are computed from the payment by the function that issued the
    first one, at the replaced invoice's seller and VAT rate (the sale did not change), so its amounts are the
    replaced invoice's. The payment's row is locked first: two admins correcting at once queue there, and the second
    finds the invoice already replaced. Both numbers are taken in this transaction (invoice counter, then credit
    note counter, the order a refund of a payment with no invoice yet takes them), so a rolled-back correction
    consumes none."""
    reason = reason.strip()
    if not reason:
        raise InvoiceCorrectionError(_("Indiquez le motif de la correction."))
    if not buyer.name.strip() or not buyer.email.strip():
        raise InvoiceCorrectionError(_("Le nom et l'e-mail du client sont obligatoires."))
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("user", "plan", "payment_method", "coupon")
        .get(pk=invoice.payment_id)
    )
    refusal = invoice_correction_refusal(invoice=invoice)
    if refusal is not None:
        raise InvoiceCorrectionError(refusal)
    live = Invoice.objects.get(pk=invoice.pk)
    issued_at = clock.now()
    replacement = _invoice_create(
        payment=payment,
        subscription=Subscription.objects.get(payment=payment),
        seller=_seller_of_invoice(live),
        buyer=buyer,
        issued_at=issued_at,
        replaces=live,
    )
    charged = (live.amount_excl_tax, live.vat_amount, live.amount_incl_tax, live.currency)
    if (replacement.amount_excl_tax, replacement.vat_amount, replacement.amount_incl_tax, replacement.currency) != (
        charged
    ):
        # Never expected (the amount paid is never edited); refusing keeps the books consistent if it ever happened.
        raise InvoiceCorrectionError(
            _("Les montants recalculés ne sont pas ceux de la facture %(number)s : correction refusée.")
            % {"number": live.number}
        )
    credit_note = _credit_note_create(
        invoice=live,
        amounts=Amounts(excl_tax=live.amount_excl_tax, vat=live.vat_amount, incl_tax=live.amount_incl_tax),
        cause=CreditNoteCause.CORRECTION,
        reason=reason,
        issued_at=issued_at,
    )
    return credit_note, replacement


def invoices_issue_missing() -> tuple[int, int]:
    """Invoices (and credit notes) for payments confirmed or refunded before invoicing existed; returns how many of
    each were issued. Each payment in its own transaction with its row locked, so a run beside live confirmations
    or a second run issues nothing twice."""
    invoices = credit_notes = 0
    missing = Payment.objects.filter(
        status__in=(Payment.Status.CONFIRMED, Payment.Status.REFUNDED), invoices__isnull=True
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

"""Invoices and credit notes (docs/architecture/invoicing.md): accounting records frozen when issued.

Each holds a snapshot of everything printed on it (seller, buyer, plan, period, amounts), so a later change of the
settings, the member's name or the plan never alters an issued document. Never edited nor deleted: a refund or a
correction is a credit note referencing the invoice; a correction also issues a new invoice that `replaces` it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.templatetags.money import format_money


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", _("Facture")
    CREDIT_NOTE = "credit_note", _("Avoir")


# The number's prefix for each kind: F2026-00001, A2026-00001.
NUMBER_PREFIXES = {DocumentKind.INVOICE: "F", DocumentKind.CREDIT_NOTE: "A"}


class CreditNoteCause(models.TextChoices):
    REFUND = "refund", _("Remboursement")
    CORRECTION = "correction", _("Correction de la facture")


class ImmutableDocumentError(Exception):
    """An issued invoice or credit note was about to be changed or deleted."""


class NumberCounter(models.Model):
    """The last number given per kind and calendar year (in TIME_ZONE): locked, incremented and saved in the
    transaction that issues the document, so the sequence has no gap and no repeat (invoicing.numbering)."""

    kind = models.CharField(_("type"), max_length=20, choices=DocumentKind.choices)
    year = models.PositiveSmallIntegerField(_("année"))
    last = models.PositiveIntegerField(_("dernier numéro"), default=0)

    class Meta:
        verbose_name = _("compteur de numérotation")
        verbose_name_plural = _("compteurs de numérotation")
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="invoicing_counter_kind_year_unique"),
            models.CheckConstraint(
                condition=models.Q(kind__in=DocumentKind.values), name="invoicing_counter_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.year} : {self.last}"


class ImmutableDocument(models.Model):
    """What invoices and credit notes share: a number, an issue date, the seller and buyer as they were, the
    amounts (HT, TVA, TTC) and the VAT rate or exemption mention applied."""

    number = models.CharField(_("numéro"), max_length=20, unique=True)
    issued_at = models.DateTimeField(_("émise le"))
    seller_name = models.CharField(_("vendeur"), max_length=200)
    seller_address = models.TextField(_("adresse du vendeur"), blank=True)
    seller_siret = models.CharField(_("SIRET"), max_length=20, blank=True)
    seller_vat_number = models.CharField(_("n° de TVA intracommunautaire"), max_length=30, blank=True)
    vat_rate = models.DecimalField(_("taux de TVA (%)"), max_digits=5, decimal_places=2)
    # Printed instead of the VAT when the rate is 0 (e.g. "TVA non applicable, art. 293 B du CGI").
    vat_exemption = models.CharField(_("mention d'exonération"), max_length=200, blank=True)
    buyer_name = models.CharField(_("client"), max_length=300)
    buyer_email = models.EmailField(_("e-mail du client"), max_length=254)
    # Optional, given by the member through an admin's correction (invoicing.corrections): a company to invoice, a
    # billing address.
    buyer_company = models.CharField(_("société du client"), max_length=200, blank=True)
    buyer_address = models.TextField(_("adresse de facturation"), blank=True)
    amount_excl_tax = models.DecimalField(_("montant HT"), max_digits=10, decimal_places=2)
    vat_amount = models.DecimalField(_("TVA"), max_digits=10, decimal_places=2)
    amount_incl_tax = models.DecimalField(_("montant TTC"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("devise"), max_length=3)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.number} – {self.buyer_name} – {format_money(self.amount_incl_tax, self.currency)}"

    def save(self, *args, **kwargs) -> None:
        # An issued document is an accounting record: only its creation is written; a correction is a credit note.
        if not self._state.adding:
            raise ImmutableDocumentError(f"{self.number} est émis : il ne peut pas être modifié.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableDocumentError(f"{self.number} est émis : il ne peut pas être supprimé.")


class InvoiceQuerySet(models.QuerySet):
    def live(self) -> "InvoiceQuerySet":
        """Invoices no correction replaced: one per invoiced payment (see Invoice)."""
        return self.filter(replaced_by__isnull=True)


class Invoice(ImmutableDocument):
    """The invoice of one confirmed payment (manual or card, renewals too).

    A payment has one live invoice: its first one, or the last of the invoices that corrected it, each `replaces` the
    one before. The database holds that without ever writing to an issued invoice: one invoice per payment replaces
    none (the partial unique constraint below) and an invoice is replaced at most once (`replaces` is unique), so
    the invoices of a payment form one chain whose end, the invoice no other replaces, is the live one."""

    payment = models.ForeignKey(
        "payments.Payment", on_delete=models.PROTECT, related_name="invoices", verbose_name=_("paiement")
    )
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("remplace la facture"),
    )
    plan_name = models.CharField(_("formule"), max_length=200)
    period_start = models.DateTimeField(_("début de la période"))
    period_end = models.DateTimeField(_("fin de la période"))
    payment_method_label = models.CharField(_("moyen de paiement"), max_length=100)
    payment_code = models.CharField(_("code du paiement"), max_length=20)
    # A coupon's discount (payments.Coupon), TTC: the amount paid is the list price less the discount. No list price
    # on payments recorded before coupons existed.
    list_price = models.DecimalField(_("prix catalogue TTC"), max_digits=10, decimal_places=2, null=True, blank=True)
    discount = models.DecimalField(_("remise TTC"), max_digits=10, decimal_places=2, default=0)
    coupon_code = models.CharField(_("code promo"), max_length=50, blank=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("facture")
        verbose_name_plural = _("factures")
        ordering = ["-issued_at", "-id"]
        # Issues a credit note and a new invoice (invoicing.services.invoice_correct); the admin has no other write.
        permissions = [("correct_invoice", _("Peut corriger une facture (avoir et facture de remplacement)"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(number__regex=r"^F[0-9]{4}-[0-9]{5,}$"), name="invoicing_invoice_number_format"
            ),
            models.UniqueConstraint(
                fields=["payment"],
                condition=models.Q(replaces__isnull=True),
                name="invoicing_invoice_one_first_per_payment",
            ),
            models.CheckConstraint(
                condition=~models.Q(replaces=models.F("id")), name="invoicing_invoice_replaces_another"
            ),
        ]


class CreditNote(ImmutableDocument):
    """What is deducted from an invoice, its amounts positive: money given back (a refund), or the whole invoice
    cancelled by a correction that issues its replacement."""

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="credit_notes", verbose_name=_("facture")
    )
    cause = models.CharField(_("cause"), max_length=20, choices=CreditNoteCause.choices, default=CreditNoteCause.REFUND)
    refund = models.OneToOneField(
        "payments.Refund",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_note",
        verbose_name=_("remboursement"),
    )
    reason = models.CharField(_("motif"), max_length=300)

    class Meta:
        verbose_name = _("avoir")
        verbose_name_plural = _("avoirs")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(number__regex=r"^A[0-9]{4}-[0-9]{5,}$"), name="invoicing_creditnote_number_format"
            ),
            # A refund's credit note has its refund; a correction's has none.
            models.CheckConstraint(
                condition=models.Q(cause=CreditNoteCause.REFUND, refund__isnull=False)
                | models.Q(cause=CreditNoteCause.CORRECTION, refund__isnull=True),
                name="invoicing_creditnote_cause_refund",
            ),
            # An invoice is cancelled by a correction once.
            models.UniqueConstraint(
                fields=["invoice"],
                condition=models.Q(cause=CreditNoteCause.CORRECTION),
                name="invoicing_creditnote_one_correction_per_invoice",
            ),
        ]

"""Payment methods (set up by admins) and the payments members declare with them."""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Round, Upper
from django.db.models.lookups import Exact
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.templatetags.money import format_money
from payments.validators import (
    clean_bic,
    clean_crypto_network,
    clean_iban,
    clean_paypal_address,
    clean_phone_number,
    clean_text,
    clean_wallet_address,
    validate_instructions,
)


class PaymentKind(models.TextChoices):
    """How a member pays: the kind of a PaymentMethod, copied onto each payment (`Payment.method`)."""

    BANK_TRANSFER = "bank_transfer", _("Virement bancaire")
    CARD = "card", _("Carte bancaire")
    PAYPAL = "paypal", _("PayPal")
    CRYPTO = "crypto", _("Crypto-monnaie")
    MOBILE_MONEY = "mobile_money", _("Mobile money")
    CASH = "cash", _("Espèces")


@dataclass(frozen=True)
class DetailField:
    """One entry of a method's `details`: its key, its French label (admin, e-mail) and its check."""

    key: str
    label: str | Promise
    clean: Callable[[Any], str]


# What `details` holds for each kind, in display order. A crypto address is checked again against its network.
DETAIL_FIELDS: dict[str, tuple[DetailField, ...]] = {
    PaymentKind.BANK_TRANSFER: (
        DetailField("iban", _("IBAN"), clean_iban),
        DetailField("bic", _("BIC"), clean_bic),
        DetailField("holder", _("Titulaire du compte"), clean_text),
        DetailField("bank", _("Banque"), clean_text),
    ),
    PaymentKind.PAYPAL: (DetailField("address", _("Adresse PayPal"), clean_paypal_address),),
    PaymentKind.CRYPTO: (
        DetailField("network", _("Réseau"), clean_crypto_network),
        DetailField("address", _("Adresse du portefeuille"), clean_text),
    ),
    PaymentKind.MOBILE_MONEY: (
        DetailField("operator", _("Opérateur"), clean_text),
        DetailField("number", _("Numéro"), clean_phone_number),
    ),
    PaymentKind.CASH: (DetailField("place", _("Lieu"), clean_text),),
    PaymentKind.CARD: (),
}


def payment_method_details_clean(*, kind: str, details: Any) -> dict[str, str]:
    """`details` checked and normalised for `kind`; a ValidationError names each wrong entry by its key (the
    admin form has one field per key), or `details` for a wrong shape or an unknown key."""
    fields = DETAIL_FIELDS.get(kind, ())
    if not isinstance(details, dict):
        raise ValidationError({"details": _("Les coordonnées doivent être un objet JSON.")})
    unknown = sorted(set(details) - {field.key for field in fields})
    if unknown:
        message = (
            _("Champ inconnu pour ce type : %s.") if len(unknown) == 1 else _("Champs inconnus pour ce type : %s.")
        )
        raise ValidationError({"details": message % ", ".join(unknown)})
    cleaned, errors = {}, {}
    for field in fields:
        try:
            cleaned[field.key] = field.clean(details.get(field.key))
        except ValidationError as exc:
            errors[field.key] = exc
    if kind == PaymentKind.CRYPTO and not errors:
        try:
            cleaned["address"] = clean_wallet_address(cleaned["address"], network=cleaned["network"])
        except ValidationError as exc:
            errors["address"] = exc
    if errors:
        raise ValidationError(errors)
    return cleaned


class PaymentMethod(models.Model):
    """A way to pay offered to members, with what they need to pay (IBAN, address...) and how (instructions).

    Never deleted once a payment used it (PROTECT): an admin deactivates it instead.
    """

    Kind = PaymentKind

    kind = models.CharField(_("type"), max_length=20, choices=PaymentKind.choices)
    label = models.CharField(_("libellé"), max_length=100, help_text=_("Nom affiché aux membres."))
    details = models.JSONField(_("coordonnées"), default=dict, blank=True)
    instructions = models.TextField(
        _("instructions"),
        max_length=4000,
        blank=True,
        help_text=_(
            "Envoyées au membre après sa déclaration. Variables remplacées : {amount} (montant, ex. 49,00), "
            "{currency} (devise), {code} (code du paiement, à mettre en référence), {plan} (formule)."
        ),
    )
    is_active = models.BooleanField(_("actif"), default=True, help_text=_("Proposé aux membres."))
    position = models.PositiveSmallIntegerField(_("position"), default=0, help_text=_("Ordre d'affichage (croissant)."))
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("moyen de paiement")
        verbose_name_plural = _("moyens de paiement")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=PaymentKind.values), name="payments_paymentmethod_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        try:
            self.details = payment_method_details_clean(kind=self.kind, details=self.details)
        except ValidationError as exc:
            errors.update(exc.error_dict)
        try:
            validate_instructions(self.instructions)
        except ValidationError as exc:
            errors["instructions"] = exc.error_list
        if errors:
            raise ValidationError(errors)


# A payment's code: what the member writes as the transfer's reference, so an admin finds the payment from a bank
# statement. No 0/O nor 1/I/L: read aloud or retyped, it cannot be misread. 31**6 (~887 million) codes.
CODE_PREFIX = "CFI-"
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6


def payment_code_generate() -> str:
    """A fresh random code such as CFI-7K3Q9M (the unique constraint catches the rare repeat)."""
    return CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class ProofType(models.TextChoices):
    """What a proof of payment may be, detected from its content (payments.proofs)."""

    PNG = "image/png", "PNG"
    JPEG = "image/jpeg", "JPEG"
    PDF = "application/pdf", "PDF"


class CouponKind(models.TextChoices):
    PERCENT = "percent", _("Pourcentage")
    FIXED = "fixed", _("Montant fixe")


class Coupon(models.Model):
    """A promotion code a member gives when declaring a payment or at the card checkout: a percentage or a fixed
    amount off the plan's price, for some plans (none chosen: every plan), between two dates, a limited number of
    times overall and once per member. The discount is computed by the server (payments.coupons).

    Never 100 % off: a payment is at least 0.01 (free access is a trial, subscriptions.trials)."""

    Kind = CouponKind

    code = models.CharField(
        _("code"),
        max_length=40,
        help_text=_("Saisi par le membre, sans distinction de casse ; enregistré en majuscules."),
    )
    kind = models.CharField(_("type"), max_length=10, choices=CouponKind.choices)
    value = models.DecimalField(
        _("valeur"),
        max_digits=10,
        decimal_places=2,
        help_text=_("Pourcentage (1 à 99) ou montant retiré du prix, dans la devise indiquée."),
    )
    currency = models.CharField(
        _("devise"), max_length=3, default="EUR", help_text=_("Pour un montant fixe : la devise des formules visées.")
    )
    plans = models.ManyToManyField(
        "subscriptions.Plan",
        blank=True,
        related_name="coupons",
        verbose_name=_("formules"),
        help_text=_("Aucune : valable pour toutes les formules."),
    )
    valid_from = models.DateTimeField(_("valable à partir du"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valable jusqu'au"), null=True, blank=True)
    max_uses = models.PositiveIntegerField(
        _("utilisations maximales"), null=True, blank=True, help_text=_("Vide : sans limite.")
    )
    is_active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("code promo")
        verbose_name_plural = _("codes promo")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(Upper("code"), name="payments_coupon_code_unique_ci"),
            models.CheckConstraint(condition=models.Q(kind__in=CouponKind.values), name="payments_coupon_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(kind="percent", value__gte=1, value__lte=99) | models.Q(kind="fixed", value__gt=0),
                name="payments_coupon_value_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="payments_coupon_currency_iso"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gt=models.F("valid_from")),
                name="payments_coupon_valid_until_after_from",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        self.code = (self.code or "").strip().upper()
        self.currency = (self.currency or "").strip().upper()
        if self.kind == CouponKind.PERCENT and self.value is not None and not 1 <= self.value <= 99:
            raise ValidationError({"value": _("Un pourcentage va de 1 à 99 (l'accès gratuit est un essai).")})
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValidationError({"valid_until": _("La fin doit suivre le début.")})


class Payment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        CONFIRMED = "confirmed", _("Confirmé")
        REJECTED = "rejected", _("Rejeté")
        CANCELLED = "cancelled", _("Annulé")
        REFUNDED = "refunded", _("Remboursé")

    Method = PaymentKind

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payments", verbose_name=_("membre")
    )
    plan = models.ForeignKey(
        "subscriptions.Plan", on_delete=models.PROTECT, related_name="payments", verbose_name=_("formule")
    )
    payment_method = models.ForeignKey(
        PaymentMethod,
        on_delete=models.PROTECT,
        null=True,  # payments declared before issue 15 have none
        blank=True,
        related_name="payments",
        verbose_name=_("moyen de paiement"),
    )
    code = models.CharField(
        _("code"),
        max_length=len(CODE_PREFIX) + CODE_LENGTH,
        unique=True,
        default=payment_code_generate,
        editable=False,
        help_text=_("Référence que le membre indique avec son paiement."),
    )
    amount = models.DecimalField(_("montant"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    # amount = list_price - discount, computed by the server. list_price is empty only on rows written without it
    # (bulk inserts of benchmarks and tests); every service sets it.
    list_price = models.DecimalField(_("prix catalogue"), max_digits=10, decimal_places=2, null=True, blank=True)
    discount = models.DecimalField(_("remise"), max_digits=10, decimal_places=2, default=0)
    coupon = models.ForeignKey(
        Coupon,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("code promo"),
    )
    # The method's kind when declared: kept even if the admin later edits the method.
    method = models.CharField(_("type de moyen"), max_length=20, choices=PaymentKind.choices)
    reference = models.CharField(_("référence"), max_length=100, blank=True)
    note = models.TextField(_("note"), max_length=1000, blank=True)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PENDING)
    idempotency_key = models.CharField(_("clé d'idempotence"), max_length=100, null=True, blank=True)
    created_at = models.DateTimeField(_("déclaré le"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmé le"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmé par"),
    )
    rejected_at = models.DateTimeField(_("rejeté le"), null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rejeté par"),
    )
    rejection_reason = models.TextField(_("motif du rejet"), blank=True)
    cancelled_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("annulé par"),
    )
    # The proof of payment: a file in payments.proofs' private storage, never under a served directory.
    proof_name = models.CharField(_("fichier de la preuve"), max_length=100, blank=True, editable=False)
    proof_type = models.CharField(_("type de la preuve"), max_length=20, choices=ProofType.choices, blank=True)
    proof_uploaded_at = models.DateTimeField(_("preuve envoyée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("paiement")
        verbose_name_plural = _("paiements")
        ordering = ["-created_at", "-id"]
        indexes = [
            # History and "recent payments": newest first for one member, in index order.
            models.Index(fields=["user", "-created_at", "-id"], name="payments_user_recent_idx"),
            # Dashboard stats (counts and total paid) read from the index alone.
            models.Index(fields=["user", "status", "amount"], name="payments_user_stats_idx"),
            models.Index(fields=["status", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payments_amount_positive"),
            models.CheckConstraint(condition=models.Q(discount__gte=0), name="payments_discount_not_negative"),
            # Compared in whole cents: SQLite holds these columns as floating point, where 1 - 0.07 is not 0.93.
            models.CheckConstraint(
                condition=models.Q(list_price__isnull=True)
                | models.Q(
                    Exact(Round((models.F("list_price") - models.F("discount")) * 100), Round(models.F("amount") * 100))
                ),
                name="payments_amount_is_list_price_less_discount",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "confirmed", "rejected", "cancelled", "refunded"]),
                name="payments_status_valid",
            ),
            models.CheckConstraint(condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="payments_currency_iso"),
            models.CheckConstraint(
                condition=models.Q(code__regex=rf"^{CODE_PREFIX}[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$"),
                name="payments_code_format",
            ),
            models.UniqueConstraint(
                fields=["user", "idempotency_key"], name="payments_idempotency_key_unique_per_user"
            ),
            # One payment waiting for an admin per member: a second declaration gets the first back (409).
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(status="pending"), name="payments_one_pending_per_user"
            ),
        ]

    def __str__(self) -> str:
        amount = format_money(self.amount, self.currency)
        return f"{self.code} – {self.user} – {self.plan} – {amount} ({self.get_status_display()})"


class Refund(models.Model):
    """Money given back for a confirmed payment: by card in Stripe's dashboard (recorded from its webhook), or outside
    (a bank transfer back, recorded by an admin). A payment is refunded once and in full; the record is never edited
    nor deleted, only its access outcome can be chosen again, and who chose it last is kept."""

    class AccessEnds(models.TextChoices):
        NOW = "now", _("Maintenant")
        PAID_END = "paid_end", _("À la fin de la période payée")

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="refund", verbose_name=_("paiement"))
    amount = models.DecimalField(_("montant remboursé"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("devise"), max_length=3)
    # Stripe's charge for a card refund; blank for a refund made outside Stripe.
    external_id = models.CharField(_("référence Stripe"), max_length=255, blank=True)
    access_ends = models.CharField(
        _("fin de l'accès"), max_length=10, choices=AccessEnds.choices, default=AccessEnds.NOW
    )
    # None: recorded from Stripe's webhook. Staff who recorded or decided are kept (PROTECT): deactivate, not delete.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enregistré par"),
    )
    recorded_at = models.DateTimeField(_("enregistré le"))
    access_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accès décidé par"),
    )
    access_decided_at = models.DateTimeField(_("accès décidé le"))

    class Meta:
        verbose_name = _("remboursement")
        verbose_name_plural = _("remboursements")
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payments_refund_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="payments_refund_currency_iso"
            ),
            models.CheckConstraint(
                condition=models.Q(access_ends__in=["now", "paid_end"]), name="payments_refund_access_ends_valid"
            ),
            # A Stripe charge is recorded once, whichever payment a confused event names.
            models.UniqueConstraint(
                fields=["external_id"], condition=~models.Q(external_id=""), name="payments_refund_external_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payment.code} – {format_money(self.amount, self.currency)}"


class CouponRedemption(models.Model):
    """A member's use of a coupon, written with the payment it discounts (same transaction, the coupon's row locked).
    Not a financial record (the payment keeps the coupon and the discount): a cancelled, rejected or expired payment
    gives its use back by deleting this row. Once per member: unique (coupon, user)."""

    coupon = models.ForeignKey(
        Coupon, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("code promo")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coupon_redemptions", verbose_name=_("membre")
    )
    payment = models.OneToOneField(
        Payment, on_delete=models.CASCADE, related_name="coupon_redemption", verbose_name=_("paiement")
    )
    created_at = models.DateTimeField(_("utilisé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("utilisation de code promo")
        verbose_name_plural = _("utilisations de codes promo")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["coupon", "user"], name="payments_coupon_once_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.coupon} – {self.user}"

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Payment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        CONFIRMED = "confirmed", _("Confirmé")
        REJECTED = "rejected", _("Rejeté")

    class Method(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", _("Virement bancaire")
        CARD = "card", _("Carte bancaire")
        PAYPAL = "paypal", _("PayPal")
        CRYPTO = "crypto", _("Crypto-monnaie")
        MOBILE_MONEY = "mobile_money", _("Mobile money")
        CASH = "cash", _("Espèces")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payments", verbose_name=_("membre")
    )
    plan = models.ForeignKey(
        "subscriptions.Plan", on_delete=models.PROTECT, related_name="payments", verbose_name=_("formule")
    )
    amount = models.DecimalField(_("montant"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    method = models.CharField(_("moyen de paiement"), max_length=20, choices=Method.choices)
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
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "confirmed", "rejected"]), name="payments_status_valid"
            ),
            models.CheckConstraint(condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="payments_currency_iso"),
            models.UniqueConstraint(
                fields=["user", "idempotency_key"], name="payments_idempotency_key_unique_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.plan} – {self.amount} {self.currency} ({self.get_status_display()})"

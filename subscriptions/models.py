from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Plan(models.Model):
    name = models.CharField(_("nom"), max_length=100)
    slug = models.SlugField(_("identifiant"), max_length=50, unique=True)
    price = models.DecimalField(_("prix"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0.01)])
    currency = models.CharField(_("devise"), max_length=3, default="EUR", help_text=_("Code ISO 4217"))
    duration_days = models.PositiveIntegerField(_("durée (jours)"), validators=[MinValueValidator(1)])
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("actif"), default=True)
    grants_telegram = models.BooleanField(_("accès Telegram"), default=True)
    grants_discord = models.BooleanField(_("accès Discord"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("formule")
        verbose_name_plural = _("formules")
        ordering = ["price", "duration_days"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gt=0), name="subscriptions_plan_price_positive"),
            models.CheckConstraint(
                condition=models.Q(duration_days__gt=0), name="subscriptions_plan_duration_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="subscriptions_plan_currency_iso"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Subscription(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Actif")
        EXPIRED = "expired", _("Expiré")
        CANCELLED = "cancelled", _("Annulé")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions", verbose_name=_("membre")
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions", verbose_name=_("formule"))
    payment = models.OneToOneField(
        "payments.Payment",
        on_delete=models.PROTECT,
        related_name="subscription",
        null=True,
        blank=True,
        verbose_name=_("paiement"),
    )
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    telegram_added = models.BooleanField(_("ajouté sur Telegram"), default=False)
    discord_added = models.BooleanField(_("ajouté sur Discord"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("abonnement")
        verbose_name_plural = _("abonnements")
        ordering = ["-ends_at"]
        indexes = [
            models.Index(fields=["status", "ends_at"]),
            models.Index(fields=["user", "status", "ends_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="subscriptions_ends_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["active", "expired", "cancelled"]), name="subscriptions_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.plan} ({self.get_status_display()})"

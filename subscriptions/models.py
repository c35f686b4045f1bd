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
    features = models.TextField(
        _("avantages"),
        blank=True,
        help_text=_("Une ligne par avantage, montrée telle quelle sur la page des formules (lignes vides ignorées)."),
    )
    is_active = models.BooleanField(_("actif"), default=True)
    grants_telegram = models.BooleanField(_("accès Telegram"), default=True)
    grants_discord = models.BooleanField(_("accès Discord"), default=True)
    is_recurring = models.BooleanField(
        _("renouvellement automatique"),
        default=False,
        help_text=_("Payée par carte, la formule se renouvelle d'elle-même à chaque échéance (abonnement Stripe)."),
    )
    trial_days = models.PositiveIntegerField(
        _("essai gratuit (jours)"),
        default=0,
        help_text=_(
            "0 : pas d'essai. Sinon, un nouveau membre peut l'essayer gratuitement ce nombre de jours, une fois."
        ),
    )
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
    # Paid through a Stripe subscription: whether it renews by itself, and when the card is charged next (billing
    # keeps both in step with Stripe on every row the Stripe subscription paid for; the reminders read them).
    auto_renew = models.BooleanField(_("renouvellement automatique"), default=False)
    next_charge_at = models.DateTimeField(_("prochain prélèvement"), null=True, blank=True)
    # A free trial (trials.services.trial_start): no payment, access like any subscription, its own reminders.
    is_trial = models.BooleanField(_("essai gratuit"), default=False)
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
            # A trial is never paid for; every other subscription created since payments exist has its payment.
            models.CheckConstraint(
                condition=models.Q(is_trial=False) | models.Q(payment__isnull=True), name="subscriptions_trial_unpaid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.plan} ({self.get_status_display()})"


class MemberFigures(models.Model):
    """Running totals of one member's history, for the dashboard's figures in one row read, and the version of
    everything the member's dashboard shows.

    Kept by database triggers (SQL in subscriptions/figures.py) on every insert, update and delete of the member's
    subscriptions, payments and notifications, whatever makes the write (services, the admin, bulk
    `update()`/`delete()`, `bulk_create`, raw SQL, the shell): counting a 10,000-row history on every read cost
    ~1 ms on SQLite, ~1.5 ms on PostgreSQL, twenty times the rest of the statement. The same triggers, and the
    ones member_space installs on the member's channel memberships and account links, raise `version` on every
    such write: the dashboard cache keys its entries with it (member_space/dashboard_cache.py). No row means no
    history (all zeros). Never written by the application.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    subscriptions_total = models.BigIntegerField(default=0)
    payments_total = models.BigIntegerField(default=0)
    payments_confirmed = models.BigIntegerField(default=0)
    payments_pending = models.BigIntegerField(default=0)
    paid_cents = models.BigIntegerField(default=0)  # sum of confirmed payments' amounts, in cents (exact)
    notifications_unread = models.BigIntegerField(default=0)
    version = models.BigIntegerField(default=0)  # raised by every write to the rows the member's dashboard shows

    class Meta:
        verbose_name = _("totaux du membre")
        verbose_name_plural = _("totaux des membres")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.subscriptions_total} abonnements, {self.payments_total} paiements"


class PlansVersion(models.Model):
    """One row (id 1) whose `version` a database trigger raises on every write to plans (subscriptions/figures.py):
    every dashboard shows plan names, so the dashboard cache keys its entries with it too. No row reads as 0.
    Never written by the application."""

    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("version des formules")
        verbose_name_plural = _("versions des formules")

    def __str__(self) -> str:
        return f"formules v{self.version}"

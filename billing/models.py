"""Stripe: the webhook events (stored once each before any work is done on them), and our record of the customers,
prices, checkout sessions, subscriptions and paid invoices (docs/architecture/stripe.md)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StripeEvent(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", _("En attente")
        PROCESSED = "processed", _("Traité")
        IGNORED = "ignored", _("Ignoré")
        FAILED = "failed", _("Échec")

    event_id = models.CharField(_("identifiant Stripe"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=100, db_index=True)
    created = models.DateTimeField(_("créé chez Stripe le"))
    payload = models.JSONField(_("contenu"))
    received_at = models.DateTimeField(_("reçu le"), auto_now_add=True)
    processed_at = models.DateTimeField(_("traité le"), null=True, blank=True)
    outcome = models.CharField(_("résultat"), max_length=20, choices=Outcome.choices, default=Outcome.PENDING)
    # Why it failed (kept across retries until one succeeds), or why it was ignored.
    detail = models.TextField(_("détail"), blank=True)

    class Meta:
        verbose_name = _("événement Stripe")
        verbose_name_plural = _("événements Stripe")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} ({self.event_id})"


class StripeCustomer(models.Model):
    """The member's one Stripe customer: created on their first card checkout, reused ever after."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="stripe_customer", verbose_name=_("membre")
    )
    customer_id = models.CharField(_("client Stripe"), max_length=255, unique=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("client Stripe")
        verbose_name_plural = _("clients Stripe")

    def __str__(self) -> str:
        return self.customer_id


class StripePrice(models.Model):
    """A plan's price at Stripe for one amount and one mode. Stripe prices cannot change their amount: a new price
    of the plan (or a recurring/one-off switch) gets a new row, the old one stays for the payments made with it."""

    plan = models.ForeignKey(
        "subscriptions.Plan", on_delete=models.PROTECT, related_name="stripe_prices", verbose_name=_("formule")
    )
    price_id = models.CharField(_("prix Stripe"), max_length=255, unique=True)
    unit_amount = models.PositiveIntegerField(_("montant (centimes)"))
    currency = models.CharField(_("devise"), max_length=3)
    recurring = models.BooleanField(_("récurrent"))
    interval_days = models.PositiveIntegerField(_("période (jours)"), default=0)  # 0 for a one-off price
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("prix Stripe")
        verbose_name_plural = _("prix Stripe")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "unit_amount", "currency", "recurring", "interval_days"],
                name="billing_stripeprice_one_per_plan_terms",
            )
        ]

    def __str__(self) -> str:
        return self.price_id


class StripeCheckout(models.Model):
    """The Checkout Session a pending card payment sends the member to (its URL is given again on a double click)."""

    class Mode(models.TextChoices):
        PAYMENT = "payment", _("Paiement unique")
        SUBSCRIPTION = "subscription", _("Abonnement")

    payment = models.OneToOneField(
        "payments.Payment", on_delete=models.PROTECT, related_name="stripe_checkout", verbose_name=_("paiement")
    )
    session_id = models.CharField(_("session Stripe"), max_length=255, unique=True)
    url = models.URLField(_("adresse de paiement"), max_length=2000)
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices)
    # Set when a one-off session is paid: a refund names the payment intent it refunds.
    payment_intent_id = models.CharField(_("paiement Stripe"), max_length=255, blank=True, db_index=True)
    expires_at = models.DateTimeField(_("expire le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("session de paiement Stripe")
        verbose_name_plural = _("sessions de paiement Stripe")

    def __str__(self) -> str:
        return self.session_id


class StripeSubscription(models.Model):
    """A member's Stripe subscription (a recurring plan paid by card), as Stripe last described it.

    `state_at` is the `created` time of the event that last set the state: an older event arriving late leaves it
    alone (events come out of order)."""

    subscription_id = models.CharField(_("abonnement Stripe"), max_length=255, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="stripe_subscriptions",
        verbose_name=_("membre"),
    )
    plan = models.ForeignKey(
        "subscriptions.Plan", on_delete=models.PROTECT, related_name="stripe_subscriptions", verbose_name=_("formule")
    )
    # The payment of its checkout (its first invoice pays this one, not a new one).
    first_payment = models.OneToOneField(
        "payments.Payment",
        on_delete=models.PROTECT,
        related_name="stripe_subscription",
        null=True,
        blank=True,
        verbose_name=_("premier paiement"),
    )
    status = models.CharField(_("statut Stripe"), max_length=30)  # active, past_due, canceled, unpaid, incomplete…
    cancel_at_period_end = models.BooleanField(_("arrêt à l'échéance"), default=False)
    current_period_end = models.DateTimeField(_("fin de la période payée"), null=True, blank=True)
    state_at = models.DateTimeField(_("état du"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("abonnement Stripe")
        verbose_name_plural = _("abonnements Stripe")

    def __str__(self) -> str:
        return self.subscription_id


class StripeInvoice(models.Model):
    """A paid Stripe invoice and the payment it made: the unique invoice id is what keeps a replayed, duplicated or
    reconciled `invoice.paid` from paying a period twice."""

    invoice_id = models.CharField(_("facture Stripe"), max_length=255, unique=True)
    stripe_subscription = models.ForeignKey(
        StripeSubscription,
        on_delete=models.PROTECT,
        related_name="invoices",
        null=True,
        blank=True,
        verbose_name=_("abonnement Stripe"),
    )
    payment = models.OneToOneField(
        "payments.Payment", on_delete=models.PROTECT, related_name="stripe_invoice", verbose_name=_("paiement")
    )
    billing_reason = models.CharField(_("motif"), max_length=50, blank=True)
    # The payment intent that paid it (invoice.payments): a refund names it.
    payment_intent_id = models.CharField(_("paiement Stripe"), max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(_("enregistrée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("facture Stripe")
        verbose_name_plural = _("factures Stripe")

    def __str__(self) -> str:
        return self.invoice_id

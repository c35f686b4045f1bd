from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class NotificationType(models.TextChoices):
    """The calendar's types (offsets, titles and messages in notifications/calendar.py), then the notices about a
    payment (notifications/payment_notices.py), about a card renewal (notifications/renewal_notices.py) and the
    members' opt-in alerts of a new signal (notifications/signal_alerts.py)."""

    RENEWAL_RECOMMENDED = "renewal_recommended", _("Renouvellement recommandé")
    EXPIRES_IN_3_DAYS = "expires_in_3_days", _("Expiration dans 3 jours")
    EXPIRES_IN_2_DAYS = "expires_in_2_days", _("Expiration dans 2 jours")
    LAST_CHANCE = "last_chance", _("Dernière chance !")
    EXPIRED = "expired", _("Abonnement expiré")
    WE_MISS_YOU = "we_miss_you", _("On vous attend !")
    FINAL_REMINDER = "final_reminder", _("Dernière notification")
    PAYMENT_CONFIRMED = "payment_confirmed", _("Paiement confirmé")
    PAYMENT_REJECTED = "payment_rejected", _("Paiement refusé")
    RENEWAL_FAILED = "renewal_failed", _("Renouvellement par carte refusé")
    SIGNAL_PUBLISHED = "signal_published", _("Nouveau signal")


class UserNotification(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        SENT = "sent", _("Envoyée")
        READ = "read", _("Lue")
        DISMISSED = "dismissed", _("Ignorée")

    # No single-column index on user, subscription or notification below: the composite indexes and unique
    # constraints that start with them serve the same look-ups, and every index slows the daily bulk insert.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("membre"),
        db_index=False,
    )
    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
        null=True,
        blank=True,
        verbose_name=_("abonnement"),
    )
    # The payment a notice is about (payment_confirmed, payment_rejected); null for the calendar's reminders.
    payment = models.ForeignKey(
        "payments.Payment",
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
        null=True,
        blank=True,
        verbose_name=_("paiement"),
    )
    # What a notice is about when it is neither a subscription nor a payment, e.g. "signal:42" for a new-signal
    # alert: a string, because notifications sits below the apps it refers to. Null for the other notices.
    reference = models.CharField(_("référence"), max_length=40, null=True, blank=True)
    notification_type = models.CharField(_("type"), max_length=30, choices=NotificationType.choices)
    title = models.CharField(_("titre"), max_length=200)
    message = models.TextField(_("message"))
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PENDING)
    scheduled_for = models.DateTimeField(_("prévue pour"))
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    read_at = models.DateTimeField(_("lue le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-scheduled_for", "-id"]
        indexes = [models.Index(fields=["user", "-scheduled_for"]), models.Index(fields=["user", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "notification_type"], name="notifications_one_type_per_subscription"
            ),
            models.UniqueConstraint(fields=["payment", "notification_type"], name="notifications_one_type_per_payment"),
            # One notice of a type per member and reference: a retried alert task creates nothing twice. Reference
            # first, so the index also finds the notices of one signal to deliver.
            models.UniqueConstraint(
                fields=["reference", "notification_type", "user"],
                condition=models.Q(reference__isnull=False),
                name="notifications_one_type_per_reference",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "sent", "read", "dismissed"]),
                name="notifications_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.title}"


class NotificationDelivery(models.Model):
    class Channel(models.TextChoices):
        IN_APP = "in_app", _("Dans l'application")
        EMAIL = "email", _("E-mail")
        TELEGRAM = "telegram", _("Telegram")

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        SENT = "sent", _("Envoyée")
        FAILED = "failed", _("En échec")
        SKIPPED = "skipped", _("Ignorée")

    notification = models.ForeignKey(
        UserNotification,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("notification"),
        db_index=False,
    )
    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("tentatives"), default=0)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("prochaine tentative"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("envoi")
        verbose_name_plural = _("envois")
        indexes = [models.Index(fields=["status", "channel"])]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="notifications_one_delivery_per_channel"),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "sent", "failed", "skipped"]),
                name="notifications_delivery_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notification} / {self.get_channel_display()}"


class SignalAlertPreference(models.Model):
    """A member's wish to be told of every new signal of a market on a channel (one row per market and channel).
    The row is the member's consent for that channel: the e-mail of an alert ignores `email_reminders`, which is
    about the subscription reminders."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="signal_alert_preferences",
        verbose_name=_("membre"),
        db_index=False,  # the unique constraint starts with user
    )
    market = models.CharField(_("marché"), max_length=12, choices=User.Market.choices)
    channel = models.CharField(_("canal"), max_length=10, choices=NotificationDelivery.Channel.choices)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("alerte de nouveaux signaux")
        verbose_name_plural = _("alertes de nouveaux signaux")
        ordering = ["user", "market", "channel"]
        # The alert task reads the preferences of one market.
        indexes = [models.Index(fields=["market", "user"], name="notifications_alert_market_idx")]
        constraints = [
            models.UniqueConstraint(fields=["user", "market", "channel"], name="notifications_one_alert_per_channel"),
            models.CheckConstraint(
                condition=models.Q(market__in=User.Market.values), name="notifications_alert_market_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=NotificationDelivery.Channel.values),
                name="notifications_alert_channel_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_market_display()} / {self.get_channel_display()}"

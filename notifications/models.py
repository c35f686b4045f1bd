from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationType(models.TextChoices):
    """The calendar's types (offsets, titles and messages in notifications/calendar.py), then the notices about a
    payment (notifications/payment_notices.py) and about a card renewal (notifications/renewal_notices.py)."""

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

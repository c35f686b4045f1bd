"""Stripe's webhook events, stored once each (the unique event id) before any work is done on them."""

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

from django.db import models
from django.utils.translation import gettext_lazy as _

from channels_sync.models import Platform
from core import clock
from trading_signals.models import Signal, SignalEvent


class SignalPost(models.Model):
    """One message about a signal in one channel: the original post for a PUBLISHED event, a short reply to it for
    the others. The original's text is edited up to the signal's current version (`rendered_version`).

    At most one per (event, platform): a retry or a second worker finds the row and never posts again
    (docs/architecture/publishing.md)."""

    class State(models.TextChoices):
        PENDING = "pending", _("En attente")
        SENT = "sent", _("Publié")
        UNCERTAIN = "uncertain", _("À vérifier")  # the request may have arrived: an admin checks the channel
        SKIPPED = "skipped", _("Non publié")  # the platform is off, or the original was never posted
        FAILED = "failed", _("Échec")

    signal = models.ForeignKey(Signal, on_delete=models.PROTECT, related_name="channel_posts", verbose_name=_("signal"))
    event = models.ForeignKey(SignalEvent, on_delete=models.PROTECT, related_name="posts", verbose_name=_("événement"))
    platform = models.CharField(_("plateforme"), max_length=10, choices=Platform.choices)
    chat_id = models.CharField(_("canal"), max_length=40, blank=True)
    message_id = models.CharField(_("identifiant du message"), max_length=40, blank=True)
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(_("tentatives"), default=0)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    sent_at = models.DateTimeField(_("publié le"), null=True, blank=True)
    # The signal's version the message shows (original posts): an edit brings it up to Signal.version.
    rendered_version = models.PositiveIntegerField(_("version affichée"), default=0)
    # Set, committed, right before the request that posts: an attempt whose worker died leaves it behind, so the
    # next one knows the outcome is unknown instead of posting again.
    call_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Discord: when the first attempt with no answer started; its nonce dedupes retries only for a few minutes.
    unconfirmed_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("créé le"), default=clock.now)
    updated_at = models.DateTimeField(_("mis à jour le"), auto_now=True)

    class Meta:
        verbose_name = _("message dans un canal")
        verbose_name_plural = _("messages dans les canaux")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "platform"], name="publishing_one_post_per_event_and_platform"),
            models.CheckConstraint(
                condition=models.Q(state__in=["pending", "sent", "uncertain", "skipped", "failed"]),
                name="publishing_post_state_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="sent") | ~models.Q(message_id=""), name="publishing_sent_has_message_id"
            ),
        ]
        indexes = [models.Index(fields=["state", "platform"])]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} · {self.event} · {self.get_state_display()}"

    @property
    def is_original(self) -> bool:
        return self.event.kind == SignalEvent.Kind.PUBLISHED


class PostingSlot(models.Model):
    """When the next message may go to one chat: the row is locked by whoever posts there, so posts are spaced by
    PUBLISHING_*_INTERVAL_SECONDS across every worker and host."""

    platform = models.CharField(max_length=10, choices=Platform.choices)
    chat_id = models.CharField(max_length=40)
    next_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("cadence d'un canal")
        verbose_name_plural = _("cadences des canaux")
        constraints = [models.UniqueConstraint(fields=["platform", "chat_id"], name="publishing_one_slot_per_chat")]

    def __str__(self) -> str:
        return f"{self.platform} {self.chat_id}: {self.next_at:%H:%M:%S}"

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core import clock

# One definition of the markets, shared with the members' trading preferences.
Market = User.Market


class Signal(models.Model):
    class Direction(models.TextChoices):
        BUY = "buy", _("Achat")
        SELL = "sell", _("Vente")

    class Status(models.TextChoices):
        OPEN = "open", _("En cours")
        TP_HIT = "tp_hit", _("Take-profit atteint")
        SL_HIT = "sl_hit", _("Stop-loss atteint")
        CLOSED = "closed", _("Clôturé")
        CANCELLED = "cancelled", _("Annulé")

    market = models.CharField(_("marché"), max_length=12, choices=Market.choices)
    instrument = models.CharField(_("instrument"), max_length=40, help_text=_("Par exemple EUR/USD, BTC/USDT."))
    direction = models.CharField(_("sens"), max_length=4, choices=Direction.choices)
    entry_price = models.DecimalField(_("prix d'entrée"), max_digits=18, decimal_places=6)
    stop_loss = models.DecimalField(_("stop-loss"), max_digits=18, decimal_places=6)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.OPEN)
    # How many take-profits were reached so far (TP1, TP2…): the last one reached closes the signal (TP_HIT).
    take_profits_reached = models.PositiveSmallIntegerField(_("objectifs atteints"), default=0)
    # Where the trade ended: the last take-profit reached, the stop-loss, or the price of a manual close.
    exit_price = models.DecimalField(_("prix de sortie"), max_digits=18, decimal_places=6, null=True, blank=True)
    # The result in R (multiples of the risk, entry to stop-loss), set by trading_signals.results when the signal
    # closes and again when a correction changes its prices: stored so that statistics are SQL aggregates.
    result_r = models.DecimalField(_("résultat (R)"), max_digits=10, decimal_places=2, null=True, blank=True)
    published_at = models.DateTimeField(_("publié le"), default=clock.now)
    closed_at = models.DateTimeField(_("clôturé le"), null=True, blank=True)
    comment = models.TextField(_("commentaire"), blank=True)
    # A new signal is a draft until it is published (trading_signals.services.signal_publish), which posts it.
    is_published = models.BooleanField(_("publié"), default=False)
    # Bumped by every change members see (status, correction): channel messages are edited up to this version.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    corrected_at = models.DateTimeField(_("modifié le"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("signal")
        verbose_name_plural = _("signaux")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["is_published", "-published_at"]),
            models.Index(fields=["market", "status"]),
            # The statistics' drawdown and losing streak read the closed signals in closing order
            # (selectors.signal_stats): read in the index's order, without a sort of every closed signal.
            models.Index(
                fields=["closed_at", "id"],
                condition=models.Q(result_r__isnull=False),
                name="trading_signals_closing_order",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(market__in=Market.values), name="trading_signals_market_valid"),
            models.CheckConstraint(
                condition=models.Q(direction__in=["buy", "sell"]), name="trading_signals_direction_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "tp_hit", "sl_hit", "closed", "cancelled"]),
                name="trading_signals_status_valid",
            ),
            # Closed signals (not cancelled ones) have their result; open ones have none.
            models.CheckConstraint(
                condition=models.Q(status__in=["tp_hit", "sl_hit", "closed"], result_r__isnull=False)
                | models.Q(status__in=["open", "cancelled"], result_r__isnull=True),
                name="trading_signals_result_when_closed",
            ),
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=True) | models.Q(closed_at__gte=models.F("published_at")),
                name="trading_signals_closed_after_published",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.get_direction_display()} ({self.get_status_display()})"

    def delete(self, *args, **kwargs):
        """Members and the channels saw a published signal: it stays in the record (cancel it instead). Its events
        and revisions protect it at the database level too (on_delete=PROTECT)."""
        if self.is_published:
            raise ValidationError(_("Un signal publié ne peut pas être supprimé : annulez-le."))
        return super().delete(*args, **kwargs)


class TakeProfit(models.Model):
    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="take_profits", verbose_name=_("signal"))
    order = models.PositiveSmallIntegerField(_("ordre"), default=1)
    price = models.DecimalField(_("prix"), max_digits=18, decimal_places=6)

    class Meta:
        verbose_name = _("take-profit")
        verbose_name_plural = _("take-profits")
        ordering = ["signal", "order", "id"]

    def __str__(self) -> str:
        return f"TP{self.order} {self.price}"


class SignalEvent(models.Model):
    """What happened to a published signal, once each (a database constraint: a double click records one event).
    Each event is posted to the channels (the original message for PUBLISHED, a reply for the others)."""

    class Kind(models.TextChoices):
        PUBLISHED = "published", _("Publié")
        TP_REACHED = "tp_reached", _("Take-profit atteint")
        SL_HIT = "sl_hit", _("Stop-loss atteint")
        CLOSED = "closed", _("Clôturé")
        CANCELLED = "cancelled", _("Annulé")

    signal = models.ForeignKey(Signal, on_delete=models.PROTECT, related_name="events", verbose_name=_("signal"))
    kind = models.CharField(_("événement"), max_length=12, choices=Kind.choices)
    # The take-profit reached (1, 2…) for TP_REACHED; 0 for the other kinds.
    take_profit_order = models.PositiveSmallIntegerField(_("objectif"), default=0)
    price = models.DecimalField(_("prix"), max_digits=18, decimal_places=6, null=True, blank=True)
    result_r = models.DecimalField(_("résultat (R)"), max_digits=10, decimal_places=2, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )
    created_at = models.DateTimeField(_("le"), default=clock.now)

    class Meta:
        verbose_name = _("événement de signal")
        verbose_name_plural = _("événements de signal")
        ordering = ["signal", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["signal", "kind", "take_profit_order"], name="trading_signals_event_once"),
            models.CheckConstraint(
                condition=models.Q(kind__in=["published", "tp_reached", "sl_hit", "closed", "cancelled"]),
                name="trading_signals_event_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        suffix = f" {self.take_profit_order}" if self.take_profit_order else ""
        return f"{self.signal_id} {self.get_kind_display()}{suffix}"


class SignalRevision(models.Model):
    """One correction of a published signal's trade (who, when, old → new), shown to members on the signal."""

    class Field(models.TextChoices):
        DIRECTION = "direction", _("sens")
        ENTRY_PRICE = "entry_price", _("entrée")
        STOP_LOSS = "stop_loss", _("stop-loss")
        TAKE_PROFIT = "take_profit", _("take-profit")

    signal = models.ForeignKey(Signal, on_delete=models.PROTECT, related_name="revisions", verbose_name=_("signal"))
    field = models.CharField(_("champ"), max_length=12, choices=Field.choices)
    # Which take-profit (1, 2…) for TAKE_PROFIT; 0 otherwise.
    take_profit_order = models.PositiveSmallIntegerField(_("objectif"), default=0)
    old_value = models.CharField(_("ancienne valeur"), max_length=40, blank=True)  # "" when a take-profit is added
    new_value = models.CharField(_("nouvelle valeur"), max_length=40, blank=True)  # "" when one is removed
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )
    changed_at = models.DateTimeField(_("le"), default=clock.now)

    class Meta:
        verbose_name = _("correction de signal")
        verbose_name_plural = _("corrections de signal")
        ordering = ["signal", "changed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(field__in=["direction", "entry_price", "stop_loss", "take_profit"]),
                name="trading_signals_revision_field_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.signal_id} {self.field}: {self.old_value} → {self.new_value}"

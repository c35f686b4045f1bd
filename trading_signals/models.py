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

    class ResultUnit(models.TextChoices):
        PIPS = "pips", _("pips")
        PERCENT = "percent", _("%")

    market = models.CharField(_("marché"), max_length=12, choices=Market.choices)
    instrument = models.CharField(_("instrument"), max_length=40, help_text=_("Par exemple EUR/USD, BTC/USDT."))
    direction = models.CharField(_("sens"), max_length=4, choices=Direction.choices)
    entry_price = models.DecimalField(_("prix d'entrée"), max_digits=18, decimal_places=6)
    stop_loss = models.DecimalField(_("stop-loss"), max_digits=18, decimal_places=6)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.OPEN)
    result = models.DecimalField(_("résultat"), max_digits=12, decimal_places=2, null=True, blank=True)
    result_unit = models.CharField(
        _("unité du résultat"), max_length=7, choices=ResultUnit.choices, default=ResultUnit.PIPS
    )
    published_at = models.DateTimeField(_("publié le"), default=clock.now)
    closed_at = models.DateTimeField(_("clôturé le"), null=True, blank=True)
    comment = models.TextField(_("commentaire"), blank=True)
    is_published = models.BooleanField(_("publié"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("signal")
        verbose_name_plural = _("signaux")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["is_published", "-published_at"]),
            models.Index(fields=["market", "status"]),
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
            models.CheckConstraint(
                condition=models.Q(result_unit__in=["pips", "percent"]), name="trading_signals_result_unit_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=True) | models.Q(closed_at__gte=models.F("published_at")),
                name="trading_signals_closed_after_published",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.get_direction_display()} ({self.get_status_display()})"


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

"""Input and output shapes of the signals API (also what the member pages use to validate filters)."""

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import clock
from trading_signals import results
from trading_signals.models import Market, Signal, SignalEvent, SignalRevision
from trading_signals.policies import LOCKED_MESSAGE
from trading_signals.selectors import HistoryEntry, SignalFilters, signal_history

FILTER_FIELDS = ("status", "market", "date_from", "date_to")


def _within_calendar(day: date) -> date:
    """A day the selectors can turn into instants (the ends of Python's calendar overflow: a 400, not a 500)."""
    if not clock.FIRST_DAY <= day <= clock.LAST_DAY:
        raise serializers.ValidationError(
            _("Date hors limites : choisissez une date du %(first)s au %(last)s.")
            % {"first": clock.FIRST_DAY.isoformat(), "last": clock.LAST_DAY.isoformat()}
        )
    return day


class SignalFilterSerializer(serializers.Serializer):
    """Query parameters of the list and the stats. An empty value means "no filter" (as an HTML form sends)."""

    status = serializers.ChoiceField(choices=Signal.Status.choices, required=False)
    market = serializers.ChoiceField(choices=Market.choices, required=False)
    date_from = serializers.DateField(required=False, help_text="AAAA-MM-JJ, inclus (jour à Paris).")
    date_to = serializers.DateField(required=False, help_text="AAAA-MM-JJ, inclus (jour à Paris).")

    def to_internal_value(self, data):
        present = {key: data[key] for key in FILTER_FIELDS if key in data and str(data[key]).strip() != ""}
        return super().to_internal_value(present)

    def validate_date_from(self, day: date) -> date:
        return _within_calendar(day)

    def validate_date_to(self, day: date) -> date:
        return _within_calendar(day)

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError(
                {"date_to": [_("La date de fin doit être postérieure ou égale à la date de début.")]}
            )
        return attrs

    def filters(self) -> SignalFilters:
        return SignalFilters(**self.validated_data)


class LockedSignalSerializer(serializers.ModelSerializer):
    """What a member without a subscription in force sees of a signal."""

    locked = serializers.SerializerMethodField()
    locked_message = serializers.SerializerMethodField()

    class Meta:
        model = Signal
        fields = ("id", "market", "instrument", "direction", "status", "published_at", "locked", "locked_message")
        read_only_fields = fields

    @extend_schema_field({"type": "boolean", "enum": [True]})
    def get_locked(self, signal: Signal) -> bool:
        return True

    def get_locked_message(self, signal: Signal) -> str:
        return str(LOCKED_MESSAGE)


def _price(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=6, **kwargs)


def _r(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True, **kwargs)


class HistoryEntrySerializer(serializers.Serializer):
    """One line of a signal's history (selectors.signal_history): an event or a correction."""

    at = serializers.DateTimeField()
    type = serializers.ChoiceField(choices=[("event", "événement"), ("revision", "correction")])
    text = serializers.CharField(help_text="Ce que lit le membre : « TP1 atteint », « stop-loss : 1,0810 → 1,0830 ».")
    kind = serializers.ChoiceField(choices=SignalEvent.Kind.choices, allow_null=True, help_text="Pour un événement.")
    field = serializers.ChoiceField(
        choices=SignalRevision.Field.choices, allow_null=True, help_text="Pour une correction."
    )
    take_profit_order = serializers.IntegerField(help_text="Le take-profit concerné (1, 2…), 0 sinon.")
    price = _price(allow_null=True)
    result_r = _r()
    old_value = serializers.CharField(allow_null=True, help_text="Valeur avant correction, « » pour un ajout.")
    new_value = serializers.CharField(allow_null=True, help_text="Valeur après correction, « » pour un retrait.")


class SignalSerializer(serializers.ModelSerializer):
    """A signal in full (members with a subscription in force, staff). Locked entries carry only LockedSignal's
    fields. Result figures come from trading_signals.results; `history` reads prefetched events and revisions
    (selectors.signals_published(with_history=True))."""

    take_profits = serializers.SerializerMethodField()
    locked = serializers.SerializerMethodField()
    locked_message = serializers.SerializerMethodField()
    result_move = serializers.SerializerMethodField()
    move_unit = serializers.SerializerMethodField()
    result_percent = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()

    class Meta:
        model = Signal
        fields = (
            "id",
            "market",
            "instrument",
            "direction",
            "status",
            "published_at",
            "locked",
            "locked_message",
            "entry_price",
            "stop_loss",
            "take_profits",
            "take_profits_reached",
            "exit_price",
            "result_r",
            "result_move",
            "move_unit",
            "result_percent",
            "closed_at",
            "corrected_at",
            "comment",
            "history",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.DecimalField(max_digits=18, decimal_places=6)))
    def get_take_profits(self, signal: Signal) -> list[str]:
        return [str(tp.price) for tp in signal.take_profits.all()]

    @extend_schema_field({"type": "boolean", "enum": [False]})
    def get_locked(self, signal: Signal) -> bool:
        return False

    @extend_schema_field({"type": "string", "nullable": True})
    def get_locked_message(self, signal: Signal) -> str | None:
        return None

    @extend_schema_field(
        serializers.DecimalField(
            max_digits=14, decimal_places=1, allow_null=True, help_text="En pips (forex) ou points, null si en cours."
        )
    )
    def get_result_move(self, signal: Signal) -> str | None:
        if signal.exit_price is None:
            return None
        return str(
            results.result_move(
                market=signal.market,
                instrument=signal.instrument,
                direction=signal.direction,
                entry=signal.entry_price,
                exit_price=signal.exit_price,
            )
        )

    @extend_schema_field(serializers.ChoiceField(choices=[("pips", "pips"), ("points", "points")]))
    def get_move_unit(self, signal: Signal) -> str:
        return results.move_unit(market=signal.market)

    @extend_schema_field(serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True))
    def get_result_percent(self, signal: Signal) -> str | None:
        if signal.exit_price is None:
            return None
        return str(
            results.result_percent(direction=signal.direction, entry=signal.entry_price, exit_price=signal.exit_price)
        )

    @extend_schema_field(HistoryEntrySerializer(many=True))
    def get_history(self, signal: Signal) -> list[dict]:
        entries: list[HistoryEntry] = signal_history(signal=signal)
        return list(HistoryEntrySerializer(entries, many=True).data)


class FiguresSerializer(serializers.Serializer):
    """Figures in R: null without a subscription in force (results_locked), and while nothing gives them."""

    win_rate = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        allow_null=True,
        help_text="Gagnants / (gagnants + perdants) en %, null sans cas. Sans abonnement : TP / (TP + SL).",
    )
    total_r = _r(help_text="Somme des résultats en R.")
    expectancy_r = _r(help_text="Résultat moyen d'un signal clôturé, en R.")


class StatsBlockSerializer(FiguresSerializer):
    count = serializers.IntegerField(help_text="Signaux publiés, hors annulés.")
    open = serializers.IntegerField()
    cancelled = serializers.IntegerField(help_text="Annulés : comptés à part, hors statistiques.")
    closed = serializers.IntegerField(help_text="Clôturés avec un résultat (TP, SL, clôture manuelle).")
    wins = serializers.IntegerField(help_text="Résultat > 0 R (sans abonnement : take-profit atteint).")
    losses = serializers.IntegerField(help_text="Résultat < 0 R (sans abonnement : stop-loss atteint).")
    breakeven = serializers.IntegerField(allow_null=True, help_text="Résultat de 0 R.")
    average_win_r = _r()
    average_loss_r = _r()
    profit_factor = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="Gains / pertes en R ; null sans perte."
    )
    max_drawdown_r = _r(help_text="Plus forte baisse du cumul en R depuis un sommet (ordre de clôture), positive.")
    longest_losing_streak = serializers.IntegerField(allow_null=True, help_text="Pertes consécutives, au plus.")


class MarketStatsSerializer(FiguresSerializer):
    market = serializers.ChoiceField(choices=Market.choices)
    # A declared field (the serializer's metaclass takes it off the class), not the stubs' Field.label.
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()
    closed = serializers.IntegerField()
    wins = serializers.IntegerField()
    losses = serializers.IntegerField()


class MonthStatsSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="AAAA-MM : mois civil de clôture, à Paris.")
    closed = serializers.IntegerField()
    wins = serializers.IntegerField()
    losses = serializers.IntegerField()
    total_r = _r()
    cumulative_r = _r(help_text="Cumul en R à la fin du mois : la courbe des résultats.")


class SignalStatsSerializer(StatsBlockSerializer):
    results_locked = serializers.BooleanField(
        help_text="true sans abonnement en cours : aucun chiffre en R (null partout) et aucun mois."
    )
    locked_message = serializers.CharField(allow_null=True)
    per_market = MarketStatsSerializer(many=True)
    per_month = MonthStatsSerializer(many=True)


# Staff: writing signals


def _take_profits_field(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=_price(min_value=Decimal("0.000001")),
        min_length=1,
        max_length=10,
        help_text="TP1 d'abord (le plus proche de l'entrée).",
        **kwargs,
    )


class SignalCreateInputSerializer(serializers.Serializer):
    market = serializers.ChoiceField(choices=Market.choices)
    instrument = serializers.CharField(max_length=40)
    direction = serializers.ChoiceField(choices=Signal.Direction.choices)
    entry_price = _price(min_value=Decimal("0.000001"))
    stop_loss = _price(min_value=Decimal("0.000001"))
    take_profits = _take_profits_field()
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    draft = serializers.BooleanField(required=False, default=False, help_text="true : brouillon, non publié.")


class SignalCorrectInputSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=Signal.Direction.choices, required=False)
    entry_price = _price(min_value=Decimal("0.000001"), required=False)
    stop_loss = _price(min_value=Decimal("0.000001"), required=False)
    take_profits = _take_profits_field(required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(_("Indiquez au moins une valeur à corriger."))
        return attrs


class SignalEventInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SignalEvent.Kind.choices)
    take_profit_order = serializers.IntegerField(
        min_value=1, required=False, help_text="Pour tp_reached : 1 pour TP1, 2 pour TP2…"
    )
    exit_price = _price(min_value=Decimal("0.000001"), required=False, help_text="Pour closed : le prix de sortie.")

    def validate(self, attrs):
        if attrs["kind"] == SignalEvent.Kind.TP_REACHED and "take_profit_order" not in attrs:
            raise serializers.ValidationError({"take_profit_order": [_("Indiquez le take-profit atteint.")]})
        if attrs["kind"] == SignalEvent.Kind.CLOSED and "exit_price" not in attrs:
            raise serializers.ValidationError({"exit_price": [_("Indiquez le prix de sortie.")]})
        return attrs


class SignalEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = SignalEvent
        fields = ("id", "kind", "take_profit_order", "price", "result_r", "created_at")
        read_only_fields = fields


class SignalEventResultSerializer(serializers.Serializer):
    event = SignalEventSerializer()
    signal = SignalSerializer()

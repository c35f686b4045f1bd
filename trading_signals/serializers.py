"""Input and output shapes of the signals API (also what the member pages use to validate filters)."""

from datetime import date

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import clock
from trading_signals.models import Market, Signal
from trading_signals.policies import LOCKED_MESSAGE
from trading_signals.selectors import SignalFilters

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


class SignalSerializer(serializers.ModelSerializer):
    """A signal in full (members with a subscription in force). Locked entries carry only LockedSignal's fields."""

    take_profits = serializers.SerializerMethodField()
    locked = serializers.SerializerMethodField()
    locked_message = serializers.SerializerMethodField()

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
            "result",
            "result_unit",
            "closed_at",
            "comment",
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


class ResultTotalsSerializer(serializers.Serializer):
    pips = serializers.DecimalField(max_digits=14, decimal_places=2)
    percent = serializers.DecimalField(max_digits=14, decimal_places=2)


class StatsBlockSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    open = serializers.IntegerField()
    tp_hit = serializers.IntegerField()
    sl_hit = serializers.IntegerField()
    win_rate = serializers.DecimalField(
        max_digits=4, decimal_places=1, allow_null=True, help_text="tp_hit / (tp_hit + sl_hit) en %, null sans cas."
    )
    total_result = ResultTotalsSerializer(
        allow_null=True, help_text="Somme des résultats par unité ; null sans abonnement en cours (results_locked)."
    )


class MarketStatsSerializer(StatsBlockSerializer):
    market = serializers.ChoiceField(choices=Market.choices)
    # A declared field (the serializer's metaclass takes it off the class), not the stubs' Field.label.
    label = serializers.CharField()  # type: ignore[assignment]


class MonthStatsSerializer(StatsBlockSerializer):
    month = serializers.CharField(help_text="AAAA-MM (mois civil à Paris).")


class SignalStatsSerializer(StatsBlockSerializer):
    results_locked = serializers.BooleanField(
        help_text="true sans abonnement en cours : aucun total de résultat (total_result null partout)."
    )
    locked_message = serializers.CharField(allow_null=True)
    per_market = MarketStatsSerializer(many=True)
    per_month = MonthStatsSerializer(many=True)

"""Output shapes of GET /api/admin/stats/ (analytics.selectors.admin_stats)."""

from typing import Any

from rest_framework import serializers

from payments.models import PaymentKind
from trading_signals.serializers import SignalStatsSerializer


def money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


def share(**kwargs: Any) -> serializers.DecimalField:
    """A percentage with one decimal; null when there is nothing to divide by."""
    return serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True, **kwargs)


class MrrSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="ISO 4217 : les devises ne sont jamais additionnées.")
    amount = money(help_text="Somme de prix × 30,4375 / durée (jours) des abonnements.")
    subscriptions = serializers.IntegerField(help_text="Abonnements en cours payés par un paiement confirmé.")


class RevenueMonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="AAAA-MM (mois civil à Paris).")
    paid = money(help_text="Paiements confirmés (mois de la confirmation).")
    refunded = money(help_text="Remboursements (mois de l'enregistrement).")
    net = money()
    payments = serializers.IntegerField()


class RevenueByPlanSerializer(serializers.Serializer):
    plan_id = serializers.IntegerField()
    plan = serializers.CharField()
    currency = serializers.CharField()
    months = RevenueMonthSerializer(many=True)


class RevenueByMethodSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=PaymentKind.choices)
    # A declared field (the serializer's metaclass takes it off the class), not the stubs' Field.label.
    label = serializers.CharField()  # type: ignore[assignment]
    currency = serializers.CharField()
    months = RevenueMonthSerializer(many=True)


class RevenueTotalSerializer(serializers.Serializer):
    currency = serializers.CharField()
    months = RevenueMonthSerializer(many=True)


class RevenueSerializer(serializers.Serializer):
    by_plan = RevenueByPlanSerializer(many=True)
    by_method = RevenueByMethodSerializer(many=True)
    total = RevenueTotalSerializer(many=True)


class MembersMonthSerializer(serializers.Serializer):
    month = serializers.CharField()
    new = serializers.IntegerField(help_text="Membres dont le premier paiement a été confirmé ce mois-ci.")
    ended = serializers.IntegerField(help_text="Abonnements arrivés à leur fin ce mois-ci (délai écoulé).")
    renewed = serializers.IntegerField(help_text="Dont renouvelés dans les CHURN_AFTER_DAYS jours.")
    churned = serializers.IntegerField(help_text="Membres partis : fin sans renouvellement dans le délai.")
    renewal_rate = share()


class MembersSerializer(serializers.Serializer):
    churn_after_days = serializers.IntegerField()
    renewal_rate = share(help_text="renouvelés / terminés sur les 12 mois, en %.")
    months = MembersMonthSerializer(many=True)


class RetentionSerializer(serializers.Serializer):
    after_months = serializers.IntegerField()
    covered = serializers.IntegerField(allow_null=True)
    share = share(help_text="En % ; null tant que la cohorte n'a pas atteint ce point.")


class CohortSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="Mois du premier paiement.")
    members = serializers.IntegerField()
    retention = RetentionSerializer(many=True)


class PendingAgeSerializer(serializers.Serializer):
    key = serializers.CharField()
    # A declared field (the serializer's metaclass takes it off the class), not the stubs' Field.label.
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()


class PendingPaymentsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    oldest_declared_at = serializers.DateTimeField(allow_null=True)
    oldest_age_hours = serializers.IntegerField(allow_null=True)
    ages = PendingAgeSerializer(many=True)


class AdminStatsSerializer(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    time_zone = serializers.CharField()
    months = serializers.ListField(child=serializers.CharField(), help_text="Les 12 mois montrés, AAAA-MM.")
    active_members = serializers.IntegerField(help_text="Membres avec un abonnement en cours maintenant.")
    mrr = MrrSerializer(many=True)
    revenue = RevenueSerializer()
    members = MembersSerializer()
    cohorts = CohortSerializer(many=True)
    pending_payments = PendingPaymentsSerializer()
    signals = SignalStatsSerializer()

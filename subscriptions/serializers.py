"""Output shapes for plans and subscriptions' countdowns (the member's subscriptions: member_space/serializers.py)."""

from django.db import models
from django.utils.text import capfirst
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from subscriptions.models import Plan


class PlanFormationSerializer(serializers.Serializer):
    """A formation a plan unlocks (read from the plan's `formations_unlocked`, subscriptions.selectors)."""

    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True, label="Titre")
    slug = serializers.SlugField(read_only=True, label="Identifiant")


def plan_features(plan: Plan) -> list[str]:
    """The plan's features as the admin wrote them, one per non-blank line."""
    return [line.strip() for line in plan.features.splitlines() if line.strip()]


class PlanSerializer(serializers.ModelSerializer):
    """A plan as offered. Needs the plans from `plans_offered_with_formations()` (their formations prefetched)."""

    features = serializers.SerializerMethodField(
        help_text="Les avantages de la formule, un par ligne écrite par l'admin."
    )
    formations = PlanFormationSerializer(
        source="formations_unlocked",
        many=True,
        read_only=True,
        help_text="Les formations publiées que la formule ouvre.",
    )

    class Meta:
        model = Plan
        fields = [
            "id",
            "name",
            "slug",
            "price",
            "currency",
            "duration_days",
            "description",
            "features",
            "grants_telegram",
            "grants_discord",
            "is_recurring",
            "formations",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_features(self, plan: Plan) -> list[str]:
        return plan_features(plan)


def _label(name: str):
    """The model field's label, as a ModelSerializer would give it (the schema's titles)."""
    field = Plan._meta.get_field(name)
    assert isinstance(field, models.Field)
    return capfirst(field.verbose_name)


# Plain fields: nested in the dashboard's subscriptions, a ModelSerializer would build its fields from the model
# on every request.
class PlanBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True, label=_label("name"))
    slug = serializers.SlugField(read_only=True, label=_label("slug"))
    duration_days = serializers.IntegerField(read_only=True, label=_label("duration_days"))


class TimeRemainingSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    hours = serializers.IntegerField()
    minutes = serializers.IntegerField()
    seconds = serializers.IntegerField()
    total_seconds = serializers.IntegerField()
    is_expired = serializers.BooleanField()


class CountdownSerializer(serializers.Serializer):
    subscription_id = serializers.IntegerField()
    ends_at = serializers.DateTimeField()
    days = serializers.IntegerField()
    hours = serializers.IntegerField()
    minutes = serializers.IntegerField()
    seconds = serializers.IntegerField()
    total_seconds = serializers.IntegerField()

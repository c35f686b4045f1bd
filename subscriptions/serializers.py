"""Output shapes for plans and subscriptions' countdowns (the member's subscriptions: member_space/serializers.py)."""

from django.db import models
from django.utils.text import capfirst
from rest_framework import serializers

from subscriptions.models import Plan


class PlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = ["id", "name", "slug", "price", "currency", "duration_days", "description"]
        read_only_fields = fields


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

"""Output shapes for plans, subscriptions and their countdown."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from channels_sync.serializers import MemberChannelsSerializer
from core import clock
from subscriptions.models import Plan, Subscription
from subscriptions.selectors import subscription_effective_status, time_remaining


class PlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = ["id", "name", "slug", "price", "currency", "duration_days", "description"]
        read_only_fields = fields


class PlanBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = ["id", "name", "slug", "duration_days"]
        read_only_fields = fields


class TimeRemainingSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    hours = serializers.IntegerField()
    minutes = serializers.IntegerField()
    seconds = serializers.IntegerField()
    total_seconds = serializers.IntegerField()
    is_expired = serializers.BooleanField()


class SubscriptionSerializer(serializers.ModelSerializer):
    """A subscription as the member sees it at one instant (context["at"], default now)."""

    plan = PlanBriefSerializer()
    status = serializers.SerializerMethodField()
    is_active = serializers.SerializerMethodField()
    time_remaining = serializers.SerializerMethodField()
    channels = MemberChannelsSerializer(source="user_id", read_only=True)  # channels_sync: access per platform

    class Meta:
        model = Subscription
        fields = [
            "id",
            "plan",
            "status",
            "is_active",
            "starts_at",
            "ends_at",
            "time_remaining",
            "telegram_added",
            "discord_added",
            "channels",
            "created_at",
        ]
        read_only_fields = fields

    def _at(self):
        return self.context.get("at") or clock.now()

    @extend_schema_field(serializers.ChoiceField(choices=Subscription.Status.choices))
    def get_status(self, obj: Subscription) -> str:
        return subscription_effective_status(subscription=obj, at=self._at())

    def get_is_active(self, obj: Subscription) -> bool:
        return subscription_effective_status(subscription=obj, at=self._at()) == Subscription.Status.ACTIVE

    @extend_schema_field(TimeRemainingSerializer)
    def get_time_remaining(self, obj: Subscription) -> dict:
        return time_remaining(ends_at=obj.ends_at, at=self._at())


class CountdownSerializer(serializers.Serializer):
    subscription_id = serializers.IntegerField()
    ends_at = serializers.DateTimeField()
    days = serializers.IntegerField()
    hours = serializers.IntegerField()
    minutes = serializers.IntegerField()
    seconds = serializers.IntegerField()
    total_seconds = serializers.IntegerField()

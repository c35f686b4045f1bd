"""Output shapes of the member's cross-app reads: the dashboard and the subscriptions list.

Plain `Serializer` classes: a `ModelSerializer` builds its fields from the model on every instantiation, which
was most of an uncached dashboard read's serialization time (docs/benchmarks.md). The profile and payment
blocks are the other apps' serializers, used through one instance per process (no context).
"""

from django.db import models
from django.utils.text import capfirst
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import ProfileSerializer, profile_body
from channels_sync.models import ChannelMembership, Platform
from channels_sync.serializers import MemberChannelsSerializer
from member_space.dashboard import Renewal
from payments.serializers import PaymentSerializer
from subscriptions.models import Subscription
from subscriptions.selectors import subscription_effective_status, time_remaining
from subscriptions.serializers import CountdownSerializer, PlanBriefSerializer, TimeRemainingSerializer

# Read-only and without context: one instance serves every call (ModelSerializer, fields built once).
_payments = PaymentSerializer(many=True)
_payment = PaymentSerializer()


def _label(name: str):
    """The model field's label, as a ModelSerializer would give it (the schema's titles)."""
    field = Subscription._meta.get_field(name)
    assert isinstance(field, models.Field)
    return capfirst(field.verbose_name)


class SubscriptionSerializer(serializers.Serializer):
    """A subscription as the member sees it at one instant (context["at"]), with the member's channel access
    (context["channels"], as channels_sync.selectors.channel_status_for: the same for each of their
    subscriptions)."""

    id = serializers.IntegerField(read_only=True)
    plan = PlanBriefSerializer()
    status = serializers.SerializerMethodField()
    is_active = serializers.SerializerMethodField()
    starts_at = serializers.DateTimeField(read_only=True, label=_label("starts_at"))
    ends_at = serializers.DateTimeField(read_only=True, label=_label("ends_at"))
    time_remaining = serializers.SerializerMethodField()
    auto_renew = serializers.BooleanField(
        read_only=True, label=_label("auto_renew"), help_text="Payé par un abonnement Stripe qui se renouvelle seul."
    )
    next_charge_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        label=_label("next_charge_at"),
        help_text="Date du prochain prélèvement par carte (null sans renouvellement automatique).",
    )
    is_trial = serializers.BooleanField(
        read_only=True, label=_label("is_trial"), help_text="Essai gratuit : sans paiement, une fois par personne."
    )
    telegram_added = serializers.BooleanField(read_only=True, label=_label("telegram_added"))
    discord_added = serializers.BooleanField(read_only=True, label=_label("discord_added"))
    channels = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(serializers.ChoiceField(choices=Subscription.Status.choices))
    def get_status(self, obj: Subscription) -> str:
        return subscription_effective_status(subscription=obj, at=self.context["at"])

    def get_is_active(self, obj: Subscription) -> bool:
        return self.get_status(obj) == Subscription.Status.ACTIVE

    @extend_schema_field(TimeRemainingSerializer)
    def get_time_remaining(self, obj: Subscription) -> dict:
        return time_remaining(ends_at=obj.ends_at, at=self.context["at"])

    @extend_schema_field(MemberChannelsSerializer)
    def get_channels(self, obj: Subscription) -> dict:
        return self.context["channels"]


class DashboardNotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    notification_type = serializers.CharField()
    title = serializers.CharField()
    message = serializers.CharField()
    status = serializers.CharField()
    scheduled_for = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    read_at = serializers.DateTimeField(allow_null=True)


class AccessEntrySerializer(serializers.Serializer):
    """One platform of the "Accès" block (platforms not configured on this server are left out)."""

    platform = serializers.ChoiceField(choices=Platform.choices)
    name = serializers.CharField(help_text="Telegram ou Discord.")
    state = serializers.ChoiceField(choices=ChannelMembership.State.choices)
    state_label = serializers.CharField()
    invite_link = serializers.URLField(allow_null=True, help_text="L'invitation personnelle à ouvrir (Telegram).")
    action = serializers.ChoiceField(
        choices=[("join", "join"), ("link", "link")],
        allow_null=True,
        help_text="join : ouvrir l'invitation ; link : lier son compte ; null : rien à faire.",
    )
    next_step = serializers.CharField(help_text="La prochaine étape, en une phrase.")


class DashboardCountdownSerializer(CountdownSerializer):
    """The countdown of the subscription ending last, and what happens at its end."""

    auto_renew = serializers.BooleanField()
    next_charge_at = serializers.DateTimeField(allow_null=True)
    renewal = serializers.ChoiceField(
        choices=Renewal.choices,
        allow_null=True,
        help_text=(
            "automatic : renouvelé par carte le next_charge_at ; disabled : payé par un abonnement Stripe dont le "
            "renouvellement est arrêté (se termine à ends_at) ; null : se termine à ends_at (paiement unique)."
        ),
    )


class DashboardStatsSerializer(serializers.Serializer):
    active_subscriptions = serializers.IntegerField()
    total_subscriptions = serializers.IntegerField()
    total_payments = serializers.IntegerField()
    confirmed_payments = serializers.IntegerField()
    pending_payments = serializers.IntegerField()
    total_paid = serializers.DecimalField(max_digits=14, decimal_places=2)
    unread_notifications = serializers.IntegerField()


# The dashboard's blocks, read-only and without context: one instance per process serves every body. Declared as
# nested serializers, they were copied with each of their fields for every body (DRF builds a serializer's fields
# per instance): 0.5 of the body's 0.7 ms (docs/benchmarks.md). The active subscriptions need the request's
# context (the instant, the channel block): theirs is the one serializer built per body.
_stats = DashboardStatsSerializer()
_countdown = DashboardCountdownSerializer()
_notifications = DashboardNotificationSerializer(many=True)


class DashboardSerializer(serializers.Serializer):
    """The member dashboard, at one instant (server_time)."""

    user = serializers.SerializerMethodField()
    stats = serializers.SerializerMethodField()
    countdown = serializers.SerializerMethodField()
    active_subscriptions = serializers.SerializerMethodField()
    recent_payments = serializers.SerializerMethodField()
    recent_notifications = serializers.SerializerMethodField()
    server_time = serializers.DateTimeField()
    channels = serializers.SerializerMethodField()
    pending_payment = serializers.SerializerMethodField()
    access = serializers.SerializerMethodField()

    @extend_schema_field(ProfileSerializer)
    def get_user(self, obj) -> dict:
        return profile_body(obj.user)

    @extend_schema_field(DashboardStatsSerializer)
    def get_stats(self, obj) -> dict:
        return _stats.to_representation(obj.stats)

    @extend_schema_field(DashboardCountdownSerializer(allow_null=True))
    def get_countdown(self, obj) -> dict | None:
        return None if obj.countdown is None else _countdown.to_representation(obj.countdown)

    @extend_schema_field(SubscriptionSerializer(many=True))
    def get_active_subscriptions(self, obj) -> list:
        subscriptions = SubscriptionSerializer(many=True, context=self.context)
        return subscriptions.to_representation(obj.active_subscriptions)  # type: ignore[return-value]  # a list

    @extend_schema_field(PaymentSerializer(many=True))
    def get_recent_payments(self, obj) -> list:
        return _payments.to_representation(obj.recent_payments)  # type: ignore[return-value]  # a list (many=True)

    @extend_schema_field(DashboardNotificationSerializer(many=True))
    def get_recent_notifications(self, obj) -> list:
        return _notifications.to_representation(obj.recent_notifications)  # type: ignore[return-value]  # a list

    @extend_schema_field(MemberChannelsSerializer)
    def get_channels(self, obj) -> dict:
        return obj.channels

    @extend_schema_field(PaymentSerializer(allow_null=True))
    def get_pending_payment(self, obj) -> dict | None:
        return None if obj.pending_payment is None else _payment.to_representation(obj.pending_payment)

    @extend_schema_field(AccessEntrySerializer(many=True))
    def get_access(self, obj) -> list:
        return obj.access


def dashboard_data(dashboard) -> dict:
    """The body for a `member_space.dashboard.Dashboard`."""
    context = {"at": dashboard.server_time, "channels": dashboard.channels}  # for each active subscription
    return DashboardSerializer(dashboard, context=context).data

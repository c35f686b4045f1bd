"""Plans (public), the member's subscriptions and the member dashboard."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.serializers import ProfileSerializer
from channels_sync.serializers import MemberChannelsSerializer
from core import clock
from payments.serializers import PaymentSerializer
from subscriptions.dashboard import dashboard_for_member
from subscriptions.dashboard_body import dashboard_body
from subscriptions.dashboard_cache import dashboard_cache_lookup, dashboard_cache_render, dashboard_cache_store
from subscriptions.selectors import plans_offered, subscriptions_for_member
from subscriptions.serializers import CountdownSerializer, PlanSerializer, SubscriptionSerializer


class PlanListApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses=PlanSerializer(many=True), summary="Formules proposées")
    def get(self, request):
        return Response(PlanSerializer(plans_offered(), many=True).data)


class SubscriptionListApi(APIView):
    @extend_schema(responses=SubscriptionSerializer(many=True), summary="Mes abonnements et leur compte à rebours")
    def get(self, request):
        subscriptions = subscriptions_for_member(user=request.user)
        return Response(SubscriptionSerializer(subscriptions, many=True, context={"at": clock.now()}).data)


class DashboardNotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    notification_type = serializers.CharField()
    title = serializers.CharField()
    message = serializers.CharField()
    status = serializers.CharField()
    scheduled_for = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    read_at = serializers.DateTimeField(allow_null=True)


class DashboardStatsSerializer(serializers.Serializer):
    active_subscriptions = serializers.IntegerField()
    total_subscriptions = serializers.IntegerField()
    total_payments = serializers.IntegerField()
    confirmed_payments = serializers.IntegerField()
    pending_payments = serializers.IntegerField()
    total_paid = serializers.DecimalField(max_digits=14, decimal_places=2)
    unread_notifications = serializers.IntegerField()


class DashboardSerializer(serializers.Serializer):
    """The documented shape; the body itself is built by subscriptions.dashboard_body (same output, tested)."""

    user = ProfileSerializer()
    stats = DashboardStatsSerializer()
    countdown = CountdownSerializer(allow_null=True)
    active_subscriptions = SubscriptionSerializer(many=True)
    recent_payments = PaymentSerializer(many=True)
    recent_notifications = DashboardNotificationSerializer(many=True)
    server_time = serializers.DateTimeField()
    channels = MemberChannelsSerializer(source="user", read_only=True)  # channels_sync: access per platform


# Whether the body came from the per-member cache: for operators and bench/load.py's hit ratio (not in the body).
CACHE_HEADER = "X-Dashboard-Cache"


class DashboardApi(APIView):
    @extend_schema(responses=DashboardSerializer, summary="Tableau de bord du membre")
    def get(self, request):
        # Cached per member (subscriptions/dashboard_cache.py): the time-driven fields are recomputed at `at`.
        at = clock.now()
        lookup = dashboard_cache_lookup(user_id=request.user.pk, at=at)
        if lookup.entry is not None:
            body = dashboard_cache_render(
                entry=lookup.entry,
                user=request.user,
                at=at,
                server_time=serializers.DateTimeField().to_representation(at),
            )
            return Response(body, headers={CACHE_HEADER: "hit"})
        dashboard = dashboard_for_member(user=request.user, at=at)
        body = dashboard_body(dashboard)  # exactly DashboardSerializer(dashboard, context={"at": at}).data, faster
        ends_at = {
            "countdown": dashboard.countdown["ends_at"] if dashboard.countdown else None,
            "active": [subscription.ends_at for subscription in dashboard.active_subscriptions],
        }
        dashboard_cache_store(
            lookup=lookup, user=request.user, body=body, at=at, next_change=dashboard.next_change, ends_at=ends_at
        )
        return Response(body, headers={CACHE_HEADER: "miss"})

"""The member's cross-app reads over the API: the dashboard and the subscriptions list (thin views)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import MemberJWTAuthentication, MemberJWTScheme
from accounts.models import User
from channels_sync.selectors import channel_status_for
from core import clock
from member_space.dashboard import dashboard_for_member, member_figures, member_with_figures
from member_space.dashboard_cache import dashboard_cache_lookup, dashboard_cache_render, dashboard_cache_store
from member_space.serializers import DashboardSerializer, SubscriptionSerializer, dashboard_data
from subscriptions.selectors import subscriptions_for_member

# Whether the body came from the per-member cache: for operators and bench/load.py's hit ratio (not in the body).
CACHE_HEADER = "X-Dashboard-Cache"


class SubscriptionListApi(APIView):
    @extend_schema(responses=SubscriptionSerializer(many=True), summary="Mes abonnements et leur compte à rebours")
    def get(self, request):
        subscriptions = subscriptions_for_member(user=request.user)
        context = {"at": clock.now(), "channels": channel_status_for(request.user)}
        return Response(SubscriptionSerializer(subscriptions, many=True, context=context).data)


class DashboardJWTAuthentication(MemberJWTAuthentication):
    """The member's JWT authentication (every check of accounts'), whose one query also reads the member's figures
    and the cache versions (`member_with_figures`): a cache hit costs that query and one cache GET."""

    def member_for(self, member_id: int) -> User | None:
        return member_with_figures(member_id=member_id)


class DashboardJWTScheme(MemberJWTScheme):
    """Its OpenAPI security scheme: the same bearer JWT. drf-spectacular keys a scheme by the authentication class,
    so this subclass needs a name of its own (one name for two classes is a schema warning)."""

    target_class = "member_space.api.DashboardJWTAuthentication"
    name = "jwtAuthDashboard"
    priority = 1  # before accounts' scheme, which also matches subclasses


class DashboardApi(APIView):
    authentication_classes = [DashboardJWTAuthentication]

    @extend_schema(responses=DashboardSerializer, summary="Tableau de bord du membre")
    def get(self, request):
        # Cached per member (member_space/dashboard_cache.py): the time-driven fields are recomputed at `at`.
        at = clock.now()
        figures, plans_version = member_figures(user=request.user)  # read with the member: no query
        lookup = dashboard_cache_lookup(figures=figures, plans_version=plans_version, at=at)
        if lookup.entry is not None:
            body = dashboard_cache_render(
                entry=lookup.entry,
                user=request.user,
                at=at,
                server_time=serializers.DateTimeField().to_representation(at),
            )
            return Response(body, headers={CACHE_HEADER: "hit"})
        dashboard = dashboard_for_member(user=request.user, at=at, figures=figures)
        body = dashboard_data(dashboard)
        dashboard_cache_store(lookup=lookup, dashboard=dashboard, body=body)
        return Response(body, headers={CACHE_HEADER: "miss"})

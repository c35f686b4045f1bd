"""Notifications API: the member's reminders. One thin view per operation; rules in services/selectors."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.pagination import PAGE_PARAMETERS, page_schema, paginated_response
from notifications import services
from notifications.models import UserNotification
from notifications.selectors import notifications_for_member
from notifications.serializers import NotificationSerializer

TAG = "Notifications"
NOT_FOUND = OpenApiResponse(description="Notification introuvable (ou d'un autre membre).")


class NotificationListView(APIView):
    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=UserNotification.Status.choices, required=False)

    @extend_schema(
        tags=[TAG],
        summary="Mes notifications",
        description=(
            "Les notifications du membre, les plus récentes d'abord, paginées. Sans `status`, les notifications "
            "ignorées (dismissed) sont omises ; `?status=dismissed` les liste."
        ),
        parameters=[OpenApiParameter("status", enum=UserNotification.Status.values, required=False), *PAGE_PARAMETERS],
        responses={200: page_schema("NotificationPage", NotificationSerializer)},
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        notifications = notifications_for_member(user=request.user, status=filters.validated_data.get("status"))
        return paginated_response(
            request=request, view=self, queryset=notifications, serializer_class=NotificationSerializer
        )


class NotificationReadView(APIView):
    @extend_schema(
        tags=[TAG],
        summary="Marquer une notification comme lue",
        request=None,
        responses={200: NotificationSerializer, 404: NOT_FOUND},
    )
    def post(self, request, pk: int):
        notification = get_object_or_404(request.user.notifications, pk=pk)
        notification = services.notification_mark_read(notification=notification)
        return Response(NotificationSerializer(notification).data)


class NotificationReadAllView(APIView):
    @extend_schema(
        tags=[TAG],
        summary="Tout marquer comme lu",
        request=None,
        responses={200: inline_serializer("NotificationsReadAll", {"updated": serializers.IntegerField()})},
    )
    def post(self, request):
        return Response({"updated": services.notifications_mark_all_read(user=request.user)})


class NotificationDismissView(APIView):
    @extend_schema(
        tags=[TAG],
        summary="Ignorer une notification",
        description="La notification disparaît de la liste par défaut.",
        request=None,
        responses={200: NotificationSerializer, 404: NOT_FOUND},
    )
    def post(self, request, pk: int):
        notification = get_object_or_404(request.user.notifications, pk=pk)
        notification = services.notification_dismiss(notification=notification)
        return Response(NotificationSerializer(notification).data)

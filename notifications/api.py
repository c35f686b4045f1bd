"""Notifications API: the member's reminders and new-signal alert choices. One thin view per operation; rules in
services/selectors."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.pagination import PAGE_PARAMETERS, page_schema, paginated_response
from notifications import services
from notifications.models import NotificationDelivery, UserNotification
from notifications.selectors import notifications_for_member
from notifications.serializers import NotificationSerializer
from notifications.signal_alerts import alert_channels_for, signal_alert_choices_for, signal_alert_preferences_set

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


class SignalAlertSerializer(serializers.Serializer):
    market = serializers.ChoiceField(choices=User.Market.choices)
    channel = serializers.ChoiceField(choices=NotificationDelivery.Channel.choices)


class SignalAlertChannelSerializer(serializers.Serializer):
    channel = serializers.CharField()
    name = serializers.CharField()
    offered = serializers.BooleanField()
    reason = serializers.CharField(help_text="Pourquoi le canal n'est pas proposé à ce membre (vide s'il l'est).")


class SignalAlertsView(APIView):
    class InputSerializer(serializers.Serializer):
        alerts = SignalAlertSerializer(many=True, allow_empty=True)

    class OutputSerializer(serializers.Serializer):
        alerts = SignalAlertSerializer(many=True)
        channels = SignalAlertChannelSerializer(many=True)

    @staticmethod
    def _answer(user) -> Response:
        data = {
            "alerts": [
                {"market": market, "channel": channel} for market, channel in signal_alert_choices_for(user=user)
            ],
            "channels": [
                {"channel": c.value, "name": c.label, "offered": c.offered, "reason": c.reason}
                for c in alert_channels_for(user=user)
            ],
        }
        return Response(SignalAlertsView.OutputSerializer(data).data)

    @extend_schema(
        tags=[TAG],
        summary="Mes alertes de nouveaux signaux",
        description=(
            "Les couples (marché, canal) pour lesquels le membre reçoit une alerte à chaque nouveau signal publié, "
            "tant que son abonnement est en cours ; `channels` dit quels canaux lui sont proposés (Telegram : compte "
            "lié)."
        ),
        responses={200: OutputSerializer},
    )
    def get(self, request):
        return self._answer(request.user)

    @extend_schema(
        tags=[TAG],
        summary="Choisir mes alertes de nouveaux signaux",
        description="Remplace la liste des alertes du membre (liste vide : plus aucune alerte).",
        request=InputSerializer,
        responses={200: OutputSerializer, 400: OpenApiResponse(description="Marché ou canal invalide ou non proposé.")},
    )
    def put(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            signal_alert_preferences_set(
                user=request.user,
                choices=[(a["market"], a["channel"]) for a in serializer.validated_data["alerts"]],
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"alerts": exc.messages}) from exc
        return self._answer(request.user)

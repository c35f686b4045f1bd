"""Trading signals API. Who sees details is decided by trading_signals.policies; staff write through services."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import BasePermission, IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.pagination import PAGE_PARAMETERS, page_schema, paginated_response
from trading_signals import policies, selectors, services
from trading_signals.models import Signal, SignalEvent
from trading_signals.serializers import (
    LockedSignalSerializer,
    SignalCorrectInputSerializer,
    SignalCreateInputSerializer,
    SignalEventInputSerializer,
    SignalEventResultSerializer,
    SignalFilterSerializer,
    SignalSerializer,
    SignalStatsSerializer,
)


def _signal_item(many: bool = False) -> PolymorphicProxySerializer:
    return PolymorphicProxySerializer(
        component_name="SignalItem",
        serializers=[SignalSerializer, LockedSignalSerializer],
        resource_type_field_name=None,
        many=many,
    )


class SignalListApi(APIView):
    @extend_schema(
        operation_id="user_signals_list",
        summary="Signaux publiés (détails réservés aux membres avec un abonnement en cours)",
        description=(
            "Sans abonnement en cours, chaque signal ne contient que id, market, instrument, direction, status, "
            "published_at, `locked: true` et `locked_message`. Filtres invalides : 400."
        ),
        parameters=[SignalFilterSerializer, *PAGE_PARAMETERS],
        responses=page_schema("SignalPage", _signal_item),
    )
    def get(self, request):
        filters = SignalFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        sees_details = policies.member_sees_signal_details(user=request.user)
        return paginated_response(
            request=request,
            view=self,
            queryset=selectors.signals_published(filters=filters.filters(), with_history=sees_details),
            serializer_class=SignalSerializer if sees_details else LockedSignalSerializer,
        )


class SignalStatsApi(APIView):
    @extend_schema(
        operation_id="user_signals_stats",
        summary="Statistiques des signaux publiés (mêmes filtres que la liste)",
        description=(
            "Résultats en R (multiples du risque initial, de l'entrée au stop-loss). Avec un abonnement en cours : "
            "nombre (hors annulés, comptés à part), en cours, clôturés, gagnants, perdants, à l'équilibre, taux de "
            "réussite, gain et perte moyens, espérance, profit factor, total, drawdown maximal et plus longue série "
            "de pertes (dans l'ordre de clôture), au global, par marché et par mois de clôture (cumul : la courbe "
            "des résultats), selon les filtres. Sans abonnement en cours : les nombres et le taux de réussite "
            "take-profits / stop-loss (ce que la liste montre déjà par le statut de chaque signal), mais aucun "
            "chiffre en R (null partout) ni aucun mois : `results_locked` vaut true et `locked_message` explique "
            "pourquoi. Sinon une période d'un jour et un marché suffiraient à retrouver le résultat caché d'un "
            "signal. Filtres invalides : 400."
        ),
        parameters=[SignalFilterSerializer],
        responses=SignalStatsSerializer,
    )
    def get(self, request):
        filters = SignalFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        stats = selectors.signal_stats(user=request.user, filters=filters.filters())
        return Response(SignalStatsSerializer(stats).data)


def _service(action, **kwargs):
    """Call a service; its French ValidationError becomes a 400 (`{field: [messages]}` or `{detail}`)."""
    try:
        return action(**kwargs)
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise exceptions.ValidationError(exc.message_dict) from exc
        raise exceptions.ValidationError({"detail": " ".join(exc.messages)}) from exc


def _signal_fresh(signal_id: int) -> Signal:
    """The signal as the service left it, with what SignalSerializer reads (take-profits, history)."""
    return selectors.signal_with_history(signal_id=signal_id)


def _signal_out(signal_id: int) -> dict:
    return dict(SignalSerializer(_signal_fresh(signal_id)).data)


class SignalWritePermission(BasePermission):
    """Staff with the model permission the admin asks for the same write (`view.required_permission`): staff who
    may only view signals in the admin cannot publish, close or correct one here either."""

    def has_permission(self, request, view) -> bool:
        return request.user.has_perm(view.required_permission)


Kind = SignalEvent.Kind
STAFF_ONLY = (
    "Staff avec la permission d'ajouter (création) ou de modifier les signaux (401 sans authentification, 403 pour "
    "un membre ou un staff en lecture seule)."
)


class AdminSignalCreateApi(APIView):
    permission_classes = [IsAdminUser, SignalWritePermission]
    required_permission = "trading_signals.add_signal"

    @extend_schema(
        operation_id="admin_signals_create",
        summary="Créer un signal et le publier (staff)",
        description=(
            "Crée le signal avec ses take-profits (TP1 d'abord) et le publie aussitôt (membres, canaux Telegram et "
            "Discord), sauf `draft: true`. Un niveau impossible (stop-loss égal à l'entrée ou du mauvais côté, "
            "take-profits dans le désordre) : 400 en français. " + STAFF_ONLY
        ),
        request=SignalCreateInputSerializer,
        responses={201: SignalSerializer},
    )
    def post(self, request):
        data = SignalCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        publish = not values.pop("draft")
        signal = _service(services.signal_create, by=request.user, publish=publish, **values)
        return Response(_signal_out(signal.pk), status=status.HTTP_201_CREATED)


class AdminSignalCorrectApi(APIView):
    permission_classes = [IsAdminUser, SignalWritePermission]
    required_permission = "trading_signals.change_signal"

    @extend_schema(
        operation_id="admin_signals_correct",
        summary="Corriger un signal (staff)",
        description=(
            "Corrige le sens, l'entrée, le stop-loss ou les take-profits (la liste entière). Un signal publié garde "
            "chaque changement (qui, quand, ancienne → nouvelle valeur) dans son historique, est marqué « modifié » "
            "et son résultat en R est recalculé s'il est clôturé ; un brouillon est simplement modifié. Signal "
            "inconnu : 404 ; correction impossible : 400. " + STAFF_ONLY
        ),
        request=SignalCorrectInputSerializer,
        responses=SignalSerializer,
    )
    def patch(self, request, pk: int):
        signal = get_object_or_404(Signal, pk=pk)
        data = SignalCorrectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _service(services.signal_correct, signal_id=signal.pk, by=request.user, **data.validated_data)
        return Response(_signal_out(signal.pk))


class AdminSignalEventApi(APIView):
    permission_classes = [IsAdminUser, SignalWritePermission]
    required_permission = "trading_signals.change_signal"

    @extend_schema(
        operation_id="admin_signals_event",
        summary="Publier un signal ou changer son statut (staff)",
        description=(
            "`kind` : published (publier un brouillon), tp_reached (avec `take_profit_order`, dans l'ordre ; le "
            "dernier clôture le signal), sl_hit, closed (avec `exit_price`), cancelled (tant qu'aucun objectif "
            "n'est atteint). Le même appel répété (double clic) rend l'événement déjà enregistré, sans rien publier "
            "de plus. Transition impossible : 400 en français ; signal inconnu : 404. " + STAFF_ONLY
        ),
        request=SignalEventInputSerializer,
        responses={200: SignalEventResultSerializer, 404: OpenApiResponse(description="Signal inconnu.")},
    )
    def post(self, request, pk: int):
        signal = get_object_or_404(Signal, pk=pk)
        data = SignalEventInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        common = {"signal_id": signal.pk, "by": request.user}
        kind = values["kind"]
        if kind == Kind.PUBLISHED:
            event = _service(services.signal_publish, **common)
        elif kind == Kind.TP_REACHED:
            event = _service(services.signal_take_profit_reached, order=values["take_profit_order"], **common)
        elif kind == Kind.SL_HIT:
            event = _service(services.signal_stop_loss_hit, **common)
        elif kind == Kind.CLOSED:
            event = _service(services.signal_close, exit_price=values["exit_price"], **common)
        else:
            event = _service(services.signal_cancel, **common)
        return Response(SignalEventResultSerializer({"event": event, "signal": _signal_fresh(signal.pk)}).data)

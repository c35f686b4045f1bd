"""Trading signals API. Who sees details is decided by trading_signals.policies."""

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from core.pagination import PAGE_PARAMETERS, page_schema, paginated_response
from trading_signals import policies, selectors
from trading_signals.serializers import (
    LockedSignalSerializer,
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
            queryset=selectors.signals_published(filters=filters.filters()),
            serializer_class=SignalSerializer if sees_details else LockedSignalSerializer,
        )


class SignalStatsApi(APIView):
    @extend_schema(
        operation_id="user_signals_stats",
        summary="Statistiques des signaux publiés (mêmes filtres que la liste)",
        description=(
            "Avec un abonnement en cours : nombre, en cours, take-profits, stop-loss, taux de réussite et total des "
            "résultats (pips et % séparés), au global, par marché et par mois, selon les filtres. "
            "Sans abonnement en cours : les mêmes nombres et taux de réussite (ce que la liste montre déjà par le "
            "statut de chaque signal), mais aucun total de résultat : `total_result` vaut null partout, "
            "`results_locked` vaut true et `locked_message` explique pourquoi. Sinon une période d'un jour et un "
            "marché suffiraient à retrouver le résultat caché d'un signal. Filtres invalides : 400."
        ),
        parameters=[SignalFilterSerializer],
        responses=SignalStatsSerializer,
    )
    def get(self, request):
        filters = SignalFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        stats = selectors.signal_stats(user=request.user, filters=filters.filters())
        return Response(SignalStatsSerializer(stats).data)

"""The admins' figures as JSON (staff only)."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import selectors
from analytics.serializers import AdminStatsSerializer


class AdminStatsApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        operation_id="admin_stats",
        summary="Chiffres du tableau de bord des administrateurs (staff uniquement)",
        description=(
            "Membres actifs, MRR par devise, revenus des 12 derniers mois par formule et par moyen de paiement, "
            "nouveaux membres, départs et taux de renouvellement, cohortes, paiements en attente et signaux. "
            "Mois civils à Paris ; montants jamais additionnés entre devises. Un membre non staff : 403."
        ),
        responses=AdminStatsSerializer,
    )
    def get(self, request):
        return Response(AdminStatsSerializer(selectors.admin_stats(user=request.user)).data)

"""Plans (public). The member's subscriptions and dashboard are cross-app reads: member_space/api.py."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from subscriptions.selectors import plans_offered_with_formations
from subscriptions.serializers import PlanSerializer


class PlanListApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses=PlanSerializer(many=True), summary="Formules proposées")
    def get(self, request):
        return Response(PlanSerializer(plans_offered_with_formations(), many=True).data)

"""POST /api/auth/user/trial/: the member starts a plan's free trial."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.fields import StrictPrimaryKeyRelatedField
from subscriptions.selectors import plans_offered
from subscriptions.serializers import PlanBriefSerializer
from trials.services import TrialError, TrialNotAllowed, TrialRefused, trial_start

RefusalSerializer = inline_serializer("TrialRefusal", {"detail": serializers.CharField()})
NotAllowedSerializer = inline_serializer(
    "TrialNotAllowed",
    {"detail": serializers.CharField(), "missing_fields": serializers.ListField(child=serializers.CharField())},
)


class TrialStartApi(APIView):
    @extend_schema_serializer(component_name="TrialInput")
    class InputSerializer(serializers.Serializer):
        plan = StrictPrimaryKeyRelatedField(
            queryset=plans_offered(),
            error_messages={
                "does_not_exist": "Formule inconnue ou plus proposée.",
                "incorrect_type": "Identifiant de formule invalide.",
            },
        )

    @extend_schema_serializer(component_name="TrialOutput")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        plan = PlanBriefSerializer()
        starts_at = serializers.DateTimeField()
        ends_at = serializers.DateTimeField()
        is_trial = serializers.BooleanField()

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            400: OpenApiResponse(
                description="`{detail}` : formule sans essai, ou aucun compte Telegram/Discord lié ; `{plan: [...]}` : "
                "formule inconnue, plus proposée ou invalide."
            ),
            403: NotAllowedSerializer,
            409: OpenApiResponse(RefusalSerializer, description="Essai déjà utilisé, ou déjà membre."),
        },
        summary="Commencer l'essai gratuit d'une formule",
        description="Un essai par personne (reconnue par son e-mail et ses comptes Telegram et Discord liés), "
        "réservé aux membres jamais abonnés ; accès aux canaux comme un abonnement, sans paiement ni facture.",
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            subscription = trial_start(user=request.user, plan=serializer.validated_data["plan"])
        except TrialNotAllowed as exc:
            return Response(
                {"detail": str(exc), "missing_fields": exc.missing_fields}, status=status.HTTP_403_FORBIDDEN
            )
        except TrialRefused as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        except TrialError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(self.OutputSerializer(subscription).data, status=status.HTTP_201_CREATED)

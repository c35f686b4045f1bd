"""The member's payments: history and declaration."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.throttles import MemberRateThrottle
from core.pagination import PAGE_PARAMETERS, page_schema, paginated_response
from payments.selectors import payments_for_member
from payments.serializers import PaymentDeclareInputSerializer, PaymentSerializer
from payments.services import PaymentError, PaymentNotAllowed, payment_declare

IDEMPOTENCY_KEY_MAX_LENGTH = 100

PaymentNotAllowedSerializer = inline_serializer(
    "PaymentNotAllowed",
    {"detail": serializers.CharField(), "missing_fields": serializers.ListField(child=serializers.CharField())},
)

PaymentPageSerializer = page_schema("PaymentPage", PaymentSerializer)


class PaymentListDeclareApi(APIView):
    throttle_scope = "payment_declare"

    def get_throttles(self):
        # Declaring is limited per member (each declaration is work for an admin); reading the history is not.
        return [MemberRateThrottle()] if self.request is not None and self.request.method == "POST" else []

    @extend_schema(
        parameters=PAGE_PARAMETERS,
        responses=PaymentPageSerializer,
        summary="Mon historique de paiements",
    )
    def get(self, request):
        return paginated_response(
            request=request,
            view=self,
            queryset=payments_for_member(user=request.user),
            serializer_class=PaymentSerializer,
        )

    @extend_schema(
        request=PaymentDeclareInputSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="Une nouvelle tentative avec la même clé renvoie le premier paiement (200).",
            )
        ],
        responses={
            201: PaymentSerializer,
            200: PaymentSerializer,
            403: PaymentNotAllowedSerializer,
            429: OpenApiResponse(description="Trop de déclarations (THROTTLE_PAYMENT_DECLARE par membre)"),
        },
        summary="Déclarer un paiement",
    )
    def post(self, request):
        idempotency_key = request.headers.get("Idempotency-Key", "").strip() or None
        if idempotency_key and len(idempotency_key) > IDEMPOTENCY_KEY_MAX_LENGTH:
            return Response(
                {"detail": _("L'en-tête Idempotency-Key ne doit pas dépasser 100 caractères.")},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if idempotency_key and not idempotency_key.isprintable():
            # A NUL byte would reach PostgreSQL, which refuses it in text (a 500); control characters are no key.
            return Response(
                {"detail": _("L'en-tête Idempotency-Key contient des caractères invalides.")},
                status=status.HTTP_400_BAD_REQUEST,
            )
        serializer = PaymentDeclareInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            payment, created = payment_declare(
                user=request.user, idempotency_key=idempotency_key, **serializer.validated_data
            )
        except PaymentNotAllowed as exc:
            return Response(
                {"detail": str(exc), "missing_fields": exc.missing_fields}, status=status.HTTP_403_FORBIDDEN
            )
        except PaymentError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            PaymentSerializer(payment).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

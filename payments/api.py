"""The member's payments: history, declaration, cancellation, proof of payment; the methods offered (public)."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.throttles import MemberRateThrottle
from core.pagination import PAGE_PARAMETERS, page_schema, paginated_response
from payments.models import ProofType
from payments.parsers import ProofMultiPartParser
from payments.proofs import MAX_PROOF_BYTES, proof_response
from payments.selectors import payment_methods_offered, payment_proof_file, payments_for_member
from payments.serializers import (
    PaymentDeclareInputSerializer,
    PaymentMethodSerializer,
    PaymentProofInputSerializer,
    PaymentSerializer,
)
from payments.services import (
    PaymentError,
    PaymentNotAllowed,
    PaymentPendingExists,
    PaymentStateError,
    payment_cancel,
    payment_declare,
    payment_proof_attach,
)

IDEMPOTENCY_KEY_MAX_LENGTH = 100
# Room for the multipart envelope (boundaries, part headers) around a file of the maximum size.
MULTIPART_OVERHEAD_BYTES = 64 * 1024

PaymentNotAllowedSerializer = inline_serializer(
    "PaymentNotAllowed",
    {"detail": serializers.CharField(), "missing_fields": serializers.ListField(child=serializers.CharField())},
)
PaymentPendingSerializer = inline_serializer(
    "PaymentPendingExists", {"detail": serializers.CharField(), "payment": PaymentSerializer()}
)
RefusalSerializer = inline_serializer("PaymentRefusal", {"detail": serializers.CharField()})

PaymentPageSerializer = page_schema("PaymentPage", PaymentSerializer)


def payment_refusal_response(exc: PaymentError | PaymentNotAllowed) -> Response:
    """A refused payment request, as every endpoint that starts a payment answers it (declaration, card checkout):
    403 with `missing_fields` for an incomplete profile, else as _error_response."""
    if isinstance(exc, PaymentNotAllowed):
        return Response({"detail": str(exc), "missing_fields": exc.missing_fields}, status=status.HTTP_403_FORBIDDEN)
    return _error_response(exc)


def _error_response(exc: PaymentError) -> Response:
    """A refused request: 409 for the payment's state (with the pending payment when that is the reason), else 400
    naming the field at fault when there is one."""
    if isinstance(exc, PaymentPendingExists):
        return Response(
            {"detail": str(exc), "payment": PaymentSerializer(exc.payment).data}, status=status.HTTP_409_CONFLICT
        )
    if isinstance(exc, PaymentStateError):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    body = {exc.field: [str(exc)]} if exc.field else {"detail": str(exc)}
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


class PaymentMethodListApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses=PaymentMethodSerializer(many=True), summary="Moyens de paiement proposés")
    def get(self, request):
        return Response(PaymentMethodSerializer(payment_methods_offered(), many=True).data)


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
            409: OpenApiResponse(
                PaymentPendingSerializer, description="Un paiement est déjà en attente : le voici (`payment`)."
            ),
            429: OpenApiResponse(description="Trop de déclarations (THROTTLE_PAYMENT_DECLARE par membre)"),
        },
        summary="Déclarer un paiement",
        description="Le serveur attribue le code du paiement (`code`, ex. CFI-7K3Q9M) et envoie les instructions "
        "par e-mail. Un seul paiement en attente par membre.",
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
        except (PaymentNotAllowed, PaymentError) as exc:
            return payment_refusal_response(exc)
        return Response(
            PaymentSerializer(payment).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class PaymentCancelApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: PaymentSerializer,
            409: OpenApiResponse(RefusalSerializer, description="Le paiement n'est pas en attente."),
        },
        summary="Annuler mon paiement en attente",
    )
    def post(self, request, pk: int):
        payment = get_object_or_404(request.user.payments, pk=pk)
        try:
            payment = payment_cancel(payment=payment, by=request.user)
        except PaymentError as exc:
            return _error_response(exc)
        return Response(PaymentSerializer(payment).data)


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # Django reads no body then either


class PaymentProofApi(APIView):
    parser_classes = [ProofMultiPartParser]
    throttle_scope = "payment_proof"

    def get_throttles(self):
        # Each upload writes up to 5 MB to disk: limited per member (THROTTLE_PAYMENT_PROOF); reading is not.
        return [MemberRateThrottle()] if self.request is not None and self.request.method == "POST" else []

    @extend_schema(
        responses={
            (200, proof_type.value): OpenApiResponse(OpenApiTypes.BINARY, description="La preuve, affichable.")
            for proof_type in ProofType
        },
        summary="Voir la preuve de mon paiement",
    )
    def get(self, request, pk: int):
        payment = get_object_or_404(request.user.payments, pk=pk)
        proof = payment_proof_file(payment=payment)
        if proof is None:
            return Response({"detail": _("Aucune preuve pour ce paiement.")}, status=status.HTTP_404_NOT_FOUND)
        return proof_response(payment=payment, proof=proof)

    @extend_schema(
        request={"multipart/form-data": PaymentProofInputSerializer},
        responses={
            200: PaymentSerializer,
            409: OpenApiResponse(RefusalSerializer, description="Le paiement n'est plus en attente."),
            415: OpenApiResponse(RefusalSerializer, description="Corps autre que multipart/form-data."),
            429: OpenApiResponse(description="Trop d'envois de preuves (THROTTLE_PAYMENT_PROOF par membre)"),
        },
        summary="Joindre la preuve de mon paiement",
        description="Champ `file` : image PNG ou JPEG, ou PDF, 5 Mo au maximum ; le type est lu dans le contenu. "
        "Une nouvelle preuve remplace la précédente tant que le paiement est en attente.",
    )
    def post(self, request, pk: int):
        payment = get_object_or_404(request.user.payments, pk=pk)
        if _content_length(request) > MAX_PROOF_BYTES + MULTIPART_OVERHEAD_BYTES:
            # Refused before reading the body: nothing of it is parsed or spooled to disk.
            return Response(
                {"file": [_("Fichier trop volumineux : 5 Mo au maximum.")]}, status=status.HTTP_400_BAD_REQUEST
            )
        serializer = PaymentProofInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        try:
            payment = payment_proof_attach(payment=payment, content=upload.read(MAX_PROOF_BYTES + 1))
        except PaymentError as exc:
            return _error_response(exc)
        return Response(PaymentSerializer(payment).data)

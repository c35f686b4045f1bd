"""The member's card checkout and Stripe customer portal; Stripe's webhook, whose signature over the raw body is the
authentication: the event is stored, then processed by the durable queue, so Stripe gets its 2xx quickly
(docs/architecture/stripe.md)."""

import io
import logging

import stripe
from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.throttles import MemberRateThrottle
from billing.checkout import billing_portal_url, checkout_start, payments_page_url
from billing.client import stripe_enabled
from billing.errors import BillingError, StripeOff, StripeUnavailable
from billing.services import stripe_event_record
from core.fields import StrictCharField, StrictPrimaryKeyRelatedField
from core.parsers import JSONParser
from payments.api import (
    PaymentNotAllowedSerializer,
    PaymentPendingSerializer,
    RefusalSerializer,
    payment_refusal_response,
)
from payments.services import PaymentError, PaymentNotAllowed
from subscriptions.selectors import plans_offered

logger = logging.getLogger("calmnessfi.billing")
TAG = "Stripe"
SIGNATURE_TOLERANCE_SECONDS = 300  # Stripe's own default: an older signature is a replay attempt
# The media type Stripe sends. The body is never given to DRF's parsers: the signature covers its exact bytes.
STRIPE_MEDIA_TYPE = "application/json; charset=utf-8"
LATEST_TIMESTAMP = 253402300799  # 9999-12-31T23:59:59Z: `created` must be a datetime the database can hold


CARD_TAG = "Paiements"
# Starting a card payment spends the member's declaration budget (THROTTLE_PAYMENT_DECLARE): each one is a payment.
CARD_THROTTLE_SCOPE = "payment_declare"
STRIPE_DOWN_RESPONSES = {
    429: OpenApiResponse(description="Trop de demandes (THROTTLE_PAYMENT_DECLARE par membre)"),
    502: OpenApiResponse(RefusalSerializer, description="Stripe a échoué ou ne répond pas : rien n'a été créé."),
    503: OpenApiResponse(RefusalSerializer, description="Le paiement par carte n'est pas proposé (Stripe désactivé)."),
}


def _stripe_down_response(exc: StripeOff | StripeUnavailable) -> Response:
    code = status.HTTP_503_SERVICE_UNAVAILABLE if isinstance(exc, StripeOff) else status.HTTP_502_BAD_GATEWAY
    return Response({"detail": str(exc)}, status=code)


class CheckoutApi(APIView):
    throttle_classes = [MemberRateThrottle]
    throttle_scope = CARD_THROTTLE_SCOPE

    @extend_schema_serializer(component_name="CheckoutInput")
    class InputSerializer(serializers.Serializer):
        plan = StrictPrimaryKeyRelatedField(
            queryset=plans_offered(),
            error_messages={
                "does_not_exist": _("Formule inconnue ou plus proposée."),
                "incorrect_type": _("Identifiant de formule invalide."),
            },
        )
        coupon = StrictCharField(
            max_length=40,
            allow_blank=True,
            required=False,
            default="",
            help_text="Code promo (sans distinction de casse) : la remise est calculée par le serveur.",
        )

    @extend_schema_serializer(component_name="CheckoutOutput")
    class OutputSerializer(serializers.Serializer):
        url = serializers.URLField(help_text="La page de paiement Stripe où envoyer le membre.")
        payment_id = serializers.IntegerField(help_text="Le paiement en attente (GET /api/auth/user/payments/).")

    @extend_schema(
        tags=[CARD_TAG],
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            200: OpenApiResponse(OutputSerializer, description="La session encore ouverte du paiement en attente."),
            400: OpenApiResponse(
                description="Formule inconnue, plus proposée ou invalide (`plan`) ; code promo refusé (`coupon`, "
                "motif en français)."
            ),
            403: PaymentNotAllowedSerializer,
            409: OpenApiResponse(
                PaymentPendingSerializer, description="Un autre paiement est déjà en attente : le voici (`payment`)."
            ),
            **STRIPE_DOWN_RESPONSES,
        },
        summary="Payer une formule par carte",
        description="Crée le paiement en attente (type `card`) et une session Stripe Checkout (abonnement renouvelé "
        "automatiquement pour une formule récurrente, paiement unique sinon), puis renvoie l'adresse de la page de "
        "paiement. Un second appel pendant que la session est ouverte renvoie la même (200). Le paiement est "
        "confirmé par le webhook Stripe ; au retour, le membre arrive sur /espace/paiements/.",
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            payment, url, created = checkout_start(
                user=request.user,
                plan=serializer.validated_data["plan"],
                coupon_code=serializer.validated_data["coupon"],
            )
        except (StripeOff, StripeUnavailable) as exc:
            return _stripe_down_response(exc)
        except (PaymentNotAllowed, PaymentError) as exc:
            return payment_refusal_response(exc)
        return Response(
            self.OutputSerializer({"url": url, "payment_id": payment.pk}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class BillingPortalApi(APIView):
    throttle_classes = [MemberRateThrottle]
    throttle_scope = CARD_THROTTLE_SCOPE

    @extend_schema_serializer(component_name="BillingPortalOutput")
    class OutputSerializer(serializers.Serializer):
        url = serializers.URLField(help_text="Le portail client Stripe (carte, arrêt du renouvellement).")

    @extend_schema(
        tags=[CARD_TAG],
        request=None,
        responses={
            200: OutputSerializer,
            404: OpenApiResponse(RefusalSerializer, description="Aucun paiement par carte : pas de client Stripe."),
            **STRIPE_DOWN_RESPONSES,
        },
        summary="Gérer mon paiement par carte (portail Stripe)",
        description="Renvoie l'adresse du portail client Stripe, où le membre change sa carte ou arrête le "
        "renouvellement automatique ; le portail ramène sur /espace/paiements/.",
    )
    def post(self, request):
        try:
            url = billing_portal_url(user=request.user, return_url=payments_page_url())
        except (StripeOff, StripeUnavailable) as exc:
            return _stripe_down_response(exc)
        except BillingError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_404_NOT_FOUND)
        return Response(self.OutputSerializer({"url": url}).data)


class StripeWebhookView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=[TAG],
        summary="Webhook Stripe (événements signés)",
        description="Vérifie `Stripe-Signature` (STRIPE_WEBHOOK_SECRET, 300 s de tolérance) sur le corps brut, "
        "enregistre l'événement une seule fois puis le traite en arrière-plan. 400 si la signature manque, est "
        "invalide ou trop ancienne, ou si Stripe n'est pas configuré.",
        parameters=[
            OpenApiParameter(
                "Stripe-Signature",
                str,
                location=OpenApiParameter.HEADER,
                required=True,
                description="t=<horodatage>,v1=<HMAC-SHA256 hexadécimal de « t.corps » par STRIPE_WEBHOOK_SECRET>",
            )
        ],
        request={
            STRIPE_MEDIA_TYPE: inline_serializer(
                "StripeEvent",
                fields={
                    "id": serializers.CharField(),
                    "type": serializers.CharField(),
                    "created": serializers.IntegerField(),
                    "data": serializers.DictField(),
                },
            )
        },
        responses={
            200: inline_serializer("StripeWebhookReceived", fields={"received": serializers.BooleanField()}),
            400: inline_serializer("StripeWebhookRefused", fields={"detail": serializers.CharField()}),
        },
    )
    def post(self, request):
        secret = settings.STRIPE_WEBHOOK_SECRET
        if not stripe_enabled() or not secret:
            return Response({"detail": _("Stripe n'est pas configuré.")}, status=status.HTTP_400_BAD_REQUEST)
        body = request.body  # the raw bytes: nothing is parsed before the signature is checked
        try:
            # What stripe.Webhook.construct_event checks first; its event object is not needed (the stored payload
            # is the JSON itself), and building it would fail on a signed body that is not an object.
            stripe.WebhookSignature.verify_header(
                body, request.headers.get("Stripe-Signature", ""), secret, tolerance=SIGNATURE_TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError:
            return Response({"detail": _("Signature Stripe invalide.")}, status=status.HTTP_400_BAD_REQUEST)
        except ValueError:  # not UTF-8
            return Response({"detail": _("Événement Stripe illisible.")}, status=status.HTTP_400_BAD_REQUEST)
        try:
            # Only now, and with the API's hardened parser: malformed, too deep or lone surrogates are a French 400.
            event = JSONParser().parse(io.BytesIO(body))
        except ParseError as exc:
            return Response({"detail": exc.detail}, status=status.HTTP_400_BAD_REQUEST)
        if not _is_event(event):
            return Response({"detail": _("Événement Stripe illisible.")}, status=status.HTTP_400_BAD_REQUEST)
        stored = stripe_event_record(event=event)
        logger.info("stripe event", extra={"event_id": event["id"], "type": event["type"], "stored": stored})
        return Response({"received": True})


def _is_event(event) -> bool:
    """The fields the webhook reads, of the right types, and nothing the database cannot store."""
    return (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and 0 < len(event["id"]) <= 255
        and isinstance(event.get("type"), str)
        and 0 < len(event["type"]) <= 100
        and type(event.get("created")) is int
        and 0 <= event["created"] <= LATEST_TIMESTAMP
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
        and not _has_nul(event)
    )


def _has_nul(document) -> bool:
    """Whether a string of the document (keys included) holds a NUL, which PostgreSQL's jsonb refuses. Iterative:
    the document may nest as deep as the parser allows."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False

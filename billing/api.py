"""Stripe's webhook: the signature over the raw body is the authentication; the event is stored, then processed by
the durable queue, so Stripe gets its 2xx quickly (docs/architecture/stripe.md)."""

import io
import logging

import stripe
from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.client import stripe_enabled
from billing.services import stripe_event_record
from core.parsers import JSONParser

logger = logging.getLogger("calmnessfi.billing")
TAG = "Stripe"
SIGNATURE_TOLERANCE_SECONDS = 300  # Stripe's own default: an older signature is a replay attempt
# The media type Stripe sends. The body is never given to DRF's parsers: the signature covers its exact bytes.
STRIPE_MEDIA_TYPE = "application/json; charset=utf-8"
LATEST_TIMESTAMP = 253402300799  # 9999-12-31T23:59:59Z: `created` must be a datetime the database can hold


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

"""Channel access API: account linking for members, the Telegram webhook, the Discord OAuth2 callback."""

import json
import logging
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from channels_sync import linking, sync, telegram_updates
from channels_sync.models import Platform
from channels_sync.serializers import MemberChannelsSerializer

logger = logging.getLogger("calmnessfi.channels")
TAG = "Canaux"


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class TelegramLinkView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="TelegramLinkOutput")
    @extend_schema_serializer(component_name="DiscordLinkOutput")
    class OutputSerializer(serializers.Serializer):
        url = serializers.URLField()
        expires_at = serializers.DateTimeField()

    @extend_schema(
        tags=[TAG],
        summary="Lien de liaison Telegram (usage unique)",
        request=None,
        responses={201: OutputSerializer, 403: DetailSerializer, 503: DetailSerializer},
    )
    def post(self, request):
        if not settings.TELEGRAM_BOT_USERNAME:
            return Response({"detail": _("La liaison Telegram n'est pas configurée.")}, status=503)
        try:
            link = linking.telegram_link_create(user=request.user)
        except linking.EmailNotVerified as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        return Response(self.OutputSerializer(link).data, status=status.HTTP_201_CREATED)


class DiscordLinkView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="DiscordLinkOutput")
    class OutputSerializer(serializers.Serializer):
        url = serializers.URLField()

    @extend_schema(
        tags=[TAG],
        summary="URL d'autorisation Discord (OAuth2)",
        description="Pose aussi un cookie (HttpOnly) que le retour de Discord doit présenter : l'autorisation ne "
        "peut être achevée que dans le navigateur qui l'a demandée. Adresse e-mail vérifiée requise (403 sinon).",
        responses={200: OutputSerializer, 403: DetailSerializer, 503: DetailSerializer},
    )
    def get(self, request):
        if not settings.DISCORD_CLIENT_ID:
            return Response({"detail": _("La liaison Discord n'est pas configurée.")}, status=503)
        try:
            authorization = linking.discord_link_url(
                user=request.user, browser_key=request.COOKIES.get(DISCORD_BROWSER_COOKIE, "")
            )
        except linking.EmailNotVerified as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        response = Response(self.OutputSerializer({"url": authorization.url}).data)
        set_discord_browser_cookie(response, authorization)
        return response


DISCORD_BROWSER_COOKIE = "calmnessfi_discord_link"


def set_discord_browser_cookie(response, authorization: linking.DiscordAuthorization) -> None:
    """The cookie binding a Discord authorisation to the browser that asked for it (read by the callback only).

    SameSite=Lax: sent on Discord's top-level redirect back to us, never on a cross-site sub-request."""
    response.set_cookie(
        DISCORD_BROWSER_COOKIE,
        authorization.browser_key,
        max_age=linking.DISCORD_STATE_MAX_AGE,
        path=reverse("channels_sync:discord-callback"),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


class ChannelStatusView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=[TAG], summary="État de mes accès Telegram et Discord", responses={200: MemberChannelsSerializer}
    )
    def get(self, request):
        return Response(MemberChannelsSerializer(request.user).data)


class DiscordCallbackView(APIView):
    """The signed `state` is the authentication: it names the member and expires; the browser's cookie must be
    the one set when the state was made."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=[TAG],
        summary="Retour d'autorisation Discord (redirige vers l'espace membre)",
        parameters=[
            OpenApiParameter("code", str, required=False),
            OpenApiParameter("state", str, required=False),
            OpenApiParameter("error", str, required=False),
        ],
        responses={302: OpenApiResponse(description="Redirection vers DISCORD_LINK_REDIRECT_URL")},
    )
    def get(self, request):
        code = request.query_params.get("code", "")
        state = request.query_params.get("state", "")
        try:
            if request.query_params.get("error"):
                raise linking.LinkError(_("Autorisation refusée sur Discord."))
            user = linking.discord_link_complete(
                code=code, state=state, browser_key=request.COOKIES.get(DISCORD_BROWSER_COOKIE, "")
            )
        except linking.LinkError as exc:
            return self._redirect({"discord": "erreur", "message": str(exc)})
        sync.member_sync_after_link(user=user, platform=Platform.DISCORD)
        return self._redirect({"discord": "ok"})

    @staticmethod
    def _redirect(params: dict) -> HttpResponseRedirect:
        base = settings.DISCORD_LINK_REDIRECT_URL
        separator = "&" if "?" in base else "?"
        return HttpResponseRedirect(f"{base}{separator}{urlencode(params)}")


class TelegramWebhookView(APIView):
    """Telegram's updates. The secret header is the authentication (set by `telegram_set_webhook`)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=[TAG],
        summary="Webhook du bot Telegram",
        parameters=[
            OpenApiParameter(
                "X-Telegram-Bot-Api-Secret-Token",
                str,
                location=OpenApiParameter.HEADER,
                required=True,
                description="TELEGRAM_WEBHOOK_SECRET (déclaré à Telegram par `telegram_set_webhook`) ; sinon 403.",
            )
        ],
        request=inline_serializer("TelegramUpdate", fields={"update_id": serializers.IntegerField()}),
        responses={
            200: inline_serializer("TelegramWebhookOk", fields={"ok": serializers.BooleanField()}),
            403: DetailSerializer,
            400: DetailSerializer,
            503: DetailSerializer,
        },
    )
    def post(self, request):
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        expected = settings.TELEGRAM_WEBHOOK_SECRET
        if not expected or not constant_time_compare(secret, expected):
            return Response({"detail": _("Jeton secret du webhook invalide.")}, status=status.HTTP_403_FORBIDDEN)
        if not settings.TELEGRAM_BOT_TOKEN:
            return Response({"detail": _("Le bot Telegram n'est pas configuré.")}, status=503)
        update = request.data
        if not isinstance(update, dict):
            try:
                update = json.loads(request.body)
            except ValueError:
                return Response({"detail": _("Mise à jour illisible.")}, status=400)
        if not isinstance(update, dict):
            return Response({"detail": _("Mise à jour illisible.")}, status=400)
        result = telegram_updates.telegram_update_handle(update=update)
        logger.info("telegram update", extra={"update_id": update.get("update_id"), "result": result})
        return Response({"ok": True})

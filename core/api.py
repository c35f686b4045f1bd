"""Liveness and readiness probes."""

from django.core.cache import cache
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core import clock


class HealthApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses=inline_serializer("Health", {"status": serializers.CharField()}))
    def get(self, request):
        return Response({"status": "ok"})


class ReadyApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            (200, "application/json"): inline_serializer(
                "Ready",
                {
                    "status": serializers.CharField(),
                    "database": serializers.BooleanField(),
                    "cache": serializers.BooleanField(),
                },
            ),
            (503, "application/json"): inline_serializer(
                "NotReady",
                {
                    "status": serializers.CharField(),
                    "database": serializers.BooleanField(),
                    "cache": serializers.BooleanField(),
                },
            ),
        }
    )
    def get(self, request):
        checks = {"database": _database_ok(), "cache": _cache_ok()}
        ready = all(checks.values())
        return Response({"status": "ok" if ready else "unavailable", **checks}, status=200 if ready else 503)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _cache_ok() -> bool:
    # IGNORE_EXCEPTIONS hides Redis errors from get/set, so check a round trip instead.
    key = "ready-probe"
    value = clock.now().isoformat()
    try:
        cache.set(key, value, 10)
        return cache.get(key) == value
    except Exception:
        return False

"""Every API error is JSON: `{detail}` or `{field: [messages]}`, never an HTML page."""

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

logger = logging.getLogger("calmnessfi.api")


def _is_no_data_error(detail) -> bool:
    if not isinstance(detail, dict) or list(detail) != [api_settings.NON_FIELD_ERRORS_KEY]:
        return False
    errors = detail[api_settings.NON_FIELD_ERRORS_KEY]
    return len(errors) == 1 and getattr(errors[0], "code", None) == "null" and str(errors[0]) == "No data provided"


def json_exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": _("Requête trop volumineuse.")}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(_("Requête invalide."))
    elif isinstance(exc, Http404):
        # get_object_or_404's message names the model in English ("No UserNotification matches…").
        exc = exceptions.NotFound(_("Ressource introuvable."))
    elif isinstance(exc, exceptions.ValidationError) and _is_no_data_error(exc.detail):
        # A JSON `null` body: DRF's message is a literal English string, outside its translations.
        exc = exceptions.ValidationError(
            {api_settings.NON_FIELD_ERRORS_KEY: [_("Aucune donnée reçue : un objet JSON est attendu.")]}, code="null"
        )
    response = exception_handler(exc, context)
    if response is not None:
        if isinstance(response.data, dict):
            # simplejwt adds per-token-class "messages" whose French translations are marked fuzzy (English).
            response.data.pop("messages", None)
        if isinstance(exc, exceptions.Throttled):
            # The stubs (djangorestframework-stubs 3.18) miss the `wait` that Throttled.__init__ sets.
            wait: float | None = exc.wait  # type: ignore[attr-defined]
            if wait is not None:
                response["Retry-After"] = str(int(wait) + (0 if wait == int(wait) else 1))
        return response
    if isinstance(exc, Http404 | PermissionDenied):
        return None
    logger.exception("Unhandled API error", exc_info=exc)
    return Response({"detail": _("Erreur interne du serveur.")}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)


@csrf_exempt  # the /api/ catch-all: an unknown URL is a JSON 404 for every method, never a CSRF page
def api_not_found(request, exception=None):
    return JsonResponse({"detail": _("Ressource introuvable.")}, status=404)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def handler404(request, exception=None):
    if _is_api(request):
        return api_not_found(request)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request):
    if _is_api(request):
        return JsonResponse({"detail": _("Erreur interne du serveur.")}, status=500)
    from django.views.defaults import server_error

    return server_error(request)


def handler400(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": _("Requête invalide.")}, status=400)
    from django.views.defaults import bad_request

    return bad_request(request, exception)


def handler403(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": _("Accès refusé.")}, status=403)
    from django.views.defaults import permission_denied

    return permission_denied(request, exception)

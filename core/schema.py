"""OpenAPI post-processing: every operation documents the error answers the framework really gives it.

Views document their own success and business answers with `extend_schema`; the answers every DRF view can give
(bad input, missing token, unknown id, oversized or non-JSON body, throttling) are added here, in one place, from
what the view is: its parameters, its body, its security requirement, its permissions and its throttles. An answer
an operation already documents is kept; one documented without a body gets the standard body shape.
"""

from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework_simplejwt.views import TokenViewBase

JSON = "application/json"
ERROR = "Error"
VALIDATION_ERROR = "ValidationError"

ERROR_SCHEMA = {
    "type": "object",
    "description": "Erreur : un message lisible, et parfois un code machine.",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": "Erreurs par champ (`non_field_errors` pour l'objet entier) : une liste de messages, ou un objet "
    "pour un champ composé.",
    "additionalProperties": {"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]},
}
VALIDATION_ERROR_SCHEMA = {
    "description": "Requête invalide : `{detail}` ou `{champ: [messages]}`.",
    "anyOf": [{"$ref": f"#/components/schemas/{ERROR}"}, FIELD_ERRORS_SCHEMA],
}

# Status -> (description, component) for the answers this hook adds.
STANDARD_ERRORS = {
    400: ("Requête invalide (champ, paramètre ou corps JSON).", VALIDATION_ERROR),
    401: ("Jeton d'accès absent, invalide ou expiré.", ERROR),
    403: ("Action refusée à ce membre.", ERROR),
    404: ("Ressource introuvable (ou d'un autre membre), ou page inexistante.", ERROR),
    413: ("Requête trop volumineuse.", ERROR),
    415: ("Type de contenu non pris en charge (JSON attendu).", ERROR),
    429: ("Trop de requêtes : réessayer après `Retry-After` secondes.", ERROR),
}
HTTP_METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}
HARMLESS_PERMISSIONS = (AllowAny, IsAuthenticated)  # their refusals are 401s (JWT sends WWW-Authenticate)
PAGE_PARAMETERS = {"page", "page_size"}  # a bad page is a 404; a bad page_size falls back to the default size


def _views_by_operation(generator) -> dict[tuple[str, str], object]:
    """(path, method) -> the view instance drf-spectacular documented, to read its permissions and throttles."""
    views = {}
    for path, _regex, method, view in generator._get_paths_and_endpoints():
        views[(path, method.lower())] = view
    return views


def _needs_authentication(operation: dict) -> bool:
    security = operation.get("security")
    if not security:
        return False
    return all(requirement for requirement in security)


def _has_json_body(operation: dict) -> bool:
    return JSON in operation.get("requestBody", {}).get("content", {})


def _can_refuse(view) -> bool:
    return any(not isinstance(permission, HARMLESS_PERMISSIONS) for permission in view.get_permissions())


def _only_redirects(operation: dict) -> bool:
    return all(status.startswith("3") for status in operation.get("responses", {})) and bool(operation["responses"])


def standard_error_codes(operation: dict, view) -> set[int]:
    """The error statuses DRF and our exception handler can answer for this operation."""
    parameters = operation.get("parameters", [])
    query = {p["name"] for p in parameters if p.get("in") == "query"}
    codes = set()
    if _needs_authentication(operation) or isinstance(view, TokenViewBase):
        codes.add(401)  # no/invalid access token; simplejwt's own views answer 401 for a bad refresh token
    if view is not None and view.get_throttles():
        codes.add(429)
    if _only_redirects(operation):
        return codes  # e.g. an OAuth callback: every outcome, errors included, is a redirect
    if "requestBody" in operation or query - PAGE_PARAMETERS:
        codes.add(400)
    if any(p.get("in") == "path" for p in parameters) or "page" in query:
        codes.add(404)  # unknown (or another member's) id; a page past the end or not a number
    if "requestBody" in operation:
        codes.add(413)  # DATA_UPLOAD_MAX_MEMORY_SIZE, answered as JSON by core.exceptions
    if _has_json_body(operation):
        codes.add(415)  # JSONParser is the only parser
    if view is not None and _can_refuse(view):
        codes.add(403)
    return codes


def _response(status: int) -> dict:
    description, component = STANDARD_ERRORS[status]
    return {"description": description, "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{component}"}}}}


def add_standard_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook (registered in SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    views = _views_by_operation(generator)
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(ERROR, ERROR_SCHEMA)
    schemas.setdefault(VALIDATION_ERROR, VALIDATION_ERROR_SCHEMA)
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(standard_error_codes(operation, views.get((path, method)))):
                documented = responses.get(str(status))
                if documented is None:
                    responses[str(status)] = _response(status)
                elif "content" not in documented:
                    # Documented by the view with a description only: keep it, add the shape of the body.
                    documented["content"] = _response(status)["content"]
            # Reorder: successes first, then errors by status (stable, readable documentation).
            operation["responses"] = dict(sorted(responses.items(), key=lambda pair: pair[0]))
    return result

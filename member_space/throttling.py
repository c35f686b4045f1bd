"""The accounts API's throttles applied to the pages' public forms: same scopes, same cache keys, one budget.

A member trying passwords on /espace/connexion/ spends the same per-IP and per-address budget as on
POST /api/auth/login/, so the page is no way around the API's limits.
"""

import math
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.throttles import EmailRateThrottle, IPRateThrottle


class _ThrottleRequest:
    """A DRF-request stand-in: `data` holds the e-mail; the rest (META, headers) is the Django request's."""

    def __init__(self, request: HttpRequest, data: dict):
        self._request = request
        self.data = data

    def __getattr__(self, name: str):
        return getattr(self._request, name)


@dataclass(frozen=True)
class _Scope:
    throttle_scope: str


def throttle_message(*, request: HttpRequest, scope: str, email: str | None = None) -> str | None:
    """None when the request may go on; otherwise the French message to show (and nothing is done)."""
    shim = _ThrottleRequest(request, {"email": email} if email is not None else {})
    view = _Scope(scope)
    throttles = [IPRateThrottle()] + ([EmailRateThrottle()] if email is not None else [])
    waits = [throttle.wait() or 0 for throttle in throttles if not throttle.allow_request(shim, view)]
    if not waits:
        return None
    return _("Trop de tentatives. Réessayez dans %(seconds)d secondes.") % {"seconds": math.ceil(max(waits))}

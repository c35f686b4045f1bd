"""Throttles of the public accounts endpoints: one budget per client IP and one per e-mail address.

Rates come from settings.THROTTLE_RATES (read at each request) and counters live in the cache, so every
gunicorn host shares them when REDIS_URL is set. The client IP is DRF's get_ident (REST_FRAMEWORK
NUM_PROXIES says how many proxies' X-Forwarded-For entries to trust).
"""

import hashlib
import math
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from rest_framework.throttling import SimpleRateThrottle

from accounts.selectors import member_address


class _ScopedFromView(SimpleRateThrottle):
    kind = ""

    def allow_request(self, request, view):
        self.scope = getattr(view, "throttle_scope", None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def __init__(self):
        # SimpleRateThrottle reads its rate in __init__ from the scope, which is only known from the view.
        pass

    def get_rate(self):
        return settings.THROTTLE_RATES.get(self.scope) if self.scope else None

    def cache_key_for(self, ident: str) -> str:
        return self.cache_format % {"scope": f"{self.kind}_{self.scope}", "ident": ident}


class IPRateThrottle(_ScopedFromView):
    kind = "ip"

    def get_cache_key(self, request, view):
        return self.cache_key_for(self.get_ident(request))


class MemberRateThrottle(_ScopedFromView):
    """Keyed on the logged-in member (payment declarations): members behind one address do not share it."""

    kind = "member"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_key_for(str(request.user.pk))


class EmailRateThrottle(_ScopedFromView):
    """Keyed on the member the body's e-mail names, so neither changing IP nor writing the address another way
    resets its budget: the key follows what the login matches (on PostgreSQL "teſt@…" finds "test@…")."""

    kind = "email"

    def get_cache_key(self, request, view):
        data = request.data
        email = data.get("email") if isinstance(data, dict) else None
        if not isinstance(email, str) or not email.strip():
            return None
        return self.cache_key_for(email_throttle_ident(email))


def email_throttle_ident(email: str) -> str:
    """A digest of the address of the member the e-mail names, or of the e-mail itself (trimmed, lower-cased)
    when it names nobody: a registration keeps the budget it started with once the account exists."""
    address = member_address(email=email) or email
    return hashlib.sha256(address.strip().lower().encode(errors="surrogatepass")).hexdigest()


# The same throttles for the Django forms (/espace/ pages, the admin login): same scopes, same cache keys, one
# budget, so a page is no way around the API's limits.


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


def throttle_message(
    *, request: HttpRequest, scope: str, email: str | None = None, per_member: bool = False
) -> str | None:
    """None when the request may go on; otherwise the French message to show (and nothing is done).

    Counted per IP and, with `email`, per address; or, with `per_member`, per logged-in member only."""
    shim = _ThrottleRequest(request, {"email": email} if email is not None else {})
    view = _Scope(scope)
    throttles: list[_ScopedFromView]
    if per_member:
        throttles = [MemberRateThrottle()]
    else:
        throttles = [IPRateThrottle()] + ([EmailRateThrottle()] if email is not None else [])
    waits = [throttle.wait() or 0 for throttle in throttles if not throttle.allow_request(shim, view)]
    if not waits:
        return None
    return _("Trop de tentatives. Réessayez dans %(seconds)d secondes.") % {"seconds": math.ceil(max(waits))}

"""Throttles of the public accounts endpoints: one budget per client IP and one per e-mail address.

Rates come from settings.THROTTLE_RATES (read at each request) and counters live in the cache, so every
gunicorn host shares them when REDIS_URL is set. The client IP is DRF's get_ident (REST_FRAMEWORK
NUM_PROXIES says how many proxies' X-Forwarded-For entries to trust).
"""

import hashlib

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


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
        return settings.THROTTLE_RATES.get(self.scope)

    def cache_key_for(self, ident: str) -> str:
        return self.cache_format % {"scope": f"{self.kind}_{self.scope}", "ident": ident}


class IPRateThrottle(_ScopedFromView):
    kind = "ip"

    def get_cache_key(self, request, view):
        return self.cache_key_for(self.get_ident(request))


class EmailRateThrottle(_ScopedFromView):
    """Keyed on the normalised e-mail of the body, so changing IP does not reset an address's budget."""

    kind = "email"

    def get_cache_key(self, request, view):
        data = request.data
        email = data.get("email") if isinstance(data, dict) else None
        if not isinstance(email, str) or not email.strip():
            return None
        digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        return self.cache_key_for(digest)

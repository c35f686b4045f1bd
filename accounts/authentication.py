"""simplejwt's JWT authentication with the member read by a compiled-once query (core/prepared.py).

Every authenticated request reads its member; compiling that `User.objects.get(pk=...)` each time was about
0.2 ms of Python, as much as the rest of a cheap endpoint. Only the ordinary case takes the fast path (an id
claim, an active member found, simplejwt's password-change check not turned on): anything else goes to
simplejwt's own `get_user`, so its checks and error answers stay the library's.
"""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.settings import api_settings

from accounts.models import User
from core.prepared import PreparedQuery

_member_by_id = PreparedQuery(lambda user_id: User.objects.filter(pk=user_id), user_id=int)


class MemberJWTAuthentication(JWTAuthentication):
    def get_user(self, validated_token):
        user_id = _plain_id(validated_token.get(api_settings.USER_ID_CLAIM))
        if user_id is not None and api_settings.USER_ID_FIELD == "id" and not api_settings.CHECK_REVOKE_TOKEN:
            found = _member_by_id.run(user_id=user_id)
            if found and found[0].is_active:
                return found[0]
        return super().get_user(validated_token)


def _plain_id(claim) -> int | None:
    """The id in the claim (simplejwt writes it as a string of digits), or None for anything else."""
    if isinstance(claim, str) and claim.isascii() and claim.isdigit() and len(claim) <= 18:
        return int(claim)
    if type(claim) is int and 0 < claim < 2**63:
        return claim
    return None


class MemberJWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of simplejwt's class (bearer JWT), for this subclass (drf-spectacular)."""

    target_class = MemberJWTAuthentication

"""simplejwt's JWT authentication, with the member id claim checked before the lookup.

simplejwt's checks follow the lookup: the member must exist and be active, and (CHECK_REVOKE_TOKEN) the token
must carry the hash of the member's current password, so every token issued before a password reset or change is
refused at once (issue 12, finding 1). The lookup is a method (`member_for`), so a view's subclass can read what
the view needs with the member, in the same query (member_space's dashboard).
"""

from django.utils.translation import gettext as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.models import User


def member_id_claim(token) -> int:
    """The member id of a correctly signed token. A claim that is not a plain positive id (a string of letters,
    a float, a huge number, a list) would make the database lookup fail with a 500: it is an invalid token."""
    claim = token.get(api_settings.USER_ID_CLAIM)
    if isinstance(claim, str) and claim.isascii() and claim.isdigit() and len(claim) <= 18:
        return int(claim)
    if type(claim) is int and 0 < claim < 2**63:
        return claim
    raise InvalidToken(_("Jeton invalide ou expiré."))


class MemberJWTAuthentication(JWTAuthentication):
    def member_for(self, member_id: int) -> User | None:
        """The member a token names (None: no such member). One query; a subclass may read more in it."""
        try:
            return User.objects.get(pk=member_id)
        except User.DoesNotExist:
            return None

    def get_user(self, validated_token):
        """simplejwt's `JWTAuthentication.get_user` over `member_for`: the same checks, messages and codes."""
        member = self.member_for(member_id_claim(validated_token))
        if member is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not member.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        revoke_claim = validated_token.get(api_settings.REVOKE_TOKEN_CLAIM)
        if api_settings.CHECK_REVOKE_TOKEN and revoke_claim != get_md5_hash_password(member.password):
            raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
        return member


class MemberTokenRefreshSerializer(TokenRefreshSerializer):
    """simplejwt's rotation, refused for a member who is gone, inactive or changed password since the token."""

    def validate(self, attrs):
        refresh = self.token_class(attrs["refresh"])
        member = User.objects.filter(pk=member_id_claim(refresh), is_active=True).first()
        if member is None or refresh.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(member.password):
            raise AuthenticationFailed(_("Jeton de rafraîchissement invalide, expiré ou révoqué."))
        return super().validate(attrs)


class MemberJWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of simplejwt's class (bearer JWT), for this subclass (drf-spectacular)."""

    target_class = "accounts.authentication.MemberJWTAuthentication"  # imported by drf-spectacular when matching
    match_subclasses = True  # a view's subclass (member_space's dashboard) is the same bearer JWT

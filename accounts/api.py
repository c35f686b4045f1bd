"""Accounts API: one thin view per operation. Business rules live in services.py and selectors.py."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.views import TokenRefreshView as SimpleJWTTokenRefreshView

from accounts import privacy, selectors, services
from accounts.authentication import MemberTokenRefreshSerializer
from accounts.forms import INVALID_LOGIN
from accounts.serializers import ProfileSerializer, ProfileUpdateSerializer, profile_body
from accounts.throttles import EmailRateThrottle, IPRateThrottle, MemberRateThrottle
from core.fields import StrictCharField

TAG = "Comptes"


@extend_schema_serializer(component_name="AccountsMessage")
class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


def _detail(message: str, code: int) -> Response:
    return Response({"detail": message}, status=code)


class PublicAPIView(APIView):
    """No authentication, no session/CSRF: these endpoints take credentials or e-mailed tokens in the body."""

    authentication_classes: list = []
    permission_classes = [AllowAny]


class ThrottledPublicAPIView(PublicAPIView):
    throttle_classes = [IPRateThrottle, EmailRateThrottle]


ACCEPTED_MESSAGE = gettext_lazy(
    "Si un compte correspond à cette adresse, un e-mail vient de lui être envoyé. Pensez à vérifier vos "
    "courriers indésirables."
)


class RegisterView(ThrottledPublicAPIView):
    throttle_scope = "register"

    @extend_schema_serializer(component_name="RegisterInput")
    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)
        password = StrictCharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})
        first_name = StrictCharField(max_length=150, required=False, allow_blank=True, default="")
        last_name = StrictCharField(max_length=150, required=False, allow_blank=True, default="")
        accept_terms = serializers.BooleanField(
            help_text="Consentement aux conditions d'utilisation et à la politique de confidentialité (obligatoire, "
            "vrai) ; les versions acceptées et la date sont enregistrées."
        )

        def validate_accept_terms(self, value: bool) -> bool:
            if value is not True:
                raise serializers.ValidationError(
                    _("Acceptez les conditions d'utilisation et la politique de confidentialité.")
                )
            return value

    @extend_schema(
        tags=[TAG],
        summary="Créer un compte",
        description="Même réponse que l'adresse soit déjà utilisée ou non ; un e-mail de vérification est envoyé. "
        "`accept_terms` doit valoir vrai : /espace/conditions/ et /espace/confidentialite/.",
        request=InputSerializer,
        responses={201: DetailSerializer, 400: OpenApiResponse(description="Champ invalide"), 429: DetailSerializer},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.user_register(**serializer.validated_data)
        except services.WeakPassword as exc:
            raise serializers.ValidationError({"password": exc.messages}) from exc
        return _detail(
            _(
                "Merci ! Consultez votre boîte e-mail pour confirmer votre adresse "
                "(pensez à vérifier vos courriers indésirables)."
            ),
            status.HTTP_201_CREATED,
        )


class TokenInputSerializer(serializers.Serializer):
    token = StrictCharField(max_length=512)


class VerifyEmailView(PublicAPIView):
    @extend_schema(
        tags=[TAG],
        summary="Confirmer l'adresse e-mail",
        request=TokenInputSerializer,
        responses={200: DetailSerializer, 400: OpenApiResponse(description="Lien expiré, invalide ou déjà utilisé")},
    )
    def post(self, request):
        serializer = TokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.user_verify_email(token=serializer.validated_data["token"])
        except services.InvalidToken as exc:
            raise serializers.ValidationError({"token": [str(exc)]}) from exc
        return _detail(_("Votre adresse e-mail est confirmée."), status.HTTP_200_OK)


class EmailInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


def _email_request_schema(summary: str):
    return extend_schema(
        tags=[TAG],
        summary=summary,
        description="Répond 202 dans tous les cas (aucune information sur l'existence du compte).",
        request=EmailInputSerializer,
        responses={202: DetailSerializer, 400: OpenApiResponse(description="Champ invalide"), 429: DetailSerializer},
    )


class EmailRequestView(ThrottledPublicAPIView):
    """A request by e-mail address that answers 202 whatever the address, so no account is revealed."""

    @staticmethod
    def act(*, email: str) -> None:
        raise NotImplementedError

    def post(self, request):
        serializer = EmailInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.act(email=serializer.validated_data["email"])
        return _detail(str(ACCEPTED_MESSAGE), status.HTTP_202_ACCEPTED)


@extend_schema_view(post=_email_request_schema("Renvoyer l'e-mail de vérification"))
class ResendVerificationView(EmailRequestView):
    throttle_scope = "resend"
    act = staticmethod(services.user_resend_verification)


class LoginView(ThrottledPublicAPIView):
    throttle_scope = "login"

    @extend_schema_serializer(component_name="LoginInput")
    class InputSerializer(serializers.Serializer):
        email = StrictCharField(max_length=254)
        password = StrictCharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})

    @extend_schema_serializer(component_name="LoginOutput")
    class OutputSerializer(serializers.Serializer):
        access = serializers.CharField()
        refresh = serializers.CharField()
        user = ProfileSerializer()

    def get_authenticate_header(self, request):
        # A failed login is a 401 (not DRF's 403 fallback for views without authenticators).
        return 'Bearer realm="api"'

    @extend_schema(
        tags=[TAG],
        summary="Se connecter",
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            401: OpenApiResponse(DetailSerializer, description="Identifiants incorrects (message unique)"),
            429: DetailSerializer,
        },
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.user_login(request=request, **serializer.validated_data)
        if result is None:
            raise exceptions.AuthenticationFailed(INVALID_LOGIN)
        output = {"access": str(result.refresh.access_token), "refresh": str(result.refresh), "user": result.user}
        return Response(self.OutputSerializer(output).data)


class TokenRefreshView(SimpleJWTTokenRefreshView):
    """Rotation: the answer carries a new refresh token and the one sent is blacklisted."""

    authentication_classes = ()
    # simplejwt's views leave `permission_classes = ()` unannotated: mypy reads it as the empty tuple's type.
    permission_classes = [AllowAny]  # type: ignore[assignment]
    serializer_class = MemberTokenRefreshSerializer

    @extend_schema(tags=[TAG], summary="Renouveler le jeton d'accès")
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except (TokenError, exceptions.AuthenticationFailed) as exc:
            # One French message whether the token is forged, expired, blacklisted or its member inactive.
            raise InvalidToken(_("Jeton de rafraîchissement invalide, expiré ou révoqué.")) from exc
        return Response(serializer.validated_data, status=status.HTTP_200_OK)


class RefreshInputSerializer(serializers.Serializer):
    refresh = StrictCharField(max_length=2048)


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=[TAG],
        summary="Se déconnecter",
        description="Révoque le jeton de rafraîchissement fourni ; réponse 205 sans corps.",
        request=RefreshInputSerializer,
        responses={205: OpenApiResponse(description="Déconnecté"), 400: OpenApiResponse(description="Jeton invalide")},
    )
    def post(self, request):
        serializer = RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.user_logout(user=request.user, refresh=serializer.validated_data["refresh"])
        except TokenError as exc:
            raise serializers.ValidationError({"refresh": [_("Jeton invalide ou expiré.")]}) from exc
        return Response(status=status.HTTP_205_RESET_CONTENT)


@extend_schema_view(post=_email_request_schema("Demander la réinitialisation du mot de passe"))
class PasswordResetView(EmailRequestView):
    throttle_scope = "password_reset"
    act = staticmethod(services.user_request_password_reset)


class PasswordResetConfirmView(PublicAPIView):
    throttle_classes = [IPRateThrottle]
    throttle_scope = "password_reset"

    @extend_schema_serializer(component_name="PasswordResetConfirmInput")
    class InputSerializer(serializers.Serializer):
        token = StrictCharField(max_length=512)
        new_password = StrictCharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})

    @extend_schema(
        tags=[TAG],
        summary="Choisir un nouveau mot de passe",
        description="Le lien reçu par e-mail ne sert qu'une fois ; toutes les sessions sont fermées.",
        request=InputSerializer,
        responses={200: DetailSerializer, 400: OpenApiResponse(description="Lien ou mot de passe invalide")},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.user_reset_password(
                token=serializer.validated_data["token"], new_password=serializer.validated_data["new_password"]
            )
        except services.InvalidToken as exc:
            raise serializers.ValidationError({"token": [str(exc)]}) from exc
        except services.WeakPassword as exc:
            raise serializers.ValidationError({"new_password": exc.messages}) from exc
        return _detail(_("Votre mot de passe a été modifié. Vous pouvez vous connecter."), status.HTTP_200_OK)


class ProfileView(APIView):
    permission_classes = [IsAuthenticated]
    http_method_names = ["get", "patch", "options"]

    @extend_schema(tags=[TAG], summary="Mon profil", responses={200: ProfileSerializer})
    def get(self, request):
        return Response(profile_body(request.user))

    @extend_schema(
        tags=[TAG],
        summary="Modifier mon profil",
        description="E-mail, vérification, éligibilité au paiement et statut d'équipe sont en lecture seule "
        "(ignorés s'ils sont envoyés), comme tout champ inconnu.",
        request=ProfileUpdateSerializer,
        responses={200: ProfileSerializer, 400: OpenApiResponse(description="Champ invalide")},
    )
    def patch(self, request):
        serializer = ProfileUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, data=serializer.validated_data)
        return Response(profile_body(user))


class PaymentEligibilityView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="PaymentEligibilityOutput")
    class OutputSerializer(serializers.Serializer):
        can_make_payment = serializers.BooleanField()
        missing_fields = serializers.ListField(
            child=serializers.ChoiceField(choices=["first_name", "last_name", "email_verified", "telegram_or_discord"])
        )

    @extend_schema(tags=[TAG], summary="Puis-je payer ?", responses={200: OutputSerializer})
    def get(self, request):
        return Response(self.OutputSerializer(selectors.user_payment_eligibility(user=request.user)).data)


class ExportView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=[TAG],
        summary="Télécharger mes données",
        description="Un fichier JSON (pièce jointe `calmnessfi-donnees-<date>.json`) de tout ce que nous détenons sur "
        "le membre : profil, consentements, paiements et remboursements, abonnements, notifications et leurs envois, "
        "progression des leçons, comptes Telegram/Discord liés et journal des actions sur les canaux.",
        responses={200: OpenApiResponse(response=dict, description="Le fichier JSON des données du membre")},
    )
    def get(self, request):
        return privacy.member_data_response(user=request.user)


class DeleteAccountView(APIView):
    permission_classes = [IsAuthenticated]
    # Guessing the password here is guessing a login: the login's budget, per client IP and per member.
    throttle_classes = [IPRateThrottle, MemberRateThrottle]
    throttle_scope = "login"

    @extend_schema_serializer(component_name="DeleteAccountInput")
    class InputSerializer(serializers.Serializer):
        password = StrictCharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})

    @extend_schema(
        tags=[TAG],
        summary="Supprimer mon compte",
        description="Confirmé par le mot de passe. Retire l'accès aux canaux, ferme toutes les sessions et révoque "
        "tous les jetons, efface les données personnelles ; les paiements sont conservés anonymisés (10 ans, "
        "obligation comptable). L'adresse e-mail redevient libre. Réponse 204 sans corps.",
        request=InputSerializer,
        responses={
            204: OpenApiResponse(description="Compte supprimé"),
            400: OpenApiResponse(description="Mot de passe incorrect ou absent : {password: [...]}"),
            409: OpenApiResponse(
                DetailSerializer, description="Refusée pour l'instant (un abonnement par carte se renouvelle encore)"
            ),
            429: DetailSerializer,
        },
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            privacy.member_delete(user=request.user, password=serializer.validated_data["password"])
        except privacy.WrongPassword as exc:
            raise serializers.ValidationError({"password": [_("Mot de passe incorrect.")]}) from exc
        except privacy.ErasureRefused as exc:
            return _detail(str(exc), status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)

"""Input and output shapes for payments and payment methods."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.fields import StrictCharField, StrictPrimaryKeyRelatedField
from payments.models import Payment, PaymentKind, PaymentMethod
from payments.selectors import payment_instructions, payment_methods_offered
from subscriptions.selectors import plans_offered
from subscriptions.serializers import PlanBriefSerializer

# What a member sees of a payment; the admin page shows the same, with who acted (payments/admin.py).
PAYMENT_FIELDS = (
    "code",
    "plan",
    "payment_method",
    "list_price",
    "discount",
    "coupon",
    "amount",
    "currency",
    "method",
    "reference",
    "note",
    "status",
    "created_at",
    "confirmed_at",
    "rejected_at",
    "rejection_reason",
    "cancelled_at",
)


class PaymentMethodBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentMethod
        fields = ["id", "kind", "label"]
        read_only_fields = fields


class PaymentMethodDetailsSerializer(serializers.Serializer):
    """Documentation only: which keys `details` holds for each kind (the value is the stored JSON object)."""

    iban = serializers.CharField(required=False, help_text="bank_transfer : IBAN, sans espaces.")
    bic = serializers.CharField(required=False, help_text="bank_transfer : BIC (8 ou 11 caractères).")
    holder = serializers.CharField(required=False, help_text="bank_transfer : titulaire du compte.")
    bank = serializers.CharField(required=False, help_text="bank_transfer : banque.")
    address = serializers.CharField(
        required=False, help_text="paypal : e-mail du compte PayPal ; crypto : adresse du portefeuille."
    )
    network = serializers.CharField(required=False, help_text="crypto : réseau (TRC20, ERC20, BEP20, BTC).")
    operator = serializers.CharField(required=False, help_text="mobile_money : opérateur.")
    number = serializers.CharField(required=False, help_text="mobile_money : numéro international (E.164).")
    place = serializers.CharField(required=False, help_text="cash : lieu du paiement.")


class PaymentMethodSerializer(serializers.ModelSerializer):
    details = serializers.SerializerMethodField(
        help_text="Coordonnées selon le type : bank_transfer {iban, bic, holder, bank} ; paypal {address} ; "
        "crypto {network, address} ; mobile_money {operator, number} ; cash {place} ; card {}."
    )

    class Meta:
        model = PaymentMethod
        fields = ["id", "kind", "label", "details", "instructions"]
        read_only_fields = fields
        extra_kwargs = {
            "instructions": {
                "help_text": "Texte brut, avec les variables {amount}, {currency}, {code} et {plan} que chaque "
                "paiement remplit (champ `instructions` d'un paiement)."
            }
        }

    @extend_schema_field(PaymentMethodDetailsSerializer)
    def get_details(self, obj: PaymentMethod) -> dict:
        return obj.details


class PaymentSerializer(serializers.ModelSerializer):
    plan = PlanBriefSerializer()
    payment_method = PaymentMethodBriefSerializer(
        allow_null=True, help_text="Le moyen choisi ; null pour un paiement déclaré avant les moyens de paiement."
    )
    instructions = serializers.SerializerMethodField(
        help_text="Les instructions du moyen de paiement, montant, devise, formule et code remplis."
    )
    has_proof = serializers.SerializerMethodField(help_text="Une preuve de paiement est jointe.")
    coupon: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="Le code promo appliqué, ou null."
    )

    class Meta:
        model = Payment
        fields = ["id", *PAYMENT_FIELDS, "instructions", "has_proof"]
        read_only_fields = fields

    def get_instructions(self, obj: Payment) -> str:
        return payment_instructions(payment=obj)

    def get_has_proof(self, obj: Payment) -> bool:
        return bool(obj.proof_name)


class PaymentDeclareInputSerializer(serializers.Serializer):
    plan = StrictPrimaryKeyRelatedField(
        queryset=plans_offered(),
        error_messages={
            "does_not_exist": _("Formule inconnue ou plus proposée."),
            "incorrect_type": _("Identifiant de formule invalide."),
        },
    )
    payment_method = StrictPrimaryKeyRelatedField(
        queryset=payment_methods_offered(),
        required=False,
        help_text="Identifiant d'un moyen de paiement actif (GET /api/payment-methods/).",
        error_messages={
            "does_not_exist": _("Moyen de paiement inconnu ou plus proposé."),
            "incorrect_type": _("Identifiant de moyen de paiement invalide."),
        },
    )
    method = serializers.ChoiceField(
        choices=PaymentKind.choices,
        required=False,
        help_text="Ancienne forme : le type seul, accepté quand un seul moyen actif a ce type.",
    )
    reference = StrictCharField(
        max_length=100,
        allow_blank=True,
        required=False,
        default="",
        help_text="Votre identifiant de transaction ; obligatoire pour la crypto-monnaie (hash de la transaction).",
    )
    note = StrictCharField(max_length=1000, allow_blank=True, required=False, default="")
    coupon = StrictCharField(
        max_length=40,
        allow_blank=True,
        required=False,
        default="",
        help_text="Code promo (sans distinction de casse) : le serveur calcule la remise et le montant.",
    )

    def validate(self, attrs):
        if "payment_method" not in attrs and "method" not in attrs:
            raise serializers.ValidationError({"payment_method": [_("Choisissez un moyen de paiement.")]})
        return attrs


class PaymentProofInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=False,
        use_url=False,
        help_text="Image PNG ou JPEG, ou PDF, 5 Mo au maximum (type lu dans le contenu, pas dans le nom).",
    )

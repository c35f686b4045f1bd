"""Input and output shapes for payments."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.fields import StrictCharField, StrictPrimaryKeyRelatedField
from payments.models import Payment
from subscriptions.selectors import plans_offered
from subscriptions.serializers import PlanBriefSerializer

# What a member sees of a payment; the admin page shows the same, with who acted (payments/admin.py).
PAYMENT_FIELDS = (
    "plan",
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
)


class PaymentSerializer(serializers.ModelSerializer):
    plan = PlanBriefSerializer()

    class Meta:
        model = Payment
        fields = ["id", *PAYMENT_FIELDS]
        read_only_fields = fields


class PaymentDeclareInputSerializer(serializers.Serializer):
    plan = StrictPrimaryKeyRelatedField(
        queryset=plans_offered(),
        error_messages={
            "does_not_exist": _("Formule inconnue ou plus proposée."),
            "incorrect_type": _("Identifiant de formule invalide."),
        },
    )
    method = serializers.ChoiceField(choices=Payment.Method.choices)
    reference = StrictCharField(max_length=100, allow_blank=True, required=False, default="")
    note = StrictCharField(max_length=1000, allow_blank=True, required=False, default="")

"""The member's invoices under /api/ (routed from member_space/api_urls.py, the member's cross-app reads)."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from invoicing.responses import invoice_pdf_response
from invoicing.selectors import PDF, invoice_of_member_payment

NotFoundSerializer = inline_serializer("InvoiceNotFound", {"detail": serializers.CharField()})


class PaymentInvoiceApi(APIView):
    @extend_schema(
        responses={
            (200, PDF): OpenApiResponse(OpenApiTypes.BINARY, description="La facture du paiement, en PDF."),
            404: OpenApiResponse(
                NotFoundSerializer, description="Pas de facture pour ce paiement (ou paiement d'un autre membre)."
            ),
        },
        summary="Télécharger la facture de mon paiement",
        description="Chaque paiement confirmé a sa facture (numéro F{année}-{00001}), émise à la confirmation.",
    )
    def get(self, request, pk: int):
        invoice = invoice_of_member_payment(user=request.user, payment_id=pk)
        if invoice is None:
            return Response({"detail": _("Aucune facture pour ce paiement.")}, status=status.HTTP_404_NOT_FOUND)
        return invoice_pdf_response(invoice)

"""The member space's invoice download (/espace/paiements/<id>/facture/, routed from member_space/urls.py)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.views.decorators.http import require_GET

from invoicing.responses import invoice_pdf_response
from invoicing.selectors import invoice_of_member_payment


@login_required
@require_GET
def payment_invoice(request, pk: int):
    """The invoice of one of the member's payments, as a PDF; another member's payment, or one with no invoice, is
    the same French 404 page."""
    invoice = invoice_of_member_payment(user=request.user, payment_id=pk)
    if invoice is None:
        raise Http404
    return invoice_pdf_response(invoice)

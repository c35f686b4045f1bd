"""The admin lists invoices and credit notes, opens them read-only and gives their PDFs."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from invoicing.models import CreditNote, Invoice
from payments.refunds import payment_refund_record
from payments.services import payment_confirm
from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def refunded_invoice():
    admin_user = UserFactory(is_staff=True)
    payment = PaymentFactory(user=UserFactory(first_name="Zoé", last_name="Durand"), amount=Decimal("49.00"))
    payment_confirm(payment=payment, by=admin_user, notify=False)
    payment_refund_record(payment=payment, by=admin_user)
    return Invoice.objects.get(payment=payment)


def test_the_admin_lists_invoices_and_credit_notes_with_their_pdf(admin_client, refunded_invoice):
    credit_note = CreditNote.objects.get(invoice=refunded_invoice)
    page = admin_client.get(reverse("admin:invoicing_invoice_changelist")).content.decode()
    assert refunded_invoice.number in page and "Zoé Durand" in page and "49,00" in page
    assert reverse("admin:invoicing_invoice_pdf", args=[refunded_invoice.pk]) in page
    page = admin_client.get(reverse("admin:invoicing_creditnote_changelist")).content.decode()
    assert credit_note.number in page

    response = admin_client.get(reverse("admin:invoicing_creditnote_pdf", args=[credit_note.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert f"/Subject ({credit_note.number})".encode() in response.content


def test_an_invoice_opens_read_only_in_the_admin(admin_client, refunded_invoice):
    url = reverse("admin:invoicing_invoice_change", args=[refunded_invoice.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="_save"' not in page
    assert admin_client.post(url, {"buyer_name": "Autre"}).status_code == 403
    delete = reverse("admin:invoicing_invoice_delete", args=[refunded_invoice.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert Invoice.objects.get(pk=refunded_invoice.pk).buyer_name == "Zoé Durand"


def test_staff_without_the_view_permission_get_no_pdf(client, refunded_invoice):
    client.force_login(UserFactory(is_staff=True))
    response = client.get(reverse("admin:invoicing_invoice_pdf", args=[refunded_invoice.pk]))
    assert response.status_code == 403

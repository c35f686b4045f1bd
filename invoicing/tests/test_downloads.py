"""The member downloads their own invoices (API and member space); the confirmation e-mail carries the PDF."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.test import Client

from accounts.tests.factories import UserFactory
from conftest import client_for
from invoicing.models import Invoice
from payments.services import payment_confirm
from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed(member):
    """A payment of `member`, confirmed on 10 March 2026 (its invoice is F2026-00001)."""
    payment = PaymentFactory(user=member, amount=Decimal("49.00"))
    with time_machine.travel(datetime(2026, 3, 10, 9, 0, tzinfo=UTC), tick=False):
        payment_confirm(payment=payment, by=UserFactory(is_staff=True), notify=False)
    return payment


def _is_invoice_pdf(content: bytes, number: str) -> bool:
    # The document's title and subject (its metadata, stored uncompressed) name the number.
    return content.startswith(b"%PDF-") and f"/Subject ({number})".encode() in content


def test_the_api_gives_the_owner_the_pdf_of_their_invoice(confirmed):
    response = client_for(confirmed.user).get(f"/api/auth/user/payments/{confirmed.pk}/invoice/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="facture-F2026-00001.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert _is_invoice_pdf(response.content, "F2026-00001")


def test_the_api_answers_404_in_french_for_another_members_invoice_as_for_none(confirmed):
    other = client_for(UserFactory())
    response = other.get(f"/api/auth/user/payments/{confirmed.pk}/invoice/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Aucune facture pour ce paiement."}
    pending = PaymentFactory(user=confirmed.user)
    response = client_for(confirmed.user).get(f"/api/auth/user/payments/{pending.pk}/invoice/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Aucune facture pour ce paiement."}


def test_the_api_wants_a_logged_in_member(confirmed, api_client):
    assert api_client.get(f"/api/auth/user/payments/{confirmed.pk}/invoice/").status_code == 401


def test_the_payments_page_links_each_confirmed_payment_to_its_invoice(confirmed):
    browser = Client()
    browser.force_login(confirmed.user)
    pending = PaymentFactory(user=confirmed.user)
    page = browser.get("/espace/paiements/").content.decode()
    assert f'href="/espace/paiements/{confirmed.pk}/facture/"' in page
    assert f"/espace/paiements/{pending.pk}/facture/" not in page

    response = browser.get(f"/espace/paiements/{confirmed.pk}/facture/")
    assert response.status_code == 200
    assert _is_invoice_pdf(response.content, "F2026-00001")


def test_the_member_space_shows_another_members_invoice_as_missing(confirmed):
    stranger = Client()
    stranger.force_login(UserFactory())
    response = stranger.get(f"/espace/paiements/{confirmed.pk}/facture/")
    assert response.status_code == 404
    assert "introuvable" in response.content.decode().lower()


def test_the_confirmation_email_carries_the_invoice_pdf(member, django_capture_on_commit_callbacks):
    payment = PaymentFactory(user=member)
    with django_capture_on_commit_callbacks(execute=True):
        payment_confirm(payment=payment, by=UserFactory(is_staff=True))

    invoice = Invoice.objects.get(payment=payment)
    [message] = [m for m in mail.outbox if m.to == [member.email]]
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == (f"facture-{invoice.number}.pdf", "application/pdf")
    assert _is_invoice_pdf(content, invoice.number)
    assert f"En pièce jointe : facture-{invoice.number}.pdf." in message.body

"""The admin's "Corriger la facture": the button, the form (amounts never typed), the permission, the refusals."""

from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory
from invoicing.models import CreditNote, Invoice
from payments.refunds import payment_refund_record
from payments.services import payment_confirm
from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db

FORM = {
    "buyer_name": "Zoé Durand",
    "buyer_email": "factures@durand-sas.fr",
    "buyer_company": "Durand SAS",
    "buyer_address": "1 rue de la Paix\r\n75002 Paris",
    "reason": "Facture à établir au nom de la société",
    # Ignored: the amounts come from the payment.
    "amount_incl_tax": "1.00",
}


@pytest.fixture
def invoice():
    payment = PaymentFactory(user=UserFactory(first_name="Zoe", last_name="Durand"), amount=Decimal("49.00"))
    payment_confirm(payment=payment, by=UserFactory(is_staff=True), notify=False)
    return Invoice.objects.get(payment=payment)


def _change_url(invoice) -> str:
    return reverse("admin:invoicing_invoice_change", args=[invoice.pk])


def _correct_url(invoice) -> str:
    return reverse("admin:invoicing_invoice_correct", args=[invoice.pk])


def test_the_invoice_page_offers_the_correction_and_the_form_is_prefilled(admin_client, invoice):
    page = admin_client.get(_change_url(invoice)).content.decode()
    assert "Corriger la facture" in page and _correct_url(invoice) in page

    form = admin_client.get(_correct_url(invoice)).content.decode()
    assert 'value="Zoe Durand"' in form and invoice.number in form and "49,00" in form


def test_the_correction_issues_the_credit_note_and_the_replacement_and_logs_it(admin_client, invoice):
    response = admin_client.post(_correct_url(invoice), FORM, follow=True)

    replacement = Invoice.objects.get(replaces=invoice)
    credit_note = CreditNote.objects.get(invoice=invoice)
    assert response.redirect_chain[-1][0] == _change_url(replacement)
    page = response.content.decode()
    assert (
        f"Facture {invoice.number} annulée par l&#x27;avoir {credit_note.number} "
        f"et remplacée par la facture {replacement.number}."
    ) in page
    assert (replacement.buyer_name, replacement.buyer_company) == ("Zoé Durand", "Durand SAS")
    assert replacement.buyer_address == "1 rue de la Paix\n75002 Paris"
    assert replacement.amount_incl_tax == Decimal("49.00") == credit_note.amount_incl_tax
    assert credit_note.reason == "Facture à établir au nom de la société"
    assert LogEntry.objects.get(object_id=str(invoice.pk)).get_change_message().startswith(f"Facture {invoice.number}")
    # The replaced invoice no longer offers the button, and says what replaced it.
    old_page = admin_client.get(_change_url(invoice)).content.decode()
    assert _correct_url(invoice) not in old_page and replacement.number in old_page


def test_a_correction_without_reason_issues_nothing(admin_client, invoice):
    response = admin_client.post(_correct_url(invoice), {**FORM, "reason": ""})

    assert response.status_code == 200 and "Ce champ est obligatoire." in response.content.decode()
    assert Invoice.objects.count() == 1 and not CreditNote.objects.exists()


def test_a_refunded_payment_is_refused_in_french(admin_client, invoice):
    payment_refund_record(payment=invoice.payment, by=UserFactory(is_staff=True))

    assert _correct_url(invoice) not in admin_client.get(_change_url(invoice)).content.decode()
    response = admin_client.post(_correct_url(invoice), FORM, follow=True)

    assert "ne peut plus être corrigée" in response.content.decode()
    assert Invoice.objects.count() == 1


def test_staff_without_the_permission_cannot_correct(invoice):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_invoice"))
    browser = Client()
    browser.force_login(staff)

    assert browser.get(_change_url(invoice)).status_code == 200
    assert _correct_url(invoice) not in browser.get(_change_url(invoice)).content.decode()
    assert browser.post(_correct_url(invoice), FORM).status_code == 403
    assert Invoice.objects.count() == 1

    staff.user_permissions.add(Permission.objects.get(codename="correct_invoice"))
    browser.force_login(staff)
    assert browser.post(_correct_url(invoice), FORM).status_code == 302
    assert Invoice.objects.count() == 2

"""Correcting an invoice's buyer: a credit note cancels it, a new invoice for the same payment replaces it; the
old one stays as issued, the payment keeps one live invoice, and numbering stays gapless."""

import csv
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, models, transaction
from django.forms.models import model_to_dict
from django.urls import reverse

from accounts.privacy import member_erase
from accounts.tests.factories import UserFactory
from conftest import client_for
from invoicing.models import CreditNote, CreditNoteCause, ImmutableDocumentError, Invoice, NumberCounter
from invoicing.pdf import credit_note_pdf, invoice_pdf
from invoicing.selectors import invoice_attachment
from invoicing.services import Buyer, InvoiceCorrectionError, invoice_correct
from payments.models import Coupon, CouponKind, PaymentKind
from payments.refunds import payment_refund_record
from payments.services import payment_confirm
from payments.tests.factories import PaymentFactory, PaymentMethodFactory
from subscriptions.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db

CONFIRMED_AT = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
CORRECTED_AT = datetime(2026, 4, 2, 15, 0, tzinfo=UTC)
NEW_BUYER = Buyer(
    name="Élodie Martin-Durand",
    email="compta@martin-conseil.fr",
    company="Martin Conseil SARL",
    address="4 place Bellecour\n69002 Lyon",
)


@pytest.fixture
def admin_user():
    return UserFactory(is_staff=True)


@pytest.fixture
def invoice(admin_user):
    """F2026-00001: a 49.00 payment (list price 61.25, 20 % off with a coupon) by bank transfer, at 20 % VAT."""
    member = UserFactory(first_name="Elodie", last_name="Martn", email="elodie@example.com")
    coupon = Coupon.objects.create(code="VINGT", kind=CouponKind.PERCENT, value=Decimal("20"))
    payment = PaymentFactory(
        user=member,
        plan=PlanFactory(name="Mensuel", price=Decimal("61.25")),
        payment_method=PaymentMethodFactory(kind=PaymentKind.BANK_TRANSFER, label="Virement SEPA"),
        amount=Decimal("49.00"),
        list_price=Decimal("61.25"),
        discount=Decimal("12.25"),
        coupon=coupon,
    )
    with time_machine.travel(CONFIRMED_AT, tick=False):
        payment_confirm(payment=payment, by=admin_user, notify=False)
    return Invoice.objects.get(payment=payment)


def _correct(invoice: Invoice, *, buyer: Buyer = NEW_BUYER, reason: str = "Nom et adresse du client erronés"):
    with time_machine.travel(CORRECTED_AT, tick=False):
        return invoice_correct(invoice=invoice, buyer=buyer, reason=reason)


TEXT_FIELDS = (models.CharField, models.TextField)

SAME_SALE = (
    "payment",
    "plan_name",
    "period_start",
    "period_end",
    "payment_method_label",
    "payment_code",
    "list_price",
    "discount",
    "coupon_code",
    "amount_excl_tax",
    "vat_amount",
    "amount_incl_tax",
    "currency",
    "vat_rate",
    "vat_exemption",
    "seller_name",
    "seller_address",
    "seller_siret",
    "seller_vat_number",
)


def test_a_correction_cancels_the_invoice_in_full_and_issues_its_replacement_with_the_new_buyer(invoice):
    before = model_to_dict(Invoice.objects.get(pk=invoice.pk))

    credit_note, replacement = _correct(invoice)

    # The credit note cancels the old invoice in full, for the admin's reason, with the old buyer.
    assert credit_note.number == "A2026-00001" and credit_note.issued_at == CORRECTED_AT
    assert credit_note.invoice == invoice and credit_note.cause == CreditNoteCause.CORRECTION
    assert credit_note.refund is None and credit_note.reason == "Nom et adresse du client erronés"
    assert (credit_note.amount_excl_tax, credit_note.vat_amount, credit_note.amount_incl_tax) == (
        Decimal("40.83"),
        Decimal("8.17"),
        Decimal("49.00"),
    )
    assert (credit_note.buyer_name, credit_note.buyer_email) == ("Elodie Martn", "elodie@example.com")
    # The replacement: next invoice number, same payment and sale, the corrected buyer.
    assert replacement.number == "F2026-00002" and replacement.replaces == invoice
    assert {field: getattr(replacement, field) for field in SAME_SALE} == {
        field: getattr(invoice, field) for field in SAME_SALE
    }
    assert replacement.discount == Decimal("12.25") and replacement.coupon_code == "VINGT"
    assert (
        replacement.buyer_name,
        replacement.buyer_email,
        replacement.buyer_company,
        replacement.buyer_address,
    ) == ("Élodie Martin-Durand", "compta@martin-conseil.fr", "Martin Conseil SARL", "4 place Bellecour\n69002 Lyon")
    # The old invoice is untouched, the payment has one live invoice: the replacement.
    assert model_to_dict(Invoice.objects.get(pk=invoice.pk)) == before
    assert list(Invoice.objects.live().filter(payment=invoice.payment)) == [replacement]
    assert Invoice.objects.get(pk=invoice.pk).replaced_by == replacement


def test_numbering_stays_gapless_across_a_correction(invoice, admin_user):
    _correct(invoice)
    with time_machine.travel(CORRECTED_AT, tick=False):
        other = PaymentFactory()
        payment_confirm(payment=other, by=admin_user, notify=False)
        payment_refund_record(payment=other, by=admin_user)

    assert sorted(Invoice.objects.values_list("number", flat=True)) == ["F2026-00001", "F2026-00002", "F2026-00003"]
    assert sorted(CreditNote.objects.values_list("number", flat=True)) == ["A2026-00001", "A2026-00002"]
    assert sorted(NumberCounter.objects.values_list("kind", "last")) == [("credit_note", 2), ("invoice", 3)]


def test_a_replacement_can_be_corrected_in_turn_but_a_replaced_invoice_cannot(invoice):
    _credit_note, replacement = _correct(invoice)

    with pytest.raises(InvoiceCorrectionError) as refused:
        _correct(invoice)
    assert str(refused.value) == ("La facture F2026-00001 a déjà été corrigée : la facture en vigueur est F2026-00002.")
    second_note, third = _correct(replacement, buyer=Buyer(name="Martin Conseil", email="compta@martin-conseil.fr"))

    assert (second_note.invoice, third.replaces, third.number) == (replacement, replacement, "F2026-00003")
    assert third.buyer_company == third.buyer_address == ""
    assert list(Invoice.objects.live().filter(payment=invoice.payment)) == [third]
    assert CreditNote.objects.count() == 2


def test_a_refund_after_a_correction_credits_the_live_invoice_and_then_nothing_is_corrected(invoice, admin_user):
    _note, replacement = _correct(invoice)

    refund, _created = payment_refund_record(payment=invoice.payment, by=admin_user, amount=Decimal("20.00"))

    refund_note = CreditNote.objects.get(refund=refund)
    assert refund_note.invoice == replacement and refund_note.cause == CreditNoteCause.REFUND
    assert refund_note.buyer_name == "Élodie Martin-Durand" and refund_note.buyer_company == "Martin Conseil SARL"
    with pytest.raises(InvoiceCorrectionError) as refused:
        _correct(replacement)
    assert "a été remboursé" in str(refused.value) and "ne peut plus être corrigée" in str(refused.value)


def test_a_refunded_payment_cannot_be_corrected_and_nothing_is_issued(invoice, admin_user):
    payment_refund_record(payment=invoice.payment, by=admin_user)

    with pytest.raises(InvoiceCorrectionError) as refused:
        _correct(invoice)

    assert str(refused.value) == (
        f"Le paiement {invoice.payment_code} a été remboursé (un avoir a été émis) : "
        "sa facture ne peut plus être corrigée."
    )
    assert Invoice.objects.count() == 1 and CreditNote.objects.count() == 1


@pytest.mark.parametrize(
    ("buyer", "reason", "message"),
    [
        (NEW_BUYER, "  ", "Indiquez le motif de la correction."),
        (Buyer(name=" ", email="a@example.com"), "Erreur", "Le nom et l'e-mail du client sont obligatoires."),
    ],
)
def test_a_correction_needs_a_reason_and_a_buyer(invoice, buyer, reason, message):
    with pytest.raises(InvoiceCorrectionError, match=message):
        _correct(invoice, buyer=buyer, reason=reason)
    assert Invoice.objects.count() == 1 and not CreditNote.objects.exists()


def test_a_rolled_back_correction_consumes_no_number(invoice):
    with pytest.raises(RuntimeError), transaction.atomic():
        _correct(invoice)
        raise RuntimeError("the correcting transaction fails after both documents")

    assert Invoice.objects.count() == 1 and not CreditNote.objects.exists()
    credit_note, replacement = _correct(invoice)
    assert (credit_note.number, replacement.number) == ("A2026-00001", "F2026-00002")


def test_the_database_keeps_one_live_invoice_per_payment_and_one_correction_per_invoice(invoice):
    credit_note, replacement = _correct(invoice)
    copy = model_to_dict(replacement, exclude=("id", "number", "payment", "replaces"))

    with pytest.raises(IntegrityError), transaction.atomic():  # a second first invoice for the payment
        Invoice.objects.create(**copy, number="F2026-00090", payment=invoice.payment, replaces=None)
    with pytest.raises(IntegrityError), transaction.atomic():  # a second replacement of the same invoice
        Invoice.objects.create(**copy, number="F2026-00091", payment=invoice.payment, replaces=invoice)
    note = model_to_dict(credit_note, exclude=("id", "number", "invoice", "refund"))
    with pytest.raises(IntegrityError), transaction.atomic():  # a second cancellation of the same invoice
        CreditNote.objects.create(**note, number="A2026-00090", invoice=invoice)
    with pytest.raises(IntegrityError), transaction.atomic():  # a refund's credit note without its refund
        CreditNote.objects.create(
            **{**note, "cause": CreditNoteCause.REFUND}, number="A2026-00091", invoice=replacement
        )
    with pytest.raises(ImmutableDocumentError):
        invoice.save()


def test_the_member_downloads_the_live_invoice_and_the_confirmation_attaches_it(invoice):
    _correct(invoice)
    payment = invoice.payment
    api = client_for(payment.user)

    response = api.get(f"/api/auth/user/payments/{payment.pk}/invoice/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="facture-F2026-00002.pdf"'
    assert b"/Subject (F2026-00002)" in response.content

    api.force_login(payment.user)
    page = api.get(reverse("member_space:payment_invoice", args=[payment.pk]))
    assert page.status_code == 200 and b"/Subject (F2026-00002)" in page.content
    assert invoice_attachment(payment=payment)[0] == "facture-F2026-00002.pdf"
    # Another member still gets the same 404.
    assert client_for(UserFactory()).get(f"/api/auth/user/payments/{payment.pk}/invoice/").status_code == 404


def test_the_export_lists_the_three_documents_with_their_links(invoice, tmp_path):
    _correct(invoice)

    csv_path = tmp_path / "f.csv"
    call_command("export_invoices", "--year", "2026", "--csv", str(csv_path), stdout=StringIO())

    rows = list(csv.DictReader(csv_path.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    by_number = {row["numéro"]: row for row in rows}
    assert sorted(by_number) == ["A2026-00001", "F2026-00001", "F2026-00002"]
    assert by_number["F2026-00001"]["remplace la facture"] == ""
    assert by_number["F2026-00002"]["remplace la facture"] == "F2026-00001"
    assert by_number["F2026-00002"]["société du client"] == "Martin Conseil SARL"
    note = by_number["A2026-00001"]
    assert (note["type"], note["facture d'origine"], note["motif de l'avoir"]) == (
        "avoir",
        "F2026-00001",
        "Nom et adresse du client erronés",
    )
    assert (note["TTC"], by_number["F2026-00002"]["TTC"]) == ("-49,00", "49,00")


def test_erasure_anonymises_every_invoice_and_credit_note_of_the_member(invoice, admin_user):
    _correct(invoice)
    payment_refund_record(payment=invoice.payment, by=admin_user, amount=Decimal("10.00"))
    member = invoice.payment.user

    member_erase(user=member)

    assert Invoice.objects.count() == 2 and CreditNote.objects.count() == 2
    personal = ("Elodie", "Martn", "elodie@example.com", "Martin", "martin-conseil", "Bellecour", "Lyon")
    for model in (Invoice, CreditNote):
        text_columns = [field.attname for field in model._meta.concrete_fields if isinstance(field, TEXT_FIELDS)]
        for values in model.objects.values_list(*text_columns):
            text = " ".join(values)
            assert not [word for word in personal if word in text], (model, text)
    assert set(Invoice.objects.values_list("buyer_name", flat=True)) == {"Membre supprimé"}
    assert set(CreditNote.objects.values_list("buyer_name", flat=True)) == {"Membre supprimé"}
    # Numbers and amounts stay for the accounting retention.
    assert set(Invoice.objects.values_list("amount_incl_tax", flat=True)) == {Decimal("49.00")}


def test_the_replacement_and_the_correction_credit_note_render_as_pdf(invoice):
    credit_note, replacement = _correct(invoice)

    invoice_bytes, note_bytes = invoice_pdf(replacement), credit_note_pdf(credit_note)

    assert invoice_bytes.startswith(b"%PDF-") and b"/Subject (F2026-00002)" in invoice_bytes
    assert note_bytes.startswith(b"%PDF-") and b"/Subject (A2026-00001)" in note_bytes
    assert invoice_pdf(replacement) == invoice_bytes  # drawn from frozen fields only

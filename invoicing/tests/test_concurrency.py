"""Gapless numbering under concurrency, on PostgreSQL: real threads, real row locks."""

import pytest

from accounts.tests.factories import UserFactory
from invoicing.models import CreditNote, Invoice
from invoicing.services import Buyer, InvoiceCorrectionError, invoice_correct
from payments.models import Payment
from payments.services import payment_confirm
from payments.tests.factories import PaymentFactory
from tests.concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_confirmations_at_once_get_consecutive_numbers_never_shared_nor_skipped():
    admin = UserFactory(is_staff=True)
    payments = [PaymentFactory() for _ in range(6)]  # six members: no member lock serialises them

    def confirm(payment):
        return lambda: payment_confirm(payment=Payment.objects.get(pk=payment.pk), by=admin, notify=False).pk

    results = run_together(*(confirm(payment) for payment in payments), slowed_tables=("invoicing_numbercounter",))
    assert not [r for r in results if isinstance(r, Exception)], results
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    year = numbers[0][1:5]
    assert numbers == [f"F{year}-{n:05d}" for n in range(1, 7)]


def test_the_first_documents_of_a_year_create_one_counter_between_them():
    """No counter row yet: the concurrent creators meet on the unique (kind, year) and then on its lock."""
    admin = UserFactory(is_staff=True)
    payments = [PaymentFactory() for _ in range(3)]
    results = run_together(
        *(
            (lambda p=payment: payment_confirm(payment=Payment.objects.get(pk=p.pk), by=admin, notify=False).pk)
            for payment in payments
        )
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(int(n[-5:]) for n in Invoice.objects.values_list("number", flat=True)) == [1, 2, 3]


def test_two_admins_correcting_the_same_invoice_at_once_make_one_correction():
    """Both read the invoice as live; the payment's row lock makes the second wait, then find it replaced."""
    admin = UserFactory(is_staff=True)
    payment = PaymentFactory()
    payment_confirm(payment=payment, by=admin, notify=False)
    invoice = Invoice.objects.get(payment=payment)

    def correct(name):
        return lambda: invoice_correct(
            invoice=Invoice.objects.get(pk=invoice.pk),
            buyer=Buyer(name=name, email="compta@example.com"),
            reason="Nom du client erroné",
        )

    results = run_together(correct("Société A"), correct("Société B"), slowed_tables=("invoicing_invoice",))

    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], InvoiceCorrectionError), results
    assert "a déjà été corrigée" in str(refused[0])
    year = invoice.number[1:5]
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [f"F{year}-00001", f"F{year}-00002"]
    assert list(CreditNote.objects.values_list("number", flat=True)) == [f"A{year}-00001"]
    assert Invoice.objects.live().get(payment=payment).replaces == invoice

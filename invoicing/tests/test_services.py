"""Invoices and credit notes issued from payment decisions: numbering, amounts, snapshot, immutability."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, transaction

from accounts.tests.factories import UserFactory
from invoicing.amounts import amounts_from_incl_tax
from invoicing.models import CreditNote, ImmutableDocumentError, Invoice, NumberCounter
from invoicing.pdf import invoice_pdf
from invoicing.services import invoices_issue_missing
from payments.models import Coupon, CouponKind, PaymentKind
from payments.refunds import payment_refund_record
from payments.services import payment_confirm
from payments.tests.factories import PaymentFactory, PaymentMethodFactory
from subscriptions.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return UserFactory(is_staff=True)


def _confirmed(admin_user, **kwargs):
    payment = PaymentFactory(**kwargs)
    payment_confirm(payment=payment, by=admin_user, notify=False)
    payment.refresh_from_db()
    return payment


@pytest.mark.parametrize(
    ("incl_tax", "rate", "excl_tax", "vat"),
    [
        ("49.00", "20", "40.83", "8.17"),
        ("29.90", "20", "24.92", "4.98"),
        ("100.00", "5.5", "94.79", "5.21"),
        ("49.00", "0", "49.00", "0.00"),
        ("0.01", "20", "0.01", "0.00"),
    ],
)
def test_amounts_are_rounded_once_and_add_up_to_what_was_paid(incl_tax, rate, excl_tax, vat):
    amounts = amounts_from_incl_tax(incl_tax=Decimal(incl_tax), vat_rate=Decimal(rate))
    assert (amounts.excl_tax, amounts.vat) == (Decimal(excl_tax), Decimal(vat))
    assert amounts.excl_tax + amounts.vat == Decimal(incl_tax)


def test_a_confirmed_payment_gets_an_invoice_with_everything_frozen(admin_user):
    member = UserFactory(first_name="Élodie", last_name="Martin", email="elodie@example.com")
    plan = PlanFactory(name="Mensuel", price=Decimal("49.00"))
    method = PaymentMethodFactory(kind=PaymentKind.BANK_TRANSFER, label="Virement SEPA")
    with time_machine.travel(datetime(2026, 3, 10, 9, 0, tzinfo=UTC), tick=False):
        payment = _confirmed(admin_user, user=member, plan=plan, payment_method=method)

    invoice = Invoice.objects.get(payment=payment)
    assert invoice.number == "F2026-00001"
    assert invoice.issued_at == datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    assert (invoice.seller_name, invoice.seller_siret, invoice.seller_vat_number) == (
        "CalmnessFi SAS",
        "12345678900012",
        "FR12123456789",
    )
    assert (invoice.buyer_name, invoice.buyer_email) == ("Élodie Martin", "elodie@example.com")
    assert (invoice.plan_name, invoice.payment_method_label, invoice.payment_code) == (
        "Mensuel",
        "Virement SEPA",
        payment.code,
    )
    subscription = payment.subscription
    assert (invoice.period_start, invoice.period_end) == (subscription.starts_at, subscription.ends_at)
    assert (invoice.amount_excl_tax, invoice.vat_amount, invoice.amount_incl_tax) == (
        Decimal("40.83"),
        Decimal("8.17"),
        Decimal("49.00"),
    )
    assert (invoice.vat_rate, invoice.vat_exemption, invoice.currency) == (Decimal("20.00"), "", "EUR")


def test_with_no_vat_the_exemption_mention_is_frozen_and_the_rate_is_zero(admin_user, settings):
    settings.INVOICE_VAT_RATE = "0"
    payment = _confirmed(admin_user, plan=PlanFactory(price=Decimal("49.00")))
    invoice = Invoice.objects.get(payment=payment)
    assert (invoice.vat_rate, invoice.vat_amount, invoice.amount_excl_tax) == (0, 0, Decimal("49.00"))
    assert invoice.vat_exemption == "TVA non applicable, art. 293 B du CGI"


@time_machine.travel(datetime(2026, 5, 4, 12, 0, tzinfo=UTC), tick=False)
def test_numbers_follow_each_other_without_gap_and_a_second_confirmation_issues_nothing(admin_user):
    payments = [_confirmed(admin_user) for _ in range(3)]
    payment_confirm(payment=payments[0], by=admin_user, notify=False)  # a retry: idempotent
    numbers = [Invoice.objects.get(payment=p).number for p in payments]
    assert numbers == ["F2026-00001", "F2026-00002", "F2026-00003"]
    assert Invoice.objects.count() == 3


def test_a_rolled_back_confirmation_consumes_no_number(admin_user):
    first = _confirmed(admin_user)
    rolled_back = PaymentFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        payment_confirm(payment=rolled_back, by=admin_user, notify=False)
        assert Invoice.objects.filter(payment=rolled_back).exists()
        raise RuntimeError("the confirming transaction fails after the invoice")
    third = _confirmed(admin_user)

    assert not Invoice.objects.filter(payment=rolled_back).exists()
    first_number = Invoice.objects.get(payment=first).number
    third_number = Invoice.objects.get(payment=third).number
    assert int(third_number[-5:]) == int(first_number[-5:]) + 1


@pytest.mark.parametrize(
    ("moment", "number"),
    [
        # 23:30 in Paris on 31 December is 22:30 UTC: still the old year, where it is issued.
        (datetime(2026, 12, 31, 22, 30, tzinfo=UTC), "F2026-00001"),
        # 00:30 in Paris on 1 January is 23:30 UTC on 31 December: already the new year in Paris.
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "F2027-00001"),
    ],
)
def test_the_year_of_the_number_is_the_year_of_issue_in_paris(admin_user, moment, number):
    with time_machine.travel(moment, tick=False):
        payment = _confirmed(admin_user)
    assert Invoice.objects.get(payment=payment).number == number


def test_each_year_starts_again_at_one(admin_user):
    with time_machine.travel(datetime(2026, 6, 1, tzinfo=UTC), tick=False):
        _confirmed(admin_user)
        _confirmed(admin_user)
    with time_machine.travel(datetime(2027, 1, 2, tzinfo=UTC), tick=False):
        payment = _confirmed(admin_user)
    assert Invoice.objects.get(payment=payment).number == "F2027-00001"
    assert sorted(NumberCounter.objects.values_list("year", "last")) == [(2026, 2), (2027, 1)]


def test_an_issued_invoice_can_be_neither_changed_nor_deleted(admin_user):
    invoice = Invoice.objects.get(payment=_confirmed(admin_user))
    invoice.amount_incl_tax = Decimal("1.00")
    with pytest.raises(ImmutableDocumentError):
        invoice.save()
    with pytest.raises(ImmutableDocumentError):
        invoice.delete()
    invoice.refresh_from_db()
    assert invoice.amount_incl_tax != Decimal("1.00")


def test_a_refund_issues_a_credit_note_referencing_the_invoice(admin_user):
    payment = _confirmed(admin_user, plan=PlanFactory(price=Decimal("49.00")))
    refund, _ = payment_refund_record(payment=payment, by=admin_user, amount=Decimal("20.00"))

    credit_note = CreditNote.objects.get(refund=refund)
    invoice = Invoice.objects.get(payment=payment)
    assert credit_note.invoice == invoice
    assert credit_note.number.startswith("A") and credit_note.number.endswith("-00001")
    assert (credit_note.amount_excl_tax, credit_note.vat_amount, credit_note.amount_incl_tax) == (
        Decimal("16.67"),
        Decimal("3.33"),
        Decimal("20.00"),
    )
    assert payment.code in credit_note.reason
    with pytest.raises(ImmutableDocumentError):
        credit_note.save()


def test_missing_invoices_are_issued_once_for_payments_confirmed_before_invoicing(admin_user):
    payment = _confirmed(admin_user)
    refunded = _confirmed(admin_user)
    payment_refund_record(payment=refunded, by=admin_user)
    # As if confirmed before the app existed: the documents are removed behind the models' back.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM invoicing_creditnote")
        cursor.execute("DELETE FROM invoicing_invoice")

    assert invoices_issue_missing() == (2, 1)
    assert invoices_issue_missing() == (0, 0)
    assert Invoice.objects.filter(payment__in=[payment, refunded]).count() == 2
    assert CreditNote.objects.filter(invoice__payment=refunded).count() == 1


def test_a_coupons_discount_is_frozen_on_the_invoice_and_printed(admin_user):
    coupon = Coupon.objects.create(code="BIENVENUE", kind=CouponKind.FIXED, value=Decimal("10.00"))
    payment = _confirmed(
        admin_user,
        plan=PlanFactory(price=Decimal("59.00")),
        list_price=Decimal("59.00"),
        discount=Decimal("10.00"),
        amount=Decimal("49.00"),
        coupon=coupon,
    )
    invoice = Invoice.objects.get(payment=payment)
    assert (invoice.list_price, invoice.discount, invoice.coupon_code) == (
        Decimal("59.00"),
        Decimal("10.00"),
        "BIENVENUE",
    )
    assert (invoice.amount_incl_tax, invoice.amount_excl_tax) == (Decimal("49.00"), Decimal("40.83"))
    assert invoice_pdf(invoice).startswith(b"%PDF-")

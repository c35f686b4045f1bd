"""The accountant's export and the issue of missing invoices, through manage.py."""

import csv
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from accounts.tests.factories import UserFactory
from invoicing.models import CreditNote, Invoice
from payments.refunds import payment_refund_record
from payments.services import payment_confirm
from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db


def _confirm_at(moment, **kwargs):
    payment = PaymentFactory(**kwargs)
    with time_machine.travel(moment, tick=False):
        payment_confirm(payment=payment, by=UserFactory(is_staff=True), notify=False)
    return payment


def test_export_writes_the_years_invoices_and_credit_notes_negative_and_their_pdfs(tmp_path):
    member = UserFactory(first_name="Zoé", last_name="Durand", email="zoe@example.com")
    first = _confirm_at(datetime(2026, 2, 1, 10, tzinfo=UTC), user=member, amount=Decimal("49.00"))
    _confirm_at(datetime(2026, 12, 31, 22, 30, tzinfo=UTC), amount=Decimal("29.90"))  # 23:30 in Paris: 2026
    _confirm_at(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), amount=Decimal("10.00"))  # 00:30 in Paris: 2027
    with time_machine.travel(datetime(2026, 3, 1, 10, tzinfo=UTC), tick=False):
        payment_refund_record(payment=first, by=UserFactory(is_staff=True), amount=Decimal("20.00"))

    out = StringIO()
    csv_path, zip_path = tmp_path / "f.csv", tmp_path / "f.zip"
    call_command("export_invoices", "--year", "2026", "--csv", str(csv_path), "--zip", str(zip_path), stdout=out)

    rows = list(csv.reader(csv_path.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0][:3] == ["numéro", "type", "date"]
    assert [row[:2] for row in rows[1:]] == [
        ["F2026-00001", "facture"],
        ["F2026-00002", "facture"],
        ["A2026-00001", "avoir"],
    ]
    assert rows[1][3:9] == ["Zoé Durand", "zoe@example.com", "40,83", "8,17", "49,00", "EUR"]
    assert rows[3][5:9] == ["-16,67", "-3,33", "-20,00", "EUR"]
    assert rows[3][10:12] == [first.code, "F2026-00001"]
    assert sorted(zipfile.ZipFile(zip_path).namelist()) == [
        "avoir-A2026-00001.pdf",
        "facture-F2026-00001.pdf",
        "facture-F2026-00002.pdf",
    ]
    assert "2026 : 2 facture(s), 1 avoir(s), total net TTC 58,90" in out.getvalue()


def test_issue_missing_invoices_is_idempotent():
    payment = _confirm_at(datetime(2026, 4, 1, tzinfo=UTC))
    with connection.cursor() as cursor:  # as if confirmed before invoicing existed
        cursor.execute("DELETE FROM invoicing_invoice")

    out = StringIO()
    call_command("issue_missing_invoices", stdout=out)
    call_command("issue_missing_invoices", stdout=out)
    assert out.getvalue().splitlines() == ["1 facture(s) et 0 avoir(s) émis.", "0 facture(s) et 0 avoir(s) émis."]
    assert Invoice.objects.filter(payment=payment).count() == 1
    assert not CreditNote.objects.exists()

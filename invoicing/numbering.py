"""Gapless numbers per kind and year: F2026-00001, F2026-00002… (docs/architecture/invoicing.md).

The year's counter row is locked (SELECT … FOR UPDATE) and incremented in the caller's transaction, the one that
confirms or refunds the payment: two issuers at once queue on the row, so they never share or skip a number, and a
rolled-back decision rolls its increment back with it. The year is the calendar year of the issue in TIME_ZONE.
"""

from datetime import datetime

from django.db import transaction

from core import clock
from invoicing.models import NUMBER_PREFIXES, DocumentKind, NumberCounter

NUMBER_DIGITS = 5


def document_number_next(*, kind: DocumentKind, issued_at: datetime) -> str:
    """The next number of `kind` for the year of `issued_at` in TIME_ZONE; call inside the issuing transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("document_number_next must run inside the issuing transaction")
    year = clock.local_date(issued_at).year
    # The year's first document creates its row; ON CONFLICT DO NOTHING lets a concurrent creator win without error,
    # then both lock the one row.
    NumberCounter.objects.bulk_create([NumberCounter(kind=kind, year=year, last=0)], ignore_conflicts=True)
    counter = NumberCounter.objects.select_for_update().get(kind=kind, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{NUMBER_PREFIXES[kind]}{year}-{counter.last:0{NUMBER_DIGITS}d}"

"""CSV exports of members and payments for the admins: list actions ("Exporter en CSV") on the member and payment
lists, added by member_space/admin.py (the app that registers those pages). Streamed in batches, so exporting every
row of a large table keeps memory flat.

The files open as they are in a French spreadsheet: UTF-8 with a byte-order mark, `;` between cells, decimal commas,
dates in TIME_ZONE. A cell a member typed that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed
with `'` so that no spreadsheet runs it as a formula (CSV injection)."""

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal

from django.contrib import admin
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import clock
from payments.models import Payment

BATCH = 2_000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write() hands the line back (Django's documented way to stream a CSV)."""

    def write(self, value: str) -> str:
        return value


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, Decimal):
        return f"{value:f}".replace(".", ",")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_response(*, filename: str, header: list[str], rows: Iterable[Iterable]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo(), delimiter=";")

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow([csv_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{clock.local_date():%Y-%m-%d}.csv"'
    return response


MEMBER_COLUMNS = (
    ("id", "id"),
    ("email", "e-mail"),
    ("first_name", "prénom"),
    ("last_name", "nom"),
    ("telegram_username", "Telegram"),
    ("discord_username", "Discord"),
    ("whatsapp_number", "WhatsApp"),
    ("is_verified", "e-mail vérifié"),
    ("is_active", "actif"),
    ("is_staff", "staff"),
    ("date_joined", "inscrit le"),
    ("last_login", "dernière connexion"),
)


# Reserved to staff who may change the rows: a file of every member's contacts leaves the admin's access control, and
# the admin offers view-only staff no action at all (tests/test_admin_permissions.py).
@admin.action(description=_("Exporter en CSV"), permissions=["change"])
def members_export_csv(modeladmin, request, queryset: QuerySet) -> StreamingHttpResponse:
    fields = [field for field, _label in MEMBER_COLUMNS]
    rows = queryset.order_by("pk").values_list(*fields).iterator(chunk_size=BATCH)
    return csv_response(filename="membres", header=[label for _field, label in MEMBER_COLUMNS], rows=rows)


PAYMENT_COLUMNS = (
    ("code", "code"),
    ("created_at", "déclaré le"),
    ("status", "statut"),
    ("confirmed_at", "confirmé le"),
    ("user__email", "membre"),
    ("plan__name", "formule"),
    ("amount", "montant"),
    ("currency", "devise"),
    ("method", "moyen"),
    ("reference", "référence"),
    ("refund__amount", "remboursé"),
    ("refund__recorded_at", "remboursé le"),
)


@admin.action(description=_("Exporter en CSV"), permissions=["change"])
def payments_export_csv(modeladmin, request, queryset: QuerySet[Payment]) -> StreamingHttpResponse:
    statuses = dict(Payment.Status.choices)
    methods = dict(Payment.Method.choices)
    fields = [field for field, _label in PAYMENT_COLUMNS]
    status_at, method_at = fields.index("status"), fields.index("method")

    def rows() -> Iterator[list]:
        for row in queryset.order_by("created_at", "pk").values_list(*fields).iterator(chunk_size=BATCH):
            values = list(row)
            values[status_at] = statuses.get(values[status_at], values[status_at])
            values[method_at] = methods.get(values[method_at], values[method_at])
            yield values

    return csv_response(filename="paiements", header=[label for _field, label in PAYMENT_COLUMNS], rows=rows())

"""manage.py export_invoices --year 2026 [--csv factures-2026.csv] [--zip factures-2026.zip]: the accountant's
export (invoicing.exports)."""

from django.core.management.base import BaseCommand, CommandError

from core.templatetags.money import format_money
from invoicing.exports import documents_export


class Command(BaseCommand):
    help = "Exporte les factures et avoirs d'une année (CSV, et un zip des PDF avec --zip)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="Année d'émission (fuseau TIME_ZONE).")
        parser.add_argument("--csv", dest="csv_path", help="Fichier CSV à écrire (par défaut factures-<année>.csv).")
        parser.add_argument("--zip", dest="zip_path", help="Fichier zip des PDF à écrire (facultatif).")

    def handle(self, *args, year: int, csv_path: str | None, zip_path: str | None, **options):
        if not 2000 <= year <= 9999:
            raise CommandError(f"Année invalide : {year}.")
        csv_path = csv_path or f"factures-{year}.csv"
        # utf-8-sig: the byte order mark makes spreadsheets read the accents right.
        with open(csv_path, "w", encoding="utf-8-sig", newline="") as csv_file:
            summary = documents_export(year=year, csv_file=csv_file, zip_path=zip_path)
        totals = ", ".join(format_money(total, currency) for currency, total in sorted(summary.total_incl_tax.items()))
        written = f"{csv_path}" + (f" et {zip_path}" if zip_path else "")
        self.stdout.write(
            self.style.SUCCESS(
                f"{year} : {summary.invoices} facture(s), {summary.credit_notes} avoir(s), "
                f"total net TTC {totals or '0'} ; écrit dans {written}."
            )
        )

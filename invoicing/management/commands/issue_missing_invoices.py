"""manage.py issue_missing_invoices: invoices (and credit notes) for payments confirmed before invoicing existed.
Idempotent: a second run issues nothing."""

from django.core.management.base import BaseCommand

from invoicing.services import invoices_issue_missing


class Command(BaseCommand):
    help = "Émet les factures et avoirs manquants des paiements confirmés avant la facturation."

    def handle(self, *args, **options):
        invoices, credit_notes = invoices_issue_missing()
        self.stdout.write(self.style.SUCCESS(f"{invoices} facture(s) et {credit_notes} avoir(s) émis."))

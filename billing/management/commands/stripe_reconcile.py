"""Daily reconciliation with Stripe: applies the events the webhook missed (billing/reconcile.py)."""

import argparse
from datetime import UTC, datetime

import stripe
from django.core.management.base import CommandError

from billing.client import stripe_enabled
from billing.reconcile import STRIPE_EVENTS_KEPT, stripe_events_reconcile, stripe_reconcile_since_default
from core import clock
from core.management.base import CronCommand
from core.plurals import fr_count


def _parse_date(value: str) -> datetime:
    # Checked by the parser, before the run starts: a typo is not a failed run.
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"Date invalide « {value} » : format attendu AAAA-MM-JJ (par exemple 2026-03-03)."
        ) from None
    return clock.start_of_local_day(day)


class Command(CronCommand):
    help = (
        "Demande à Stripe ses événements récents (30 jours au plus) et applique ceux que le webhook a manqués, "
        "comme le webhook les aurait appliqués. Sans risque de doublon : un événement connu est laissé tel quel."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--since",
            type=_parse_date,
            metavar="AAAA-MM-JJ",
            help="Événements créés depuis ce jour (fuseau TIME_ZONE). Par défaut : depuis le dernier passage réussi "
            "moins un jour, ou les 3 derniers jours.",
        )

    def run(self, **options) -> dict:
        if not stripe_enabled():
            self.stdout.write("Stripe n'est pas configuré (STRIPE_SECRET_KEY vide) : rien à rapprocher.")
            return {"stripe": "off"}
        since = options.get("since") or stripe_reconcile_since_default()
        oldest = clock.now() - STRIPE_EVENTS_KEPT
        if since < oldest:
            self.stdout.write(self.style.WARNING("Stripe ne garde ses événements que 30 jours : recherche limitée."))
            since = oldest
        if options["dry_run"]:
            self.stdout.write(self.style.WARNING("Simulation (--dry-run) : rien ne sera enregistré ni appliqué."))
        self.stdout.write(f"Événements Stripe depuis le {since.astimezone(UTC):%Y-%m-%d %H:%M} UTC…")
        progress = self.stdout.write if options["verbosity"] >= 1 else None
        try:
            report = stripe_events_reconcile(since=since, dry_run=options["dry_run"], progress=progress)
        except stripe.StripeError as exc:
            raise CommandError(
                f"Stripe injoignable ou en erreur, rien n'est perdu : {exc.user_message or exc}"
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{fr_count(report.listed, 'événement lu', 'événements lus')} : "
                f"{fr_count(report.new, 'nouveau', 'nouveaux')}, "
                f"{fr_count(report.known, 'déjà connu', 'déjà connus')}, "
                f"{fr_count(report.retried, 'repris', 'repris')}, {fr_count(report.failed, 'échec', 'échecs')}."
            )
        )
        return report.summary()

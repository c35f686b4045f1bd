"""Daily reminder run: marks expired subscriptions, creates the reminders due, delivers pending deliveries."""

import argparse
from datetime import date

from core import clock
from core.management.base import CronCommand
from core.plurals import fr_count
from notifications.models import NotificationDelivery
from notifications.services import CREATION_BATCH_SIZE, deliveries_send_pending, notifications_create_due
from subscriptions.models import Subscription
from subscriptions.selectors import active_q
from subscriptions.services import subscriptions_mark_expired


def _parse_date(value: str) -> date:
    # Checked by the parser, before the run starts: a typo is not a failed run.
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"Date invalide « {value} » : format attendu AAAA-MM-JJ (par exemple 2026-03-03)."
        ) from None


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"Entier positif attendu, reçu « {value} ».")
    return number


class Command(CronCommand):
    help = (
        "Crée les rappels d'abonnement dus (J-7, J-3, J-2, J-1, J+1, J+2, J+3) et les envoie "
        "(dans l'application, par e-mail). Sûr sur plusieurs hôtes en même temps."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--date",
            dest="as_of",
            type=_parse_date,
            metavar="AAAA-MM-JJ",
            help="Applique le calendrier comme si l'on était ce jour-là (fuseau TIME_ZONE). Par défaut : aujourd'hui.",
        )
        parser.add_argument(
            "--batch-size",
            type=_positive_int,
            default=CREATION_BATCH_SIZE,
            help=f"Abonnements traités par lot (défaut : {CREATION_BATCH_SIZE}).",
        )

    def run(self, **options) -> dict:
        dry_run = options["dry_run"]
        verbosity = options["verbosity"]
        as_of = options.get("as_of") or clock.local_date()
        now = clock.now()
        today = clock.local_date(now)
        scheduled_for = now if as_of == today else clock.start_of_local_day(as_of)
        progress = self._progress if self.stdout.isatty() and verbosity >= 1 else None

        if dry_run:
            self.stdout.write(self.style.WARNING("Simulation (--dry-run) : rien ne sera écrit ni envoyé."))
            expired = Subscription.objects.filter(status=Subscription.Status.ACTIVE).exclude(active_q(at=now)).count()
        else:
            expired = subscriptions_mark_expired(at=now)

        creation = notifications_create_due(
            as_of=as_of,
            scheduled_for=scheduled_for,
            dry_run=dry_run,
            batch_size=options["batch_size"],
            progress=progress,
        )
        if dry_run and verbosity >= 2:
            for planned in creation.planned:
                self.stdout.write(
                    f"  créerait {planned.notification_type} pour l'abonnement {planned.subscription_id} "
                    f"(membre {planned.user_id})"
                )
        delivery = deliveries_send_pending(dry_run=dry_run, progress=progress)
        # In-app deliveries of new notifications are recorded sent by the creation itself.
        delivery.delivered[NotificationDelivery.Channel.IN_APP] += creation.delivered_in_app
        delivered = +delivery.delivered  # drops channels with nothing sent

        summary = {
            "date": as_of.isoformat(),
            "dry_run": dry_run,
            "expired": expired,
            "created": dict(sorted(creation.created.items())),
            "delivered": dict(sorted(delivered.items())),
            "failed": delivery.failed,
            "given_up": delivery.given_up,
            "skipped": delivery.skipped,
        }
        if dry_run:
            # Pending deliveries now, plus one per channel for every notification the run would create.
            new = sum(creation.created.values())
            summary["would_send"] = {channel: count + new for channel, count in sorted(delivery.would_send.items())}
        self._print_summary(summary, delivery.unavailable, verbosity)
        return summary

    def _progress(self, label: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        end = "\n" if done >= total else ""
        self.stdout.write(f"\r{label:<10} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending=end)
        self.stdout.flush()

    def _print_summary(self, summary: dict, unavailable: list[str], verbosity: int) -> None:
        if verbosity < 1:
            return
        verb = "qui seraient créées" if summary["dry_run"] else "créées"
        created = ", ".join(f"{t} : {n}" for t, n in summary["created"].items()) or "aucune"
        self.stdout.write(f"Calendrier du {summary['date']}")
        self.stdout.write(f"  abonnements expirés : {summary['expired']}")
        self.stdout.write(f"  notifications {verb} : {created}")
        if summary["dry_run"]:
            would = ", ".join(f"{c} : {n}" for c, n in summary["would_send"].items()) or "aucun"
            self.stdout.write(f"  envois qui seraient tentés : {would}")
        else:
            delivered = ", ".join(f"{c} : {n}" for c, n in summary["delivered"].items()) or "aucun"
            self.stdout.write(f"  envoyés : {delivered}")
        for channel in unavailable:
            self.stdout.write(
                self.style.ERROR(f"  canal {channel} indisponible : le reste sera envoyé au prochain passage")
            )
        if summary["dry_run"]:
            line = (
                f"Bilan (simulation) : {fr_count(sum(summary['created'].values()), 'notification', 'notifications')} "
                f"à créer, {fr_count(sum(summary['would_send'].values()), 'envoi', 'envois')} à tenter."
            )
        else:
            line = (
                f"Bilan : {fr_count(sum(summary['created'].values()), 'créée', 'créées')}, "
                f"{fr_count(sum(summary['delivered'].values()), 'envoi', 'envois')}, "
                f"{fr_count(summary['failed'], 'échec', 'échecs')} dont "
                f"{fr_count(summary['given_up'], 'abandonné', 'abandonnés')}, "
                f"{fr_count(summary['skipped'], 'ignoré', 'ignorés')}."
            )
        self.stdout.write(self.style.ERROR(line) if summary["failed"] else self.style.SUCCESS(line))

"""Cron (every 15 minutes): bring the Telegram channel and the Discord server in line with subscriptions."""

from channels_sync.models import Platform
from channels_sync.sync import channel_sync
from core.management.base import CronCommand
from core.plurals import fr_count
from subscriptions.services import subscriptions_mark_expired

DISABLED: dict[str, str] = {
    Platform.TELEGRAM: "Telegram désactivé : TELEGRAM_BOT_TOKEN ou TELEGRAM_CHANNEL_ID absent.",
    Platform.DISCORD: "Discord désactivé : DISCORD_BOT_TOKEN, DISCORD_GUILD_ID ou DISCORD_ROLE_ID absent.",
}


class Command(CronCommand):
    help = "Invite ou ajoute les abonnés, retire les accès expirés (Telegram et Discord)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--platform", choices=Platform.values, help="Une seule plateforme.")
        parser.add_argument("--batch-size", type=int, default=100)

    def run(self, **options) -> dict:
        dry_run = options["dry_run"]
        verbosity = options["verbosity"]
        platforms = [options["platform"]] if options.get("platform") else Platform.values
        if not dry_run:
            expired = subscriptions_mark_expired()
            if verbosity >= 2:
                self.stdout.write(f"Abonnements marqués expirés : {expired}")
        summary: dict = {"dry_run": dry_run}
        errors = []
        for platform in platforms:
            report = channel_sync(platform=platform, dry_run=dry_run, batch_size=options["batch_size"])
            summary[platform] = report.as_dict()
            name = Platform(platform).label
            if report.disabled:
                self.stdout.write(self.style.WARNING(DISABLED[platform]))
                continue
            if dry_run:
                self.stdout.write(
                    f"{name} (simulation) : {fr_count(len(report.planned), 'action prévue', 'actions prévues')}."
                )
                for line in report.planned:
                    self.stdout.write(f"  - {line}")
            else:
                counts = report.as_dict()
                self.stdout.write(
                    f"{name} : {fr_count(counts['invited'], 'invité', 'invités')}, "
                    f"{fr_count(counts['added'], 'ajouté', 'ajoutés')}, "
                    f"{fr_count(counts['removed'], 'retiré', 'retirés')}, "
                    f"{fr_count(counts['failed'], 'échec', 'échecs')}, {counts['skipped']} en attente."
                )
                if counts["lost"]:
                    # This run outlived its lease on these members: the run that took them over does the work.
                    self.stdout.write(
                        self.style.WARNING(
                            f"{name} : {fr_count(counts['lost'], 'membre laissé', 'membres laissés')} "
                            "à une autre exécution (réservation expirée pendant ce passage)."
                        )
                    )
            if report.outlived:
                self.stdout.write(
                    self.style.WARNING(
                        f"{name} : {fr_count(len(report.outlived), 'membre a', 'membres ont')} encore accès "
                        "après la fin de leur abonnement."
                    )
                )
                if verbosity >= 2 or dry_run:
                    for email in report.outlived:
                        self.stdout.write(f"  - {email}")
            if report.error:
                self.stderr.write(self.style.ERROR(report.error))
                errors.append(report.error)
        # A member's failure is retried with backoff and does not fail the run; a platform that
        # could not act at all (no rights, token refused) does.
        summary["failed"] = len(errors)
        return summary

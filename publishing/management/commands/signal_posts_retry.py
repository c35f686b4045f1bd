"""Catch-up of the signals' channel messages after an outage longer than the queue's retries
(publishing.services.signal_posts_catch_up), every 15 minutes from cron."""

from datetime import timedelta

from django.core.management.base import CommandError

from core import clock
from core.management.base import CronCommand
from core.plurals import fr_count
from publishing.services import signal_posts_catch_up


class Command(CronCommand):
    help = (
        "Remet dans la file les messages de signaux en échec (plateforme indisponible plus longtemps que les "
        "nouvelles tentatives de la file) et les modifications restées en retard. Sans risque de doublon."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--hours",
            type=int,
            default=24,
            help="Messages créés depuis ce nombre d'heures (24 par défaut) : un signal plus ancien n'est plus "
            "annoncé tardivement.",
        )

    def run(self, **options) -> dict:
        if options["hours"] < 1:
            raise CommandError("--hours doit valoir au moins 1.")
        since = clock.now() - timedelta(hours=options["hours"])
        report = signal_posts_catch_up(since=since, dry_run=options["dry_run"])
        if options["dry_run"]:
            posts = fr_count(report.posts, "message en échec à remettre", "messages en échec à remettre")
            edits = fr_count(report.edits, "modification à refaire", "modifications à refaire")
        else:
            posts = fr_count(report.posts, "message en échec remis", "messages en échec remis")
            edits = fr_count(report.edits, "modification remise", "modifications remises")
        self.stdout.write(self.style.SUCCESS(f"{posts} dans la file, {edits}."))
        return report.summary()

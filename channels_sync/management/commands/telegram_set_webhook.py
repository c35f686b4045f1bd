"""Registers TELEGRAM_WEBHOOK_URL (with TELEGRAM_WEBHOOK_SECRET) as the bot's webhook."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from channels_sync.clients import MemberActionFailed, PlatformUnavailable, TelegramClient


class Command(BaseCommand):
    help = "Déclare l'URL du webhook Telegram (TELEGRAM_WEBHOOK_URL) auprès de Telegram."

    def handle(self, *args, **options):
        if not settings.TELEGRAM_BOT_TOKEN:
            raise CommandError("TELEGRAM_BOT_TOKEN absent.")
        if not settings.TELEGRAM_WEBHOOK_URL or not settings.TELEGRAM_WEBHOOK_SECRET:
            raise CommandError("TELEGRAM_WEBHOOK_URL et TELEGRAM_WEBHOOK_SECRET sont requis.")
        with TelegramClient() as client:
            try:
                client.set_webhook(url=settings.TELEGRAM_WEBHOOK_URL, secret=settings.TELEGRAM_WEBHOOK_SECRET)
            except (MemberActionFailed, PlatformUnavailable) as exc:
                raise CommandError(f"Telegram a refusé le webhook : {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Webhook déclaré : {settings.TELEGRAM_WEBHOOK_URL}"))

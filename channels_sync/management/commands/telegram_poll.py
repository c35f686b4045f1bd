"""For installs without public HTTPS: read the bot's updates with getUpdates instead of the webhook."""

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from channels_sync.clients import MemberActionFailed, PlatformUnavailable, TelegramClient
from channels_sync.telegram_updates import telegram_update_handle
from core.plurals import fr_count

logger = logging.getLogger("calmnessfi.channels")


class Command(BaseCommand):
    help = "Lit les mises à jour du bot Telegram (getUpdates) et les traite comme le webhook."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Un seul appel à getUpdates, puis s'arrête.")
        parser.add_argument("--timeout", type=int, default=30, help="Attente longue de getUpdates (secondes).")

    def handle(self, *args, **options):
        if not settings.TELEGRAM_BOT_TOKEN:
            raise CommandError("TELEGRAM_BOT_TOKEN absent.")
        timeout = 0 if options["once"] else options["timeout"]
        offset = None
        handled = 0
        with TelegramClient() as client:
            while True:
                try:
                    updates = client.get_updates(offset=offset, timeout=timeout)
                except (MemberActionFailed, PlatformUnavailable) as exc:
                    if options["once"]:
                        raise CommandError(f"getUpdates a échoué : {exc}") from exc
                    self.stderr.write(f"getUpdates a échoué : {exc}")
                    time.sleep(5)  # an outage: do not hammer the API
                    continue
                for update in updates:
                    update_id = update.get("update_id") if isinstance(update, dict) else None
                    if isinstance(update_id, int):
                        # Acknowledged whatever happens below: one poison update must never block the loop.
                        offset = max(offset or 0, update_id + 1)
                    try:
                        result = telegram_update_handle(update=update, client=client)
                    except Exception as exc:
                        logger.exception("telegram update failed", extra={"update_id": update_id})
                        self.stderr.write(f"mise à jour {update_id} : échec ({exc.__class__.__name__}: {exc})")
                        continue
                    handled += 1
                    if options["verbosity"] >= 2:
                        self.stdout.write(f"mise à jour {update_id} : {result}")
                if options["once"]:
                    if offset is not None:  # acknowledge what was handled
                        client.get_updates(offset=offset, timeout=0)
                    break
        self.stdout.write(f"{fr_count(handled, 'mise à jour traitée', 'mises à jour traitées')}.")

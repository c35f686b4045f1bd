from django.apps import AppConfig
from django.conf import settings


class ChannelsSyncConfig(AppConfig):
    name = "channels_sync"
    verbose_name = "Canaux Telegram et Discord"

    def ready(self):
        from channels_sync import checks  # noqa: F401  (registers the start-up checks)

        # Reminders by Telegram only when a bot is configured: otherwise no delivery row is created for it.
        if settings.TELEGRAM_BOT_TOKEN:
            from channels_sync.senders import TelegramSender
            from notifications.senders import register_sender

            register_sender(TelegramSender())

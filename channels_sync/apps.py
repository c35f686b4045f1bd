from django.apps import AppConfig
from django.conf import settings


class ChannelsSyncConfig(AppConfig):
    name = "channels_sync"
    verbose_name = "Canaux Telegram et Discord"

    def ready(self):
        from accounts.signals import address_ownership_proven
        from channels_sync import checks  # noqa: F401  (registers the start-up checks)

        # Links made before someone proved they own the address may be an intruder's: dropped (issue 12, #5).
        address_ownership_proven.connect(_drop_links, dispatch_uid="channels_sync.drop_links")

        # Reminders by Telegram only when a bot is configured: otherwise no delivery row is created for it.
        if settings.TELEGRAM_BOT_TOKEN:
            from channels_sync.senders import TelegramSender
            from notifications.senders import register_sender

            register_sender(TelegramSender())


def _drop_links(sender, user, **kwargs) -> None:
    from channels_sync.linking import member_links_drop

    member_links_drop(user=user)

from django.apps import AppConfig


class ChannelsSyncConfig(AppConfig):
    name = "channels_sync"
    verbose_name = "Canaux Telegram et Discord"

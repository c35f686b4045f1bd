"""Start-up checks (`manage.py check`, run by migrate and runserver): channel settings that cannot work."""

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register


@register()
def channel_settings_check(app_configs, **kwargs):
    problems: list[CheckMessage] = []
    if settings.DISCORD_REMOVAL_MODE not in ("role", "kick"):
        problems.append(Error("DISCORD_REMOVAL_MODE doit valoir « role » ou « kick ».", id="channels_sync.E001"))
    if settings.DISCORD_CLIENT_ID:
        try:
            Fernet(settings.FIELD_ENCRYPTION_KEY)
        except (ValueError, TypeError):
            problems.append(
                Error(
                    "FIELD_ENCRYPTION_KEY absente ou invalide : elle est requise pour lier des comptes Discord.",
                    hint='python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"',
                    id="channels_sync.E002",
                )
            )
    if settings.TELEGRAM_BOT_TOKEN and not settings.TELEGRAM_BOT_USERNAME:
        problems.append(
            Warning(
                "TELEGRAM_BOT_USERNAME absent : les membres ne peuvent pas lier leur compte Telegram.",
                id="channels_sync.W001",
            )
        )
    if settings.TELEGRAM_WEBHOOK_URL and not settings.TELEGRAM_WEBHOOK_SECRET:
        problems.append(
            Error(
                "TELEGRAM_WEBHOOK_URL sans TELEGRAM_WEBHOOK_SECRET : le webhook refuserait tout.",
                id="channels_sync.E003",
            )
        )
    return problems

import pytest

from channels_sync.checks import channel_settings_check


def ids(settings_problems) -> set[str]:
    return {problem.id for problem in settings_problems}


def test_default_settings_pass():
    assert channel_settings_check(None) == []


@pytest.mark.parametrize("key", ["", "pas-une-cle-fernet"])
def test_discord_oauth_without_a_valid_encryption_key_is_an_error(settings, key):
    settings.DISCORD_CLIENT_ID = "client"
    settings.FIELD_ENCRYPTION_KEY = key

    assert "channels_sync.E002" in ids(channel_settings_check(None))


def test_unknown_removal_mode_is_an_error(settings):
    settings.DISCORD_REMOVAL_MODE = "ban"

    assert "channels_sync.E001" in ids(channel_settings_check(None))


def test_webhook_without_secret_is_an_error(settings):
    settings.TELEGRAM_WEBHOOK_URL = "https://example.com/api/telegram/webhook/"
    settings.TELEGRAM_WEBHOOK_SECRET = ""

    assert "channels_sync.E003" in ids(channel_settings_check(None))

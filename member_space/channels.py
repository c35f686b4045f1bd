"""Telegram and Discord linking state for the profile page, read from channels_sync (its rules, not ours)."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ChannelState:
    platform: str
    label: str
    username: str
    linked: bool
    detail: str
    link_url_name: str | None


def channel_states(*, user) -> list[ChannelState]:
    return [
        ChannelState(
            platform="telegram",
            label=str(_("Telegram")),
            username=user.telegram_username,
            linked=False,
            detail="",
            link_url_name=None,
        ),
        ChannelState(
            platform="discord",
            label=str(_("Discord")),
            username=user.discord_username,
            linked=False,
            detail="",
            link_url_name=None,
        ),
    ]

from datetime import timedelta

from channels_sync import crypto
from channels_sync.models import AccountLink, ChannelMembership, Platform
from core import clock
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory


def subscribe(user, *, days: int = 30, telegram: bool = True, discord: bool = True, starts_at=None):
    plan = PlanFactory(grants_telegram=telegram, grants_discord=discord, duration_days=days)
    starts_at = starts_at or clock.now()
    return SubscriptionFactory(user=user, plan=plan, starts_at=starts_at, ends_at=starts_at + timedelta(days=days))


def link_telegram(user, telegram_id: int) -> AccountLink:
    ChannelMembership.objects.update_or_create(
        user=user, platform=Platform.TELEGRAM, defaults={"state": ChannelMembership.State.LINKED}
    )
    return AccountLink.objects.create(
        user=user, platform=Platform.TELEGRAM, remote_id=str(telegram_id), linked_at=clock.now()
    )


def link_discord(user, fake, discord_id: str, *, expires_in: timedelta = timedelta(days=7)) -> AccountLink:
    """A linked Discord account holding tokens the fake server knows."""
    access, refresh = fake.grant(user_id=discord_id)
    ChannelMembership.objects.update_or_create(
        user=user, platform=Platform.DISCORD, defaults={"state": ChannelMembership.State.LINKED}
    )
    return AccountLink.objects.create(
        user=user,
        platform=Platform.DISCORD,
        remote_id=discord_id,
        access_token_encrypted=crypto.encrypt(access),
        refresh_token_encrypted=crypto.encrypt(refresh),
        token_expires_at=clock.now() + expires_in,
        linked_at=clock.now(),
    )


def membership(user, platform: str) -> ChannelMembership:
    return ChannelMembership.objects.get(user=user, platform=platform)

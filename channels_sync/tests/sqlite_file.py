"""Run inside `manage.py shell -c` against a SQLite file (test_sync_sqlite.py): the members to let in, and syncs
in threads of one process. Not a test module: pytest's own SQLite database is in memory, one writer at a time.
"""

import json
import threading
from datetime import timedelta

from django.db import connection

from accounts.models import User
from channels_sync import crypto
from channels_sync.models import AccountLink, ChannelMembership, Platform
from core import clock
from subscriptions.models import Plan, Subscription


def telegram_id(index: int) -> int:
    return 7_100_000 + index


def discord_id(index: int) -> str:
    return str(910_000_000_000_000_000 + index)


def discord_tokens(index: int) -> tuple[str, str]:
    """The OAuth tokens member `index` granted (the test registers the same ones on the fake Discord)."""
    return f"sqlite-access-{index}", f"sqlite-refresh-{index}"


def seed(count: int) -> None:
    """`count` paid-up members with Telegram and Discord linked, waiting for their invite and their role."""
    now = clock.now()
    plan = Plan.objects.create(
        name="SQLite", slug="sqlite", price=49, duration_days=30, grants_telegram=True, grants_discord=True
    )
    for index in range(count):
        user = User.objects.create(email=f"sqlite{index}@example.com", first_name="Marie", last_name="Curie")
        Subscription.objects.create(
            user=user, plan=plan, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=29)
        )
        access, refresh = discord_tokens(index)
        AccountLink.objects.create(
            user=user, platform=Platform.TELEGRAM, remote_id=str(telegram_id(index)), linked_at=now
        )
        AccountLink.objects.create(
            user=user,
            platform=Platform.DISCORD,
            remote_id=discord_id(index),
            access_token_encrypted=crypto.encrypt(access),
            refresh_token_encrypted=crypto.encrypt(refresh),
            token_expires_at=now + timedelta(days=7),
            linked_at=now,
        )
        for platform in Platform.values:
            ChannelMembership.objects.create(user=user, platform=platform, state=ChannelMembership.State.LINKED)


def sync_in_threads(platforms: list[str], batch_size: int = 2) -> None:
    """One `channel_sync` per entry of `platforms`, all started at once, each thread with its own connection.
    Prints `{"reports": [...], "errors": [...]}` as JSON."""
    from channels_sync.sync import channel_sync

    reports, errors = [], []
    barrier = threading.Barrier(len(platforms))

    def worker(platform: str) -> None:
        try:
            barrier.wait()
            reports.append(channel_sync(platform=platform, batch_size=batch_size).as_dict())
        except Exception as exc:  # reported to the test, which asserts there is none
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(platform,)) for platform in platforms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    print(json.dumps({"reports": reports, "errors": errors}))

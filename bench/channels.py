"""Channel sync benchmark: members to add and to remove, against our fake Telegram and Discord servers.

    .venv/bin/python bench/channels.py [--adds 5000] [--removes 5000] [--limit 30] [--limited-actions 1000]
                                       [--platforms telegram discord]

Runs in a throwaway test database (in-memory SQLite by default; `test_<name>` on PostgreSQL when DATABASE_URL
points there). For each platform, through the real code path (`channel_sync`, i.e. python-telegram-bot or
discord.py over HTTP to the fake server on 127.0.0.1):
  1. no rate limit and no client pacing: `--adds` members to invite/add and `--removes` to remove; prints
     actions and requests per second, i.e. our own overhead (library + database + the fake itself);
  2. the fake enforcing `--limit` requests per second (429 with retry_after beyond it), the client pacing just
     under it (`TELEGRAM/DISCORD_MAX_REQUESTS_PER_SECOND = 0.985 x limit`): on `--limited-actions` actions
     (half adds, half removes; a bounded sample since 10,000 Telegram actions at 30 req/s would take 11 min),
     prints the achieved successful requests per second as a ratio of the limit (target >= 0.9), the 429s
     received and checks that every action succeeded (no 429 left unhandled);
  3. the same sample without client pacing, where only the 429 handling (python-telegram-bot's RetryAfter
     waited for by our client, discord.py's own bucket handling) keeps the run going.
A Telegram add is 2 requests (createChatInviteLink + sendMessage), a removal 2 (banChatMember +
unbanChatMember); on Discord 1 each (PUT member with role / DELETE role), plus the login call.
"""

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from accounts.models import User  # noqa: E402
from channels_sync import crypto  # noqa: E402
from channels_sync.models import AccountLink, ChannelAction, ChannelMembership, Platform  # noqa: E402
from channels_sync.sync import channel_sync  # noqa: E402
from core import clock  # noqa: E402
from subscriptions.models import Plan, Subscription  # noqa: E402
from tests.fakes.fake_discord import FakeDiscord  # noqa: E402
from tests.fakes.fake_telegram import FakeTelegram  # noqa: E402

BATCH = 2000


def configure(telegram: FakeTelegram, discord: FakeDiscord) -> None:
    settings.TELEGRAM_BOT_TOKEN = telegram.token
    settings.TELEGRAM_CHANNEL_ID = telegram.chat_id
    settings.TELEGRAM_API_BASE_URL = telegram.base_url
    settings.DISCORD_BOT_TOKEN = discord.bot_token
    settings.DISCORD_GUILD_ID = discord.guild_id
    settings.DISCORD_ROLE_ID = discord.role_id
    settings.DISCORD_CLIENT_ID = discord.client_id
    settings.DISCORD_CLIENT_SECRET = discord.client_secret
    settings.DISCORD_API_BASE_URL = discord.base_url
    settings.CHANNEL_GRACE_HOURS = 0


def clear() -> None:
    ChannelAction.objects.all().delete()
    ChannelMembership.objects.all().delete()
    AccountLink.objects.all().delete()
    Subscription.objects.all().delete()
    User.objects.all().delete()


def seed(platform: str, adds: int, removes: int, plan: Plan, fake, prefix: str) -> None:
    """`adds` linked members with a running subscription and no access; `removes` members with access whose
    subscription ended yesterday."""
    now = clock.now()
    password = make_password("x")
    total = adds + removes
    for start in range(0, total, BATCH):
        indexes = range(start, min(start + BATCH, total))
        users = User.objects.bulk_create(
            [User(email=f"{prefix}{i}@example.com", password=password, is_verified=True) for i in indexes]
        )
        subscriptions, links, memberships = [], [], []
        for i, user in zip(indexes, users, strict=True):
            to_add = i < adds
            starts = now - timedelta(days=1) if to_add else now - timedelta(days=31)
            subscriptions.append(
                Subscription(
                    user=user,
                    plan=plan,
                    starts_at=starts,
                    ends_at=starts + timedelta(days=30),
                    status=Subscription.Status.ACTIVE,
                )
            )
            remote_id = str(10_000_000 + i) if platform == Platform.TELEGRAM else str(500_000_000_000_000_000 + i)
            link = AccountLink(user=user, platform=platform, remote_id=remote_id, linked_at=now)
            if platform == Platform.DISCORD:
                access, refresh = fake.grant(user_id=remote_id)
                link.access_token_encrypted = crypto.encrypt(access)
                link.refresh_token_encrypted = crypto.encrypt(refresh)
                link.token_expires_at = now + timedelta(days=7)
                if not to_add:
                    fake.members[remote_id] = {fake.role_id}
            elif not to_add:
                fake.members[int(remote_id)] = "member"
            links.append(link)
            memberships.append(
                ChannelMembership(
                    user=user,
                    platform=platform,
                    state=ChannelMembership.State.LINKED if to_add else ChannelMembership.State.MEMBER,
                    has_access=not to_add,
                )
            )
        Subscription.objects.bulk_create(subscriptions)
        AccountLink.objects.bulk_create(links)
        ChannelMembership.objects.bulk_create(memberships)


def run(platform: str, fake, adds: int, removes: int, plan: Plan, label: str) -> dict:
    clear()
    fake.members.clear()
    seed(platform, adds, removes, plan, fake, prefix=f"{platform}-{label}-")
    fake.reset_requests()
    fake.rate_limited_count = 0
    start = time.perf_counter()
    report = channel_sync(platform=platform, batch_size=200)
    elapsed = time.perf_counter() - start
    calls = fake.calls()
    ok = sum(1 for c in calls if 200 <= c.status < 300)
    done = report.counts["invited"] + report.counts["added"] + report.counts["removed"]
    return {
        "elapsed": elapsed,
        "actions": done,
        "expected": adds + removes,
        "failed": report.counts["failed"],
        "error": report.error,
        "requests": len(calls),
        "ok_requests": ok,
        "rate_limited": sum(1 for c in calls if c.status == 429),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--adds", type=int, default=5000)
    parser.add_argument("--removes", type=int, default=5000)
    parser.add_argument("--limit", type=int, default=30, help="requests per second the fake allows")
    parser.add_argument("--limited-actions", type=int, default=1000, help="actions in the rate-limited run")
    parser.add_argument("--platforms", nargs="+", default=["telegram", "discord"], choices=["telegram", "discord"])
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    telegram, discord = FakeTelegram().start(), FakeDiscord().start()
    configure(telegram, discord)
    success = True
    try:
        plan = Plan.objects.create(name="Mensuel", slug="mensuel", price="49.00", duration_days=30)
        print(f"database: {connection.vendor}")
        for platform in args.platforms:
            fake = telegram if platform == "telegram" else discord
            pace_setting = f"{platform.upper()}_MAX_REQUESTS_PER_SECOND"

            fake.enforce_rate_limit(None)
            setattr(settings, pace_setting, 0)
            free = run(platform, fake, args.adds, args.removes, plan, "free")
            print(
                f"\n[{platform}] no rate limit: {free['actions']}/{free['expected']} actions "
                f"({args.adds} adds, {args.removes} removals) in {free['elapsed']:.1f} s -> "
                f"{free['actions'] / free['elapsed']:.0f} actions/s, {free['requests'] / free['elapsed']:.0f} "
                f"requests/s ({free['requests']} requests), failed {free['failed']}"
            )

            fake.enforce_rate_limit(args.limit)
            setattr(settings, pace_setting, args.limit * 0.985)
            half = args.limited_actions // 2
            limited = run(platform, fake, half, args.limited_actions - half, plan, "limited")
            achieved = limited["ok_requests"] / limited["elapsed"]
            ratio = achieved / args.limit
            print(
                f"[{platform}] fake limited to {args.limit} req/s: {limited['actions']}/{limited['expected']} "
                f"actions in {limited['elapsed']:.1f} s, {limited['ok_requests']} successful requests -> "
                f"{achieved:.2f} req/s = {ratio:.3f} of the limit (target >= 0.9); 429 received: "
                f"{limited['rate_limited']}, failed actions: {limited['failed']}"
            )
            unhandled = limited["failed"] or limited["actions"] != limited["expected"] or limited["error"]
            if unhandled:
                print(f"[{platform}] NOT ALL ACTIONS DONE: {limited['error']}")
            success = success and ratio >= 0.9 and not unhandled and free["actions"] == free["expected"]

            # The same sample without client pacing: only the 429 handling keeps us within the limit.
            setattr(settings, pace_setting, 0)
            unpaced = run(platform, fake, half, args.limited_actions - half, plan, "unpaced")
            achieved = unpaced["ok_requests"] / unpaced["elapsed"]
            print(
                f"[{platform}] same, without client pacing: {unpaced['actions']}/{unpaced['expected']} actions in "
                f"{unpaced['elapsed']:.1f} s -> {achieved:.2f} req/s = {achieved / args.limit:.3f} of the limit; "
                f"429 received and retried: {unpaced['rate_limited']}, failed actions: {unpaced['failed']}"
            )
            success = success and not unpaced["failed"] and unpaced["actions"] == unpaced["expected"]
    finally:
        telegram.stop()
        discord.stop()
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0 if success else 1


if __name__ == "__main__":
    sys.exit(main())

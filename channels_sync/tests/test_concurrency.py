"""Several hosts running the sync at once: rows are claimed, so nobody is invited or removed twice."""

import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.db import connection

from accounts.tests.factories import UserFactory
from channels_sync.linking import LinkError, discord_link_complete, discord_link_url
from channels_sync.models import AccountLink, ChannelAction, ChannelMembership
from channels_sync.sync import channel_sync
from channels_sync.tests.factories import link_discord, link_telegram, subscribe

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_concurrently(target, count: int = 2) -> list:
    results, errors = [], []
    barrier = threading.Barrier(count)

    def worker():
        try:
            barrier.wait()
            results.append(target())
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return results


def test_two_concurrent_runs_invite_each_member_once(fake_telegram):
    users = UserFactory.create_batch(12)
    for index, user in enumerate(users):
        subscribe(user)
        link_telegram(user, 8000 + index)
    fake_telegram.latency = 0.02

    reports = run_concurrently(lambda: channel_sync(platform="telegram", batch_size=3))

    invited_user_ids = [
        int(c.body["name"].removeprefix("membre-")) for c in fake_telegram.calls("createChatInviteLink")
    ]
    assert sorted(invited_user_ids) == sorted(u.pk for u in users)
    assert sum(r.counts["invited"] for r in reports) == 12
    assert all(r.counts["invited"] > 0 for r in reports)  # both hosts did part of the work
    assert ChannelAction.objects.filter(action="invite").count() == 12


def test_two_concurrent_runs_remove_each_member_once(fake_discord):
    users = UserFactory.create_batch(10)
    for index, user in enumerate(users):
        subscribe(user)
        link_discord(user, fake_discord, f"4000000000000000{index:02d}")
    channel_sync(platform="discord")
    fake_discord.latency = 0.02
    fake_discord.reset_requests()
    ends = max(s.ends_at for u in users for s in u.subscriptions.all())

    with time_machine.travel(ends + timedelta(minutes=1)):
        reports = run_concurrently(lambda: channel_sync(platform="discord", batch_size=2))

    assert len(fake_discord.calls("remove_role")) == 10
    assert sum(r.counts["removed"] for r in reports) == 10
    assert ChannelMembership.objects.filter(state="removed").count() == 10


def test_two_simultaneous_callbacks_with_one_state_link_once(fake_discord):
    user = UserFactory()
    authorization = discord_link_url(user=user)
    state = parse_qs(urlsplit(authorization.url).query)["state"][0]
    codes = iter(
        [fake_discord.authorise(user_id="300000000000000061"), fake_discord.authorise(user_id="300000000000000062")]
    )
    lock = threading.Lock()

    def callback():
        with lock:
            code = next(codes)
        try:
            discord_link_complete(code=code, state=state, browser_key=authorization.browser_key)
            return "linked"
        except LinkError:
            return "refused"

    outcomes = run_concurrently(callback)

    assert sorted(outcomes) == ["linked", "refused"]
    assert AccountLink.objects.filter(user=user, platform="discord").count() == 1
    assert len(fake_discord.calls("oauth_token")) == 1

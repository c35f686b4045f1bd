"""A run acts on a member only while it holds the row: a run slower than its lease (flood waits, retries) leaves
the members the next run took to that run, and no wait on a platform outlives the lease.

The clock is moved with time-machine while a call is in flight (the fake platform's `on_request`), which is what
a slow platform does to a run. Runs in both passes of .ci/run: on PostgreSQL the claims use SKIP LOCKED.
"""

import itertools
import threading
import time
from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from accounts.tests.factories import UserFactory
from channels_sync.models import ChannelAction, ChannelMembership, Platform
from channels_sync.sync import LEASE, channel_sync, membership_remove_now, membership_resync_now
from channels_sync.tests.factories import link_discord, link_telegram, membership, subscribe
from core import clock

pytestmark = pytest.mark.django_db(transaction=True)
State = ChannelMembership.State
GRANT_CALL: dict[str, str] = {Platform.TELEGRAM: "createChatInviteLink", Platform.DISCORD: "add_member"}


def members_waiting(platform: str, fake, count: int) -> list:
    users = UserFactory.create_batch(count)
    for index, user in enumerate(users):
        subscribe(user)
        if platform == Platform.TELEGRAM:
            link_telegram(user, 8100 + index)
        else:
            link_discord(user, fake, f"3000000000000008{index:02d}")
    return users


def grants_per_member(platform: str, fake) -> Counter:
    """Invitations created (Telegram, by the link's name) or additions made (Discord, by user id) per member."""
    calls = [c for c in fake.calls(GRANT_CALL[platform]) if 200 <= c.status < 300]
    if platform == Platform.TELEGRAM:
        return Counter(c.body["name"] for c in calls)
    return Counter(c.path.rsplit("/", 1)[-1] for c in calls)


@pytest.mark.parametrize("platform", [Platform.TELEGRAM, Platform.DISCORD])
def test_a_run_slower_than_its_lease_never_acts_on_the_members_the_next_run_took(platform, request):
    fake = request.getfixturevalue(f"fake_{platform}")
    users = members_waiting(platform, fake, 4)
    next_run_started, next_run_done = threading.Event(), threading.Event()
    first_run: list = []

    with time_machine.travel(clock.now(), tick=True) as traveller:
        grant_calls = itertools.count()

        def slow_platform(record) -> None:  # in the fake's thread, while the first run waits for the answer
            if fake.name_of(record.method, record.path) != GRANT_CALL[platform]:
                return
            number = next(grant_calls)
            if number == 0:
                traveller.shift(timedelta(minutes=6))  # the first member took 6 minutes (flood waits, retries)
            elif number == 1:
                traveller.shift(timedelta(minutes=5))  # 11 minutes after the claim: the next cron run starts
                next_run_started.set()
                next_run_done.wait(timeout=60)

        def run_first() -> None:
            try:
                first_run.append(channel_sync(platform=platform))
            finally:
                connection.close()

        fake.on_request = slow_platform
        thread = threading.Thread(target=run_first)
        thread.start()
        assert next_run_started.wait(timeout=60)
        second_run = channel_sync(platform=platform)  # claims what the first run's lease no longer covers
        next_run_done.set()
        thread.join(timeout=60)

    [first_run] = first_run
    expected = (
        {f"membre-{u.pk}": 1 for u in users}
        if platform == Platform.TELEGRAM
        else {f"3000000000000008{i:02d}": 1 for i in range(4)}
    )
    assert grants_per_member(platform, fake) == Counter(expected)
    done = "invited" if platform == Platform.TELEGRAM else "added"
    # The first run did the two members it still held (the second one renewed before its call), and left two.
    assert (first_run.counts[done], first_run.counts["lost"], second_run.counts[done]) == (2, 2, 2)
    granted = ChannelAction.objects.filter(action__in=["invite", "add"], outcome="ok")
    assert Counter(granted.values_list("user_id", flat=True)) == Counter({u.pk: 1 for u in users})
    rows = ChannelMembership.objects.filter(user__in=users, platform=platform)
    assert set(rows.values_list("has_access", "lease_owner", "attempts")) == {(True, "", 0)}


def test_a_discord_rate_limit_longer_than_the_cap_fails_that_member_instead_of_sleeping(fake_discord):
    users = members_waiting(Platform.DISCORD, fake_discord, 3)
    fake_discord.fail("add_member", 429, retry_after=40)  # discord.py slept 40 s on it
    out = StringIO()
    started = time.monotonic()

    call_command("manage_channel_members", "--platform", "discord", stdout=out, stderr=out)

    assert time.monotonic() - started < 15
    assert "2 ajoutés, 0 retiré, 1 échec" in out.getvalue()
    slowed = membership(users[0], Platform.DISCORD)
    assert (slowed.state, slowed.attempts, slowed.action_reason) == (State.LINKED, 1, "")
    assert slowed.next_attempt_at is not None  # retried at a later run, with the usual backoff
    assert ChannelAction.objects.get(user=users[0], outcome="failed").response == {"retry_after": 40}


def test_remove_now_leaves_alone_a_member_a_running_sync_holds(fake_telegram, member):
    subscribe(member)
    link_telegram(member, 5551)
    channel_sync(platform=Platform.TELEGRAM)
    row = membership(member, Platform.TELEGRAM)
    ChannelMembership.objects.filter(pk=row.pk).update(lease_owner="another-run", lease_until=clock.now() + LEASE)

    report = membership_remove_now(membership=row)

    assert "en cours de traitement par une autre exécution" in report.error
    assert fake_telegram.calls("banChatMember") == []
    row.refresh_from_db()
    assert (row.state, row.has_access, row.lease_owner) == (State.INVITED, True, "another-run")


def test_resync_now_leaves_alone_a_member_a_running_sync_holds(fake_telegram, member):
    subscribe(member)
    link_telegram(member, 5551)
    row = membership(member, Platform.TELEGRAM)
    ChannelMembership.objects.filter(pk=row.pk).update(lease_owner="another-run", lease_until=clock.now() + LEASE)

    report = membership_resync_now(membership=row)

    assert "en cours de traitement par une autre exécution" in report.error
    assert fake_telegram.calls() == []
    row.refresh_from_db()
    assert (row.state, row.lease_owner) == (State.LINKED, "another-run")

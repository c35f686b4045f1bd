"""Faults, with the real commands in real processes against PostgreSQL, the SMTP server and the fake platforms.

(a) two hosts' worth of both cron commands at once: nothing is done twice;
(b) the database connection killed in the middle of each command: non-zero exit with a clear message, and the
    next run finishes the work with nothing lost or duplicated;
(c) SMTP and the platforms down for a run: failures recorded, retried by a later run.

The commands run as `manage.py` subprocesses with DATABASE_URL pointing at pytest's test database; each carries
an `application_name` so the test can find its backend in pg_stat_activity.
"""

import re
import time
from collections import Counter
from datetime import timedelta

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password

from accounts.models import User
from channels_sync import crypto
from channels_sync.models import AccountLink, ChannelAction, ChannelMembership, Platform
from core import clock
from core.models import CronRun
from notifications.models import NotificationDelivery, UserNotification
from subscriptions.models import Plan, Subscription
from tests.fakes.fake_discord import FakeDiscord
from tests.fakes.fake_telegram import FakeTelegram
from tests.harness import clean_env, database_url, manage, manage_later
from tests.redis_server import free_port
from tests.smtp_server import SMTPTestServer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

State = ChannelMembership.State
NOTIFICATIONS = "process_subscription_notifications"
CHANNELS = "manage_channel_members"
DB_DOWN = "Base de données indisponible, exécution interrompue"
NEXT_CRON_RUN = 15 * 60  # manage_channel_members runs every 15 minutes (deploy/crontab)


# The outside world


@pytest.fixture
def smtp():
    server = SMTPTestServer().start()
    yield server
    server.stop()


@pytest.fixture
def telegram():
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


@pytest.fixture
def discord():
    fake = FakeDiscord().start()
    yield fake
    fake.stop()


def closed_url(scheme: str = "http") -> str:
    """An address where nothing listens: the service is down."""
    return f"{scheme}://127.0.0.1:{free_port()}"


def cron_env(*, app: str, smtp_url: str, telegram: FakeTelegram, discord: FakeDiscord, **urls) -> dict:
    return clean_env(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_DEBUG="0",
        DATABASE_URL=f"{database_url()}?application_name={app}",
        EMAIL_URL=smtp_url,
        EMAIL_TIMEOUT="5",
        FIELD_ENCRYPTION_KEY=settings.FIELD_ENCRYPTION_KEY,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_CHANNEL_ID=telegram.chat_id,
        TELEGRAM_API_BASE_URL=urls.get("telegram_url", telegram.base_url),
        TELEGRAM_MAX_REQUESTS_PER_SECOND="0",
        DISCORD_BOT_TOKEN=discord.bot_token,
        DISCORD_GUILD_ID=discord.guild_id,
        DISCORD_ROLE_ID=discord.role_id,
        DISCORD_CLIENT_ID=discord.client_id,
        DISCORD_CLIENT_SECRET=discord.client_secret,
        DISCORD_API_BASE_URL=urls.get("discord_url", discord.base_url),
        DISCORD_MAX_REQUESTS_PER_SECOND="0",
        LOG_LEVEL="WARNING",
    )


def smtp_url(server: SMTPTestServer) -> str:
    return f"smtp://{server.host}:{server.port}"


def finish(process, timeout: float = 180) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


# The data: members due a reminder, members to let in, members to let out


def _users(prefix: str, count: int) -> list[User]:
    password = make_password("MotDePasse123!")
    User.objects.bulk_create(
        User(
            email=f"{prefix}{i}@example.com",
            first_name="Marie",
            last_name="Curie",
            is_verified=True,
            telegram_username=f"{prefix}_{i:05d}",
            password=password,
        )
        for i in range(count)
    )
    return list(User.objects.filter(email__startswith=prefix).order_by("pk"))


def _plan(slug: str, *, channels: bool) -> Plan:
    return Plan.objects.create(
        name=slug,
        slug=slug,
        price=49,
        currency="EUR",
        duration_days=30,
        grants_telegram=channels,
        grants_discord=channels,
    )


def seed_due_reminders(count: int, prefix: str = "rappel") -> list[User]:
    """Members whose coverage ends in 7 local days: "Renouvellement recommandé" is due for each (no channels)."""
    users = _users(prefix, count)
    plan = _plan(f"{prefix}-plan", channels=False)
    ends_at = clock.start_of_local_day(clock.add_days(clock.local_date(), 7)) + timedelta(hours=18)
    Subscription.objects.bulk_create(
        Subscription(user=u, plan=plan, starts_at=ends_at - timedelta(days=30), ends_at=ends_at) for u in users
    )
    return users


def seed_channel_members(count: int, discord: FakeDiscord, prefix: str = "entrant") -> list[User]:
    """Paid-up members with both accounts linked: each must get a Telegram invite and the Discord role."""
    users = _users(prefix, count)
    plan = _plan(f"{prefix}-plan", channels=True)
    now = clock.now()
    Subscription.objects.bulk_create(
        Subscription(user=u, plan=plan, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=29))
        for u in users
    )
    _link(users, discord, state=State.LINKED, has_access=False)
    return users


def seed_expired_members(count: int, telegram: FakeTelegram, discord: FakeDiscord, prefix: str = "sortant"):
    """Members in both channels whose subscription ended an hour ago: each must be removed once."""
    users = _users(prefix, count)
    plan = _plan(f"{prefix}-plan", channels=True)
    ends_at = clock.now() - timedelta(hours=1)
    Subscription.objects.bulk_create(
        Subscription(user=u, plan=plan, starts_at=ends_at - timedelta(days=30), ends_at=ends_at) for u in users
    )
    _link(users, discord, state=State.MEMBER, has_access=True)
    for user in users:
        telegram.members[telegram_id(user)] = "member"
        discord.members[discord_id(user)] = {discord.role_id}
    return users


def telegram_id(user) -> int:
    return 7_000_000 + user.pk


def discord_id(user) -> str:
    return str(900_000_000_000_000_000 + user.pk)


def _link(users, discord: FakeDiscord, *, state: str, has_access: bool) -> None:
    now = clock.now()
    links, memberships = [], []
    for user in users:
        access, refresh = discord.grant(user_id=discord_id(user))
        links.append(
            AccountLink(user=user, platform=Platform.TELEGRAM, remote_id=str(telegram_id(user)), linked_at=now)
        )
        links.append(
            AccountLink(
                user=user,
                platform=Platform.DISCORD,
                remote_id=discord_id(user),
                access_token_encrypted=crypto.encrypt(access),
                refresh_token_encrypted=crypto.encrypt(refresh),
                token_expires_at=now + timedelta(days=7),
                linked_at=now,
            )
        )
        for platform in Platform.values:
            memberships.append(ChannelMembership(user=user, platform=platform, state=state, has_access=has_access))
    AccountLink.objects.bulk_create(links)
    ChannelMembership.objects.bulk_create(memberships)


# What the outside world saw


def _done(calls):
    """The calls the platform carried out (refused ones changed nothing)."""
    return [call for call in calls if 200 <= call.status < 300]


def invites_per_member(telegram: FakeTelegram) -> Counter:
    return Counter(call.body["name"] for call in _done(telegram.calls("createChatInviteLink")))


def telegram_removals(telegram: FakeTelegram) -> Counter:
    return Counter(int(call.body["user_id"]) for call in _done(telegram.calls("banChatMember")))


def discord_calls_per_member(discord: FakeDiscord, name: str) -> Counter:
    prefix = f"{discord.PREFIX}/guilds/{discord.guild_id}/members/"
    return Counter(call.path.removeprefix(prefix).split("/")[0] for call in _done(discord.calls(name)))


def assert_everyone_in_once(users, telegram: FakeTelegram, discord: FakeDiscord) -> None:
    expected = Counter({f"membre-{u.pk}": 1 for u in users})
    assert invites_per_member(telegram) == expected
    assert discord_calls_per_member(discord, "add_member") == Counter({discord_id(u): 1 for u in users})
    assert set(ChannelMembership.objects.filter(user__in=users).values_list("platform", "state", "has_access")) == {
        (Platform.TELEGRAM, State.INVITED, True),
        (Platform.DISCORD, State.MEMBER, True),
    }
    ok = ChannelAction.objects.filter(user__in=users, outcome="ok", action__in=["invite", "add"])
    assert Counter(ok.values_list("user_id", "action")) == Counter(
        {**{(u.pk, "invite"): 1 for u in users}, **{(u.pk, "add"): 1 for u in users}}
    )


def assert_everyone_out_once(users, telegram: FakeTelegram, discord: FakeDiscord) -> None:
    assert telegram_removals(telegram) == Counter({telegram_id(u): 1 for u in users})
    assert discord_calls_per_member(discord, "remove_role") == Counter({discord_id(u): 1 for u in users})
    assert set(ChannelMembership.objects.filter(user__in=users).values_list("state", "has_access")) == {
        (State.REMOVED, False)
    }


def assert_one_reminder_and_one_email_each(users, smtp: SMTPTestServer) -> None:
    notifications = UserNotification.objects.filter(user__in=users)
    assert Counter(notifications.values_list("user_id", flat=True)) == Counter({u.pk: 1 for u in users})
    assert Counter(smtp.recipients()) == Counter({u.email: 1 for u in users})
    deliveries = NotificationDelivery.objects.filter(notification__user__in=users)
    linked = set(AccountLink.objects.filter(platform=Platform.TELEGRAM).values_list("user_id", flat=True))
    expected: Counter[tuple[str, str]] = Counter()
    for user in users:
        expected[("in_app", "sent")] += 1
        expected[("email", "sent")] += 1
        expected[("telegram", "sent" if user.pk in linked else "skipped")] += 1
    assert Counter(deliveries.values_list("channel", "status")) == expected


def telegram_messages_per_chat(telegram: FakeTelegram) -> Counter:
    return Counter(int(message["chat_id"]) for message in telegram.messages)


# Killing a command's database connection at a chosen point


def _is_claim(statement: str) -> bool:
    # manage_channel_members' claim sets the lease and nothing else; recording an outcome also resets "attempts".
    return '"lease_owner" =' in statement and '"lease_until" = NULL' not in statement and '"attempts"' not in statement


def _is_record(statement: str) -> bool:
    # Recording a member's outcome after the remote call: the lease is cleared and "attempts" reset (the 0 is a
    # $n parameter in pg_stat_activity with server-side binding, a literal without).
    return re.search(r'"attempts" = (0|\$\d+)\b', statement) is not None


def kill_backend_when_blocked(
    app: str, table: str, *, claim: bool = False, record: bool = False, timeout: float = 60
) -> str:
    """Locks `table` (SHARE: reads pass, writes wait) until the command `app` waits on it (in a claim if
    `claim`), then terminates that backend. Returns the statement it was killed in."""
    deadline = time.monotonic() + timeout
    dsn = database_url()
    with psycopg.connect(dsn, autocommit=True) as watcher:
        while time.monotonic() < deadline:
            with psycopg.connect(dsn) as locker:
                locker.execute(f"LOCK TABLE {table} IN SHARE MODE")
                blocked = _wait_blocked(watcher, app, deadline=min(deadline, time.monotonic() + 5))
                wanted = (
                    (not claim or _is_claim(blocked[1])) and (not record or _is_record(blocked[1])) if blocked else 0
                )
                if wanted:
                    watcher.execute("SELECT pg_terminate_backend(%s)", [blocked[0]])
                    locker.rollback()
                    return blocked[1]
                locker.rollback()  # blocked elsewhere (or not yet): let it go on and try again
            time.sleep(0.01)
    raise TimeoutError(f"{app} never waited on {table} at the point asked (claim={claim}, record={record})")


def _wait_blocked(watcher, app: str, *, deadline: float):
    while time.monotonic() < deadline:
        row = watcher.execute(
            "SELECT pid, query FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'",
            [app],
        ).fetchone()
        if row:
            return row
        time.sleep(0.005)
    return None


def wait_until(predicate, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition never met")
        time.sleep(0.01)


# (a) Two hosts at once


def test_two_hosts_running_both_commands_at_once_do_everything_exactly_once(smtp, telegram, discord):
    due = seed_due_reminders(150)
    entering = seed_channel_members(60, discord)
    leaving = seed_expired_members(30, telegram, discord)
    telegram.latency = discord.latency = 0.005  # the runs overlap instead of one finishing first

    runs = [
        manage(
            command,
            "--batch-size",
            "7",
            env=cron_env(app=f"host{host}-{command}", smtp_url=smtp_url(smtp), telegram=telegram, discord=discord),
        )
        for command in (NOTIFICATIONS, CHANNELS)
        for host in (1, 2)
    ]
    results = [finish(run) for run in runs]

    for code, out, err in results:
        assert code == 0, (out, err)
    # The leavers' coverage ended today: they are due a reminder too; the newcomers are not.
    assert_one_reminder_and_one_email_each(due + leaving, smtp)
    assert not UserNotification.objects.filter(user__in=entering).exists()
    assert_everyone_in_once(entering, telegram, discord)
    assert_everyone_out_once(leaving, telegram, discord)
    # One private message each: the invite for newcomers, the reminder for leavers (their Telegram is linked).
    assert telegram_messages_per_chat(telegram) == Counter({telegram_id(u): 1 for u in entering + leaving})


# (b) The database connection killed in the middle of each command


def test_notifications_run_killed_mid_creation_then_next_run_completes_without_duplicates(smtp, telegram, discord):
    due = seed_due_reminders(600)
    env = cron_env(app="fault-notifications", smtp_url=smtp_url(smtp), telegram=telegram, discord=discord)

    run = manage(NOTIFICATIONS, "--batch-size", "10", env=env)
    wait_until(lambda: UserNotification.objects.count() >= 50)
    killed_in = kill_backend_when_blocked("fault-notifications", UserNotification._meta.db_table)
    code, out, err = finish(run)

    assert "INSERT" in killed_in
    assert code != 0
    assert DB_DOWN in err
    created_before = UserNotification.objects.count()
    assert 50 <= created_before < len(due)
    assert smtp.recipients() == []  # killed while creating: nothing was sent yet
    assert CronRun.objects.get(command=NOTIFICATIONS).last_failure_at is not None

    code, out, err = finish(manage(NOTIFICATIONS, env=env))

    assert code == 0, (out, err)
    assert_one_reminder_and_one_email_each(due, smtp)
    assert set(NotificationDelivery.objects.values_list("attempts", flat=True)) == {1}
    run_record = CronRun.objects.get(command=NOTIFICATIONS)
    assert run_record.last_success_at > run_record.last_failure_at


def test_channels_run_killed_mid_claim_then_next_run_completes_without_duplicates(smtp, telegram, discord):
    entering = seed_channel_members(120, discord)
    leaving = seed_expired_members(40, telegram, discord)
    env = cron_env(app="fault-channels", smtp_url=smtp_url(smtp), telegram=telegram, discord=discord)

    run = manage(CHANNELS, "--batch-size", "5", env=env)
    wait_until(lambda: ChannelAction.objects.filter(outcome="ok").count() >= 20)
    # Killed inside a claim (the lease UPDATE), the statement that hands members to this run.
    killed_in = kill_backend_when_blocked("fault-channels", ChannelMembership._meta.db_table, claim=True)
    code, out, err = finish(run)

    assert killed_in.startswith("UPDATE")
    assert code != 0
    assert DB_DOWN in err
    done_before = ChannelAction.objects.filter(outcome="ok").count()
    assert done_before < 2 * len(entering) + 2 * len(leaving)

    code, out, err = finish(manage_later(NEXT_CRON_RUN, CHANNELS, env=env))

    assert code == 0, (out, err)
    assert_everyone_in_once(entering, telegram, discord)
    assert_everyone_out_once(leaving, telegram, discord)


def test_channels_run_killed_while_recording_a_done_action_redoes_at_most_that_one(smtp, telegram, discord):
    """The window at-least-once delivery leaves: the remote call succeeded, the database died before the outcome
    was written. The next run after the lease does that member again (one extra invite), nobody else twice."""
    entering = seed_channel_members(60, discord)
    env = cron_env(app="fault-record", smtp_url=smtp_url(smtp), telegram=telegram, discord=discord)

    run = manage(CHANNELS, "--batch-size", "5", env=env)
    wait_until(lambda: ChannelAction.objects.filter(outcome="ok").count() >= 20)
    killed_in = kill_backend_when_blocked("fault-record", ChannelMembership._meta.db_table, record=True)
    code, out, err = finish(run)

    assert _is_record(killed_in)
    assert code != 0
    assert DB_DOWN in err

    code, out, err = finish(manage_later(NEXT_CRON_RUN, CHANNELS, env=env))

    assert code == 0, (out, err)
    invites = invites_per_member(telegram)
    adds = discord_calls_per_member(discord, "add_member")
    assert set(invites) == {f"membre-{u.pk}" for u in entering}
    assert set(adds) == {discord_id(u) for u in entering}
    redone = sum(n - 1 for n in invites.values()) + sum(n - 1 for n in adds.values())
    assert redone <= 1
    ok = ChannelAction.objects.filter(user__in=entering, outcome="ok", action__in=["invite", "add"])
    assert Counter(ok.values_list("user_id", "action")) == Counter(
        {**{(u.pk, "invite"): 1 for u in entering}, **{(u.pk, "add"): 1 for u in entering}}
    )


# (c) SMTP and the platforms down for a run, back for the next


def test_smtp_and_platforms_down_for_a_run_then_everything_is_delivered_later(smtp, telegram, discord):
    due = seed_due_reminders(40)
    entering = seed_channel_members(20, discord)
    leaving = seed_expired_members(10, telegram, discord)
    down = cron_env(
        app="outage",
        smtp_url=closed_url("smtp"),
        telegram=telegram,
        discord=discord,
        telegram_url=f"{closed_url()}/bot",
        discord_url=f"{closed_url()}/api/v10",
    )
    up = cron_env(app="recovered", smtp_url=smtp_url(smtp), telegram=telegram, discord=discord)

    results = {command: finish(manage(command, env=down)) for command in (NOTIFICATIONS, CHANNELS)}

    for code, _, _ in results.values():
        assert code != 0  # cron sees the failure (and the summary says it will be retried)
    assert "retentées" in results[NOTIFICATIONS][2]
    emails = NotificationDelivery.objects.filter(channel="email")
    assert set(emails.values_list("status", "attempts")) == {("pending", 1)}
    assert set(emails.values_list("last_error", flat=True)) == {
        "serveur SMTP injoignable : [Errno 111] Connection refused"
    }
    assert UserNotification.objects.filter(user__in=due + leaving).count() == len(due + leaving)  # in-app is there
    assert telegram.calls() == [] and discord.calls() == []
    assert not ChannelMembership.objects.filter(user__in=entering, has_access=True).exists()
    assert not ChannelMembership.objects.filter(user__in=leaving, has_access=False).exists()

    for command in (NOTIFICATIONS, CHANNELS):
        code, out, err = finish(manage(command, env=up))
        assert code == 0, (out, err)

    assert_one_reminder_and_one_email_each(due + leaving, smtp)
    assert set(emails.values_list("attempts", flat=True)) == {2}
    assert_everyone_in_once(entering, telegram, discord)
    assert_everyone_out_once(leaving, telegram, discord)


def test_platforms_refusing_every_member_for_a_run_then_the_later_run_lets_everyone_in(smtp, telegram, discord):
    entering = seed_channel_members(20, discord)
    env = cron_env(app="refusals", smtp_url=smtp_url(smtp), telegram=telegram, discord=discord)
    telegram.fail("createChatInviteLink", 500, times=10**6)
    discord.fail("add_member", 400, times=10**6, description="Erreur temporaire")

    code, out, err = finish(manage(CHANNELS, env=env))

    assert code == 0, (out, err)  # one member's failure never fails the run: it is retried with backoff
    assert "20 échecs" in out
    failed = ChannelAction.objects.filter(user__in=entering, outcome="failed")
    assert Counter(failed.values_list("action", flat=True)) == Counter({"invite": 20, "add": 20})
    memberships = ChannelMembership.objects.filter(user__in=entering)
    assert set(memberships.values_list("has_access", "attempts")) == {(False, 1)}
    assert all(memberships.values_list("last_error", flat=True))
    assert not memberships.filter(next_attempt_at__isnull=True).exists()

    with telegram.lock, discord.lock:
        telegram.failures.clear()
        discord.failures.clear()
    code, out, err = finish(manage(CHANNELS, env=env))  # right away: the backoff is not over, nothing is tried
    assert code == 0, (out, err)
    assert invites_per_member(telegram) == Counter()

    code, out, err = finish(manage_later(NEXT_CRON_RUN, CHANNELS, env=env))

    assert code == 0, (out, err)
    assert_everyone_in_once(entering, telegram, discord)
    assert set(memberships.values_list("attempts", "last_error")) == {(0, "")}

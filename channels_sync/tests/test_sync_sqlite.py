"""SQLite, the embedded default, with several writers at once: they queue instead of failing with "database is
locked" (settings: `transaction_mode` IMMEDIATE and a busy `timeout`).

pytest's SQLite database is in memory and shared by the threads of this process, which is not how SQLite runs
in production; so these tests run the real code in other processes on a SQLite file, against the fake
platforms of this one.
"""

import json
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections import Counter

import pytest
from django.conf import settings
from django.db import connection

from channels_sync.tests import sqlite_file
from tests.harness import ROOT, clean_env, manage

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="proves SQLite's behaviour: runs in the SQLite pass of .ci/run"
)
MEMBERS = 24


@pytest.fixture(scope="module")
def migrated_file(tmp_path_factory):
    """A migrated SQLite file, made once per module (each test works on a copy)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    env = clean_env(DJANGO_SETTINGS_MODULE="config.settings.local", DATABASE_URL=f"sqlite:///{path}")
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def env(migrated_file, tmp_path, fake_telegram, fake_discord):
    """The environment of a process working on a fresh copy of the migrated file, with `MEMBERS` members to let in."""
    path = tmp_path / "calmnessfi.sqlite3"
    shutil.copy(migrated_file, path)
    values = clean_env(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_DEBUG="0",
        DATABASE_URL=f"sqlite:///{path}",
        FIELD_ENCRYPTION_KEY=settings.FIELD_ENCRYPTION_KEY,
        TELEGRAM_BOT_TOKEN=fake_telegram.token,
        TELEGRAM_CHANNEL_ID=fake_telegram.chat_id,
        TELEGRAM_BOT_USERNAME="calmnessfi_test_bot",
        TELEGRAM_API_BASE_URL=fake_telegram.base_url,
        TELEGRAM_MAX_REQUESTS_PER_SECOND="0",
        DISCORD_BOT_TOKEN=fake_discord.bot_token,
        DISCORD_GUILD_ID=fake_discord.guild_id,
        DISCORD_ROLE_ID=fake_discord.role_id,
        DISCORD_CLIENT_ID=fake_discord.client_id,
        DISCORD_CLIENT_SECRET=fake_discord.client_secret,
        DISCORD_API_BASE_URL=fake_discord.base_url,
        DISCORD_MAX_REQUESTS_PER_SECOND="0",
        LOG_LEVEL="WARNING",
    )
    shell(f"from channels_sync.tests.sqlite_file import seed; seed({MEMBERS})", env=values)
    for index in range(MEMBERS):
        access, refresh = sqlite_file.discord_tokens(index)
        fake_discord.access_tokens[access] = fake_discord.refresh_tokens[refresh] = sqlite_file.discord_id(index)
    # Every answer takes a little while, so the runs overlap from start to end instead of one finishing first.
    fake_telegram.latency = fake_discord.latency = 0.002
    values["SQLITE_PATH"] = str(path)
    return values


def shell(code: str, *, env: dict) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def in_step(fake, call: str, runs: int) -> None:
    """The runs wait for each other at their first call to the platform (the bot's login), so their claims and
    records overlap from there on instead of one run finishing first."""
    barrier = threading.Barrier(runs, timeout=20)

    def hook(record) -> None:
        if fake.name_of(record.method, record.path) == call:
            barrier.wait()

    fake.on_request = hook


def memberships(env: dict) -> Counter:
    with sqlite3.connect(env["SQLITE_PATH"]) as db:
        rows = db.execute("SELECT platform, state, has_access FROM channels_sync_channelmembership").fetchall()
    return Counter(rows)


def assert_everyone_let_in_once(fake_telegram, fake_discord, env) -> None:
    invites = Counter(c.body["name"] for c in fake_telegram.calls("createChatInviteLink") if c.status == 200)
    assert sorted(invites.values()) == [1] * MEMBERS
    adds = Counter(c.path for c in fake_discord.calls("add_member") if c.status == 201)
    assert sorted(adds.values()) == [1] * MEMBERS
    assert memberships(env) == Counter({("telegram", "invited", 1): MEMBERS, ("discord", "member", 1): MEMBERS})


def test_two_overlapping_cron_runs_on_sqlite_both_succeed_and_let_everyone_in_once(env, fake_telegram, fake_discord):
    in_step(fake_telegram, "getMe", runs=2)
    in_step(fake_discord, "me", runs=2)

    runs = [manage("manage_channel_members", "--batch-size", "1", env=env) for _ in range(2)]
    results = [(*run.communicate(timeout=180), run.returncode) for run in runs]

    for out, err, code in results:
        assert code == 0, (out, err)
        assert "database is locked" not in err
    assert_everyone_let_in_once(fake_telegram, fake_discord, env)


def test_four_syncs_in_threads_of_one_process_on_sqlite_all_succeed(env, fake_telegram, fake_discord):
    code = (
        "from channels_sync.tests.sqlite_file import sync_in_threads; "
        "sync_in_threads(['telegram', 'telegram', 'discord', 'discord'])"
    )

    result = json.loads(shell(code, env=env).strip().splitlines()[-1])

    assert result["errors"] == []
    assert sum(r["invited"] for r in result["reports"]) == MEMBERS
    assert sum(r["added"] for r in result["reports"]) == MEMBERS
    assert_everyone_let_in_once(fake_telegram, fake_discord, env)

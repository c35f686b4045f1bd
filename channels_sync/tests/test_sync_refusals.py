"""Refusals: one member refused by the platform is that member's failure (recorded, backed off, "action required"
with its reason) and the run goes on; a refusal of the bot itself stops the platform with a message naming what
to fix. Against the fake platforms, which answer as Discord and Telegram document."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.tests.factories import UserFactory
from channels_sync.models import ChannelAction, ChannelMembership, Platform
from channels_sync.selectors import channel_status_for
from channels_sync.tests.factories import link_discord, link_telegram, membership, subscribe
from conftest import client_for
from core import clock
from tests.fakes.fake_discord import KICK_MEMBERS

pytestmark = pytest.mark.django_db
State = ChannelMembership.State
Reason = ChannelMembership.Reason


def sync(platform: str) -> str:
    """One cron run that must succeed (a CommandError, exit code 1, fails the test)."""
    out = StringIO()
    call_command("manage_channel_members", "--platform", platform, stdout=out, stderr=out)
    return out.getvalue()


def failing_sync(platform: str) -> str:
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("manage_channel_members", "--platform", platform, stdout=out, stderr=out)
    return out.getvalue()


def discord_members(fake, count: int, prefix: str = "3000000000000007") -> list:
    users = UserFactory.create_batch(count)
    for index, user in enumerate(users):
        subscribe(user)
        link_discord(user, fake, f"{prefix}{index:02d}")
    return users


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


# Member-level refusals: that member only, and the run goes on


def test_a_member_banned_from_the_server_is_their_own_failure_and_the_others_are_added(fake_discord, admin_client):
    first, banned, _third = discord_members(fake_discord, 3)
    fake_discord.ban(user_id="300000000000000701")

    output = sync("discord")  # exit code 0

    assert "0 invité, 2 ajoutés, 0 retiré, 1 échec" in output
    assert set(fake_discord.members) == {"300000000000000700", "300000000000000702"}
    row = membership(banned, Platform.DISCORD)
    assert (row.state, row.action_reason, row.has_access, row.attempts) == (
        State.ACTION_REQUIRED,
        Reason.BANNED,
        False,
        1,
    )
    assert clock.now() + timedelta(hours=23) < row.next_attempt_at <= clock.now() + timedelta(hours=24)
    assert "banni du serveur" in row.last_error and row.lease_owner == ""
    [refused] = ChannelAction.objects.filter(user=banned, action="add", outcome="failed")
    assert refused.response == {"status": 403, "code": 40007}
    # What the member sees (dashboard channel block) and what the admin sees (list of channel accesses)
    step = client_for(banned).get("/api/auth/user/dashboard/").json()["channels"]["discord"]["next_step"]
    assert "banni du serveur" in step and "Reconnectez" not in step
    listing = admin_client.get("/admin/channels_sync/channelmembership/?action_reason=banned").content.decode()
    assert "Banni du serveur" in listing and banned.email in listing and first.email not in listing

    fake_discord.reset_requests()
    sync("discord")  # the next run: backed off, not tried again, and nothing stops on it

    assert fake_discord.calls("add_member") == []


def test_the_banned_member_is_added_once_the_ban_is_lifted_and_the_backoff_over(fake_discord):
    [banned] = discord_members(fake_discord, 1)
    fake_discord.ban(user_id="300000000000000700")
    sync("discord")

    fake_discord.banned.clear()
    with time_machine.travel(clock.now() + timedelta(hours=24, minutes=1)):
        sync("discord")

    row = membership(banned, Platform.DISCORD)
    assert (row.state, row.action_reason, row.attempts, row.last_error) == (State.MEMBER, "", 0, "")
    assert fake_discord.members["300000000000000700"] == {fake_discord.role_id}


def test_kick_refused_for_a_member_whose_role_is_above_the_bots_is_their_failure_only(fake_discord, settings):
    settings.DISCORD_REMOVAL_MODE = "kick"
    users = discord_members(fake_discord, 3)
    sync("discord")
    fake_discord.give_staff_role(user_id="300000000000000701")
    ends = max(s.ends_at for u in users for s in u.subscriptions.all())

    with time_machine.travel(ends + timedelta(minutes=1)):
        output = sync("discord")  # exit code 0

        assert "0 ajouté, 2 retirés, 1 échec" in output
        assert set(fake_discord.members) == {"300000000000000701"}
        assert [c.status for c in fake_discord.calls("kick")] == [204, 403, 204]
        row = membership(users[1], Platform.DISCORD)
        assert (row.state, row.action_reason, row.has_access) == (State.ACTION_REQUIRED, Reason.ROLE_ABOVE_BOT, True)
        assert "n'est pas sous celui du bot" in row.last_error
        assert "rôle sur le serveur Discord" in channel_status_for(users[1])["discord"]["next_step"]
        assert "1 membre a encore accès" in output  # reported by every run until someone acts


def test_kick_refused_because_the_bot_lost_kick_members_stops_discord(fake_discord, settings):
    settings.DISCORD_REMOVAL_MODE = "kick"
    users = discord_members(fake_discord, 2)
    sync("discord")
    fake_discord.take_bot_permission(KICK_MEMBERS)
    ends = max(s.ends_at for u in users for s in u.subscriptions.all())

    with time_machine.travel(ends + timedelta(minutes=1)):
        output = failing_sync("discord")

    assert "droits nécessaires sur le serveur" in output and "Expulser des membres" in output
    assert len(fake_discord.calls("kick")) == 1  # the first refusal stops the platform
    for user in users:
        row = membership(user, Platform.DISCORD)
        assert (row.attempts, row.action_reason, row.lease_owner) == (0, "", "")


def test_an_unknown_discord_user_shows_action_required_asking_for_the_current_account(fake_discord):
    gone, _other = discord_members(fake_discord, 2)
    fake_discord.unknown_users.add("300000000000000700")

    output = sync("discord")

    assert "1 ajouté, 0 retiré, 1 échec" in output
    row = membership(gone, Platform.DISCORD)
    assert (row.state, row.action_reason) == (State.ACTION_REQUIRED, Reason.UNKNOWN_ACCOUNT)
    assert "compte Discord actuel" in channel_status_for(gone)["discord"]["next_step"]


def test_repeated_passing_failures_show_action_required_with_their_reason(fake_telegram, member, settings):
    settings.CHANNEL_MAX_ATTEMPTS = 1
    subscribe(member)
    link_telegram(member, 5551)
    fake_telegram.fail("createChatInviteLink", 500, times=10)

    sync("telegram")

    row = membership(member, Platform.TELEGRAM)
    assert (row.state, row.action_reason) == (State.ACTION_REQUIRED, Reason.REPEATED_FAILURES)
    assert "/start" in channel_status_for(member)["telegram"]["next_step"]


# Platform-level refusals: the platform stops, with a message naming what to fix


def test_a_wrong_telegram_channel_id_says_the_channel_is_not_found(fake_telegram, member, settings):
    subscribe(member)
    link_telegram(member, 5551)
    settings.TELEGRAM_CHANNEL_ID = "-1009999999999"  # the fake answers "Bad Request: chat not found" for it

    output = failing_sync("telegram")

    assert "le canal -1009999999999 est introuvable" in output and "TELEGRAM_CHANNEL_ID" in output
    assert "droits nécessaires" not in output
    assert len(fake_telegram.calls("createChatInviteLink")) == 1
    row = membership(member, Platform.TELEGRAM)
    assert (row.attempts, row.state, row.lease_owner) == (0, State.LINKED, "")


def test_a_telegram_bot_without_the_ban_right_stops_at_removal_saying_so(fake_telegram, member):
    subscription = subscribe(member)
    link_telegram(member, 5551)
    sync("telegram")
    fake_telegram.bot_can_restrict = False

    with time_machine.travel(subscription.ends_at + timedelta(minutes=1)):
        output = failing_sync("telegram")

    assert "n'a pas les droits nécessaires dans le canal" in output and "Bannir des utilisateurs" in output
    row = membership(member, Platform.TELEGRAM)
    assert (row.attempts, row.state, row.has_access) == (0, State.INVITED, True)


def test_a_discord_bot_token_refused_mid_run_stops_discord_as_a_token_problem(fake_discord):
    users = discord_members(fake_discord, 2)
    fake_discord.fail("add_member", 401, times=5, description="401: Unauthorized")

    output = failing_sync("discord")

    assert "le jeton du bot est refusé (DISCORD_BOT_TOKEN)" in output
    assert len(fake_discord.calls("add_member")) == 1
    assert {membership(u, Platform.DISCORD).attempts for u in users} == {0}

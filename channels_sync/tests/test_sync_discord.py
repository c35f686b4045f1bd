"""manage_channel_members on Discord, through discord.py's HTTP client, against the fake Discord API."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.tests.factories import UserFactory
from channels_sync import crypto
from channels_sync.models import AccountLink, ChannelAction, ChannelMembership, Platform
from channels_sync.tests.factories import link_discord, membership, subscribe
from tests.fakes.fake_discord import BOT_USER_ID

pytestmark = pytest.mark.django_db
State = ChannelMembership.State
DISCORD_ID = "300000000000000001"


def sync(*args) -> str:
    out = StringIO()
    call_command("manage_channel_members", "--platform", "discord", *args, stdout=out, stderr=out)
    return out.getvalue()


def test_first_subscription_adds_the_member_with_the_subscriber_role(fake_discord, member):
    subscription = subscribe(member)
    link_discord(member, fake_discord, DISCORD_ID)

    sync()

    assert fake_discord.members[DISCORD_ID] == {fake_discord.role_id}
    [put] = fake_discord.calls("add_member")
    assert put.body["roles"] == [fake_discord.role_id]
    assert fake_discord.access_tokens[put.body["access_token"]] == DISCORD_ID
    assert fake_discord.calls("me")[0].headers["Authorization"] == f"Bot {fake_discord.bot_token}"
    assert membership(member, Platform.DISCORD).state == State.MEMBER
    subscription.refresh_from_db()
    assert subscription.discord_added is True


def test_someone_already_in_the_guild_gets_the_role(fake_discord, member):
    subscribe(member)
    link_discord(member, fake_discord, DISCORD_ID)
    fake_discord.members[DISCORD_ID] = set()

    sync()

    assert fake_discord.members[DISCORD_ID] == {fake_discord.role_id}
    assert len(fake_discord.calls("add_role")) == 1


def test_expiry_removes_the_role_and_renewal_gives_it_back(fake_discord, member):
    subscription = subscribe(member)
    link_discord(member, fake_discord, DISCORD_ID)
    sync()

    with time_machine.travel(subscription.ends_at + timedelta(minutes=1)):
        sync()
        assert fake_discord.members[DISCORD_ID] == set()  # still on the server, without the role
        assert membership(member, Platform.DISCORD).state == State.REMOVED
        subscription.refresh_from_db()
        assert subscription.discord_added is False

        subscribe(member)
        sync()
        assert fake_discord.members[DISCORD_ID] == {fake_discord.role_id}
        assert membership(member, Platform.DISCORD).state == State.MEMBER


def test_kick_mode_removes_the_member_from_the_guild(fake_discord, member, settings):
    settings.DISCORD_REMOVAL_MODE = "kick"
    subscription = subscribe(member)
    link_discord(member, fake_discord, DISCORD_ID)
    sync()

    with time_machine.travel(subscription.ends_at + timedelta(minutes=1)):
        sync()
    assert DISCORD_ID not in fake_discord.members
    assert len(fake_discord.calls("kick")) == 1


def test_expired_access_token_is_refreshed_and_the_new_single_use_refresh_token_stored(fake_discord, member):
    subscribe(member)
    link = link_discord(member, fake_discord, DISCORD_ID, expires_in=timedelta(minutes=-1))
    old_refresh = crypto.decrypt(link.refresh_token_encrypted)

    sync()

    link.refresh_from_db()
    new_refresh = crypto.decrypt(link.refresh_token_encrypted)
    assert new_refresh != old_refresh
    assert new_refresh in fake_discord.refresh_tokens
    assert old_refresh not in fake_discord.refresh_tokens
    assert fake_discord.members[DISCORD_ID] == {fake_discord.role_id}


def test_refused_refresh_marks_action_required_and_never_removes(fake_discord, member):
    subscribe(member)
    link = link_discord(member, fake_discord, DISCORD_ID, expires_in=timedelta(minutes=-1))
    fake_discord.refresh_tokens.clear()  # revoked on Discord's side

    output = sync()

    state = membership(member, Platform.DISCORD)
    assert state.state == State.ACTION_REQUIRED
    assert "reconnecter" in state.last_error
    assert "1 échec" in output
    assert fake_discord.calls("remove_role") == [] and fake_discord.calls("kick") == []
    assert AccountLink.objects.filter(pk=link.pk).exists()


def test_rate_limit_with_via_header_is_handled_by_discord_py(fake_discord):
    users = UserFactory.create_batch(3)
    for index, user in enumerate(users):
        subscribe(user)
        link_discord(user, fake_discord, f"30000000000000010{index}")
    fake_discord.fail("add_member", 429, retry_after=0.2)

    sync()

    statuses = [c.status for c in fake_discord.calls("add_member")]
    assert statuses.count(429) == 1
    assert statuses.count(201) == 3
    assert len(fake_discord.members) == 3


def test_unknown_user_fails_alone_while_others_are_added(fake_discord):
    users = UserFactory.create_batch(3)
    for index, user in enumerate(users):
        subscribe(user)
        link_discord(user, fake_discord, f"30000000000000020{index}")
    fake_discord.unknown_users.add("300000000000000201")

    output = sync()

    assert "0 invité, 2 ajoutés, 0 retiré, 1 échec" in output
    failing = membership(users[1], Platform.DISCORD)
    assert failing.attempts == 1 and failing.next_attempt_at is not None
    assert ChannelAction.objects.filter(user=users[1], action="add", outcome="failed").count() == 1


def test_missing_permissions_stops_discord_with_a_french_error(fake_discord, member):
    subscribe(member)
    link_discord(member, fake_discord, DISCORD_ID)
    fake_discord.fail("add_member", 403, times=5)

    out = StringIO()
    with pytest.raises(CommandError):
        call_command("manage_channel_members", "--platform", "discord", stdout=out, stderr=out)
    assert "droits nécessaires sur le serveur" in out.getvalue()


@pytest.mark.parametrize(
    ("setting", "wrong_id", "said"),
    [
        ("DISCORD_GUILD_ID", "800000000000000099", "Unknown Guild"),
        ("DISCORD_ROLE_ID", "800000000000000098", "Unknown Role"),
    ],
)
def test_wrong_guild_or_role_id_stops_discord_naming_the_setting(fake_discord, settings, setting, wrong_id, said):
    users = UserFactory.create_batch(2)
    for index, user in enumerate(users):
        subscribe(user)
        link_discord(user, fake_discord, f"30000000000000030{index}")
    setattr(settings, setting, wrong_id)

    out = StringIO()
    with pytest.raises(CommandError):
        call_command("manage_channel_members", "--platform", "discord", stdout=out, stderr=out)

    output = out.getvalue()
    assert setting in output and said in output
    assert "Reconnectez" not in output
    assert len(fake_discord.calls("add_member")) == 1  # the first refusal stops the platform
    for user in users:
        state = membership(user, Platform.DISCORD)
        assert state.attempts == 0 and state.state != State.ACTION_REQUIRED


def test_nothing_to_change_makes_no_call_not_even_login(fake_discord, member):
    subscribe(member)
    link_discord(member, fake_discord, DISCORD_ID)
    sync()
    fake_discord.reset_requests()

    sync()

    assert fake_discord.calls() == []


def test_dry_run_makes_no_call(fake_discord, member):
    subscribe(member)
    link_discord(member, fake_discord, DISCORD_ID)

    output = sync("--dry-run")

    assert member.email in output
    assert fake_discord.calls() == []
    assert membership(member, Platform.DISCORD).state == State.LINKED


def test_relinking_another_account_removes_the_old_one_first(fake_discord, member):
    subscribe(member)
    link_discord(member, fake_discord, DISCORD_ID)
    sync()
    other = "300000000000000999"
    code = fake_discord.authorise(user_id=other)
    from urllib.parse import parse_qs, urlsplit

    from channels_sync.linking import discord_link_complete, discord_link_url

    authorization = discord_link_url(user=member)
    state = parse_qs(urlsplit(authorization.url).query)["state"][0]
    discord_link_complete(code=code, state=state, browser_key=authorization.browser_key)

    sync()

    assert fake_discord.members[DISCORD_ID] == set()
    assert fake_discord.members[other] == {fake_discord.role_id}
    assert BOT_USER_ID not in fake_discord.members


def test_both_platforms_off_is_said_once_each(member):
    out = StringIO()
    call_command("manage_channel_members", stdout=out)
    assert out.getvalue().count("Telegram désactivé") == 1
    assert out.getvalue().count("Discord désactivé") == 1


def test_one_platform_off_the_other_works(fake_discord, member):
    subscribe(member)
    link_discord(member, fake_discord, DISCORD_ID)
    out = StringIO()

    call_command("manage_channel_members", stdout=out)

    assert "Telegram désactivé" in out.getvalue()
    assert fake_discord.members[DISCORD_ID] == {fake_discord.role_id}


def test_a_passing_server_error_is_retried_by_discord_py(fake_discord, member):
    subscribe(member)
    link_discord(member, fake_discord, DISCORD_ID)
    fake_discord.fail("add_member", 500, times=1)

    sync()

    statuses = [c.status for c in fake_discord.calls("add_member")]
    assert statuses == [500, 201]
    assert membership(member, Platform.DISCORD).state == State.MEMBER


def test_member_who_reconnects_discord_after_action_required_is_added(fake_discord, member):
    from urllib.parse import parse_qs, urlsplit

    from channels_sync.linking import discord_link_complete, discord_link_url

    subscribe(member)
    link_discord(member, fake_discord, DISCORD_ID, expires_in=timedelta(minutes=-1))
    fake_discord.refresh_tokens.clear()
    sync()
    assert membership(member, Platform.DISCORD).state == State.ACTION_REQUIRED

    authorization = discord_link_url(user=member)
    state = parse_qs(urlsplit(authorization.url).query)["state"][0]
    code = fake_discord.authorise(user_id=DISCORD_ID)
    discord_link_complete(code=code, state=state, browser_key=authorization.browser_key)
    sync()

    assert membership(member, Platform.DISCORD).state == State.MEMBER
    assert fake_discord.members[DISCORD_ID] == {fake_discord.role_id}

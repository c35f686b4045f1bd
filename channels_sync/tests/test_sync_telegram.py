"""manage_channel_members on Telegram, through python-telegram-bot, against the fake Bot API."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.tests.factories import UserFactory
from channels_sync.models import ChannelAction, ChannelMembership, Platform
from channels_sync.tests.factories import link_telegram, membership, subscribe
from core import clock

pytestmark = pytest.mark.django_db
State = ChannelMembership.State


def sync(*args) -> str:
    out = StringIO()
    call_command("manage_channel_members", "--platform", "telegram", *args, stdout=out, stderr=out)
    return out.getvalue()


def test_first_subscription_gets_a_single_use_invite_by_private_message(fake_telegram, member):
    subscribe(member)
    link_telegram(member, 5551)

    sync()

    [invite_call] = fake_telegram.calls("createChatInviteLink")
    assert invite_call.body["member_limit"] == 1
    assert "expire_date" in invite_call.body
    state = membership(member, Platform.TELEGRAM)
    assert state.state == State.INVITED
    assert state.has_access
    assert state.invite_link in fake_telegram.invite_links
    [message] = fake_telegram.messages
    assert message["chat_id"] == 5551
    assert state.invite_link in message["text"]
    assert ChannelAction.objects.filter(user=member, action="invite", outcome="ok").count() == 1


def test_joining_with_own_link_makes_a_member_and_marks_the_subscription(fake_telegram, member, api_client):
    subscription = subscribe(member)
    link_telegram(member, 5551)
    sync()
    link = membership(member, Platform.TELEGRAM).invite_link

    update = fake_telegram.join(user_id=5551, invite_link=link)
    response = api_client.post(
        "/api/telegram/webhook/", update, format="json", HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="secret-de-test"
    )

    assert response.status_code == 200
    assert membership(member, Platform.TELEGRAM).state == State.MEMBER
    subscription.refresh_from_db()
    assert subscription.telegram_added is True


def test_expiry_removes_with_ban_then_unban_and_renewal_invites_again(fake_telegram, member):
    subscription = subscribe(member, days=30)
    link_telegram(member, 5551)
    sync()
    fake_telegram.join(user_id=5551, invite_link=membership(member, Platform.TELEGRAM).invite_link)

    with time_machine.travel(subscription.ends_at + timedelta(minutes=1)):
        fake_telegram.reset_requests()
        sync()
        assert [c.body["user_id"] for c in fake_telegram.calls("banChatMember")] == [5551]
        [unban] = fake_telegram.calls("unbanChatMember")
        assert unban.body["only_if_banned"] is True
        assert fake_telegram.members[5551] == "left"
        assert 5551 not in fake_telegram.banned  # may come back after a renewal
        assert membership(member, Platform.TELEGRAM).state == State.REMOVED
        subscription.refresh_from_db()
        assert subscription.telegram_added is False

        subscribe(member, days=30)
        fake_telegram.reset_requests()
        sync()
        assert len(fake_telegram.calls("createChatInviteLink")) == 1
        assert membership(member, Platform.TELEGRAM).state == State.INVITED


def test_grace_period_delays_removal(fake_telegram, member, settings):
    settings.CHANNEL_GRACE_HOURS = 24
    subscription = subscribe(member)
    link_telegram(member, 5551)
    sync()

    with time_machine.travel(subscription.ends_at + timedelta(hours=23)):
        fake_telegram.reset_requests()
        sync()
        assert fake_telegram.calls("banChatMember") == []
    with time_machine.travel(subscription.ends_at + timedelta(hours=25)):
        sync()
        assert len(fake_telegram.calls("banChatMember")) == 1


def test_member_active_on_another_subscription_of_the_chain_is_not_removed(fake_telegram, member):
    first = subscribe(member, days=30)
    subscribe(member, days=30, starts_at=first.ends_at)  # the renewal, queued after the first
    link_telegram(member, 5551)
    sync()

    with time_machine.travel(first.ends_at + timedelta(minutes=1)):
        fake_telegram.reset_requests()
        sync()
        assert fake_telegram.calls("banChatMember") == []
        assert membership(member, Platform.TELEGRAM).has_access


def test_second_run_with_nothing_to_change_makes_no_remote_call(fake_telegram, member):
    subscribe(member)
    link_telegram(member, 5551)
    sync()
    fake_telegram.reset_requests()

    sync()

    assert fake_telegram.calls() == []


def test_dry_run_prints_the_plan_and_changes_nothing(fake_telegram, member):
    subscribe(member)
    link_telegram(member, 5551)
    before = list(ChannelMembership.objects.values())

    output = sync("--dry-run")

    assert member.email in output
    assert "inviter" in output
    assert fake_telegram.calls() == []
    assert list(ChannelMembership.objects.values()) == before
    assert ChannelAction.objects.count() == 0


def test_rate_limit_midway_is_waited_for_and_everyone_is_invited(fake_telegram):
    users = UserFactory.create_batch(3)
    for index, user in enumerate(users):
        subscribe(user)
        link_telegram(user, 6000 + index)
    fake_telegram.fail("createChatInviteLink", 429, retry_after=1)
    fake_telegram.reset_requests()

    sync()

    statuses = [c.status for c in fake_telegram.calls("createChatInviteLink")]
    assert statuses.count(429) == 1
    assert statuses.count(200) == 3
    assert ChannelMembership.objects.filter(state=State.INVITED).count() == 3


def test_one_member_failing_does_not_stop_the_others_and_is_retried_with_backoff(fake_telegram):
    users = UserFactory.create_batch(3)
    for index, user in enumerate(users):
        subscribe(user)
        link_telegram(user, 7000 + index)
        sync()  # invited one by one
    fake_telegram.unknown_users.add(7001)
    ends = max(u.subscriptions.get().ends_at for u in users)

    with time_machine.travel(ends + timedelta(minutes=1), tick=False):
        output = sync()
        assert "2 retirés, 1 échec" in output
        failing = membership(users[1], Platform.TELEGRAM)
        assert failing.has_access  # could not remove: still recorded as having access
        assert failing.attempts == 1
        assert failing.next_attempt_at == clock.now() + timedelta(minutes=2)
        assert "participant_id_invalid" in failing.last_error.lower()
        assert "1 membre a encore accès" in output
        fake_telegram.reset_requests()
        sync()
        assert fake_telegram.calls() == []  # not due yet
    with time_machine.travel(ends + timedelta(minutes=4)):
        fake_telegram.unknown_users.clear()
        sync()
        assert membership(users[1], Platform.TELEGRAM).state == State.REMOVED


def test_bot_removed_from_the_channel_stops_telegram_with_a_clear_error_and_non_zero_exit(fake_telegram, member):
    subscribe(member)
    link_telegram(member, 5551)
    fake_telegram.bot_in_channel = False

    with pytest.raises(CommandError):
        out = StringIO()
        call_command("manage_channel_members", "--platform", "telegram", stdout=out, stderr=out)
    assert "le bot n'est pas (ou plus) membre du canal" in out.getvalue()
    assert len(fake_telegram.calls("createChatInviteLink")) == 1  # stopped, not retried for everyone
    assert membership(member, Platform.TELEGRAM).lease_until is None


def test_missing_configuration_turns_telegram_off_and_the_command_succeeds(settings, member):
    settings.TELEGRAM_BOT_TOKEN = ""
    subscribe(member)
    link_telegram(member, 5551)

    output = sync()

    assert output.count("Telegram désactivé : TELEGRAM_BOT_TOKEN ou TELEGRAM_CHANNEL_ID absent.") == 1


def test_expired_unused_invite_is_checked_then_renewed(fake_telegram, member, settings):
    subscribe(member)
    link_telegram(member, 5551)
    sync()
    first_link = membership(member, Platform.TELEGRAM).invite_link

    with time_machine.travel(clock.now() + timedelta(hours=settings.TELEGRAM_INVITE_HOURS, minutes=1)):
        fake_telegram.reset_requests()
        sync()
    assert len(fake_telegram.calls("getChatMember")) == 1
    assert fake_telegram.invite_links[first_link]["is_revoked"] is True
    assert membership(member, Platform.TELEGRAM).invite_link not in ("", first_link)


def test_expired_invite_of_someone_who_joined_unseen_becomes_member(fake_telegram, member, settings):
    subscribe(member)
    link_telegram(member, 5551)
    sync()
    fake_telegram.members[5551] = "member"  # joined while no webhook was listening

    with time_machine.travel(clock.now() + timedelta(hours=settings.TELEGRAM_INVITE_HOURS, minutes=1)):
        fake_telegram.reset_requests()
        sync()
    assert fake_telegram.calls("createChatInviteLink") == []
    assert membership(member, Platform.TELEGRAM).state == State.MEMBER


def test_outage_during_removal_never_counts_as_removed(fake_telegram, member):
    subscription = subscribe(member)
    link_telegram(member, 5551)
    sync()
    fake_telegram.fail("banChatMember", 500, times=10)

    with time_machine.travel(subscription.ends_at + timedelta(minutes=1)):
        output = sync()

    state = membership(member, Platform.TELEGRAM)
    assert state.has_access and state.state == State.INVITED
    assert "1 échec" in output
    assert "encore accès" in output
    assert ChannelAction.objects.filter(user=member, action="remove", outcome="failed").count() == 1


def test_after_max_attempts_the_membership_shows_action_required(fake_telegram, member, settings):
    settings.CHANNEL_MAX_ATTEMPTS = 2
    subscribe(member)
    link_telegram(member, 5551)
    fake_telegram.fail("createChatInviteLink", 500, times=10)

    sync()
    with time_machine.travel(clock.now() + timedelta(minutes=3)):
        sync()

    state = membership(member, Platform.TELEGRAM)
    assert state.attempts == 2
    assert state.state == State.ACTION_REQUIRED
    assert not state.has_access

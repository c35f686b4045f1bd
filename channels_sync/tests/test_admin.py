"""Admin: the channel screens, the "resync now" / "remove access now" actions, the overdue-cron warning."""

from datetime import timedelta

import pytest
import time_machine

from accounts.tests.factories import UserFactory
from channels_sync.models import ChannelMembership, Platform
from channels_sync.tests.factories import link_telegram, membership, subscribe
from core import clock
from core.services import cron_run_succeeded

pytestmark = pytest.mark.django_db
State = ChannelMembership.State


@pytest.fixture
def admin_client(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_admin_index_warns_when_a_cron_is_overdue(admin_client):
    cron_run_succeeded(command="process_subscription_notifications", summary={})
    with time_machine.travel(clock.now() + timedelta(minutes=5)):
        cron_run_succeeded(command="manage_channel_members", summary={})

    with time_machine.travel(clock.now() + timedelta(hours=3)):
        body = admin_client.get("/admin/").content.decode()

    assert "Tâche planifiée en retard" in body
    assert "manage_channel_members" in body
    assert "process_subscription_notifications</strong>" not in body


def test_admin_index_is_quiet_when_crons_are_fresh(admin_client):
    cron_run_succeeded(command="process_subscription_notifications", summary={})
    cron_run_succeeded(command="manage_channel_members", summary={})

    assert "Tâche planifiée en retard" not in admin_client.get("/admin/").content.decode()


def test_membership_page_shows_state_and_action_log(admin_client, fake_telegram, member):
    subscribe(member)
    link_telegram(member, 4242)
    from channels_sync.sync import channel_sync

    channel_sync(platform=Platform.TELEGRAM)
    row = membership(member, Platform.TELEGRAM)

    body = admin_client.get(f"/admin/channels_sync/channelmembership/{row.pk}/change/").content.decode()

    assert "Invité" in body and "Invitation" in body


def test_resync_now_ignores_the_backoff(admin_client, fake_telegram, member):
    subscribe(member)
    link_telegram(member, 4242)
    row = membership(member, Platform.TELEGRAM)
    ChannelMembership.objects.filter(pk=row.pk).update(attempts=3, next_attempt_at=clock.now() + timedelta(hours=1))

    admin_client.post("/admin/channels_sync/channelmembership/", {"action": "resync_now", "_selected_action": [row.pk]})

    assert membership(member, Platform.TELEGRAM).state == State.INVITED
    assert len(fake_telegram.calls("createChatInviteLink")) == 1


def test_remove_now_takes_access_back_at_once(admin_client, fake_telegram, member):
    subscribe(member)
    link_telegram(member, 4242)
    from channels_sync.sync import channel_sync

    channel_sync(platform=Platform.TELEGRAM)
    row = membership(member, Platform.TELEGRAM)

    admin_client.post("/admin/channels_sync/channelmembership/", {"action": "remove_now", "_selected_action": [row.pk]})

    assert [c.body["user_id"] for c in fake_telegram.calls("banChatMember")] == [4242]
    assert membership(member, Platform.TELEGRAM).state == State.REMOVED

"""member_access_sync through the real queue: enqueued in a transaction, run by the real `task_worker` command
against the fake Telegram and Discord servers, with the real client libraries."""

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from channels_sync.models import ChannelMembership, Platform
from channels_sync.tasks import member_access_sync_enqueue
from channels_sync.tests.factories import link_discord, link_telegram, membership, subscribe
from core.tasks import TaskResultStatus
from core.tests.queue import run_worker
from tests.smtp_server import free_port

# The worker commits and reads as another process would.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("database_tasks")]
State = ChannelMembership.State
DISCORD_ID = "300000000000000042"


def test_a_confirmed_payment_lets_the_member_in_on_both_platforms_from_the_worker(fake_telegram, fake_discord, member):
    subscribe(member)
    link_telegram(member, 5551)
    link_discord(member, fake_discord, DISCORD_ID)

    with transaction.atomic():  # the payment's confirmation
        member_access_sync_enqueue(user_id=member.pk)
    assert fake_telegram.calls("createChatInviteLink") == []  # nothing happens in the request

    run_worker()

    [invite] = fake_telegram.messages
    assert invite["chat_id"] == 5551
    assert membership(member, Platform.TELEGRAM).invite_link in invite["text"]
    assert membership(member, Platform.TELEGRAM).state == State.INVITED
    assert fake_discord.members[DISCORD_ID] == {fake_discord.role_id}
    assert membership(member, Platform.DISCORD).state == State.MEMBER
    [task] = DBTaskResult.objects.all()
    assert task.args_kwargs == {"args": [], "kwargs": {"user_id": member.pk}}
    assert task.status == TaskResultStatus.SUCCESSFUL


def test_a_confirmation_that_rolls_back_lets_nobody_in(fake_telegram, member):
    subscribe(member)
    link_telegram(member, 5551)

    with pytest.raises(RuntimeError), transaction.atomic():
        member_access_sync_enqueue(user_id=member.pk)
        raise RuntimeError("the confirmation fails")
    run_worker()

    assert fake_telegram.calls("createChatInviteLink") == []
    assert membership(member, Platform.TELEGRAM).state == State.LINKED


def test_a_platform_that_cannot_be_reached_does_not_keep_the_member_out_of_the_other(
    fake_telegram, fake_discord, member, settings
):
    subscribe(member)
    link_telegram(member, 5551)
    link_discord(member, fake_discord, DISCORD_ID)
    settings.TELEGRAM_API_BASE_URL = f"http://127.0.0.1:{free_port()}/bot"  # nothing listens there

    with transaction.atomic():
        member_access_sync_enqueue(user_id=member.pk)
    run_worker()

    assert fake_discord.members[DISCORD_ID] == {fake_discord.role_id}
    assert membership(member, Platform.TELEGRAM).has_access is False  # the cron run will try again
    [task] = DBTaskResult.objects.all()
    assert task.status == TaskResultStatus.SUCCESSFUL


def test_a_member_without_a_subscription_gets_no_access(fake_telegram, member):
    link_telegram(member, 5551)

    with transaction.atomic():
        member_access_sync_enqueue(user_id=member.pk)
    run_worker()

    assert fake_telegram.calls("createChatInviteLink") == []

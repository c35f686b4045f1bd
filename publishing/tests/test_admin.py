"""The messages in the channels in the admin: their state and errors, and the actions on them."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import UserFactory
from core.tests.queue import run_worker
from publishing.models import SignalPost

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("database_tasks")]
State = SignalPost.State
CHANGELIST = reverse("admin:publishing_signalpost_changelist")


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_list_shows_each_platform_state_and_error(channels, publish, staff_client):
    telegram, _ = channels
    telegram.bot_can_post = False
    publish()
    run_worker()

    page = staff_client.get(CHANGELIST).content.decode()

    assert "Échec" in page and "Publié" in page
    assert "Telegram : le bot ne peut pas publier dans le canal des signaux" in page
    assert staff_client.get(CHANGELIST, {"state__exact": "failed"}).context["cl"].result_count == 1


def test_retry_now_posts_a_failed_message_once_its_cause_is_fixed(channels, publish, staff_client):
    telegram, _ = channels
    telegram.bot_can_post = False
    signal = publish()
    run_worker()
    failed = SignalPost.objects.get(signal=signal, platform="telegram")
    assert failed.state == State.FAILED
    telegram.bot_can_post = True  # the admin gave the bot its rights

    response = staff_client.post(CHANGELIST, {"action": "retry_now", "_selected_action": [failed.pk]})
    run_worker()

    assert response.status_code == 302
    assert len(telegram.channel_posts()) == 1
    assert SignalPost.objects.get(pk=failed.pk).state == State.SENT


def test_a_post_to_check_is_marked_published_with_the_id_found_in_the_channel(channels, publish, staff_client):
    telegram, _ = channels
    telegram.delay_answer("sendMessage", 2)
    signal = publish()
    run_worker()
    uncertain = SignalPost.objects.get(signal=signal, platform="telegram")
    assert uncertain.state == State.UNCERTAIN
    url = reverse("admin:publishing_signalpost_mark_sent", args=[uncertain.pk])

    assert (
        "Marquer comme publié"
        in staff_client.get(reverse("admin:publishing_signalpost_change", args=[uncertain.pk])).content.decode()
    )
    refused = staff_client.post(url, {"message_id": "abc"})
    assert refused.status_code == 200 and "Un identifiant de message est un nombre." in refused.content.decode()
    staff_client.post(url, {"message_id": str(telegram.channel_posts()[0]["message_id"])})

    marked = SignalPost.objects.get(pk=uncertain.pk)
    assert (marked.state, marked.message_id) == (State.SENT, str(telegram.channel_posts()[0]["message_id"]))
    run_worker()  # the edit to the current text: the same text, "not modified", a success
    assert len(telegram.channel_posts()) == 1
    assert SignalPost.objects.get(pk=uncertain.pk).rendered_version == signal.version


def test_republish_is_only_for_posts_to_check(channels, publish, staff_client):
    signal = publish()
    run_worker()
    sent = SignalPost.objects.get(signal=signal, platform="telegram")
    before = DBTaskResult.objects.count()

    staff_client.post(CHANGELIST, {"action": "republish", "_selected_action": [sent.pk]})

    assert DBTaskResult.objects.count() == before
    assert SignalPost.objects.get(pk=sent.pk).state == State.SENT


def test_posts_cannot_be_added_or_deleted_in_the_admin(channels, publish, staff_client):
    signal = publish()
    post = SignalPost.objects.filter(signal=signal).first()

    assert staff_client.get(reverse("admin:publishing_signalpost_add")).status_code == 403
    assert staff_client.get(reverse("admin:publishing_signalpost_delete", args=[post.pk])).status_code == 403


def test_view_only_staff_cannot_mark_a_post_published(channels, publish, client):
    signal = publish()
    uncertain = SignalPost.objects.get(signal=signal, platform="telegram")
    SignalPost.objects.filter(pk=uncertain.pk).update(state=State.UNCERTAIN)
    reader = UserFactory(is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_signalpost"))
    client.force_login(reader)
    url = reverse("admin:publishing_signalpost_mark_sent", args=[uncertain.pk])

    assert client.get(url).status_code == 403
    assert client.post(url, {"message_id": "12"}).status_code == 403
    assert SignalPost.objects.get(pk=uncertain.pk).state == State.UNCERTAIN

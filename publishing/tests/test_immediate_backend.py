"""With the test settings' immediate backend (no worker), a signal is posted once its transaction commits, and
nothing is paced (that backend cannot defer a task)."""

import pytest

from publishing.models import SignalPost

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_published_signal_is_posted_at_commit_without_pacing(channels, publish, settings):
    telegram, discord = channels
    settings.PUBLISHING_TELEGRAM_INTERVAL_SECONDS = 3

    publish()
    publish()

    assert len(telegram.channel_posts()) == 2 and len(discord.messages_in()) == 2
    assert set(SignalPost.objects.values_list("state", flat=True)) == {SignalPost.State.SENT}

"""Never twice: retries after an unknown outcome, two workers on one post, and the chats' pacing, through the real
queue against the fake servers."""

import threading
from datetime import timedelta
from itertools import pairwise

import pytest
import time_machine
from django.db import connection, transaction

from core import clock
from core.tasks import retry_delay, task_enqueue
from core.tests.queue import run_worker
from publishing import services
from publishing.models import SignalPost
from publishing.tasks import post_send
from trading_signals import services as signal_services
from trading_signals.models import SignalEvent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("database_tasks")]
State = SignalPost.State


def post(signal, platform: str, kind: str = SignalEvent.Kind.PUBLISHED, order: int = 0) -> SignalPost:
    return SignalPost.objects.get(signal=signal, platform=platform, event__kind=kind, event__take_profit_order=order)


def test_discord_answering_too_late_is_asked_again_with_the_same_nonce_and_posts_once(channels, publish):
    _, discord = channels
    discord.delay_answer("create_message", 2)  # stored, then answered after the client gave up (1 s)
    with time_machine.travel(clock.now(), tick=False) as traveller:
        signal = publish()
        run_worker()
        waiting = post(signal, "discord")
        assert waiting.state == State.PENDING and waiting.unconfirmed_since is not None
        assert len(discord.messages_in()) == 1  # it did arrive
        traveller.shift(services.DISCORD_UNKNOWN_RETRY)
        run_worker()

    [message] = discord.messages_in()
    sent = post(signal, "discord")
    assert (sent.state, sent.message_id, sent.attempts) == (State.SENT, message["id"], 2)
    assert [call.body["nonce"] for call in discord.calls("create_message")] == [f"signal-post-{sent.pk}"] * 2


def test_discord_without_an_answer_past_the_nonce_window_is_left_to_check(channels, publish):
    _, discord = channels
    discord.delay_answer("create_message", 2, times=20)
    with time_machine.travel(clock.now(), tick=False) as traveller:
        signal = publish()
        for _ in range(12):
            run_worker()
            traveller.shift(services.DISCORD_UNKNOWN_RETRY)

    left = post(signal, "discord")
    assert left.state == State.UNCERTAIN
    assert len(discord.messages_in()) == 1  # every retry within the window was deduplicated


def test_telegram_answering_too_late_is_not_posted_again_but_left_to_the_admin(channels, publish, admin, settings):
    telegram, _ = channels
    telegram.delay_answer("sendMessage", 2)
    with time_machine.travel(clock.now(), tick=False) as traveller:
        signal = publish()
        run_worker()
        traveller.shift(timedelta(days=1))
        run_worker()

    [arrived] = telegram.channel_posts()
    left = post(signal, "telegram")
    assert left.state == State.UNCERTAIN and left.get_state_display() == "À vérifier"
    assert "« Marquer comme publié »" in left.last_error and "« Republier »" in left.last_error
    assert len(telegram.calls("sendMessage")) == 1

    # Meanwhile TP1 is reached: its reply waits for the original until the queue gives up.
    signal_services.signal_take_profit_reached(signal_id=signal.pk, order=1, by=admin)
    with time_machine.travel(clock.now(), tick=False) as traveller:
        for attempt in range(1, settings.TASKS_MAX_ATTEMPTS + 1):
            run_worker()
            traveller.shift(retry_delay(attempt))
    assert post(signal, "telegram", SignalEvent.Kind.TP_REACHED, 1).state == State.FAILED
    # The cron's catch-up leaves both alone: the original is the admin's to check, its reply waits for it.
    assert services.signal_posts_catch_up(since=clock.now() - timedelta(days=2)).posts == 0

    # The admin finds the message in the channel and gives its id: the post is done, the reply answers it.
    assert services.signal_post_mark_sent(post=left, message_id=str(arrived["message_id"])) is True
    run_worker()

    assert post(signal, "telegram").state == State.SENT
    original, reply = telegram.channel_posts()
    assert reply["reply_to"] == arrived["message_id"] == original["message_id"]
    assert "✅" in original["text"]  # edited to the signal's current version


def test_republishing_a_post_left_to_check_posts_it_again(channels, publish):
    telegram, _ = channels
    # The request failed on Telegram's side, but its answer came too late for the client: nothing in the channel.
    telegram.fail("sendMessage", 500)
    telegram.delay_answer("sendMessage", 2)
    signal = publish()
    run_worker()
    assert post(signal, "telegram").state == State.UNCERTAIN
    assert telegram.channel_posts() == []

    # The admin checked the channel and found nothing.
    assert services.signal_post_republish(post=post(signal, "telegram")) is True
    run_worker()

    assert len(telegram.channel_posts()) == 1
    assert post(signal, "telegram").state == State.SENT


def test_an_attempt_whose_worker_died_mid_request_is_not_repeated_on_telegram(channels, publish):
    telegram, _ = channels
    with time_machine.travel(clock.now(), tick=False) as traveller:
        signal = publish()
        # A worker claimed the post and was killed during its request (SIGKILL): the row says so.
        SignalPost.objects.filter(signal=signal, platform="telegram").update(call_started_at=clock.now())
        run_worker()
        assert post(signal, "telegram").state == State.PENDING  # it may still be in flight: left alone
        traveller.shift(services.IN_FLIGHT + timedelta(seconds=1))
        with transaction.atomic():
            task_enqueue(post_send, post_id=post(signal, "telegram").pk)  # the task, given back by its lease
        run_worker()

    assert post(signal, "telegram").state == State.UNCERTAIN
    assert telegram.channel_posts() == []


def test_one_post_queued_twice_is_posted_once(channels, publish):
    telegram, discord = channels
    signal = publish()
    with transaction.atomic():
        for platform in ("telegram", "discord"):
            task_enqueue(post_send, post_id=post(signal, platform).pk)

    run_worker()

    assert len(telegram.channel_posts()) == 1 and len(discord.messages_in()) == 1


@pytest.mark.postgres
def test_two_workers_on_one_post_at_once_post_it_once(channels, publish):
    telegram, discord = channels
    telegram.latency = discord.latency = 0.3  # the first request is still in flight when the second worker claims
    signal = publish()
    outcomes: dict[str, list[str]] = {"telegram": [], "discord": []}
    errors: list[Exception] = []
    barrier = threading.Barrier(4)

    def worker(platform: str, post_id: int) -> None:
        try:
            barrier.wait()
            outcomes[platform].append(services.signal_post_send(post_id=post_id, last_attempt=False, pace=False))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    ids = {platform: post(signal, platform).pk for platform in outcomes}
    threads = [threading.Thread(target=worker, args=(p, ids[p])) for p in outcomes for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(telegram.channel_posts()) == 1 and len(discord.messages_in()) == 1
    for platform in outcomes:
        assert sorted(outcome.split()[0] for outcome in outcomes[platform]) == ["in", "sent"]
        assert post(signal, platform).attempts == 1


def test_posts_to_one_chat_are_spaced_by_its_slot_across_the_queue(channels, publish, settings):
    telegram, discord = channels
    settings.PUBLISHING_TELEGRAM_INTERVAL_SECONDS = 3
    settings.PUBLISHING_DISCORD_INTERVAL_SECONDS = 1
    with time_machine.travel(clock.now(), tick=False) as traveller:
        signals = [publish(instrument=name) for name in ("EUR/USD", "GBP/USD", "USD/JPY")]
        run_worker()
        counts = [(len(telegram.channel_posts()), len(discord.messages_in()))]
        for _ in range(6):
            traveller.shift(timedelta(seconds=1))
            run_worker()
            counts.append((len(telegram.channel_posts()), len(discord.messages_in())))

    # Telegram: one at 0 s, 3 s, 6 s; Discord: one at 0 s, 1 s, 2 s.
    assert counts == [(1, 1), (1, 2), (1, 3), (2, 3), (2, 3), (2, 3), (3, 3)]
    sent_at = sorted(post(signal, "telegram").sent_at for signal in signals)
    assert [later - earlier for earlier, later in pairwise(sent_at)] == [timedelta(seconds=3)] * 2

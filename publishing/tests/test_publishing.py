"""Signals posted to the channels through the real queue: enqueued in the signal's transaction, run by the real
`task_worker` against the fake Telegram and Discord servers, with the real client libraries."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from core import clock
from core.tasks import TaskResultStatus, retry_delay
from core.tests.queue import run_worker
from publishing.models import SignalPost
from publishing.services import signal_post_edit, signal_post_retry
from tests.smtp_server import free_port
from trading_signals import services as signal_services
from trading_signals.models import SignalEvent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("database_tasks")]
State = SignalPost.State


def post(signal, platform: str, kind: str = SignalEvent.Kind.PUBLISHED, order: int = 0) -> SignalPost:
    return SignalPost.objects.get(signal=signal, platform=platform, event__kind=kind, event__take_profit_order=order)


def test_publishing_posts_one_message_on_each_platform_with_its_text_and_stores_the_ids(channels, publish):
    telegram, discord = channels

    signal = publish()
    assert telegram.channel_posts() == [] and discord.messages_in() == []  # nothing in the admin's request
    run_worker()

    [telegram_post] = telegram.channel_posts()
    [discord_message] = discord.messages_in()
    text = telegram_post["text"]
    assert text.startswith("🟢 ACHAT EUR/USD · Forex")
    assert "Entrée : 1,0850" in text and "Stop-loss : 1,0800" in text
    assert "TP1 : 1,0900 (risque/rendement 1:1)" in text and "TP2 : 1,0950 (risque/rendement 1:2)" in text
    assert "Statut : En cours" in text
    assert f"Voir le signal : https://calmnessfi.test/espace/signaux/{signal.pk}/" in text
    assert discord_message["content"] == text.replace("EUR/USD", "EUR/USD")  # nothing to escape here
    assert discord_message["nonce"] == f"signal-post-{post(signal, 'discord').pk}"
    assert discord_message["allowed_mentions"] == {"parse": []}
    on_telegram, on_discord = post(signal, "telegram"), post(signal, "discord")
    assert (on_telegram.state, on_telegram.message_id) == (State.SENT, str(telegram_post["message_id"]))
    assert (on_discord.state, on_discord.message_id) == (State.SENT, discord_message["id"])
    assert on_telegram.chat_id == telegram.chat_id and on_discord.chat_id == discord.signals_channel_id
    assert on_telegram.rendered_version == on_discord.rendered_version == signal.version
    assert on_telegram.attempts == on_discord.attempts == 1
    assert on_telegram.sent_at is not None and on_telegram.get_state_display() == "Publié"
    assert {task.status for task in DBTaskResult.objects.filter(task_path__startswith="publishing.")} == {
        TaskResultStatus.SUCCESSFUL
    }


def test_a_take_profit_edits_the_original_and_replies_to_it_on_both_platforms(channels, publish, admin):
    telegram, discord = channels
    signal = publish()
    run_worker()

    signal_services.signal_take_profit_reached(signal_id=signal.pk, order=1, by=admin)
    run_worker()

    original, reply = telegram.channel_posts()
    assert reply["text"] == "🎯 TP1 atteint (+1 R)"
    assert reply["reply_to"] == original["message_id"]
    assert original["edits"] == 1
    assert "TP1 : 1,0900 (risque/rendement 1:1) ✅" in original["text"]
    assert "Statut : En cours (TP1 atteint)" in original["text"]
    discord_original, discord_reply = discord.messages_in()
    assert discord_reply["content"] == "🎯 TP1 atteint (+1 R)"
    assert discord_reply["message_reference"]["message_id"] == discord_original["id"]
    assert discord_original["content"] == original["text"]
    signal.refresh_from_db()
    assert post(signal, "telegram").rendered_version == post(signal, "discord").rendered_version == signal.version
    assert post(signal, "telegram", SignalEvent.Kind.TP_REACHED, 1).message_id == str(reply["message_id"])


def test_the_last_take_profit_shows_the_result_in_r_pips_and_percent(channels, publish, admin):
    telegram, discord = channels
    signal = publish()
    signal_services.signal_take_profit_reached(signal_id=signal.pk, order=1, by=admin)
    signal_services.signal_take_profit_reached(signal_id=signal.pk, order=2, by=admin)
    run_worker()

    original = telegram.channel_posts()[0]
    assert "Statut : Take-profit atteint" in original["text"]
    assert "Résultat : +2 R (+100 pips, +0,92 %)" in original["text"]
    assert [p["text"] for p in telegram.channel_posts()[1:]] == ["🎯 TP1 atteint (+1 R)", "🎯 TP2 atteint (+2 R)"]
    assert len(discord.messages_in()) == 3


def test_the_stop_loss_a_close_and_a_cancellation_reply_in_french(channels, publish, admin):
    telegram, _ = channels
    stopped, closed, cancelled = publish(), publish(), publish()
    signal_services.signal_stop_loss_hit(signal_id=stopped.pk, by=admin)
    signal_services.signal_close(signal_id=closed.pk, exit_price=Decimal("1.0890"), by=admin)
    signal_services.signal_cancel(signal_id=cancelled.pk, by=admin)
    run_worker()

    replies = {p["text"] for p in telegram.channel_posts() if p["reply_to"]}
    assert replies == {"🛑 Stop-loss touché (−1 R)", "Clôturé à 1,0890 (+0,8 R)", "Annulé"}


def test_a_correction_edits_the_original_saying_modifie_and_posts_nothing(channels, publish, admin):
    telegram, discord = channels
    signal = publish()
    run_worker()

    signal_services.signal_correct(signal_id=signal.pk, by=admin, stop_loss=Decimal("1.0810"))
    run_worker()

    [original] = telegram.channel_posts()
    assert "Stop-loss : 1,0810" in original["text"]
    assert "✏️ Signal modifié le " in original["text"]
    [discord_original] = discord.messages_in()
    assert discord_original["content"] == original["text"]
    signal.refresh_from_db()
    assert post(signal, "telegram").rendered_version == signal.version


def test_an_edit_whose_outcome_was_lost_is_tried_again_and_not_modified_is_a_success(channels, publish, admin):
    telegram, _ = channels
    signal = publish()
    run_worker()
    signal_services.signal_correct(signal_id=signal.pk, by=admin, stop_loss=Decimal("1.0810"))
    original = post(signal, "telegram")
    signal_post_edit(post_id=original.pk, pace=False)
    # The edit was applied but not recorded (its worker died right after the request): the next try is the same edit.
    SignalPost.objects.filter(pk=original.pk).update(rendered_version=1)

    run_worker()

    assert [call.status for call in telegram.calls("editMessageText")] == [200, 400]  # "message is not modified"
    assert telegram.channel_posts()[0]["edits"] == 1
    done = post(signal, "telegram")
    signal.refresh_from_db()
    assert (done.rendered_version, done.last_error) == (signal.version, "")


def test_a_platform_that_is_off_is_skipped_with_its_reason(fake_telegram, publish, settings):
    settings.PUBLISHING_TELEGRAM_INTERVAL_SECONDS = 0
    settings.DISCORD_BOT_TOKEN = ""  # Discord not configured at all

    signal = publish()
    run_worker()

    assert len(fake_telegram.channel_posts()) == 1
    skipped = post(signal, "discord")
    assert skipped.state == State.SKIPPED
    assert skipped.get_state_display() == "Non publié"
    assert skipped.last_error == "Discord n'est pas configuré (DISCORD_BOT_TOKEN vide)."
    assert DBTaskResult.objects.filter(task_path__startswith="publishing.").count() == 1  # none for Discord


def test_discord_without_a_signals_channel_is_off(channels, publish, settings, admin):
    settings.DISCORD_SIGNALS_CHANNEL_ID = ""
    signal = publish()
    signal_services.signal_take_profit_reached(signal_id=signal.pk, order=1, by=admin)
    run_worker()

    assert post(signal, "discord").last_error == (
        "Aucun salon Discord pour les signaux (DISCORD_SIGNALS_CHANNEL_ID vide)."
    )
    assert post(signal, "discord", SignalEvent.Kind.TP_REACHED, 1).state == State.SKIPPED
    assert channels[1].messages_in() == []


@pytest.mark.parametrize(
    ("platform", "setting", "path"),
    [("telegram", "TELEGRAM_API_BASE_URL", "/bot"), ("discord", "DISCORD_API_BASE_URL", "")],
)
def test_a_platform_down_is_retried_later_by_the_queue_and_posts_once(
    channels, publish, settings, platform, setting, path
):
    telegram, discord = channels
    real_url = getattr(settings, setting)
    setattr(settings, setting, f"http://127.0.0.1:{free_port()}{path}")  # nothing listens there
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        signal = publish()
        run_worker()
        waiting = post(signal, platform)
        assert (waiting.state, waiting.attempts) == (State.PENDING, 1)
        assert "injoignable" in waiting.last_error

        setattr(settings, setting, real_url)
        run_worker()  # the retry is not due yet
        assert len(telegram.channel_posts()) + len(discord.messages_in()) == 1  # the other platform's
        traveller.shift(retry_delay(1))
        run_worker()

    assert len(telegram.channel_posts()) == 1 and len(discord.messages_in()) == 1
    sent = post(signal, platform)
    assert (sent.state, sent.attempts, sent.last_error) == (State.SENT, 2, "")


@pytest.mark.parametrize("status", [500, 429])
def test_a_5xx_or_429_is_retried_later_and_posts_once(channels, publish, status):
    telegram, discord = channels
    telegram.fail("sendMessage", status, retry_after=30)
    # discord.py itself waits out a short 429 and tries a 5xx again: a 429 longer than it waits comes back to us.
    discord.fail("messages", 429, retry_after=60)
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        signal = publish()
        run_worker()
        assert post(signal, "telegram").state == post(signal, "discord").state == State.PENDING
        assert telegram.channel_posts() == [] and discord.messages_in() == []
        traveller.shift(retry_delay(1))
        run_worker()

    assert len(telegram.channel_posts()) == 1 and len(discord.messages_in()) == 1
    assert post(signal, "telegram").state == post(signal, "discord").state == State.SENT


def test_a_post_failing_every_time_ends_failed_for_the_admin(channels, publish, settings):
    telegram, _ = channels
    telegram.fail("sendMessage", 500, times=99)
    with time_machine.travel(clock.now(), tick=False) as traveller:
        signal = publish()
        for attempt in range(1, settings.TASKS_MAX_ATTEMPTS + 1):
            run_worker()
            traveller.shift(retry_delay(attempt))

    failed = post(signal, "telegram")
    assert (failed.state, failed.attempts) == (State.FAILED, settings.TASKS_MAX_ATTEMPTS)
    assert failed.last_error


def test_a_bot_without_rights_fails_at_once_naming_the_setting_and_the_rights(channels, publish):
    telegram, discord = channels
    telegram.bot_can_post = False
    discord.bot_can_send_messages = False

    signal = publish()
    run_worker()

    on_telegram, on_discord = post(signal, "telegram"), post(signal, "discord")
    assert on_telegram.state == on_discord.state == State.FAILED
    assert "TELEGRAM_SIGNALS_CHAT_ID" in on_telegram.last_error
    assert "« Publier des messages »" in on_telegram.last_error
    assert "DISCORD_SIGNALS_CHANNEL_ID" in on_discord.last_error
    assert "Send Messages" in on_discord.last_error and "Manage Messages" in on_discord.last_error
    # Not retried in a loop (Discord blocks bots that keep getting 403s).
    assert {task.status for task in DBTaskResult.objects.filter(task_path__startswith="publishing.")} == {
        TaskResultStatus.SUCCESSFUL
    }


def test_an_unknown_discord_channel_names_the_setting(channels, publish, settings):
    settings.DISCORD_SIGNALS_CHANNEL_ID = "700000000000000999"
    signal = publish()
    run_worker()

    failed = post(signal, "discord")
    assert failed.state == State.FAILED and "Unknown Channel" in failed.last_error


def test_a_reply_waits_for_its_original(channels, publish, admin):
    telegram, _ = channels
    telegram.fail("sendMessage", 500)  # the original fails once
    with time_machine.travel(clock.now(), tick=False) as traveller:
        signal = publish()
        run_worker()
        signal_services.signal_take_profit_reached(signal_id=signal.pk, order=1, by=admin)
        run_worker()
        reply = post(signal, "telegram", SignalEvent.Kind.TP_REACHED, 1)
        assert reply.state == State.PENDING and "pas encore publié" in reply.last_error
        traveller.shift(retry_delay(1))
        run_worker()

    original, answer = telegram.channel_posts()
    assert answer["reply_to"] == original["message_id"]
    assert post(signal, "telegram", SignalEvent.Kind.TP_REACHED, 1).state == State.SENT


def test_an_edit_refused_for_the_bots_rights_is_said_on_the_original_and_retried_by_the_admin(channels, publish, admin):
    telegram, _ = channels
    signal = publish()
    run_worker()
    telegram.bot_can_edit = False

    signal_services.signal_take_profit_reached(signal_id=signal.pk, order=1, by=admin)
    run_worker()

    original = post(signal, "telegram")
    signal.refresh_from_db()
    assert original.state == State.SENT and original.rendered_version < signal.version
    assert original.last_error.startswith("Modification impossible : Telegram : le bot ne peut pas publier")
    assert "✅" not in telegram.channel_posts()[0]["text"]

    telegram.bot_can_edit = True
    assert signal_post_retry(post=original) is True
    run_worker()

    assert "✅" in telegram.channel_posts()[0]["text"]
    assert post(signal, "telegram").last_error == ""


def test_the_cron_catch_up_posts_what_an_outage_longer_than_the_retries_left_failed(channels, publish, settings):
    telegram, discord = channels
    telegram.fail("sendMessage", 500, times=settings.TASKS_MAX_ATTEMPTS)
    with time_machine.travel(clock.now(), tick=False) as traveller:
        signal = publish()
        for attempt in range(1, settings.TASKS_MAX_ATTEMPTS + 1):
            run_worker()
            traveller.shift(retry_delay(attempt))
        assert post(signal, "telegram").state == State.FAILED

        out = StringIO()
        call_command("signal_posts_retry", "--dry-run", stdout=out)
        assert "1 message en échec à remettre" in out.getvalue()
        assert post(signal, "telegram").state == State.FAILED  # a dry run changes nothing

        call_command("signal_posts_retry", stdout=out)
        run_worker()
        call_command("signal_posts_retry", stdout=out)  # again, as the next cron run or another host would
        run_worker()

    assert len(telegram.channel_posts()) == 1 and len(discord.messages_in()) == 1
    assert post(signal, "telegram").state == State.SENT


def test_the_cron_catch_up_leaves_a_day_old_post_alone(channels, publish, settings):
    telegram, _ = channels
    telegram.fail("sendMessage", 500, times=99)
    with time_machine.travel(clock.now(), tick=False) as traveller:
        signal = publish()
        for attempt in range(1, settings.TASKS_MAX_ATTEMPTS + 1):
            run_worker()
            traveller.shift(retry_delay(attempt))
        traveller.shift(timedelta(hours=25))
        call_command("signal_posts_retry", stdout=StringIO())

    assert post(signal, "telegram").state == State.FAILED  # a day-old signal is not announced late


def test_the_cron_catch_up_edits_an_original_left_behind_its_signal(channels, publish, admin, settings):
    telegram, _ = channels
    signal = publish()
    run_worker()
    telegram.fail("editMessageText", 500, times=settings.TASKS_MAX_ATTEMPTS)
    with time_machine.travel(clock.now(), tick=False) as traveller:
        signal_services.signal_take_profit_reached(signal_id=signal.pk, order=1, by=admin)
        for attempt in range(1, settings.TASKS_MAX_ATTEMPTS + 1):
            run_worker()
            traveller.shift(retry_delay(attempt))
        signal.refresh_from_db()
        assert post(signal, "telegram").rendered_version < signal.version

        call_command("signal_posts_retry", stdout=StringIO())
        run_worker()

    original = post(signal, "telegram")
    assert (original.rendered_version, original.last_error) == (signal.version, "")
    assert "Statut : En cours (TP1 atteint)" in telegram.channel_posts()[0]["text"]

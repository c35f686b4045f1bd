"""E-mail delivery through Django's real SMTP backend against our own SMTP server on 127.0.0.1."""

from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from accounts.tests.factories import UserFactory
from notifications.models import NotificationDelivery, UserNotification
from notifications.services import CLAIM_LEASE, _claim, notifications_create_due
from notifications.tests.commands import COMMAND, run_at
from notifications.tests.factories import local, subscription_ending
from tests.smtp_server import SMTPTestServer, free_port

pytestmark = pytest.mark.django_db

DAY = local(2026, 3, 3, 9)  # offset -7 for subscriptions ending on 10 March


def failing_run_at(moment) -> None:
    with pytest.raises(CommandError, match="échec"):
        run_at(moment)


def members_due(count: int) -> list:
    return [
        subscription_ending(local(2026, 3, 10, 18), user=UserFactory(email=f"membre{i}@example.com")).user
        for i in range(count)
    ]


def email_deliveries():
    return NotificationDelivery.objects.filter(channel=NotificationDelivery.Channel.EMAIL)


def test_reminder_is_sent_as_french_html_and_text_through_smtp(smtp_server):
    member = members_due(1)[0]

    run_at(DAY)

    assert smtp_server.recipients() == [member.email]
    message = smtp_server.messages[0]
    assert message["Subject"] == "CalmnessFi – Renouvellement recommandé"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Votre abonnement expire dans 7 jours, le mardi 10 mars 2026" in text
    assert "Premium" in text
    assert '<html lang="fr">' in html and "Renouveler mon abonnement" in html
    delivery = email_deliveries().get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 1, "")
    assert delivery.sent_at is not None


def test_refused_recipient_fails_others_are_sent_and_it_is_retried_next_run(smtp_server):
    members = members_due(3)
    smtp_server.refuse(members[1].email)

    failing_run_at(DAY)

    assert sorted(smtp_server.recipients()) == sorted([members[0].email, members[2].email])
    refused = email_deliveries().get(notification__user=members[1])
    assert refused.status == NotificationDelivery.Status.PENDING
    assert refused.attempts == 1
    assert "550" in refused.last_error
    assert email_deliveries().filter(status="sent").count() == 2
    # In-app delivery did not depend on the e-mail.
    assert UserNotification.objects.filter(status="sent").count() == 3

    smtp_server.handler.refuse.clear()
    run_at(local(2026, 3, 4, 9))

    refused.refresh_from_db()
    assert (refused.status, refused.attempts, refused.last_error) == ("sent", 2, "")
    assert sorted(smtp_server.recipients()) == sorted(m.email for m in members)  # each exactly once


def test_failing_delivery_is_given_up_after_max_attempts(smtp_server, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    member = members_due(1)[0]
    smtp_server.refuse(member.email)

    for day in (3, 4, 5):
        failing_run_at(local(2026, 3, day, 9))
    delivery = email_deliveries().get()
    assert (delivery.status, delivery.attempts) == ("failed", 3)

    output = run_at(local(2026, 3, 6, 9))  # given up: not tried again, the run succeeds

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert smtp_server.recipients() == []
    assert "0 échec dont" in output


def test_output_says_how_many_failed_and_given_up(smtp_server, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    member = members_due(1)[0]
    smtp_server.refuse(member.email)
    out = StringIO()
    with time_machine.travel(DAY, tick=False), pytest.raises(CommandError):
        call_command(COMMAND, stdout=out)
    assert "1 échec dont 1 abandonné," in out.getvalue()


def test_smtp_server_down_loses_nothing_and_next_run_sends_each_email_once(settings):
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    members = members_due(4)

    out = StringIO()
    with time_machine.travel(DAY, tick=False), pytest.raises(CommandError):
        call_command(COMMAND, stdout=out)  # nobody listens on the port

    assert "canal email indisponible" in out.getvalue()
    assert UserNotification.objects.filter(status="sent").count() == 4  # in-app done
    assert email_deliveries().filter(status="pending").count() == 4

    server = SMTPTestServer(port=port).start()
    try:
        run_at(DAY.replace(hour=10))
        run_at(local(2026, 3, 4, 9))
        assert sorted(server.recipients()) == sorted(m.email for m in members)
    finally:
        server.stop()
    assert UserNotification.objects.count() == 4
    assert email_deliveries().filter(status="sent").count() == 4


def test_run_that_died_after_claiming_is_finished_by_a_later_run(smtp_server):
    members = members_due(2)
    with time_machine.travel(DAY, tick=False):
        call_command(COMMAND, stdout=StringIO())
    assert len(smtp_server.recipients()) == 2
    # A new reminder whose e-mail batch is claimed by a run that then dies before sending.
    smtp_server.handler.messages.clear()
    smtp_server.handler.envelopes.clear()
    with time_machine.travel(local(2026, 3, 7, 9), tick=False):
        notifications_create_due(as_of=local(2026, 3, 7).date(), scheduled_for=local(2026, 3, 7, 9))
        claimed = _claim(channel="email", after_id=0, limit=50)
    assert len(claimed) == 2

    run_at(local(2026, 3, 7, 9, 5))  # within the lease: another run leaves them alone
    assert smtp_server.recipients() == []

    run_at(local(2026, 3, 7, 9) + CLAIM_LEASE + CLAIM_LEASE / 10)

    assert sorted(smtp_server.recipients()) == sorted(m.email for m in members)
    assert set(email_deliveries().filter(pk__in=claimed).values_list("status", "attempts")) == {("sent", 2)}


def test_failed_last_chance_email_is_not_sent_late_once_a_newer_reminder_exists(smtp_server):
    member = members_due(1)[0]  # ends 10 March 18:00
    smtp_server.refuse(member.email)
    failing_run_at(local(2026, 3, 9, 9))  # J-1: "Dernière chance !" created, its e-mail refused
    smtp_server.handler.refuse.clear()

    run_at(local(2026, 3, 12, 9))  # J+2, no run in between

    assert [m["Subject"] for m in smtp_server.messages] == ["CalmnessFi – On vous attend !"]
    stale = email_deliveries().get(notification__notification_type="last_chance")
    assert stale.status == NotificationDelivery.Status.SKIPPED
    assert "Remplacée" in stale.last_error


def test_failed_reminder_is_not_sent_after_the_member_renewed(smtp_server):
    member = members_due(1)[0]
    smtp_server.refuse(member.email)
    failing_run_at(DAY)  # J-7 refused
    smtp_server.handler.refuse.clear()
    subscription_ending(local(2026, 4, 9, 18), user=member)  # renewal, back to back

    run_at(local(2026, 3, 4, 9))

    assert smtp_server.messages == []
    assert email_deliveries().get().status == NotificationDelivery.Status.SKIPPED


def test_late_first_run_says_how_many_days_are_really_left(smtp_server):
    member = members_due(1)[0]  # ends 10 March

    run_at(local(2026, 3, 5, 9))  # J-5: the J-7 row, caught up

    notification = UserNotification.objects.get(user=member)
    assert notification.notification_type == "renewal_recommended"
    assert notification.message.startswith("Votre abonnement expire dans 5 jours, le mardi 10 mars 2026.")

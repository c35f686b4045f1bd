"""Reminders of a free trial (Subscription.is_trial): "votre essai se termine dans 2 jours" at J-2 and "essai
terminé" the day after, nothing else, through the real daily command with time moved; the run stays set-based."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.calendar import entry_due
from notifications.models import UserNotification
from notifications.tests.commands import COMMAND, run_at
from notifications.tests.factories import local, subscription_ending
from subscriptions.models import Subscription

pytestmark = pytest.mark.django_db


def trial_ending(ends_at) -> Subscription:
    subscription = subscription_ending(ends_at)
    Subscription.objects.filter(pk=subscription.pk).update(
        is_trial=True, payment=None, starts_at=ends_at - timedelta(days=7)
    )
    subscription.refresh_from_db()
    return subscription


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(-7, None), (-3, None), (-2, "expires_in_2_days"), (-1, "expires_in_2_days"), (1, "expired"), (2, None)],
)
def test_a_trial_has_its_j2_row_up_to_the_day_after_its_end(offset, expected):
    entry = entry_due(offset, trial=True)
    assert (entry.type.value if entry else None) == expected


def test_a_trial_is_told_two_days_before_its_end_and_the_day_after_only():
    subscription = trial_ending(local(2026, 3, 10, 18, 0))

    for day in range(2, 15):  # every morning from J-8 to J+4
        run_at(local(2026, 3, day, 9, 0))

    notifications = list(UserNotification.objects.filter(subscription=subscription).order_by("created_at"))
    assert [n.notification_type for n in notifications] == ["expires_in_2_days", "expired"]
    j2, after = notifications
    assert j2.title == "Fin de votre essai dans 2 jours"
    assert j2.message.startswith("Votre essai se termine dans 2 jours, le mardi 10 mars 2026.")
    assert "Premium" in j2.message
    assert after.title == "Essai terminé"
    assert after.message.startswith("Votre essai gratuit de la formule Premium a pris fin hier, le mardi 10 mars 2026.")


def test_the_trials_email_offers_to_choose_a_plan():
    trial_ending(local(2026, 3, 10, 18, 0))

    run_at(local(2026, 3, 8, 9, 0))

    (email,) = mail.outbox
    assert email.subject == "CalmnessFi – Fin de votre essai dans 2 jours"
    html = email.alternatives[0][0]
    assert "Choisir ma formule" in html and "/formules/" in html and "Renouveler" not in html
    assert "Choisir votre formule" in email.body and "Renouveler" not in email.body


def test_a_paid_subscription_ending_the_same_day_keeps_the_normal_wording():
    subscription_ending(local(2026, 3, 10, 18, 0))
    run_at(local(2026, 3, 8, 9, 0))
    assert UserNotification.objects.get().title == "Expiration dans 2 jours"


def test_trials_add_no_query_to_the_run():
    def count(trial: bool) -> int:
        UserNotification.objects.all().delete()
        Subscription.objects.all().delete()
        for day in (4, 5, 10, 11, 12, 13):
            for _ in range(5):
                subscription = subscription_ending(local(2026, 3, day, 18, 0))
                Subscription.objects.filter(pk=subscription.pk).update(is_trial=trial)
        with CaptureQueriesContext(connection) as queries, time_machine.travel(local(2026, 3, 8, 9), tick=False):
            call_command(COMMAND, "--dry-run", stdout=StringIO())
        return len(queries)

    assert count(True) == count(False)

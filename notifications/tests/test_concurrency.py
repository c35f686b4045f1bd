"""Two runs at once on PostgreSQL (two real processes): each notification created once, each e-mail sent once."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from accounts.tests.factories import UserFactory
from core import clock
from notifications.models import NotificationDelivery, UserNotification
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory
from tests.smtp_server import SMTPTestServer

ROOT = Path(settings.BASE_DIR)
MEMBERS = 200


def _database_url() -> str:
    db = connection.settings_dict  # the test database (test_<name>)
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_processes_at_once_create_each_notification_once_and_send_each_email_once():
    plan = PlanFactory(name="Premium", slug="premium")
    # Ends 7 local days from today: "Renouvellement recommandé" is due for everyone.
    ends_at = clock.start_of_local_day(clock.add_days(clock.local_date(), 7)) + timedelta(hours=18)
    members = [UserFactory(email=f"concurrent{i}@example.com") for i in range(MEMBERS)]
    for member in members:
        SubscriptionFactory(user=member, plan=plan, starts_at=ends_at - timedelta(days=30), ends_at=ends_at)

    server = SMTPTestServer().start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": _database_url(),
        "EMAIL_URL": f"smtp://{server.host}:{server.port}",
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "manage.py", "process_subscription_notifications", "--batch-size", "7"]
    try:
        runs = [
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=120) for run in runs]
    finally:
        server.stop()

    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, (out, err)
    assert UserNotification.objects.count() == MEMBERS
    assert NotificationDelivery.objects.count() == 2 * MEMBERS
    assert set(NotificationDelivery.objects.values_list("status", "attempts")) == {("sent", 1)}
    recipients = server.recipients()
    assert sorted(recipients) == sorted(m.email for m in members)  # each member exactly once
    created = [int(re.search(r"Bilan : (\d+) créée", out).group(1)) for out, _ in outputs]
    assert sum(created) == MEMBERS, outputs

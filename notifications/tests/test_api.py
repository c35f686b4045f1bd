from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from accounts.tests.factories import UserFactory
from conftest import client_for
from notifications.models import UserNotification
from notifications.tests.factories import UserNotificationFactory, local, subscription_ending

pytestmark = pytest.mark.django_db

LIST = "/api/auth/user/notifications/"


def test_brief_scenario_reminder_seven_days_before_listed_unread_then_read_all_and_one_email(member):
    subscription_ending(local(2026, 3, 10, 18), user=member)

    with time_machine.travel(local(2026, 3, 3, 9), tick=False):
        call_command("process_subscription_notifications", stdout=StringIO())
        auth_client = client_for(member)  # a token issued at the travelled time
        listed = auth_client.get(LIST)
        assert listed.status_code == 200
        [item] = listed.json()["results"]
        assert item["title"] == "Renouvellement recommandé"
        assert item["notification_type"] == "renewal_recommended"
        assert item["status"] == "sent" and item["read_at"] is None
        assert item["message"].startswith("Votre abonnement expire dans 7 jours, le mardi 10 mars 2026")

        read_all = auth_client.post(f"{LIST}read-all/")
        assert read_all.status_code == 200
        assert read_all.json() == {"updated": 1}
        [item] = auth_client.get(LIST).json()["results"]
        assert item["status"] == "read"
        assert item["read_at"].startswith("2026-03-03T09:00:00+01:00")

    with time_machine.travel(local(2026, 3, 3, 12), tick=False):
        call_command("process_subscription_notifications", stdout=StringIO())
    assert [m.to for m in mail.outbox] == [[member.email]]
    assert UserNotification.objects.get().status == UserNotification.Status.READ


def test_list_is_the_members_own_newest_first_and_paginated(member, auth_client):
    older = UserNotificationFactory(user=member, scheduled_for=local(2026, 3, 1, 9))
    newer = UserNotificationFactory(user=member, scheduled_for=local(2026, 3, 2, 9))
    UserNotificationFactory()  # another member's

    body = auth_client.get(LIST).json()

    assert body["count"] == 2
    assert [n["id"] for n in body["results"]] == [newer.pk, older.pk]
    assert auth_client.get(LIST, {"page_size": 1}).json()["next"] is not None


def test_list_filters_by_status_and_hides_dismissed_by_default(member, auth_client):
    unread = UserNotificationFactory(user=member, status="sent")
    read = UserNotificationFactory(user=member, status="read")
    dismissed = UserNotificationFactory(user=member, status="dismissed")

    assert {n["id"] for n in auth_client.get(LIST).json()["results"]} == {unread.pk, read.pk}
    assert [n["id"] for n in auth_client.get(LIST, {"status": "read"}).json()["results"]] == [read.pk]
    assert [n["id"] for n in auth_client.get(LIST, {"status": "dismissed"}).json()["results"]] == [dismissed.pk]


def test_unknown_status_filter_is_400_in_french(auth_client):
    response = auth_client.get(LIST, {"status": "bogus"})
    assert response.status_code == 400
    assert "n'est pas un choix valide" in response.json()["status"][0]


def test_read_records_read_at_and_returns_the_notification(member):
    notification = UserNotificationFactory(user=member)
    with time_machine.travel(local(2026, 3, 5, 10), tick=False):
        response = client_for(member).post(f"{LIST}{notification.pk}/read/")
    assert response.status_code == 200
    assert response.json()["status"] == "read"
    notification.refresh_from_db()
    assert notification.read_at == local(2026, 3, 5, 10)

    with time_machine.travel(local(2026, 3, 6, 10), tick=False):
        client_for(member).post(f"{LIST}{notification.pk}/read/")
    notification.refresh_from_db()
    assert notification.read_at == local(2026, 3, 5, 10)  # the first reading is kept


def test_read_all_counts_only_unread_of_the_member(member, auth_client):
    UserNotificationFactory.create_batch(2, user=member, status="sent")
    UserNotificationFactory(user=member, status="read")
    other = UserNotificationFactory(status="sent")

    assert auth_client.post(f"{LIST}read-all/").json() == {"updated": 2}
    assert auth_client.post(f"{LIST}read-all/").json() == {"updated": 0}
    other.refresh_from_db()
    assert other.status == "sent"


def test_dismiss_hides_the_notification(member, auth_client):
    notification = UserNotificationFactory(user=member)
    response = auth_client.post(f"{LIST}{notification.pk}/dismiss/")
    assert response.status_code == 200
    assert response.json()["status"] == "dismissed"
    assert auth_client.get(LIST).json()["count"] == 0


@pytest.mark.parametrize("action", ["read", "dismiss"])
def test_another_members_notification_is_404_and_untouched(auth_client, action):
    foreign = UserNotificationFactory(user=UserFactory(), status="sent")
    response = auth_client.post(f"{LIST}{foreign.pk}/{action}/")
    assert response.status_code == 404
    assert "detail" in response.json()
    foreign.refresh_from_db()
    assert foreign.status == "sent" and foreign.read_at is None


def test_unknown_id_is_404(auth_client):
    assert auth_client.post(f"{LIST}999999/read/").status_code == 404


def test_anonymous_gets_401(api_client):
    assert api_client.get(LIST).status_code == 401
    assert api_client.post(f"{LIST}read-all/").status_code == 401


def test_each_member_sees_only_their_reminders_after_a_run():
    alice, bob = UserFactory(), UserFactory()
    subscription_ending(local(2026, 3, 10, 18), user=alice)
    subscription_ending(local(2026, 3, 6, 18), user=bob)
    with time_machine.travel(local(2026, 3, 3, 9), tick=False):
        call_command("process_subscription_notifications", stdout=StringIO())
    assert [n["title"] for n in client_for(alice).get(LIST).json()["results"]] == ["Renouvellement recommandé"]
    assert [n["title"] for n in client_for(bob).get(LIST).json()["results"]] == ["Expiration dans 3 jours"]

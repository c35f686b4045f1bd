import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from notifications.models import NotificationDelivery
from notifications.tests.factories import NotificationDeliveryFactory, UserNotificationFactory, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_retry_action_requeues_failed_deliveries_keeping_attempts(admin_client):
    failed = NotificationDeliveryFactory(status="failed", attempts=5, last_error="550")
    sent = NotificationDeliveryFactory(status="sent", attempts=1)

    response = admin_client.post(
        reverse("admin:notifications_notificationdelivery_changelist"),
        {"action": "retry_failed", "_selected_action": [failed.pk, sent.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 envoi en échec remis en file" in response.content.decode()
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, failed.attempts, failed.next_attempt_at) == ("pending", 5, None)
    assert sent.status == "sent"


def test_retry_action_on_notifications_requeues_their_failed_deliveries(admin_client):
    delivery = NotificationDeliveryFactory(status="failed", attempts=5)
    admin_client.post(
        reverse("admin:notifications_usernotification_changelist"),
        {"action": "retry_failed_deliveries", "_selected_action": [delivery.notification_id]},
    )
    delivery.refresh_from_db()
    assert delivery.status == NotificationDelivery.Status.PENDING


def test_notification_list_filters_by_type_status_and_date(admin_client):
    UserNotificationFactory(notification_type="expired", status="read", scheduled_for=local(2026, 3, 3, 9))
    url = reverse("admin:notifications_usernotification_changelist")
    for params in (
        {"notification_type__exact": "expired"},
        {"status__exact": "read"},
        {"scheduled_for__year": "2026", "scheduled_for__month": "3"},
    ):
        response = admin_client.get(url, params)
        assert response.status_code == 200
        assert response.context["cl"].result_count == 1, params
    assert admin_client.get(url, {"notification_type__exact": "we_miss_you"}).context["cl"].result_count == 0


def test_notification_page_shows_its_deliveries_inline(admin_client):
    delivery = NotificationDeliveryFactory(status="failed", last_error="550 Destinataire inconnu")
    response = admin_client.get(reverse("admin:notifications_usernotification_change", args=[delivery.notification_id]))
    assert response.status_code == 200
    assert "550 Destinataire inconnu" in response.content.decode()


def test_a_sent_reminder_cannot_be_rewritten_or_added_in_the_admin(admin_client):
    notification = UserNotificationFactory(title="Renouvellement recommandé", message="Texte d'origine")
    url = f"/admin/notifications/usernotification/{notification.pk}/change/"

    admin_client.post(url, {"title": "Modifié", "message": "Autre texte", "status": "read"})

    notification.refresh_from_db()
    assert (notification.title, notification.message) == ("Renouvellement recommandé", "Texte d'origine")
    assert admin_client.get("/admin/notifications/usernotification/add/").status_code == 403

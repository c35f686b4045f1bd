"""The member's notifications in their data export, and their deletion when the member's data is erased
(accounts.privacy, docs/architecture/personal-data.md)."""

from accounts.privacy import iso
from notifications.models import NotificationDelivery, SignalAlertPreference, UserNotification


def notifications_export(user) -> list[dict]:
    notifications = list(UserNotification.objects.filter(user=user).order_by("scheduled_for", "pk"))
    deliveries: dict[int, list[dict]] = {}
    for delivery in NotificationDelivery.objects.filter(notification__user=user).order_by("pk"):
        deliveries.setdefault(delivery.notification_id, []).append(
            {
                "channel": delivery.channel,
                "status": delivery.status,
                "attempts": delivery.attempts,
                "sent_at": iso(delivery.sent_at),
            }
        )
    return [
        {
            "type": notification.notification_type,
            "reference": notification.reference,
            "title": notification.title,
            "message": notification.message,
            "status": notification.status,
            "scheduled_for": iso(notification.scheduled_for),
            "sent_at": iso(notification.sent_at),
            "read_at": iso(notification.read_at),
            "deliveries": deliveries.get(notification.pk, []),
        }
        for notification in notifications
    ]


def member_notifications_delete(*, user) -> int:
    """Deletes every notification of the member, with its deliveries (CASCADE). Returns how many rows went."""
    deleted, _by_model = UserNotification.objects.filter(user=user).delete()
    return deleted


def signal_alerts_export(user) -> list[dict]:
    """The member's choices of new-signal alerts (market x channel)."""
    return [
        {"market": preference.market, "channel": preference.channel, "created_at": iso(preference.created_at)}
        for preference in SignalAlertPreference.objects.filter(user=user).order_by("market", "channel")
    ]


def member_signal_alerts_delete(*, user) -> int:
    deleted, _by_model = SignalAlertPreference.objects.filter(user=user).delete()
    return deleted

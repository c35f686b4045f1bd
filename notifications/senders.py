"""Delivery channels as small pluggable senders.

A sender sends one batch of claimed deliveries and reports one outcome per delivery; it never writes to the
database (the delivery loop in notifications/services.py records outcomes, attempts and retries). A new
channel (Telegram) is one more sender given to `register_sender`, e.g. from its app's `AppConfig.ready()`:
the command and the delivery loop need no change, and new notifications get a delivery row for it.
"""

import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from django.core.mail import EmailMultiAlternatives, get_connection

from core.emails import email_message
from notifications.calendar import reminder_ends_a_trial, reminder_renews_by_itself
from notifications.models import NotificationDelivery, NotificationType
from notifications.references import signal_link_of

logger = logging.getLogger("calmnessfi.notifications")

Status = NotificationDelivery.Status


@dataclass(frozen=True)
class DeliveryOutcome:
    delivery_id: int
    status: str  # Status.SENT, Status.FAILED or Status.SKIPPED
    error: str = ""
    # The channel itself is unreachable (server down): stop it for this run, the rest stays pending.
    channel_down: bool = False


def channel_down_outcomes(deliveries: Sequence[NotificationDelivery], error: str) -> list[DeliveryOutcome]:
    """The channel itself cannot be reached: these deliveries fail (retried like any failure), and the channel
    stops for this run."""
    return [DeliveryOutcome(d.pk, Status.FAILED, error, channel_down=True) for d in deliveries]


class Sender(Protocol):
    channel: str
    batch_size: int
    # Relations loaded on the deliveries handed to send_batch (keep empty when the sender needs none).
    select_related: tuple[str, ...]
    # The in-app delivery is what makes a notification "sent" for the member.
    marks_notification_sent: bool

    def send_batch(self, deliveries: Sequence[NotificationDelivery]) -> list[DeliveryOutcome]: ...


class InAppSender:
    """In-app: the notification row is the message; delivering it is recording it as sent."""

    channel: str = NotificationDelivery.Channel.IN_APP
    batch_size = 1000
    select_related: tuple[str, ...] = ()
    marks_notification_sent = True

    def send_batch(self, deliveries):
        return [DeliveryOutcome(d.pk, Status.SENT) for d in deliveries]


class EmailSender:
    """French HTML + text e-mail through Django's e-mail backend, one connection opened for the batch."""

    channel: str = NotificationDelivery.Channel.EMAIL
    batch_size = 50
    select_related: tuple[str, ...] = ("notification__user",)
    marks_notification_sent = False

    def send_batch(self, deliveries):
        outcomes: list[DeliveryOutcome] = []
        to_send = []
        for delivery in deliveries:
            user = delivery.notification.user
            # A new-signal alert's consent is the member's preference for the e-mail channel (its delivery exists
            # only then); `email_reminders` is about the subscription reminders.
            is_alert = delivery.notification.notification_type == NotificationType.SIGNAL_PUBLISHED
            if not user.email_reminders and not is_alert:
                outcomes.append(DeliveryOutcome(delivery.pk, Status.SKIPPED, "rappels par e-mail désactivés"))
            elif not user.is_active or not user.email:
                outcomes.append(DeliveryOutcome(delivery.pk, Status.SKIPPED, "compte désactivé ou sans e-mail"))
            else:
                to_send.append(delivery)
        if not to_send:
            return outcomes

        connection = get_connection(fail_silently=False)
        try:
            connection.open()
        except (OSError, smtplib.SMTPException) as exc:
            return outcomes + channel_down_outcomes(to_send, f"serveur SMTP injoignable : {exc}")
        try:
            for index, delivery in enumerate(to_send):
                try:
                    connection.send_messages([self._message(delivery, connection)])
                except smtplib.SMTPRecipientsRefused as exc:
                    outcomes.append(DeliveryOutcome(delivery.pk, Status.FAILED, f"destinataire refusé : {exc}"))
                except (OSError, smtplib.SMTPException) as exc:
                    outcomes.append(DeliveryOutcome(delivery.pk, Status.FAILED, f"envoi impossible : {exc}"))
                    if not self._reconnect(connection):
                        outcomes += channel_down_outcomes(to_send[index + 1 :], "connexion SMTP perdue")
                        break
                else:
                    outcomes.append(DeliveryOutcome(delivery.pk, Status.SENT))
        finally:
            connection.close()
        return outcomes

    @staticmethod
    def _reconnect(connection) -> bool:
        try:
            connection.close()
            connection.open()
        except (OSError, smtplib.SMTPException):
            logger.warning("SMTP reconnection failed")
            return False
        return True

    @staticmethod
    def _message(delivery: NotificationDelivery, connection) -> EmailMultiAlternatives:
        notification = delivery.notification
        user = notification.user
        if notification.notification_type == NotificationType.SIGNAL_PUBLISHED:
            return email_message(
                template="notifications/signal_alert",
                to=user.email,
                subject=f"CalmnessFi – {notification.title}",
                context={
                    "first_name": user.first_name,
                    "title": notification.title,
                    "message": notification.message,
                    "signal_url": signal_link_of(notification),
                },
                connection=connection,
            )
        return email_message(
            template="notifications/reminder",
            to=user.email,
            subject=f"CalmnessFi – {notification.title}",
            context={
                "first_name": user.first_name,
                "title": notification.title,
                "message": notification.message,
                "renews_by_itself": reminder_renews_by_itself(notification.title),
                "ends_a_trial": reminder_ends_a_trial(notification.title),
            },
            connection=connection,
        )


SENDERS: dict[str, Sender] = {}


def register_sender(sender: Sender) -> None:
    """Adds (or replaces) the sender of one channel; registration order is delivery order."""
    SENDERS[sender.channel] = sender


register_sender(InAppSender())
register_sender(EmailSender())

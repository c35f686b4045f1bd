"""Telegram as a delivery channel of the notification calendar: reminders by private message.

Registered in ChannelsSyncConfig.ready() with notifications.senders.register_sender. Like every sender it
only reports outcomes; the notifications delivery loop records them (attempts, retries) like e-mails.
"""

from django.conf import settings

from channels_sync.clients import MemberActionFailed, PlatformUnavailable, TelegramClient
from channels_sync.models import AccountLink, Platform
from notifications.models import NotificationDelivery
from notifications.senders import DeliveryOutcome, channel_down_outcomes

Status = NotificationDelivery.Status


class TelegramSender:
    channel: str = NotificationDelivery.Channel.TELEGRAM
    batch_size = 25
    select_related: tuple[str, ...] = ("notification",)
    marks_notification_sent = False

    def send_batch(self, deliveries):
        if not settings.TELEGRAM_BOT_TOKEN:
            return [DeliveryOutcome(d.pk, Status.SKIPPED, "Telegram non configuré") for d in deliveries]
        chat_ids = dict(
            AccountLink.objects.filter(
                platform=Platform.TELEGRAM, user_id__in={d.notification.user_id for d in deliveries}
            ).values_list("user_id", "remote_id")
        )
        outcomes: list[DeliveryOutcome] = []
        with TelegramClient() as client:
            for index, delivery in enumerate(deliveries):
                chat_id = chat_ids.get(delivery.notification.user_id)
                if chat_id is None:
                    outcomes.append(DeliveryOutcome(delivery.pk, Status.SKIPPED, "compte Telegram non lié"))
                    continue
                notification = delivery.notification
                text = f"{notification.title}\n\n{notification.message}"
                try:
                    client.send_message(user_id=chat_id, text=text)
                except MemberActionFailed as exc:
                    outcomes.append(DeliveryOutcome(delivery.pk, Status.FAILED, f"Telegram : {exc}"))
                except PlatformUnavailable as exc:
                    outcomes += channel_down_outcomes(deliveries[index:], str(exc))
                    break
                else:
                    outcomes.append(DeliveryOutcome(delivery.pk, Status.SENT))
        return outcomes

"""The member's in-app notices about their payments: confirmed (with the end of their coverage) or refused (with the
admin's reason). Written by the receivers of payments' signals (payments/signals.py), in the transaction that decided
the payment: the notice exists exactly when the decision does. The e-mails about the same decision are payments' own
(payments/tasks.py), so the notice has only its in-app delivery.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from core import clock
from core.templatetags.money import format_money
from notifications.calendar import format_end_date
from notifications.models import NotificationDelivery, NotificationType, UserNotification


def _notice_create(*, payment, notification_type: NotificationType, title: str, message: str) -> UserNotification:
    """One notice of a type per payment (a unique constraint): a second decision sends nothing twice."""
    now = clock.now()
    with transaction.atomic():
        notice, created = UserNotification.objects.get_or_create(
            payment=payment,
            notification_type=notification_type,
            defaults={
                "user_id": payment.user_id,
                "title": title,
                "message": message,
                "status": UserNotification.Status.SENT,
                "scheduled_for": now,
                "sent_at": now,
            },
        )
        if created:
            in_app_delivery_record(notice=notice, at=now)
    return notice


def in_app_delivery_record(*, notice: UserNotification, at) -> NotificationDelivery:
    """A notice shown in the app at once: its in-app delivery is recorded as sent (the notices about a payment or a
    renewal; the calendar's reminders are delivered by notifications/services.py)."""
    return NotificationDelivery.objects.create(
        notification=notice,
        channel=NotificationDelivery.Channel.IN_APP,
        status=NotificationDelivery.Status.SENT,
        attempts=1,
        sent_at=at,
    )


def payment_confirmed_notice_create(*, payment, subscription) -> UserNotification:
    return _notice_create(
        payment=payment,
        notification_type=NotificationType.PAYMENT_CONFIRMED,
        title=_("Paiement confirmé"),
        message=_(
            "Votre paiement de %(amount)s (code %(code)s) est confirmé : votre formule %(plan)s court jusqu'au "
            "%(end_date)s. Vos accès aux canaux privés s'ouvrent dans quelques instants."
        )
        % {
            "amount": format_money(payment.amount, payment.currency),
            "code": payment.code,
            "plan": payment.plan.name,
            "end_date": format_end_date(subscription.ends_at),
        },
    )


def payment_rejected_notice_create(*, payment) -> UserNotification:
    return _notice_create(
        payment=payment,
        notification_type=NotificationType.PAYMENT_REJECTED,
        title=_("Paiement refusé"),
        message=_(
            "Votre paiement de %(amount)s (code %(code)s) n'a pas pu être validé. Motif : %(reason)s Vous pouvez "
            "déclarer un nouveau paiement depuis la page Paiements."
        )
        % {
            "amount": format_money(payment.amount, payment.currency),
            "code": payment.code,
            "reason": payment.rejection_reason.rstrip(".") + ".",
        },
    )

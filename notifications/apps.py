from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        from payments.signals import payment_confirmed, payment_rejected

        # The member's in-app notice, in the transaction that decided the payment (notifications/payment_notices.py).
        payment_confirmed.connect(_payment_confirmed, dispatch_uid="notifications.payment_confirmed")
        payment_rejected.connect(_payment_rejected, dispatch_uid="notifications.payment_rejected")


def _payment_confirmed(sender, payment, subscription, **kwargs) -> None:
    from notifications.payment_notices import payment_confirmed_notice_create

    payment_confirmed_notice_create(payment=payment, subscription=subscription)


def _payment_rejected(sender, payment, **kwargs) -> None:
    from notifications.payment_notices import payment_rejected_notice_create

    payment_rejected_notice_create(payment=payment)

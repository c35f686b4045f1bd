from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        from payments.signals import payment_confirmed, payment_rejected

        # The member's in-app notice, in the transaction that decided the payment (notifications/payment_notices.py).
        payment_confirmed.connect(_payment_confirmed, dispatch_uid="notifications.payment_confirmed")
        payment_rejected.connect(_payment_rejected, dispatch_uid="notifications.payment_rejected")

        from accounts.privacy import export_section_register
        from accounts.signals import member_erasing
        from notifications import privacy
        from notifications.models import SignalAlertPreference, UserNotification

        # The member's data (docs/architecture/personal-data.md): exported with deliveries; deleted on erasure.
        export_section_register(name="notifications", export=privacy.notifications_export, models=(UserNotification,))
        export_section_register(
            name="signal_alerts", export=privacy.signal_alerts_export, models=(SignalAlertPreference,)
        )
        member_erasing.connect(_erase_member, dispatch_uid="notifications.member_erasing")


def _payment_confirmed(sender, payment, subscription, **kwargs) -> None:
    from notifications.payment_notices import payment_confirmed_notice_create

    payment_confirmed_notice_create(payment=payment, subscription=subscription)


def _payment_rejected(sender, payment, **kwargs) -> None:
    from notifications.payment_notices import payment_rejected_notice_create

    payment_rejected_notice_create(payment=payment)


def _erase_member(sender, *, user, **kwargs) -> None:
    from notifications.privacy import member_notifications_delete, member_signal_alerts_delete

    member_notifications_delete(user=user)
    member_signal_alerts_delete(user=user)

from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Paiements"

    def ready(self):
        from accounts.privacy import export_section_register
        from accounts.signals import member_erasing
        from payments import privacy
        from payments.models import CouponRedemption, Payment
        from subscriptions.models import Subscription

        # The member's data (docs/architecture/personal-data.md). Payments (their coupon uses with them) are kept 10
        # years (accounting records), anonymised on erasure; subscriptions (subscriptions sits below payments and
        # imports nothing above it) hold nothing personal but the member's link and are exported here.
        export_section_register(name="payments", export=privacy.payments_export, models=(Payment, CouponRedemption))
        export_section_register(name="subscriptions", export=privacy.subscriptions_export, models=(Subscription,))
        member_erasing.connect(_erase_member, dispatch_uid="payments.member_erasing")


def _erase_member(sender, *, user, **kwargs) -> None:
    from payments.privacy import member_payments_anonymise, member_subscriptions_end

    member_payments_anonymise(user=user)
    member_subscriptions_end(user=user)

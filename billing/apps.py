from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Facturation Stripe"

    def ready(self):
        from payments.signals import payment_cancelled

        payment_cancelled.connect(_close_checkout, dispatch_uid="billing.payment_cancelled")

        from accounts.privacy import export_section_register
        from accounts.signals import member_erasing
        from billing import privacy
        from billing.models import StripeCustomer, StripeSubscription

        # The member's data (docs/architecture/personal-data.md): exported; Stripe's ids kept, events scrubbed.
        export_section_register(
            name="stripe", export=privacy.stripe_export, models=(StripeCustomer, StripeSubscription)
        )
        member_erasing.connect(_erase_member, dispatch_uid="billing.member_erasing")


def _close_checkout(sender, *, payment, **kwargs) -> None:
    from billing.checkout import checkout_close_enqueue

    checkout_close_enqueue(payment=payment)


def _erase_member(sender, *, user, **kwargs) -> None:
    from billing.privacy import member_erasure_check, member_stripe_customer_delete_enqueue, member_stripe_events_scrub

    member_erasure_check(user=user)
    member_stripe_events_scrub(user=user)
    member_stripe_customer_delete_enqueue(user=user)

from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Facturation Stripe"

    def ready(self):
        from payments.signals import payment_cancelled

        payment_cancelled.connect(_close_checkout, dispatch_uid="billing.payment_cancelled")


def _close_checkout(sender, *, payment, **kwargs) -> None:
    from billing.checkout import checkout_close_enqueue

    checkout_close_enqueue(payment=payment)

"""The e-mails a member receives about their payments (French, HTML and text)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from core.emails import email_message
from payments.selectors import payment_instructions, payment_method_details_display


def _send(*, to: str, subject: str, template: str, context: dict) -> None:
    email_message(template=f"payments/{template}", to=to, subject=subject, context=context).send()


def send_payment_confirmed_email(*, payment, subscription) -> None:
    _send(
        to=payment.user.email,
        subject=_("Votre paiement est confirmé – abonnement %(plan)s") % {"plan": payment.plan.name},
        template="confirmed",
        context={
            "user": payment.user,
            "payment": payment,
            "subscription": subscription,
            "starts_at": timezone.localtime(subscription.starts_at),
            "ends_at": timezone.localtime(subscription.ends_at),
        },
    )


def send_payment_rejected_email(*, payment) -> None:
    _send(
        to=payment.user.email,
        subject=_("Votre paiement n'a pas pu être validé"),
        template="rejected",
        context={"user": payment.user, "payment": payment},
    )


def send_payment_instructions_email(*, payment) -> None:
    """What to pay, where and with which code, right after the member declared (payments.services.payment_declare)."""
    _send(
        to=payment.user.email,
        subject=_("Instructions de paiement – %(code)s") % {"code": payment.code},
        template="instructions",
        context={
            "user": payment.user,
            "payment": payment,
            "method": payment.payment_method,
            "details": payment_method_details_display(method=payment.payment_method),
            "instructions": payment_instructions(payment=payment),
        },
    )

"""The e-mails a member receives about their payments (French, HTML and text)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _


def _send(*, to: str, subject: str, template: str, context: dict) -> None:
    context = {**context, "frontend_url": settings.FRONTEND_URL}
    text = render_to_string(f"emails/payments/{template}.txt", context)
    html = render_to_string(f"emails/payments/{template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    message.send()


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

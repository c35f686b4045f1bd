"""The e-mails a member receives about their payments (French, HTML and text)."""

from collections.abc import Callable, Sequence

from django.utils import timezone
from django.utils.translation import gettext as _

from core.emails import email_message
from payments.selectors import payment_instructions, payment_method_details_display

# A file to attach to the confirmation e-mail: (filename, content, MIME type), or None. Apps above payments register
# providers in their AppConfig.ready() (invoicing: the invoice's PDF), so payments imports none of them.
Attachment = tuple[str, bytes, str]
_confirmed_email_attachment_providers: list[Callable[..., Attachment | None]] = []


def confirmed_email_attachment_register(provider: Callable[..., Attachment | None]) -> None:
    """`provider(payment)` is asked for an attachment each time a confirmation e-mail is sent."""
    if provider not in _confirmed_email_attachment_providers:
        _confirmed_email_attachment_providers.append(provider)


def _send(*, to: str, subject: str, template: str, context: dict, attachments: Sequence[Attachment] = ()) -> None:
    message = email_message(template=f"payments/{template}", to=to, subject=subject, context=context)
    for attachment in attachments:
        message.attach(*attachment)
    message.send()


def send_payment_confirmed_email(*, payment, subscription) -> None:
    attachments = [found for provider in _confirmed_email_attachment_providers if (found := provider(payment))]
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
            "attachment_names": [name for name, _content, _type in attachments],
        },
        attachments=attachments,
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

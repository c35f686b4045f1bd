"""The member's payment e-mails as tasks of the durable queue (core/tasks.py): asked for in the transaction that
decides the payment, sent by the worker after the commit, tried again if the SMTP server fails."""

from core.tasks import task, task_enqueue
from payments.emails import send_payment_confirmed_email, send_payment_instructions_email, send_payment_rejected_email
from payments.models import Payment
from subscriptions.models import Subscription


def _payment(payment_id: int) -> Payment:
    return Payment.objects.select_related("user", "plan", "payment_method").get(pk=payment_id)


@task()
def payment_instructions_email(*, payment_id: int) -> None:
    send_payment_instructions_email(payment=_payment(payment_id))


@task()
def payment_confirmed_email(*, payment_id: int) -> None:
    payment = _payment(payment_id)
    send_payment_confirmed_email(payment=payment, subscription=Subscription.objects.get(payment=payment))


@task()
def payment_rejected_email(*, payment_id: int) -> None:
    send_payment_rejected_email(payment=_payment(payment_id))


def payment_email_enqueue(email, /, *, payment: Payment) -> None:
    """Ask for one of the e-mails above as part of the current transaction."""
    task_enqueue(email, payment_id=payment.pk)

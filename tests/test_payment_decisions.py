"""What follows an admin's decision on a payment, through the real queue and worker (issue 15): the member's in-app
notice and e-mail, and their channel access within seconds (fake Telegram server, python-telegram-bot)."""

import pytest
from django.core import mail
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from channels_sync.models import ChannelMembership, Platform
from channels_sync.tests.factories import link_telegram, membership
from core.tests.queue import run_worker
from notifications.models import NotificationType, UserNotification
from payments.models import Payment
from payments.services import payment_confirm, payment_reject
from payments.tests.factories import PaymentFactory, PaymentMethodFactory
from subscriptions.tests.factories import PlanFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("database_tasks")]


@pytest.fixture
def pending(member):
    link_telegram(member, 5551)
    return PaymentFactory(user=member, plan=PlanFactory(name="Mensuel"), payment_method=PaymentMethodFactory())


def test_a_confirmation_invites_the_member_notifies_and_mails_from_the_worker(fake_telegram, member, pending):
    payment_confirm(payment=pending, by=None)
    # Committed: the worker has not run yet, so nothing left the server.
    assert fake_telegram.messages == [] and mail.outbox == []

    run_worker()

    [invite] = fake_telegram.messages
    assert invite["chat_id"] == 5551
    assert membership(member, Platform.TELEGRAM).state == ChannelMembership.State.INVITED
    [notice] = UserNotification.objects.filter(user=member)
    assert notice.notification_type == NotificationType.PAYMENT_CONFIRMED
    assert pending.code in notice.message and "Mensuel" in notice.message
    assert notice.deliveries.get().channel == "in_app"
    [email] = mail.outbox
    assert email.to == [member.email] and "confirmé" in email.subject
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_a_second_confirmation_sends_nothing_twice(fake_telegram, member, pending):
    payment_confirm(payment=pending, by=None)
    payment_confirm(payment=pending, by=None)  # a double click
    run_worker()

    assert len(fake_telegram.messages) == 1
    assert UserNotification.objects.filter(user=member).count() == 1
    assert len(mail.outbox) == 1


def test_a_confirmation_that_rolls_back_leaves_no_notice_no_task(fake_telegram, member, pending):
    with pytest.raises(RuntimeError), transaction.atomic():
        payment_confirm(payment=pending, by=None)
        raise RuntimeError("the admin's request fails after the confirmation")
    run_worker()

    assert Payment.objects.get(pk=pending.pk).status == Payment.Status.PENDING
    assert not UserNotification.objects.exists()
    assert not DBTaskResult.objects.exists()
    assert fake_telegram.messages == [] and mail.outbox == []


def test_a_rejection_notifies_with_the_reason_and_mails(fake_telegram, member, pending):
    payment_reject(payment=pending, by=None, reason="Aucun virement reçu avec ce code")
    run_worker()

    [notice] = UserNotification.objects.filter(user=member)
    assert notice.notification_type == NotificationType.PAYMENT_REJECTED
    assert "Aucun virement reçu avec ce code." in notice.message
    [email] = mail.outbox
    assert email.to == [member.email]
    assert fake_telegram.messages == []  # not entitled: nothing to grant

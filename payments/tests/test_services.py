import pytest
from django.core import mail

from accounts.tests.factories import UnverifiedUserFactory
from payments.models import Payment
from payments.services import PaymentError, PaymentNotAllowed, payment_confirm, payment_declare, payment_reject
from payments.tests.factories import PaymentFactory
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db


def test_declared_payment_takes_amount_and_currency_from_the_plan(member):
    plan = PlanFactory(price="129.00", currency="EUR")
    payment, created = payment_declare(
        user=member, plan=plan, method="bank_transfer", reference="VIR-1", note="", idempotency_key=None
    )
    assert created is True
    assert (str(payment.amount), payment.currency, payment.status) == ("129.00", "EUR", Payment.Status.PENDING)


def test_incomplete_profile_cannot_declare_and_gets_missing_fields():
    user = UnverifiedUserFactory()
    with pytest.raises(PaymentNotAllowed) as excinfo:
        payment_declare(user=user, plan=PlanFactory(), method="card", reference="", note="", idempotency_key=None)
    assert set(excinfo.value.missing_fields) == {"first_name", "last_name", "email_verified", "telegram_or_discord"}
    assert not Payment.objects.exists()


def test_inactive_plan_cannot_be_paid(member):
    with pytest.raises(PaymentError):
        payment_declare(
            user=member, plan=PlanFactory(is_active=False), method="card", reference="", note="", idempotency_key=None
        )


def test_retry_with_same_idempotency_key_returns_the_first_payment(member):
    plan = PlanFactory()
    first, created_first = payment_declare(
        user=member, plan=plan, method="card", reference="A", note="", idempotency_key="k-1"
    )
    again, created_again = payment_declare(
        user=member, plan=plan, method="card", reference="B", note="", idempotency_key="k-1"
    )
    assert (created_first, created_again) == (True, False)
    assert again.pk == first.pk
    assert Payment.objects.count() == 1


def test_same_idempotency_key_for_two_members_makes_two_payments(member):
    from accounts.tests.factories import UserFactory

    plan = PlanFactory()
    a, _ = payment_declare(user=member, plan=plan, method="card", reference="", note="", idempotency_key="k")
    b, _ = payment_declare(user=UserFactory(), plan=plan, method="card", reference="", note="", idempotency_key="k")
    assert a.pk != b.pk


def test_second_confirmation_creates_no_subscription(member, admin_user, django_capture_on_commit_callbacks):
    payment = PaymentFactory(user=member)
    with django_capture_on_commit_callbacks(execute=True):
        first = payment_confirm(payment=payment, by=admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        second = payment_confirm(payment=payment, by=admin_user)
    assert first.pk == second.pk
    assert Subscription.objects.filter(user=member).count() == 1
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED
    assert payment.confirmed_by == admin_user
    assert payment.confirmed_at is not None
    assert len(mail.outbox) == 1


def test_confirmation_email_is_french_html_and_text_sent_after_commit(
    member, admin_user, django_capture_on_commit_callbacks
):
    payment = PaymentFactory(user=member, plan=PlanFactory(name="Trimestriel"), reference="VIR-42")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        payment_confirm(payment=payment, by=admin_user)
    assert mail.outbox == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()
    [message] = mail.outbox
    assert message.to == [member.email]
    assert "Votre paiement est confirmé" in message.subject
    assert "Trimestriel" in message.body and "VIR-42" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "Votre abonnement est actif" in html


def test_rejection_records_reason_and_emails_the_member(member, admin_user, django_capture_on_commit_callbacks):
    payment = PaymentFactory(user=member)
    with django_capture_on_commit_callbacks(execute=True):
        payment_reject(payment=payment, by=admin_user, reason="Virement introuvable")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REJECTED
    assert payment.rejection_reason == "Virement introuvable"
    assert payment.rejected_by == admin_user and payment.rejected_at is not None
    [message] = mail.outbox
    assert message.to == [member.email]
    assert "Virement introuvable" in message.body
    assert "Virement introuvable" in message.alternatives[0][0]
    assert not Subscription.objects.exists()


def test_rejected_payment_cannot_be_confirmed(member, admin_user):
    payment = PaymentFactory(user=member)
    payment_reject(payment=payment, by=admin_user, reason="Montant incorrect")
    with pytest.raises(PaymentError, match="rejeté"):
        payment_confirm(payment=payment, by=admin_user)
    assert not Subscription.objects.exists()


def test_confirmed_payment_cannot_be_rejected(member, admin_user):
    payment = PaymentFactory(user=member)
    payment_confirm(payment=payment, by=admin_user)
    with pytest.raises(PaymentError, match="confirmé"):
        payment_reject(payment=payment, by=admin_user, reason="Erreur")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED


def test_rejection_needs_a_reason(member, admin_user):
    payment = PaymentFactory(user=member)
    with pytest.raises(PaymentError):
        payment_reject(payment=payment, by=admin_user, reason="   ")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from accounts.tests.factories import UnverifiedUserFactory, UserFactory
from payments.models import Payment, PaymentMethod
from payments.services import (
    PaymentError,
    PaymentNotAllowed,
    PaymentPendingExists,
    PaymentStateError,
    payment_cancel,
    payment_confirm,
    payment_declare,
    payment_methods_seed_demo,
    payment_reject,
    payment_seed_for_test_member,
)
from payments.tests.factories import PaymentFactory
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("offered_methods")]


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
        payment_declare(user=user, plan=PlanFactory(), method="paypal", reference="", note="", idempotency_key=None)
    assert set(excinfo.value.missing_fields) == {"first_name", "last_name", "email_verified", "telegram_or_discord"}
    assert not Payment.objects.exists()


def test_inactive_plan_cannot_be_paid(member):
    with pytest.raises(PaymentError):
        payment_declare(
            user=member, plan=PlanFactory(is_active=False), method="paypal", reference="", note="", idempotency_key=None
        )


def test_retry_with_same_idempotency_key_returns_the_first_payment(member):
    plan = PlanFactory()
    first, created_first = payment_declare(
        user=member, plan=plan, method="paypal", reference="A", note="", idempotency_key="k-1"
    )
    again, created_again = payment_declare(
        user=member, plan=plan, method="paypal", reference="B", note="", idempotency_key="k-1"
    )
    assert (created_first, created_again) == (True, False)
    assert again.pk == first.pk
    assert Payment.objects.count() == 1


def test_same_idempotency_key_for_two_members_makes_two_payments(member):
    plan = PlanFactory()
    a, _ = payment_declare(user=member, plan=plan, method="paypal", reference="", note="", idempotency_key="k")
    b, _ = payment_declare(user=UserFactory(), plan=plan, method="paypal", reference="", note="", idempotency_key="k")
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


# -- issue 15 ----------------------------------------------------------------------------------------------------


def test_a_cancelled_payment_can_be_neither_confirmed_nor_rejected(member, admin_user):
    payment = PaymentFactory(user=member)
    payment_cancel(payment=payment, by=member)

    with pytest.raises(PaymentError, match="annulé par le membre : il ne peut pas être confirmé"):
        payment_confirm(payment=payment, by=admin_user)
    with pytest.raises(PaymentError, match="annulé par le membre : il ne peut pas être rejeté"):
        payment_reject(payment=payment, by=admin_user, reason="Erreur")

    payment.refresh_from_db()
    assert payment.status == Payment.Status.CANCELLED
    assert not Subscription.objects.exists()


def test_only_a_pending_payment_can_be_cancelled(member, admin_user):
    payment = PaymentFactory(user=member)
    payment_confirm(payment=payment, by=admin_user)

    with pytest.raises(PaymentStateError, match="déjà confirmé"):
        payment_cancel(payment=payment, by=member)

    payment.refresh_from_db()
    assert (payment.status, payment.cancelled_at) == (Payment.Status.CONFIRMED, None)


def test_the_service_refuses_a_second_pending_payment_with_the_first(member):
    plan = PlanFactory()
    first, _ = payment_declare(user=member, plan=plan, method="paypal")

    with pytest.raises(PaymentPendingExists) as excinfo:
        payment_declare(user=member, plan=plan, method="bank_transfer")

    assert excinfo.value.payment == first
    assert Payment.objects.filter(user=member).count() == 1


def test_the_database_refuses_a_second_pending_payment_for_a_member(member):
    PaymentFactory(user=member)
    PaymentFactory(user=member, status=Payment.Status.CONFIRMED)  # other statuses are not limited

    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentFactory(user=member)


@pytest.mark.parametrize("code", ["CFI-0O1IL5", "CFI-abcdef", "CFI-7K3Q9", "XYZ-7K3Q9M", ""])
def test_the_database_refuses_a_malformed_code(member, code):
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentFactory(user=member, code=code)


def test_the_database_refuses_a_code_twice(member):
    taken = PaymentFactory(status=Payment.Status.CONFIRMED)

    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentFactory(user=member, code=taken.code)


def test_a_method_used_by_a_payment_cannot_be_deleted(member):
    payment = PaymentFactory(user=member)

    with pytest.raises(ProtectedError), transaction.atomic():
        payment.payment_method.delete()

    assert PaymentMethod.objects.filter(pk=payment.payment_method_id).exists()


def test_the_demo_seed_creates_two_valid_demonstration_methods_once():
    first = payment_methods_seed_demo()
    second = payment_methods_seed_demo()

    assert [created for _method, created in first] == [True, True]
    assert [created for _method, created in second] == [False, False]
    demo = PaymentMethod.objects.filter(label__contains="(démonstration)")
    assert sorted(demo.values_list("kind", flat=True)) == ["bank_transfer", "crypto"]
    for method in demo:
        method.full_clean()  # valid by the admin's rules
        assert "démonstration" in method.instructions.lower()


def test_the_demo_seed_leaves_an_edited_method_alone():
    [(transfer, _created), _crypto] = payment_methods_seed_demo()
    PaymentMethod.objects.filter(pk=transfer.pk).update(is_active=False, position=99)

    payment_methods_seed_demo()

    transfer.refresh_from_db()
    assert (transfer.is_active, transfer.position) == (False, 99)
    assert PaymentMethod.objects.filter(label=transfer.label).count() == 1


def test_the_test_members_seed_needs_no_payment_method():
    PaymentMethod.objects.all().delete()
    member = UserFactory()

    subscription = payment_seed_for_test_member(user=member)

    payment = subscription.payment
    assert payment.status == Payment.Status.CONFIRMED and payment.payment_method is None
    assert payment.method == "bank_transfer" and payment.code.startswith("CFI-")
    assert mail.outbox == []

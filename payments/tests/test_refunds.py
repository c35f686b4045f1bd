"""Refunds of confirmed payments: the service (once, only a confirmed payment, access now or at the paid end), the
member's figures, the admin's pages, and two admins recording one refund at once (PostgreSQL)."""

import html
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import UserFactory
from core import clock
from payments.models import Payment, PaymentKind, Refund
from payments.refunds import payment_refund_record, refund_access_decide
from payments.services import PaymentError, payment_confirm, payment_reject
from payments.tests.factories import PaymentFactory
from subscriptions.models import MemberFigures, Subscription
from subscriptions.selectors import coverage_end, subscriptions_active_for
from subscriptions.tests.factories import PlanFactory
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db

NOW, PAID_END = Refund.AccessEnds.NOW, Refund.AccessEnds.PAID_END
ACCESS_SYNC = "channels_sync.tasks.member_access_sync"


def confirmed(**fields) -> tuple[Payment, Subscription]:
    payment: Payment = PaymentFactory.create(**fields)
    subscription = payment_confirm(payment=payment, by=None, notify=False)
    payment.refresh_from_db()
    return payment, subscription


def text(response) -> str:
    """The page as read: entities decoded, non-breaking spaces (in amounts) as spaces."""
    return html.unescape(response.content.decode()).replace("\xa0", " ")


def change_url(payment: Payment) -> str:
    return reverse("admin:payments_payment_change", args=[payment.pk])


# -- the service ---------------------------------------------------------------------------------------------------


def test_a_refund_ends_access_now_by_default(admin_user):
    payment, subscription = confirmed()
    assert coverage_end(user=payment.user) == subscription.ends_at

    refund, created = payment_refund_record(payment=payment, by=admin_user)

    assert created
    payment.refresh_from_db()
    subscription.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert (refund.amount, refund.currency, refund.access_ends) == (payment.amount, payment.currency, NOW)
    assert (refund.recorded_by, refund.access_decided_by) == (admin_user, admin_user)
    assert refund.recorded_at == refund.access_decided_at
    assert subscription.status == Subscription.Status.CANCELLED
    assert coverage_end(user=payment.user) is None
    assert not subscriptions_active_for(user=payment.user).exists()


def test_a_refund_at_the_paid_end_leaves_the_subscription_running_without_renewal(admin_user):
    payment, subscription = confirmed()
    Subscription.objects.filter(pk=subscription.pk).update(auto_renew=True, next_charge_at=subscription.ends_at)

    refund, _created = payment_refund_record(payment=payment, by=admin_user, access_ends=PAID_END)

    subscription.refresh_from_db()
    assert refund.access_ends == PAID_END
    assert subscription.status == Subscription.Status.ACTIVE
    assert coverage_end(user=payment.user) == subscription.ends_at
    assert (subscription.auto_renew, subscription.next_charge_at) == (False, None)


def test_a_second_refund_returns_the_first_and_changes_nothing(admin_user):
    payment, _subscription = confirmed()
    first, _created = payment_refund_record(payment=payment, by=None, external_id="ch_1")

    again, created = payment_refund_record(payment=payment, by=admin_user, amount=Decimal("1.00"), access_ends=PAID_END)

    assert not created
    assert again == first
    assert (again.amount, again.recorded_by, again.access_ends) == (payment.amount, None, NOW)
    assert Refund.objects.count() == 1


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (Payment.Status.PENDING, "pas encore confirmé"),
        (Payment.Status.REJECTED, "rejeté"),
        (Payment.Status.CANCELLED, "annulé"),
    ],
)
def test_only_a_confirmed_payment_can_be_refunded(admin_user, status, message):
    payment = PaymentFactory(status=status)

    with pytest.raises(PaymentError, match=message):
        payment_refund_record(payment=payment, by=admin_user)

    assert not Refund.objects.exists()
    payment.refresh_from_db()
    assert payment.status == status


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1"), Decimal("49.01")])
def test_the_amount_given_back_is_positive_and_at_most_the_payment(admin_user, amount):
    payment, _subscription = confirmed(plan=PlanFactory(price=Decimal("49.00")))

    with pytest.raises(PaymentError, match="au plus celui du paiement") as error:
        payment_refund_record(payment=payment, by=admin_user, amount=amount)

    assert error.value.field == "amount"
    assert not Refund.objects.exists()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED


def test_a_partial_amount_given_back_by_an_admin_is_kept(admin_user):
    payment, _subscription = confirmed(plan=PlanFactory(price=Decimal("49.00")))

    refund, _created = payment_refund_record(payment=payment, by=admin_user, amount=Decimal("45.50"))

    assert refund.amount == Decimal("45.50")


def test_one_stripe_charge_is_recorded_on_one_payment_only(admin_user):
    first, _subscription = confirmed()
    second, _subscription = confirmed()
    payment_refund_record(payment=first, by=None, external_id="ch_same")

    with pytest.raises(PaymentError, match="déjà enregistré sur un autre paiement"):
        payment_refund_record(payment=second, by=None, external_id="ch_same")
    # And the database holds it whatever a service checks (two blank ids are fine: refunds made outside Stripe).
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.create(
            payment=second,
            amount=second.amount,
            currency=second.currency,
            external_id="ch_same",
            recorded_at=clock.now(),
            access_decided_at=clock.now(),
        )

    second.refresh_from_db()
    assert second.status == Payment.Status.CONFIRMED


def test_a_refunded_payment_is_never_confirmed_again_nor_rejected(admin_user):
    payment, subscription = confirmed()
    payment_refund_record(payment=payment, by=admin_user)

    assert payment_confirm(payment=payment, by=admin_user) == subscription  # a late paid-checkout event
    with pytest.raises(PaymentError, match="remboursé"):
        payment_reject(payment=payment, by=admin_user, reason="erreur")

    payment.refresh_from_db()
    subscription.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert subscription.status == Subscription.Status.CANCELLED
    assert Subscription.objects.filter(user=payment.user).count() == 1


def test_the_admin_switches_the_access_outcome_both_ways_and_who_decided_is_kept(admin_user):
    payment, subscription = confirmed()
    refund, _created = payment_refund_record(payment=payment, by=None, external_id="ch_2")
    other_admin = UserFactory(is_staff=True, is_superuser=True)

    with time_machine.travel(clock.now() + timedelta(days=2), tick=False):
        refund = refund_access_decide(refund=refund, by=admin_user, access_ends=PAID_END)
        decided_at = clock.now()
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE
    assert (refund.access_ends, refund.access_decided_by, refund.access_decided_at) == (
        PAID_END,
        admin_user,
        decided_at,
    )
    assert refund.recorded_by is None  # the webhook recorded it; the admin only chose the access

    refund = refund_access_decide(refund=refund, by=other_admin, access_ends=NOW)
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.CANCELLED
    assert refund.access_decided_by == other_admin
    assert Refund.objects.get().access_ends == NOW


def test_choosing_the_paid_end_after_it_passed_gives_no_access_back(admin_user):
    payment, subscription = confirmed()
    refund, _created = payment_refund_record(payment=payment, by=admin_user)

    with time_machine.travel(subscription.ends_at + timedelta(hours=1), tick=False):
        refund_access_decide(refund=refund, by=admin_user, access_ends=PAID_END)
        subscription.refresh_from_db()
        assert subscription.status == Subscription.Status.EXPIRED
        assert not subscriptions_active_for(user=payment.user).exists()


def test_choosing_the_outcome_in_force_changes_nothing(admin_user):
    payment, _subscription = confirmed()
    refund, _created = payment_refund_record(payment=payment, by=None)
    other_admin = UserFactory(is_staff=True)

    same = refund_access_decide(refund=refund, by=other_admin, access_ends=NOW)

    assert same.access_decided_by is None
    with pytest.raises(PaymentError, match="Choisissez"):
        refund_access_decide(refund=refund, by=other_admin, access_ends="tomorrow")


@pytest.mark.usefixtures("database_tasks")
def test_the_refund_and_each_later_choice_ask_for_the_members_access_sync(admin_user):
    payment, _subscription = confirmed()
    DBTaskResult.objects.all().delete()

    refund, _created = payment_refund_record(payment=payment, by=admin_user)
    refund_access_decide(refund=refund, by=admin_user, access_ends=PAID_END)

    syncs = DBTaskResult.objects.filter(task_path=ACCESS_SYNC)
    assert [row.args_kwargs["kwargs"] for row in syncs] == [{"user_id": payment.user_id}] * 2


def test_the_members_figures_no_longer_count_a_refunded_payment(admin_user):
    member = UserFactory()
    confirmed(user=member, plan=PlanFactory(price=Decimal("49.00")))
    refunded, _subscription = confirmed(user=member, plan=PlanFactory(price=Decimal("129.99")))
    figures = MemberFigures.objects.get(user_id=member.pk)
    assert (figures.payments_confirmed, figures.paid_cents, figures.payments_total) == (2, 17899, 2)

    payment_refund_record(payment=refunded, by=admin_user)

    figures.refresh_from_db()
    assert (figures.payments_confirmed, figures.paid_cents, figures.payments_total) == (1, 4900, 2)
    assert (figures.subscriptions_total, figures.payments_pending) == (2, 0)


# -- the admin -----------------------------------------------------------------------------------------------------


def test_a_confirmed_payments_page_offers_to_record_a_refund(admin_client):
    payment, _subscription = confirmed()

    page = admin_client.get(change_url(payment)).content.decode()

    assert "Enregistrer un remboursement" in page
    assert reverse("admin:payments_payment_refund", args=[payment.pk]) in page


def test_a_pending_payments_page_offers_no_refund(admin_client):
    payment = PaymentFactory()

    page = admin_client.get(change_url(payment)).content.decode()

    assert "Enregistrer un remboursement" not in page
    assert admin_client.get(reverse("admin:payments_payment_refund", args=[payment.pk])).status_code == 302
    assert not Refund.objects.exists()


def test_the_refund_page_asks_for_the_amount_and_when_access_ends_now_first(admin_client):
    payment, _subscription = confirmed(plan=PlanFactory(price=Decimal("49.00")))

    response = admin_client.get(reverse("admin:payments_payment_refund", args=[payment.pk]))

    assert response.status_code == 200
    form = response.context["form"]
    assert form["amount"].value() == Decimal("49.00")
    assert form["access_ends"].value() == NOW
    page = text(response)
    assert "Maintenant" in page and "À la fin de la période payée" in page
    assert "Enregistrer le remboursement" in page
    assert "tableau de bord Stripe" not in page  # a bank transfer: no word about Stripe


def test_the_refund_page_of_a_card_payment_says_to_refund_it_in_stripe(admin_client):
    payment, _subscription = confirmed(method=PaymentKind.CARD, payment_method=None)

    page = admin_client.get(reverse("admin:payments_payment_refund", args=[payment.pk])).content.decode()

    assert "tableau de bord Stripe" in page


def test_the_admin_records_a_refund_at_the_paid_end_and_sees_it_on_the_payment(admin_client, admin_user):
    payment, subscription = confirmed(plan=PlanFactory(price=Decimal("49.00")))
    url = reverse("admin:payments_payment_refund", args=[payment.pk])

    response = admin_client.post(url, {"amount": "40.00", "access_ends": PAID_END}, follow=True)

    assert response.redirect_chain == [(change_url(payment), 302)]
    page = text(response)
    assert "Remboursement de 40,00 € enregistré" in page
    refund = Refund.objects.get(payment=payment)
    assert (refund.amount, refund.access_ends, refund.recorded_by) == (Decimal("40.00"), PAID_END, admin_user)
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE
    # The payment's page: the refund, who recorded it, and the switch to the other outcome.
    assert "Remboursé" in page and "40,00 €" in page
    assert "Mettre fin à l'accès maintenant" in page
    assert "Enregistrer un remboursement" not in page


def test_an_amount_above_the_payment_shows_the_form_again(admin_client):
    payment, _subscription = confirmed(plan=PlanFactory(price=Decimal("49.00")))

    response = admin_client.post(
        reverse("admin:payments_payment_refund", args=[payment.pk]), {"amount": "60.00", "access_ends": NOW}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["amount"]
    assert not Refund.objects.exists()


def test_the_admin_switches_the_access_on_the_payments_page(admin_client, admin_user):
    payment, subscription = confirmed()
    payment_refund_record(payment=payment, by=None, external_id="ch_3")
    page = text(admin_client.get(change_url(payment)))
    assert "Stripe (webhook)" in page and "ch_3" in page
    assert "Laisser l'accès jusqu'à la fin de la période payée" in page

    response = admin_client.post(
        reverse("admin:payments_payment_refund_access", args=[payment.pk]), {"access_ends": PAID_END}, follow=True
    )

    assert "Fin de l'accès enregistrée : à la fin de la période payée." in text(response)
    subscription.refresh_from_db()
    refund = Refund.objects.get()
    assert subscription.status == Subscription.Status.ACTIVE
    assert (refund.access_ends, refund.access_decided_by) == (PAID_END, admin_user)
    assert admin_client.get(reverse("admin:payments_payment_refund_access", args=[payment.pk])).status_code == 405


def test_staff_without_the_change_permission_cannot_refund(client):
    payment, _subscription = confirmed()
    viewer = UserFactory(is_staff=True)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_payment"))
    client.force_login(viewer)

    page = client.get(change_url(payment)).content.decode()
    answer = client.post(
        reverse("admin:payments_payment_refund", args=[payment.pk]), {"amount": "1", "access_ends": NOW}
    )

    assert "Enregistrer un remboursement" not in page
    assert answer.status_code == 403
    assert not Refund.objects.exists()


def test_refunds_are_listed_read_only(admin_client):
    payment, _subscription = confirmed()
    refund, _created = payment_refund_record(payment=payment, by=None, external_id="ch_4")

    listing = admin_client.get(reverse("admin:payments_refund_changelist"))
    detail = admin_client.get(reverse("admin:payments_refund_change", args=[refund.pk]))

    assert listing.status_code == detail.status_code == 200
    assert payment.code in listing.content.decode()
    assert "Stripe (webhook)" in listing.content.decode()
    assert admin_client.post(reverse("admin:payments_refund_change", args=[refund.pk]), {}).status_code == 403
    assert admin_client.get(reverse("admin:payments_refund_add")).status_code == 403


# -- concurrency (PostgreSQL) --------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_recording_one_refund_at_once_make_one():
    admin_a, admin_b = UserFactory(is_staff=True), UserFactory(is_staff=True)
    payment, subscription = confirmed()

    def record(admin):
        return lambda: payment_refund_record(payment=Payment.objects.get(pk=payment.pk), by=admin)

    results = run_together(record(admin_a), record(admin_b), slowed_tables=("payments_payment", "payments_refund"))

    assert not [r for r in results if isinstance(r, Exception)], results
    (first, created_first), (second, created_second) = results
    assert first == second
    assert sorted([created_first, created_second]) == [False, True]
    assert Refund.objects.count() == 1
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.CANCELLED
    assert MemberFigures.objects.get(user_id=payment.user_id).payments_confirmed == 0

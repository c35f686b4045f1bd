import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.urls import reverse

from payments.models import Payment
from payments.tests.factories import PaymentFactory
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:payments_payment_changelist")


@pytest.fixture
def admin_client_csrf(admin_user):
    """An admin browser session that enforces CSRF like a real one."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    return client


def _csrf(client, url):
    client.get(url)
    return client.cookies["csrftoken"].value


def test_list_shows_pending_payments_first(admin_client):
    confirmed = PaymentFactory(status="confirmed")
    pending = PaymentFactory()
    rejected = PaymentFactory(status="rejected")
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert rows[0] == pending
    assert set(rows[1:]) == {confirmed, rejected}
    filtered = admin_client.get(CHANGELIST, {"status__exact": "rejected"})
    assert list(filtered.context["cl"].result_list) == [rejected]


def test_confirm_action_confirms_many_and_twice_makes_one_subscription_each(
    admin_client, admin_user, django_capture_on_commit_callbacks
):
    payments = PaymentFactory.create_batch(3)
    data = {"action": "confirm_selected", ACTION_CHECKBOX_NAME: [p.pk for p in payments]}
    with django_capture_on_commit_callbacks(execute=True):
        first = admin_client.post(CHANGELIST, data, follow=True)
        admin_client.post(CHANGELIST, data, follow=True)
    assert "3 paiements confirmés." in first.content.decode()
    assert Subscription.objects.count() == 3
    assert set(Payment.objects.values_list("status", flat=True)) == {"confirmed"}
    assert set(Payment.objects.values_list("confirmed_by", flat=True)) == {admin_user.pk}
    assert len(mail.outbox) == 3


def test_confirm_action_reports_rejected_payments(admin_client):
    rejected = PaymentFactory(status="rejected")
    response = admin_client.post(
        CHANGELIST, {"action": "confirm_selected", ACTION_CHECKBOX_NAME: [rejected.pk]}, follow=True
    )
    assert "rejeté" in response.content.decode()
    assert not Subscription.objects.exists()


def test_reject_action_asks_for_a_reason_then_rejects(admin_client, django_capture_on_commit_callbacks):
    payments = PaymentFactory.create_batch(2)
    data = {"action": "reject_selected", ACTION_CHECKBOX_NAME: [p.pk for p in payments]}
    form_page = admin_client.post(CHANGELIST, data)
    assert form_page.status_code == 200
    assert 'name="reason"' in form_page.content.decode()
    assert set(Payment.objects.values_list("status", flat=True)) == {"pending"}
    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client.post(CHANGELIST, {**data, "apply": "1", "reason": "Référence inconnue"}, follow=True)
    assert "2 paiements rejetés." in done.content.decode()
    assert set(Payment.objects.values_list("rejection_reason", flat=True)) == {"Référence inconnue"}
    assert len(mail.outbox) == 2


def test_reject_action_without_reason_shows_the_form_again(admin_client):
    payment = PaymentFactory()
    response = admin_client.post(
        CHANGELIST, {"action": "reject_selected", ACTION_CHECKBOX_NAME: [payment.pk], "apply": "1", "reason": ""}
    )
    assert response.status_code == 200
    assert 'name="reason"' in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


def test_change_page_shows_buttons_and_read_only_confirmation_fields(admin_client):
    payment = PaymentFactory()
    response = admin_client.get(reverse("admin:payments_payment_change", args=[payment.pk]))
    content = response.content.decode()
    assert reverse("admin:payments_payment_confirm", args=[payment.pk]) in content
    assert reverse("admin:payments_payment_reject", args=[payment.pk]) in content
    assert 'name="confirmed_by"' not in content and 'name="status"' not in content


def test_confirm_button_twice_makes_one_subscription(admin_client_csrf, admin_user):
    payment = PaymentFactory()
    url = reverse("admin:payments_payment_confirm", args=[payment.pk])
    token = _csrf(admin_client_csrf, reverse("admin:payments_payment_change", args=[payment.pk]))
    first = admin_client_csrf.post(url, {"csrfmiddlewaretoken": token})
    second = admin_client_csrf.post(url, {"csrfmiddlewaretoken": token})
    assert (first.status_code, second.status_code) == (302, 302)
    assert Subscription.objects.filter(payment=payment).count() == 1
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED and payment.confirmed_by == admin_user


def test_confirm_button_refuses_get_and_missing_csrf(admin_client_csrf):
    payment = PaymentFactory()
    url = reverse("admin:payments_payment_confirm", args=[payment.pk])
    assert admin_client_csrf.get(url).status_code == 405
    assert admin_client_csrf.post(url).status_code == 403
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


def test_reject_button_asks_reason_then_rejects(admin_client, django_capture_on_commit_callbacks):
    payment = PaymentFactory()
    url = reverse("admin:payments_payment_reject", args=[payment.pk])
    assert 'name="reason"' in admin_client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"reason": "Paiement non reçu"})
    assert response.status_code == 302
    payment.refresh_from_db()
    assert (payment.status, payment.rejection_reason) == ("rejected", "Paiement non reçu")
    [message] = mail.outbox
    assert "Paiement non reçu" in message.body


def test_non_staff_cannot_use_the_buttons(client, member):
    client.force_login(member)
    payment = PaymentFactory()
    response = client.post(reverse("admin:payments_payment_confirm", args=[payment.pk]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


def test_subscriptions_filter_ending_within_7_days_and_search_by_email(admin_client, member):
    from datetime import timedelta

    soon = SubscriptionFactory(user=member, plan=PlanFactory(duration_days=5))
    SubscriptionFactory(plan=PlanFactory(duration_days=30))
    url = reverse("admin:subscriptions_subscription_changelist")
    response = admin_client.get(url, {"ends_within": "7"})
    assert list(response.context["cl"].result_list) == [soon]
    found = admin_client.get(url, {"q": member.email})
    assert list(found.context["cl"].result_list) == [soon]
    assert soon.ends_at - soon.starts_at == timedelta(days=5)


def test_plan_admin_lists_plans(admin_client):
    PlanFactory(name="Annuel")
    response = admin_client.get(reverse("admin:subscriptions_plan_changelist"))
    assert "Annuel" in response.content.decode()


def test_member_page_inlines_are_valid_and_show_the_members_rows(rf, admin_user, member):
    from django.contrib.admin import AdminSite, ModelAdmin

    from accounts.models import User
    from payments.admin_inlines import PaymentInline
    from subscriptions.admin_inlines import SubscriptionInline

    class MemberAdmin(ModelAdmin):
        inlines = [PaymentInline, SubscriptionInline]

    model_admin = MemberAdmin(User, AdminSite())
    assert model_admin.check() == []
    payment = PaymentFactory(user=member)
    subscription = SubscriptionFactory(user=member)
    PaymentFactory()  # another member's
    request = rf.get("/")
    request.user = admin_user
    payment_inline, subscription_inline = model_admin.get_inline_instances(request, member)
    assert list(payment_inline.get_formset(request, member)(instance=member).queryset) == [payment]
    assert list(subscription_inline.get_formset(request, member)(instance=member).queryset) == [subscription]
    assert not payment_inline.has_add_permission(request, member)


def test_confirm_button_message_gives_dates_in_paris_time(admin_client):
    # 23:30 UTC on 31 January is already 1 February in Paris.
    payment = PaymentFactory(plan=PlanFactory(duration_days=30))
    url = reverse("admin:payments_payment_confirm", args=[payment.pk])

    with time_machine.travel("2026-01-31 23:30:00+00:00", tick=False):
        response = admin_client.post(url, follow=True)

    [message] = [str(message) for message in response.context["messages"]]
    assert message.startswith("Paiement confirmé : abonnement du 01/02/2026 au 03/03/2026.")


def test_the_list_finds_a_payment_by_its_code_and_shows_its_method(admin_client):
    wanted, other = PaymentFactory(), PaymentFactory()

    response = admin_client.get(CHANGELIST, {"q": wanted.code.lower()})

    assert list(response.context["cl"].result_list) == [wanted]
    assert wanted.payment_method.label in response.content.decode()
    assert other.code not in response.content.decode()


def test_a_cancelled_payment_shows_no_buttons_and_cannot_be_confirmed(admin_client, member):
    payment = PaymentFactory(user=member, status=Payment.Status.CANCELLED)
    confirm_url = reverse("admin:payments_payment_confirm", args=[payment.pk])

    page = admin_client.get(reverse("admin:payments_payment_change", args=[payment.pk]))
    answer = admin_client.post(confirm_url, follow=True)

    assert confirm_url not in page.content.decode()
    assert "annulé par le membre" in answer.content.decode()
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.CANCELLED
    assert not Subscription.objects.exists()

"""The original brief's flow, end to end through the API and the admin."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.urls import reverse

from payments.models import Payment
from subscriptions.tests.factories import PlanFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("offered_methods")]


def test_declare_then_admin_confirms_then_countdown_and_dashboard(
    auth_client, member, admin_client, django_capture_on_commit_callbacks
):
    # given a member who can pay and the public plan list
    PlanFactory(name="Mensuel", slug="mensuel", price="49.00", duration_days=30)
    [plan] = auth_client.get("/api/plans/").json()

    # when the member declares a payment
    declared = auth_client.post(
        "/api/auth/user/payments/",
        {"plan": plan["id"], "method": "bank_transfer", "reference": "VIR-2026-001"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="flow-1",
    )
    assert declared.status_code == 201
    payment_id = declared.json()["id"]
    pending_dashboard = auth_client.get("/api/auth/user/dashboard/").json()
    assert pending_dashboard["stats"]["pending_payments"] == 1
    assert pending_dashboard["countdown"] is None

    # and an admin confirms it from the list
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:payments_payment_changelist"),
            {"action": "confirm_selected", ACTION_CHECKBOX_NAME: [payment_id]},
        )

    # then the member has a running countdown, a French e-mail, and dashboard stats
    assert Payment.objects.get(pk=payment_id).status == Payment.Status.CONFIRMED
    [subscription] = auth_client.get("/api/auth/user/subscriptions/").json()
    assert subscription["is_active"] is True
    assert 29 * 86400 < subscription["time_remaining"]["total_seconds"] <= 30 * 86400
    assert subscription["time_remaining"]["days"] in (29, 30)
    dashboard = auth_client.get("/api/auth/user/dashboard/").json()
    assert dashboard["stats"]["active_subscriptions"] == 1
    assert dashboard["stats"]["confirmed_payments"] == 1
    assert dashboard["stats"]["pending_payments"] == 0
    assert dashboard["stats"]["total_paid"] == "49.00"
    assert dashboard["countdown"]["subscription_id"] == subscription["id"]
    assert dashboard["recent_payments"][0]["status"] == "confirmed"
    [message] = mail.outbox
    assert message.to == [member.email] and "confirmé" in message.subject

"""The admin's list of Stripe events: readable, filterable, never edited."""

import pytest

from billing.models import StripeEvent
from billing.services import stripe_event_record
from billing.tests.stripe_signing import stripe_event

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/billing/stripeevent/"


def test_the_events_list_filters_by_type_and_outcome(admin_client):
    stripe_event_record(event=stripe_event("invoice.paid", {"id": "in_1"}, event_id="evt_invoice"))
    stripe_event_record(event=stripe_event("charge.refunded", {"id": "ch_1"}, event_id="evt_refund"))

    page = admin_client.get(CHANGELIST, {"type": "invoice.paid", "outcome": "pending"})

    assert page.status_code == 200
    body = page.content.decode()
    assert "evt_invoice" in body
    assert "evt_refund" not in body
    assert "En attente" in body


def test_an_event_cannot_be_added_changed_or_deleted(admin_client):
    stripe_event_record(event=stripe_event("invoice.paid", {"id": "in_1"}, event_id="evt_invoice"))
    event = StripeEvent.objects.get()

    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert admin_client.get(f"{CHANGELIST}{event.pk}/delete/").status_code == 403
    detail = admin_client.get(f"{CHANGELIST}{event.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()

"""The webhook: only Stripe-signed bodies are stored, each event once, with one processing task."""

import json
import time

import pytest
from django_tasks_db.models import DBTaskResult

from billing.models import StripeEvent
from billing.tests.stripe_signing import checkout_session, deliver, stripe_event, stripe_signature

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_on", "database_tasks")]

TASK_PATH = "billing.tasks.stripe_event_process"


def processing_tasks() -> list[dict]:
    return [row.args_kwargs["kwargs"] for row in DBTaskResult.objects.filter(task_path=TASK_PATH)]


def test_a_signed_event_is_stored_once_and_its_processing_enqueued():
    event = stripe_event("checkout.session.completed", checkout_session(payment_id=1))

    response = deliver(event)

    assert (response.status_code, response.json()) == (200, {"received": True})
    stored = StripeEvent.objects.get()
    assert (stored.event_id, stored.type, stored.outcome) == (event["id"], event["type"], StripeEvent.Outcome.PENDING)
    assert stored.payload == event
    assert int(stored.created.timestamp()) == event["created"]
    assert processing_tasks() == [{"event_id": event["id"]}]


def test_a_replayed_event_is_stored_once_and_processed_once():
    event = stripe_event("invoice.paid", {"id": "in_1", "object": "invoice"})

    first, second = deliver(event), deliver(event)

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == {"received": True}
    assert StripeEvent.objects.count() == 1
    assert processing_tasks() == [{"event_id": event["id"]}]


BAD_SIGNATURES = {
    "missing": lambda body: "",
    "garbage": lambda body: "pas-une-signature",
    "other secret": lambda body: stripe_signature(body, "whsec_someone_else"),
    "older than 300 s": lambda body: stripe_signature(body, timestamp=int(time.time()) - 301),
    "for another body": lambda body: stripe_signature(body + b" "),
    "no v1 scheme": lambda body: stripe_signature(body).replace("v1=", "v0="),
}


@pytest.mark.parametrize("make_signature", BAD_SIGNATURES.values(), ids=BAD_SIGNATURES.keys())
def test_a_bad_signature_is_a_french_400_and_stores_nothing(make_signature):
    body = json.dumps(stripe_event("checkout.session.completed", checkout_session(payment_id=1))).encode()

    response = deliver(body, signature=make_signature(body))

    assert (response.status_code, response.json()) == (400, {"detail": "Signature Stripe invalide."})
    assert StripeEvent.objects.count() == 0
    assert processing_tasks() == []


def test_a_signature_within_the_tolerance_is_accepted():
    body = json.dumps(stripe_event("checkout.session.completed", checkout_session(payment_id=1))).encode()

    response = deliver(body, signature=stripe_signature(body, timestamp=int(time.time()) - 290))

    assert response.status_code == 200
    assert StripeEvent.objects.count() == 1


@pytest.mark.parametrize("off", ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"])
def test_with_stripe_off_even_a_well_signed_event_is_refused(settings, off):
    setattr(settings, off, "")

    response = deliver(stripe_event("checkout.session.completed", checkout_session(payment_id=1)))

    assert (response.status_code, response.json()) == (400, {"detail": "Stripe n'est pas configuré."})
    assert StripeEvent.objects.count() == 0


NOT_AN_EVENT = "Événement Stripe illisible."
UNREADABLE = {
    "not json": (b"pas du json", "Requête invalide : le corps n'est pas un JSON valide."),
    "a list": (b"[1, 2]", NOT_AN_EVENT),
    "created not a number": (b'{"id": "evt_1", "type": "x", "created": "hier", "data": {"object": {}}}', NOT_AN_EVENT),
    "created out of range": (b'{"id": "evt_1", "type": "x", "created": 1e30, "data": {"object": {}}}', NOT_AN_EVENT),
    "created far away": (
        b'{"id": "evt_1", "type": "x", "created": 99999999999999, "data": {"object": {}}}',
        NOT_AN_EVENT,
    ),
    "empty id": (b'{"id": "", "type": "x", "created": 1, "data": {"object": {}}}', NOT_AN_EVENT),
    "no object": (b'{"id": "evt_1", "type": "x", "created": 1, "data": {}}', NOT_AN_EVENT),
    "a NUL character": (
        b'{"id": "evt_1", "type": "x", "created": 1, "data": {"object": {"a": ["\\u0000"]}}}',
        NOT_AN_EVENT,
    ),
    "a lone surrogate": (
        b'{"id": "evt_1", "type": "x", "created": 1, "data": {"object": {"a": "\\ud800"}}}',
        "Requête invalide : le JSON contient un caractère Unicode isolé (substitut UTF-16 sans paire).",
    ),
    "deep": (b"[" * 100_000 + b"]" * 100_000, "Requête invalide : le JSON est imbriqué trop profondément."),
    "not UTF-8": (b'{"id": "\xff"}', NOT_AN_EVENT),
}


@pytest.mark.parametrize(("body", "message"), UNREADABLE.values(), ids=UNREADABLE.keys())
def test_a_signed_body_that_is_not_an_event_is_a_french_400(body, message):
    response = deliver(body)

    assert (response.status_code, response.json()) == (400, {"detail": message})
    assert StripeEvent.objects.count() == 0


def test_the_webhook_needs_no_csrf_token_nor_login():
    # APIClient enforces no CSRF by default; Django's own Client with enforce_csrf_checks does.
    from django.test import Client

    body = json.dumps(stripe_event("checkout.session.completed", checkout_session(payment_id=1))).encode()
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/api/stripe/webhook/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=stripe_signature(body)
    )

    assert response.status_code == 200

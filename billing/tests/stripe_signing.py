"""Webhook deliveries as Stripe makes them: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>`
over the exact bytes sent (https://docs.stripe.com/webhooks#verify-manually)."""

import hashlib
import hmac
import itertools
import json
import time
from typing import Any

from rest_framework.test import APIClient

WEBHOOK_URL = "/api/stripe/webhook/"
WEBHOOK_SECRET = "whsec_test_billing_0123456789abcdef"
CUSTOMER_ID = "cus_test_1"  # the customer of hand-made sessions (billing.tests.factories gives it to a member)
_ids = itertools.count(1)


def stripe_signature(body: bytes, secret: str = WEBHOOK_SECRET, *, timestamp: int | None = None) -> str:
    signed_at = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{signed_at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={signed_at},v1={digest}"


def stripe_event(event_type: str, data_object: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """An event as Stripe's API version 2025 sends it (the fields the webhook and the handlers read, and a few more)."""
    return {
        "id": event_id or f"evt_test_{next(_ids):06d}",
        "object": "event",
        "api_version": "2025-09-30.clover",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": event_type,
        "data": {"object": data_object},
    }


def checkout_session(*, payment_id: Any, payment_status: str = "paid") -> dict[str, Any]:
    return {
        "id": f"cs_test_{next(_ids):06d}",
        "object": "checkout.session",
        "client_reference_id": None if payment_id is None else str(payment_id),
        "customer": CUSTOMER_ID,
        "mode": "payment",
        "payment_status": payment_status,
        "status": "complete",
    }


def deliver(event: dict[str, Any] | bytes, *, signature: str | None = None, secret: str = WEBHOOK_SECRET):
    """POSTs `event` to the webhook as Stripe does; `signature` replaces the right one ("" sends none)."""
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    header = stripe_signature(body, secret) if signature is None else signature
    return APIClient().generic(
        "POST",
        WEBHOOK_URL,
        body,  # type: ignore[arg-type]  # Django's generic() takes bytes too; the stubs say str
        content_type="application/json; charset=utf-8",
        headers={"Stripe-Signature": header} if header else None,
    )

"""Stripe events about invoices and subscriptions (renewals, failures, cancellations) (docs/architecture/stripe.md)."""

from collections.abc import Callable
from typing import Any

from billing.models import StripeEvent

# Each handler returns "" when it applied the event, or why it had nothing to do (the event is then "ignored").
HANDLERS: dict[str, Callable[[dict[str, Any], StripeEvent], str]] = {}

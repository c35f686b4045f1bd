"""Billing's errors, shared by the event handlers and the services that call them."""


class StripeEventError(Exception):
    """An event that cannot be applied (unknown payment…): the event is marked failed and the queue retries."""

"""Billing's durable tasks (core/tasks.py): JSON arguments, idempotent."""

from billing import checkout, privacy, services
from core.tasks import task


@task()
def stripe_event_process(*, event_id: str) -> str:
    return services.stripe_event_process(event_id=event_id)


@task()
def stripe_checkout_expire(*, session_id: str) -> str:
    return checkout.checkout_close(session_id=session_id)


@task()
def stripe_customer_delete(*, customer_id: str) -> bool:
    return privacy.stripe_customer_delete(customer_id=customer_id)

"""Billing's durable tasks (core/tasks.py): JSON arguments, idempotent."""

from billing import services
from core.tasks import task


@task()
def stripe_event_process(*, event_id: str) -> str:
    return services.stripe_event_process(event_id=event_id)

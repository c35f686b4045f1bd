"""The publishing tasks of the queue (core/tasks.py): posting one SignalPost, editing an original message. Both
take the post's id and read everything else in the worker; publishing/services.py does the work."""

from django.conf import settings

from core.tasks import TaskContext, task
from publishing import services


def _can_defer(task_) -> bool:
    """Pacing asks the task to come back later: only a backend that can defer (the database one) paces. The
    immediate backend of the test settings runs at once."""
    return bool(task_.get_backend().supports_defer)


@task(takes_context=True)
def post_send(context: TaskContext, *, post_id: int) -> str:
    return services.signal_post_send(
        post_id=post_id, last_attempt=context.attempt >= settings.TASKS_MAX_ATTEMPTS, pace=_can_defer(post_send)
    )


@task()
def post_edit(*, post_id: int) -> str:
    return services.signal_post_edit(post_id=post_id, pace=_can_defer(post_edit))

"""task_enqueue with the test settings' immediate backend, which cannot share the transaction: the task runs once
the transaction commits, never when it rolls back (what every other app's tests rely on to read mail.outbox)."""

import pytest
from django.db import transaction

from core.tasks import task_enqueue
from core.tests.queue_tasks import lines, note

pytestmark = pytest.mark.django_db


def test_the_task_runs_when_the_transaction_commits_not_before(tmp_path, django_capture_on_commit_callbacks):
    path = str(tmp_path / "runs.txt")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        task_enqueue(note, path=path, text="après la validation")
        assert lines(path) == []

    assert lines(path) == ["après la validation"]


def test_the_task_never_runs_when_the_transaction_rolls_back(tmp_path, django_capture_on_commit_callbacks):
    path = str(tmp_path / "runs.txt")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        task_enqueue(note, path=path, text="annulée")
        raise RuntimeError("the business transaction fails")

    assert lines(path) == []

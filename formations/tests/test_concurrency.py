import threading

import pytest
from django.db import connection

from formations.models import LessonCompletion
from formations.services import lesson_complete
from formations.tests.factories import LessonFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_completions_of_one_lesson_make_one_row(member):
    lesson = LessonFactory()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def complete():
        try:
            barrier.wait()
            results.append(lesson_complete(user=member, lesson_id=lesson.pk).pk)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=complete) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(set(results)) == 1
    assert LessonCompletion.objects.filter(user=member, lesson=lesson).count() == 1

"""The member's lesson progress in their data export, and its deletion when the member's data is erased
(accounts.privacy, docs/architecture/personal-data.md)."""

from accounts.privacy import iso
from formations.models import LessonCompletion


def lesson_progress_export(user) -> list[dict]:
    completions = LessonCompletion.objects.filter(user=user).select_related("lesson__course").order_by("completed_at")
    return [
        {
            "course": completion.lesson.course.title,
            "lesson": completion.lesson.title,
            "completed_at": iso(completion.completed_at),
        }
        for completion in completions
    ]


def member_lesson_progress_delete(*, user) -> int:
    deleted, _by_model = LessonCompletion.objects.filter(user=user).delete()
    return deleted

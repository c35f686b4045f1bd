"""Writes about formations."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from core import clock
from formations.models import LessonCompletion
from formations.selectors import lesson_for_member


class CourseLocked(PermissionDenied):
    """The member may not open this course (reserved to plans they have no subscription in force to)."""


@transaction.atomic
def lesson_complete(*, user, lesson_id: int) -> LessonCompletion:
    """Mark a lesson done for `user`. Idempotent: a second call returns the first completion.

    Raises Lesson.DoesNotExist (unknown or unpublished: 404) or CourseLocked (403).
    """
    course, lesson = lesson_for_member(user=user, pk=lesson_id)
    if not course.is_accessible:
        raise CourseLocked(_("Cette formation est réservée aux abonnés d'une formule qui l'inclut."))
    completion, _created = LessonCompletion.objects.get_or_create(
        user=user, lesson_id=lesson.pk, defaults={"completed_at": clock.now()}
    )
    return completion

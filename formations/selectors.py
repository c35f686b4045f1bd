"""Reads about formations. Access comes from formations.policies; progress is counted in the database."""

from datetime import datetime
from typing import TYPE_CHECKING, TypedDict, cast

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from formations.models import Course, Lesson, LessonCompletion
from formations.policies import course_access_expression
from subscriptions.models import Plan

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class CourseProgress(TypedDict):
    """What courses_for_member annotates each course with."""

    is_accessible: bool
    lessons_total: int
    lessons_done: int
    minutes_total: int
    percent: int


class CourseDetail(CourseProgress):
    """course_for_member's course: also its lessons, annotated for the member."""

    lesson_list: list[Lesson]


if TYPE_CHECKING:
    CourseForMember = WithAnnotations[Course, CourseProgress]
    CourseDetailForMember = WithAnnotations[Course, CourseDetail]


def _per_course(queryset: QuerySet, group_by: str, aggregate) -> Coalesce:
    """A correlated subquery aggregating `queryset` for the outer course (0 when empty)."""
    values = queryset.order_by().values(group_by).annotate(v=aggregate).values("v")
    return Coalesce(Subquery(values, output_field=IntegerField()), Value(0))


def courses_for_member(*, user, at: datetime | None = None) -> "QuerySet[CourseForMember]":
    """Published courses annotated with `is_accessible`, `lessons_total`, `lessons_done`, `percent`, `minutes_total`.

    One query whatever the number of courses, lessons or completions (plus one for the plans).
    """
    lessons = Lesson.objects.filter(course=OuterRef("pk"))
    completions = LessonCompletion.objects.filter(user=user, lesson__course=OuterRef("pk"))
    return (
        Course.objects.filter(is_published=True)
        .annotate(
            is_accessible=course_access_expression(user=user, at=at),
            lessons_total=_per_course(lessons, "course", Count("pk")),
            lessons_done=_per_course(completions, "lesson__course", Count("pk")),
            minutes_total=_per_course(lessons, "course", Sum("duration_minutes")),
        )
        .annotate(
            percent=Case(
                When(lessons_total=0, then=Value(0)),
                default=F("lessons_done") * 100 / F("lessons_total"),
                output_field=IntegerField(),
            )
        )
        .prefetch_related(Prefetch("plans", queryset=Plan.objects.order_by("price", "duration_days")))
        .order_by("order", "id")
    )


def lessons_with_completion(*, user) -> QuerySet[Lesson]:
    """Lessons annotated with `is_completed` and `completed_at` for `user` (never another member's)."""
    completed = LessonCompletion.objects.filter(user=user, lesson=OuterRef("pk"))
    return Lesson.objects.annotate(
        is_completed=Exists(completed),
        completed_at=Subquery(completed.values("completed_at")[:1]),
    ).order_by("order", "id")


def course_for_member(*, user, slug: str, at: datetime | None = None) -> "CourseDetailForMember":
    """A published course with `lesson_list` (annotated for `user`). Raises Course.DoesNotExist."""
    # Typed with its lesson_list, set on the next line.
    course = cast("CourseDetailForMember", courses_for_member(user=user, at=at).get(slug=slug))
    course.lesson_list = list(lessons_with_completion(user=user).filter(course=course))
    return course


def lesson_for_member(*, user, pk: int, at: datetime | None = None) -> "tuple[CourseForMember, Lesson]":
    """A lesson of a published course, with that course annotated. Raises Lesson/Course.DoesNotExist."""
    lesson = lessons_with_completion(user=user).filter(course__is_published=True).get(pk=pk)
    course = courses_for_member(user=user, at=at).get(pk=lesson.course_id)
    return course, lesson

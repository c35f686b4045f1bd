"""Output shapes of the formations API (also what the member pages read)."""

from typing import TYPE_CHECKING

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from formations.models import Course, Lesson, LessonCompletion
from formations.policies import course_lock_message
from subscriptions.models import Plan

if TYPE_CHECKING:
    from formations.selectors import CourseForMember


class PlanRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = ("id", "name", "slug")
        read_only_fields = fields


class CourseSerializer(serializers.ModelSerializer):
    is_accessible = serializers.BooleanField(read_only=True)
    lessons_total = serializers.IntegerField(read_only=True)
    lessons_done = serializers.IntegerField(read_only=True)
    percent = serializers.IntegerField(read_only=True, help_text="Progression en % (0–100).")
    minutes_total = serializers.IntegerField(read_only=True)
    plans = PlanRefSerializer(many=True, read_only=True, help_text="Vide : ouverte à tous les membres.")
    lock_message = serializers.SerializerMethodField(help_text="Comment y accéder, quand la formation est verrouillée.")

    class Meta:
        model = Course
        fields: tuple[str, ...] = (
            "id",
            "slug",
            "title",
            "summary",
            "cover",
            "order",
            "plans",
            "is_accessible",
            "lock_message",
            "lessons_total",
            "lessons_done",
            "percent",
            "minutes_total",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_lock_message(self, course: "CourseForMember") -> str | None:
        return None if course.is_accessible else course_lock_message(course=course)


class LessonSummarySerializer(serializers.ModelSerializer):
    is_completed = serializers.BooleanField(read_only=True)
    completed_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Lesson
        fields: tuple[str, ...] = (
            "id",
            "order",
            "title",
            "summary",
            "duration_minutes",
            "is_completed",
            "completed_at",
        )
        read_only_fields = fields


class LessonSerializer(LessonSummarySerializer):
    class Meta(LessonSummarySerializer.Meta):
        fields = (*LessonSummarySerializer.Meta.fields, "body", "video_url")
        read_only_fields = fields


class CourseDetailSerializer(CourseSerializer):
    lessons = LessonSerializer(many=True, read_only=True, source="lesson_list")

    class Meta(CourseSerializer.Meta):
        fields = (*CourseSerializer.Meta.fields, "lessons")
        read_only_fields = fields


class LockedCourseDetailSerializer(CourseSerializer):
    """A course the member may not open: the lesson plan without content."""

    lessons = LessonSummarySerializer(many=True, read_only=True, source="lesson_list")

    class Meta(CourseSerializer.Meta):
        fields = (*CourseSerializer.Meta.fields, "lessons")
        read_only_fields = fields


class LessonCompletionSerializer(serializers.ModelSerializer):
    lesson_id = serializers.IntegerField(read_only=True)
    course = CourseSerializer(read_only=True)

    class Meta:
        model = LessonCompletion
        fields = ("lesson_id", "completed_at", "course")
        read_only_fields = fields

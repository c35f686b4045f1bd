from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib import admin
from django.db import models
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from core.plurals import fr_plural
from formations.models import Course, Lesson, LessonCompletion

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise, WithAnnotations

# Links typed without a scheme become https:// (Django 6's default, chosen now).
URL_FIELDS: "Mapping[type[models.Field[Any, Any]], Mapping[str, Any]]" = {models.URLField: {"assume_scheme": "https"}}


class _LessonCount(TypedDict):
    n_lessons: int  # CourseAdmin.get_queryset's annotation


class LessonInline(admin.StackedInline):
    model = Lesson
    formfield_overrides = URL_FIELDS
    extra = 0
    fields = (("order", "title", "duration_minutes"), "summary", "body", "video_url")
    ordering = ("order", "id")


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ("title", "slug", "order", "is_published", "plan_names", "lesson_count")
    list_editable = ("is_published", "order")
    list_filter = ("is_published", "plans")
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("plans",)
    inlines = [LessonInline]
    actions = ["publish", "unpublish"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("plans").annotate(n_lessons=Count("lessons"))

    @admin.display(description=_("formules"))
    def plan_names(self, course: Course) -> "str | StrPromise":
        return ", ".join(plan.name for plan in course.plans.all()) or _("Tous les membres")

    @admin.display(description=_("leçons"), ordering="n_lessons")
    def lesson_count(self, course: "WithAnnotations[Course, _LessonCount]") -> int:
        return course.n_lessons

    @admin.action(description=_("Publier les formations sélectionnées"), permissions=["change"])
    def publish(self, request, queryset):
        updated = queryset.update(is_published=True)
        self.message_user(
            request, fr_plural(updated, _("%(n)d formation publiée."), _("%(n)d formations publiées.")) % {"n": updated}
        )

    @admin.action(description=_("Dépublier les formations sélectionnées"), permissions=["change"])
    def unpublish(self, request, queryset):
        updated = queryset.update(is_published=False)
        self.message_user(
            request,
            fr_plural(updated, _("%(n)d formation dépubliée."), _("%(n)d formations dépubliées.")) % {"n": updated},
        )


@admin.register(LessonCompletion)
class LessonCompletionAdmin(admin.ModelAdmin):
    list_display = ("user", "lesson", "completed_at")
    list_select_related = ("user", "lesson", "lesson__course")
    search_fields = ("user__email", "lesson__title")
    raw_id_fields = ("user", "lesson")
    date_hierarchy = "completed_at"

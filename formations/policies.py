"""Who may open a course: the one rule, used by the API and the member pages.

A published course without plans is open to every logged-in member. A course reserved to plans opens
to a member who has a subscription in force now (active, started, not ended: decided by time, never by
the stored status alone) to one of those plans. Everyone else sees the course exists, locked.
"""

from datetime import datetime

from django.db.models import BooleanField, Case, Exists, OuterRef, Q, Value, When
from django.db.models.expressions import Expression
from django.utils.translation import gettext as _

from formations.models import Course
from subscriptions.models import Subscription
from subscriptions.selectors import in_force_q


def course_access_expression(*, user, at: datetime | None = None) -> Expression:
    """A boolean expression on Course: True when `user` may open it at `at` (default now)."""
    has_plans = Exists(Course.plans.through.objects.filter(course_id=OuterRef("pk")))
    has_matching_subscription = Exists(
        Subscription.objects.filter(in_force_q(at=at), user=user, plan__courses=OuterRef("pk"))
    )
    return Case(
        When(~Q(has_plans) | Q(has_matching_subscription), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def member_can_open_course(*, user, course: Course, at: datetime | None = None) -> bool:
    return (
        Course.objects.filter(pk=course.pk)
        .annotate(accessible=course_access_expression(user=user, at=at))
        .values_list("accessible", flat=True)
        .get()
    )


def course_lock_message(*, course: Course) -> str:
    """What a member who may not open `course` reads: which plans open it (plans must be prefetched)."""
    names = ", ".join(plan.name for plan in course.plans.all())
    return _("Formation réservée aux abonnés de la formule %(plans)s. Abonnez-vous pour y accéder.") % {"plans": names}

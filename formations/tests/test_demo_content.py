from io import StringIO

import pytest
from django.core.management import call_command

from formations.models import Course, Lesson
from subscriptions.tests.factories import PlanFactory
from trading_signals.models import Signal

pytestmark = pytest.mark.django_db


def test_demo_content_is_idempotent_and_reserves_one_course_to_the_yearly_plan():
    yearly = PlanFactory(name="Annuel", slug="annuel", duration_days=365)
    PlanFactory(name="Mensuel", slug="mensuel", duration_days=30)

    call_command("create_demo_content", stdout=StringIO())
    call_command("create_demo_content", stdout=StringIO())

    assert Course.objects.count() == 2
    open_course = Course.objects.get(slug="bases-du-trading")
    assert not open_course.plans.exists()
    assert open_course.lessons.count() == 4
    assert list(Course.objects.get(slug="strategies-avancees").plans.all()) == [yearly]
    assert Lesson.objects.count() == 6
    assert Signal.objects.count() == 15
    assert Signal.objects.values("market").distinct().count() == 5
    assert Signal.objects.values("status").distinct().count() == 5

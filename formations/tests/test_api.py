from datetime import timedelta

import pytest
import time_machine

from conftest import client_for
from core import clock
from formations.models import LessonCompletion
from formations.tests.factories import CourseFactory, LessonFactory, SubscriptionFactory
from subscriptions.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/auth/user/formations/"


def detail_url(slug: str) -> str:
    return f"/api/auth/user/formations/{slug}/"


def complete_url(pk: int) -> str:
    return f"/api/auth/user/lessons/{pk}/complete/"


@pytest.fixture
def yearly():
    return PlanFactory(name="Annuel", slug="annuel", duration_days=365)


@pytest.fixture
def open_course():
    course = CourseFactory(title="Les bases", slug="les-bases", order=1)
    for order in range(4):
        LessonFactory(course=course, order=order)
    return course


@pytest.fixture
def reserved_course(yearly):
    course = CourseFactory(title="Avancé", slug="avance", order=2, plans=[yearly])
    LessonFactory(course=course, order=0)
    LessonFactory(course=course, order=1)
    return course


def courses_by_slug(response) -> dict:
    return {course["slug"]: course for course in response.json()["results"]}


def test_anonymous_gets_401(api_client):
    assert api_client.get(LIST_URL).status_code == 401


def test_member_without_subscription_sees_open_course_and_reserved_one_locked(
    auth_client, open_course, reserved_course
):
    response = auth_client.get(LIST_URL)

    assert response.status_code == 200
    courses = courses_by_slug(response)
    assert courses["les-bases"]["is_accessible"] is True
    assert courses["les-bases"]["lock_message"] is None
    assert courses["avance"]["is_accessible"] is False
    assert "Annuel" in courses["avance"]["lock_message"]
    assert [c["slug"] for c in response.json()["results"]] == ["les-bases", "avance"]


def test_member_with_subscription_in_force_to_the_plan_opens_reserved_course(
    member, auth_client, reserved_course, yearly
):
    SubscriptionFactory(user=member, plan=yearly)

    course = auth_client.get(detail_url("avance")).json()

    assert course["is_accessible"] is True
    assert course["lessons"][0]["body"] == "Contenu secret de la leçon."


def test_subscription_to_another_plan_does_not_open_reserved_course(member, auth_client, reserved_course):
    SubscriptionFactory(user=member, plan=PlanFactory(slug="mensuel"))

    assert auth_client.get(detail_url("avance")).json()["is_accessible"] is False


def test_expired_subscription_by_time_locks_reserved_course_even_if_status_still_active(
    member, reserved_course, yearly
):
    SubscriptionFactory(user=member, plan=yearly)

    with time_machine.travel(clock.now() + timedelta(days=21)):
        course = client_for(member).get(detail_url("avance")).json()

    assert course["is_accessible"] is False
    assert "body" not in course["lessons"][0]
    assert "video_url" not in course["lessons"][0]
    assert course["lessons"][0]["title"]


def test_locked_lesson_cannot_be_completed(auth_client, reserved_course):
    lesson = reserved_course.lessons.first()

    response = auth_client.post(complete_url(lesson.pk))

    assert response.status_code == 403
    assert "réservée" in response.json()["detail"]
    assert not LessonCompletion.objects.exists()


def test_completing_a_lesson_moves_progress(auth_client, open_course):
    lesson = open_course.lessons.first()

    response = auth_client.post(complete_url(lesson.pk))

    assert response.status_code == 200
    assert response.json()["course"]["lessons_done"] == 1
    assert response.json()["course"]["percent"] == 25
    course = auth_client.get(detail_url("les-bases")).json()
    assert [lesson["is_completed"] for lesson in course["lessons"]] == [True, False, False, False]


def test_completing_twice_keeps_one_completion(member, auth_client, open_course):
    lesson = open_course.lessons.first()
    first = auth_client.post(complete_url(lesson.pk)).json()

    second = auth_client.post(complete_url(lesson.pk))

    assert second.status_code == 200
    assert second.json()["completed_at"] == first["completed_at"]
    assert LessonCompletion.objects.filter(user=member).count() == 1


def test_one_members_completion_does_not_affect_another_member(auth_client, open_course):
    other = client_for(SubscriptionFactory().user)
    auth_client.post(complete_url(open_course.lessons.first().pk))

    course = courses_by_slug(other.get(LIST_URL))["les-bases"]

    assert course["lessons_done"] == 0
    assert course["percent"] == 0


def test_unknown_slug_is_404(auth_client, open_course):
    response = auth_client.get(detail_url("inconnue"))

    assert response.status_code == 404
    assert "detail" in response.json()


def test_unpublished_course_is_invisible(auth_client):
    draft = CourseFactory(slug="brouillon", is_published=False)
    lesson = LessonFactory(course=draft)

    assert "brouillon" not in courses_by_slug(auth_client.get(LIST_URL))
    assert auth_client.get(detail_url("brouillon")).status_code == 404
    assert auth_client.post(complete_url(lesson.pk)).status_code == 404


def test_unknown_lesson_is_404(auth_client):
    assert auth_client.post(complete_url(999999)).status_code == 404


def test_list_query_count_does_not_grow_with_courses(auth_client, django_assert_max_num_queries, yearly):
    for n in range(6):
        course = CourseFactory(plans=[yearly] if n % 2 else [])
        LessonFactory(course=course)

    with django_assert_max_num_queries(5):
        response = auth_client.get(LIST_URL)

    assert response.json()["count"] == 6


def test_queued_subscription_not_yet_started_does_not_open_reserved_course(
    member, auth_client, reserved_course, yearly
):
    SubscriptionFactory(
        user=member, plan=yearly, starts_at=clock.now() + timedelta(days=2), ends_at=clock.now() + timedelta(days=30)
    )

    assert auth_client.get(detail_url("avance")).json()["is_accessible"] is False


def test_admin_pages_render(admin_client, reserved_course):
    assert admin_client.get("/admin/formations/course/").status_code == 200
    assert admin_client.get(f"/admin/formations/course/{reserved_course.pk}/change/").status_code == 200
    assert admin_client.get("/admin/formations/course/add/").status_code == 200
    assert admin_client.get("/admin/formations/lessoncompletion/").status_code == 200


def test_admin_publish_action_unpublishes_and_publishes(admin_client, open_course):
    admin_client.post("/admin/formations/course/", {"action": "unpublish", "_selected_action": [open_course.pk]})
    open_course.refresh_from_db()
    assert open_course.is_published is False

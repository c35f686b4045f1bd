from datetime import timedelta

import factory

from core import clock
from formations.models import Course, Lesson
from subscriptions.tests import factories as subscription_factories


class SubscriptionFactory(subscription_factories.SubscriptionFactory):
    """A subscription in force now (started yesterday, ends in 20 days)."""

    starts_at = factory.LazyFunction(lambda: clock.now() - timedelta(days=1))
    ends_at = factory.LazyFunction(lambda: clock.now() + timedelta(days=20))


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Formation {n}")
    slug = factory.Sequence(lambda n: f"formation-{n}")
    summary = "Les bases."
    is_published = True

    @factory.post_generation
    def plans(self, create, extracted, **kwargs):
        if create and extracted:
            self.plans.set(extracted)


class LessonFactory(factory.django.DjangoModelFactory[Lesson]):
    class Meta:
        model = Lesson

    course = factory.SubFactory(CourseFactory)
    order = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Leçon {n}")
    body = "Contenu secret de la leçon."
    video_url = "https://videos.example.com/lecon.mp4"
    duration_minutes = 10

from datetime import timedelta
from decimal import Decimal

import factory

from accounts.tests.factories import UserFactory
from core import clock
from subscriptions.models import Plan, Subscription


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Formule {n}")
    slug = factory.Sequence(lambda n: f"formule-{n}")
    price = Decimal("49.00")
    currency = "EUR"
    duration_days = 30
    is_active = True


class SubscriptionFactory(factory.django.DjangoModelFactory):
    """An active subscription that started now and runs for its plan's duration."""

    class Meta:
        model = Subscription

    user = factory.SubFactory(UserFactory)
    plan = factory.SubFactory(PlanFactory)
    starts_at = factory.LazyFunction(clock.now)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(days=o.plan.duration_days))
    status = Subscription.Status.ACTIVE

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import factory
from django.conf import settings

from accounts.tests.factories import UserFactory
from core import clock
from notifications.models import NotificationDelivery, NotificationType, UserNotification
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware datetime at that wall-clock time in settings.TIME_ZONE."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(settings.TIME_ZONE))


def subscription_ending(ends_at: datetime, **kwargs):
    """A subscription (30 days long) ending at `ends_at`."""
    kwargs.setdefault("plan", PlanFactory(name="Premium", slug="premium"))
    return SubscriptionFactory(starts_at=ends_at - timedelta(days=30), ends_at=ends_at, **kwargs)


class UserNotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserNotification

    user = factory.SubFactory(UserFactory)
    subscription = None
    notification_type = NotificationType.RENEWAL_RECOMMENDED
    title = "Renouvellement recommandé"
    message = "Votre abonnement expire dans 7 jours."
    status = UserNotification.Status.SENT
    scheduled_for = factory.LazyFunction(clock.now)


class NotificationDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationDelivery

    notification = factory.SubFactory(UserNotificationFactory)
    channel = NotificationDelivery.Channel.EMAIL

"""The dashboard body: what each kind of row looks like, and exactly the keys the OpenAPI schema documents."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from drf_spectacular.generators import SchemaGenerator
from rest_framework.renderers import JSONRenderer

from accounts.tests.factories import UserFactory
from channels_sync.models import ChannelMembership, Platform
from channels_sync.tests.factories import link_telegram, subscribe
from core import clock
from member_space.dashboard import dashboard_for_member
from member_space.serializers import dashboard_data
from notifications.models import UserNotification
from notifications.tests.factories import UserNotificationFactory
from payments.models import Payment
from payments.tests.factories import PaymentFactory
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def _body(user) -> dict:
    return dashboard_data(dashboard_for_member(user=user, at=clock.now()))


def _member_with_every_kind_of_row():
    user = UserFactory(first_name="Élodie", preferred_markets=["forex", "crypto"], risk_tolerance="low")
    now = clock.now()
    current = subscribe(user, telegram=True, discord=False)
    plan = PlanFactory(name="Annuel", slug="annuel", price=Decimal("490.50"), duration_days=365)
    SubscriptionFactory(user=user, plan=plan, starts_at=current.ends_at)  # queued renewal
    SubscriptionFactory(
        user=user, plan=plan, starts_at=now - timedelta(days=400), ends_at=now - timedelta(days=35), status="expired"
    )
    PaymentFactory(user=user, plan=plan, status=Payment.Status.CONFIRMED, confirmed_at=now, note="Merci")
    PaymentFactory(
        user=user, plan=plan, status=Payment.Status.REJECTED, rejected_at=now, rejection_reason="Référence inconnue"
    )
    PaymentFactory(user=user, plan=plan, amount=Decimal("12.5"))
    UserNotificationFactory(user=user, status=UserNotification.Status.READ, sent_at=now, read_at=now)
    UserNotificationFactory(user=user, status=UserNotification.Status.SENT, sent_at=now - timedelta(hours=2))
    UserNotificationFactory(user=user, status=UserNotification.Status.PENDING, scheduled_for=now + timedelta(days=1))
    link_telegram(user, 4242)
    ChannelMembership.objects.create(
        user=user, platform=Platform.DISCORD, state="invited", invite_link="https://discord.example/x"
    )
    return user


def test_body_of_a_member_without_history():
    body = _body(UserFactory())

    assert body["countdown"] is None
    assert body["active_subscriptions"] == body["recent_payments"] == body["recent_notifications"] == []
    assert body["stats"]["total_paid"] == "0.00"
    assert body["channels"]["telegram"]["state"] == "not_linked"


def test_body_of_a_member_with_every_kind_of_row():
    user = _member_with_every_kind_of_row()

    with time_machine.travel(clock.now() + timedelta(minutes=7, seconds=3), tick=False):
        body = _body(user)
    rendered = JSONRenderer().render(body)

    assert body["stats"]["total_paid"] == "490.50" and body["stats"]["pending_payments"] == 1
    assert [p["amount"] for p in body["recent_payments"]] == ["12.50", "490.50", "490.50"]
    assert [p["status"] for p in body["recent_payments"]] == ["pending", "rejected", "confirmed"]
    assert body["recent_payments"][1]["rejection_reason"] == "Référence inconnue"
    queued, current = body["active_subscriptions"]
    assert queued["plan"] == {"id": queued["plan"]["id"], "name": "Annuel", "slug": "annuel", "duration_days": 365}
    assert (queued["status"], queued["is_active"], current["telegram_added"]) == ("active", True, False)
    assert body["countdown"]["subscription_id"] == queued["id"]
    assert queued["time_remaining"]["total_seconds"] == body["countdown"]["total_seconds"]
    assert rendered.count(b'"state":"linked"') == 3  # top level and each of the two active subscriptions
    assert body["channels"]["discord"]["invite_link"] == "https://discord.example/x"
    assert body["user"]["first_name"] == "Élodie" and body["user"]["preferred_markets"] == ["forex", "crypto"]


def test_a_subscription_ended_but_not_yet_expired_by_the_cron_is_not_active(member):
    subscription = SubscriptionFactory(user=member)

    with time_machine.travel(subscription.ends_at + timedelta(seconds=1), tick=False):
        body = _body(member)

    assert body["active_subscriptions"] == [] and body["countdown"] is None
    assert body["stats"]["total_subscriptions"] == 1
    assert Subscription.objects.get().status == "active"  # not yet expired by the cron


def test_body_has_exactly_the_keys_the_schema_documents():
    body = _body(_member_with_every_kind_of_row())
    components = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]

    def component(schema: dict) -> dict:
        while "$ref" not in schema:
            schema = (schema.get("allOf") or [schema.get("items")])[0]
        return components[schema["$ref"].rsplit("/", 1)[1]]

    def check(value, schema: dict, where: str) -> None:
        if isinstance(value, list):
            for item in value:
                check(item, schema, where)
        elif isinstance(value, dict):
            documented = component(schema)
            assert set(value) == set(documented["properties"]), where
            for key, item in value.items():
                check(item, documented["properties"][key], f"{where}.{key}")

    check(body, {"$ref": "#/components/schemas/Dashboard"}, "dashboard")

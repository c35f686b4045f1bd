"""What members see of their channel access on the subscriptions endpoint and the dashboard."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from channels_sync.models import ChannelMembership, Platform
from channels_sync.selectors import channel_status_for, channel_statuses_for
from channels_sync.tests.factories import link_telegram, subscribe
from conftest import client_for
from core import clock

pytestmark = pytest.mark.django_db


def test_status_of_a_linked_entitled_member_says_access_is_coming(member):
    subscribe(member, discord=False)
    link_telegram(member, 4242)

    status = channel_status_for(member)

    assert status["telegram"]["state"] == "linked"
    assert "quelques minutes" in status["telegram"]["next_step"]
    assert status["discord"]["state"] == "not_linked"


def test_status_of_a_linked_member_without_subscription_says_to_subscribe(member):
    link_telegram(member, 4242)

    assert "formule" in channel_status_for(member)["telegram"]["next_step"]


def test_action_required_is_shown_to_the_member(member):
    ChannelMembership.objects.create(user=member, platform=Platform.DISCORD, state="action_required")

    status = channel_status_for(member)["discord"]

    assert status["state"] == "action_required"
    assert "Reconnectez" in status["next_step"]


def test_batched_statuses_take_two_queries_whatever_the_number_of_members(django_assert_num_queries):
    users = UserFactory.create_batch(5)
    for index, user in enumerate(users):
        subscribe(user)
        link_telegram(user, 100 + index)

    with django_assert_num_queries(2):  # memberships, then the entitlement of the linked ones
        statuses = channel_statuses_for(users)

    assert {s["telegram"]["state"] for s in statuses.values()} == {"linked"}


def test_statuses_take_one_query_when_no_linked_account_waits_for_access(django_assert_num_queries):
    joined, newcomer = UserFactory.create_batch(2)
    subscribe(joined)
    ChannelMembership.objects.create(user=joined, platform=Platform.TELEGRAM, state="member")

    with django_assert_num_queries(1):
        statuses = channel_statuses_for([joined, newcomer])

    assert statuses[joined.pk]["telegram"]["state"] == "member"
    assert statuses[newcomer.pk]["telegram"]["state"] == "not_linked"


def test_subscriptions_endpoint_shows_channels_per_subscription_at_constant_cost(member):
    first = subscribe(member)
    link_telegram(member, 4242)
    client = client_for(member)
    with CaptureQueriesContext(connection) as one:
        body = client.get("/api/auth/user/subscriptions/").json()
    for _ in range(4):
        subscribe(member, starts_at=first.ends_at + timedelta(days=1))
    with CaptureQueriesContext(connection) as five:
        many = client.get("/api/auth/user/subscriptions/").json()

    assert body[0]["channels"]["telegram"]["state"] == "linked"
    assert len(many) == 5 and all(item["channels"]["telegram"]["state"] == "linked" for item in many)
    assert len(five) == len(one)


def test_dashboard_shows_channels_and_its_query_count_stays_constant(member):
    subscribe(member)
    link_telegram(member, 4242)
    client = client_for(member)
    with CaptureQueriesContext(connection) as before:
        body = client.get("/api/auth/user/dashboard/").json()
    for _ in range(5):
        subscribe(member, starts_at=clock.now() - timedelta(days=1))
    with CaptureQueriesContext(connection) as after:
        client.get("/api/auth/user/dashboard/").json()

    assert body["channels"]["telegram"]["state"] == "linked"
    assert body["channels"]["discord"]["next_step"]
    assert len(after) == len(before)

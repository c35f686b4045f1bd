import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.authentication import api_settings as theirs
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.tokens import AccessToken

from accounts.authentication import MemberJWTAuthentication
from accounts.authentication import api_settings as ours
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def authenticate(token: AccessToken):
    return MemberJWTAuthentication().get_user(AccessToken(str(token)))


def test_an_active_member_is_read_in_one_query_without_simplejwts_lookup(monkeypatch):
    member = UserFactory()
    token = AccessToken.for_user(member)
    authenticate(token)  # compiles the query

    def library_lookup(self, validated_token):
        raise AssertionError("the ordinary case must not fall back to simplejwt's get_user")

    monkeypatch.setattr(JWTAuthentication, "get_user", library_lookup)
    with CaptureQueriesContext(connection) as queries:
        user = authenticate(token)
    assert (user.pk, user.email, user.first_name) == (member.pk, member.email, member.first_name)
    assert len(queries) == 1


def test_a_deactivated_member_gets_simplejwts_answer():
    member = UserFactory()
    token = AccessToken.for_user(member)
    member.is_active = False
    member.save(update_fields=["is_active"])
    with pytest.raises(AuthenticationFailed) as raised:
        authenticate(token)
    assert raised.value.detail["code"] == "user_inactive"


def test_a_deleted_member_gets_simplejwts_answer():
    member = UserFactory()
    token = AccessToken.for_user(member)
    member.delete()
    with pytest.raises(AuthenticationFailed) as raised:
        authenticate(token)
    assert raised.value.detail["code"] == "user_not_found"


def test_revocation_checks_stay_simplejwts_when_turned_on(monkeypatch):
    member = UserFactory()
    token = AccessToken.for_user(member)  # made without the revocation claim
    # simplejwt's modules hold its settings object from import time (override_settings would not reach them).
    for settings_object in {id(ours): ours, id(theirs): theirs}.values():
        monkeypatch.setattr(settings_object, "CHECK_REVOKE_TOKEN", True)
    with pytest.raises(AuthenticationFailed) as raised:
        authenticate(token)
    assert raised.value.detail["code"] == "password_changed"

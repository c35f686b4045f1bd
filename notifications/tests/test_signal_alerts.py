"""The member's choices of new-signal alerts: the API, what each channel needs, and their personal data."""

import pytest

from accounts.privacy import member_data_export, member_erase
from accounts.tests.factories import UserFactory
from channels_sync.tests.factories import link_telegram
from notifications.models import NotificationDelivery, SignalAlertPreference
from tests.fakes.fixtures import fake_telegram  # noqa: F401

pytestmark = pytest.mark.django_db
URL = "/api/auth/user/signal-alerts/"
Channel = NotificationDelivery.Channel


@pytest.fixture
def telegram_sender(fake_telegram):  # noqa: F811
    """What ChannelsSyncConfig.ready() does when TELEGRAM_BOT_TOKEN is set at start-up."""
    from channels_sync.senders import TelegramSender
    from notifications.senders import SENDERS, register_sender

    register_sender(TelegramSender())
    yield fake_telegram
    SENDERS.pop("telegram", None)


def saved(user) -> set[tuple[str, str]]:
    return set(SignalAlertPreference.objects.filter(user=user).values_list("market", "channel"))


def test_the_alerts_need_a_logged_in_member(api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.put(URL, {"alerts": []}, format="json").status_code == 401


def test_a_new_member_has_no_alert_and_is_told_which_channels_are_offered(auth_client):
    response = auth_client.get(URL)

    assert response.status_code == 200
    assert response.json()["alerts"] == []
    channels = {c["channel"]: c for c in response.json()["channels"]}
    assert channels["in_app"]["offered"] and channels["email"]["offered"]
    assert channels["telegram"] == {
        "channel": "telegram",
        "name": "Telegram",
        "offered": False,
        "reason": "Telegram n'est pas disponible sur ce service.",
    }


def test_put_replaces_the_choices_and_get_reads_them_back(auth_client, member):
    SignalAlertPreference.objects.create(user=member, market="stocks", channel="email")
    choices = [
        {"market": "forex", "channel": "email"},
        {"market": "forex", "channel": "in_app"},
        {"market": "crypto", "channel": "in_app"},
        {"market": "forex", "channel": "email"},  # twice is once
    ]

    response = auth_client.put(URL, {"alerts": choices}, format="json")

    assert response.status_code == 200
    expected = [
        {"market": "crypto", "channel": "in_app"},
        {"market": "forex", "channel": "email"},
        {"market": "forex", "channel": "in_app"},
    ]
    assert response.json()["alerts"] == expected
    assert auth_client.get(URL).json()["alerts"] == expected
    assert saved(member) == {("crypto", "in_app"), ("forex", "email"), ("forex", "in_app")}

    assert auth_client.put(URL, {"alerts": []}, format="json").json()["alerts"] == []
    assert saved(member) == set()


def test_each_member_reads_and_writes_only_their_own_choices(auth_client, member):
    other = UserFactory()
    SignalAlertPreference.objects.create(user=other, market="indices", channel="email")

    auth_client.put(URL, {"alerts": [{"market": "forex", "channel": "in_app"}]}, format="json")

    assert auth_client.get(URL).json()["alerts"] == [{"market": "forex", "channel": "in_app"}]
    assert saved(other) == {("indices", "email")}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"alerts": [{"market": "bonds", "channel": "email"}]},
            {"alerts": {"0": {"market": ["«\u00a0bonds\u00a0» n'est pas un choix valide."]}}},
        ),
        (
            {"alerts": [{"market": "forex", "channel": "sms"}]},
            {"alerts": {"0": {"channel": ["«\u00a0sms\u00a0» n'est pas un choix valide."]}}},
        ),
        ({"alerts": [{"market": "forex"}]}, {"alerts": {"0": {"channel": ["Ce champ est obligatoire."]}}}),
        ({}, {"alerts": ["Ce champ est obligatoire."]}),
    ],
)
def test_bad_values_are_refused_in_french_and_nothing_changes(auth_client, member, body, errors):
    SignalAlertPreference.objects.create(user=member, market="forex", channel="in_app")

    response = auth_client.put(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert saved(member) == {("forex", "in_app")}


def test_telegram_is_refused_while_not_configured(auth_client, member):
    response = auth_client.put(URL, {"alerts": [{"market": "forex", "channel": "telegram"}]}, format="json")

    assert response.status_code == 400
    assert response.json() == {"alerts": ["Telegram n'est pas disponible sur ce service."]}
    assert saved(member) == set()


def test_telegram_needs_a_linked_account(auth_client, member, telegram_sender):
    body = {"alerts": [{"market": "forex", "channel": "telegram"}]}

    refused = auth_client.put(URL, body, format="json")
    link_telegram(member, 4242)
    accepted = auth_client.put(URL, body, format="json")

    assert refused.status_code == 400
    assert refused.json() == {
        "alerts": [
            "Reliez d'abord votre compte Telegram (Mon profil, Telegram et Discord) pour recevoir les alertes en "
            "message privé."
        ]
    }
    assert accepted.status_code == 200
    assert saved(member) == {("forex", "telegram")}
    telegram = next(c for c in accepted.json()["channels"] if c["channel"] == "telegram")
    assert telegram["offered"] and telegram["reason"] == ""


def test_the_choices_are_in_the_export_and_gone_after_erasure(member):
    SignalAlertPreference.objects.create(user=member, market="forex", channel="email")
    SignalAlertPreference.objects.create(user=member, market="crypto", channel="in_app")
    other = UserFactory()
    SignalAlertPreference.objects.create(user=other, market="forex", channel="email")

    exported = member_data_export(user=member)["signal_alerts"]
    member_erase(user=member)

    assert [(a["market"], a["channel"]) for a in exported] == [("crypto", "in_app"), ("forex", "email")]
    assert all(a["created_at"] for a in exported)
    assert saved(member) == set()
    assert saved(other) == {("forex", "email")}


def test_the_admin_lists_the_alerts_and_cannot_change_them(admin_client, member):
    preference = SignalAlertPreference.objects.create(user=member, market="forex", channel="email")
    url = "/admin/notifications/signalalertpreference/"

    listing = admin_client.get(url)

    assert listing.status_code == 200
    assert member.email in listing.content.decode()
    assert admin_client.get(url + "add/").status_code == 403
    assert admin_client.post(url + f"{preference.pk}/delete/", {"post": "yes"}).status_code == 403
    assert SignalAlertPreference.objects.filter(pk=preference.pk).exists()

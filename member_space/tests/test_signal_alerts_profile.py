"""The profile's section "Alertes de nouveaux signaux" (member_space/alert_views.py)."""

import re

import pytest

from channels_sync.tests.factories import link_telegram
from notifications.models import SignalAlertPreference

pytestmark = pytest.mark.django_db
PROFILE = "/espace/profil/"
SAVE = "/espace/profil/alertes/"


@pytest.fixture
def telegram_sender(fake_telegram):
    """What ChannelsSyncConfig.ready() does when TELEGRAM_BOT_TOKEN is set at start-up."""
    from channels_sync.senders import TelegramSender
    from notifications.senders import SENDERS, register_sender

    register_sender(TelegramSender())
    yield fake_telegram
    SENDERS.pop("telegram", None)


def section(browser) -> str:
    page = browser.get(PROFILE).content.decode()
    start = page.index('<section class="card" id="alertes">')
    return page[start : page.index("</section>", start)]


def boxes(browser) -> dict[str, dict]:
    return {
        value: {"checked": " checked" in attributes, "disabled": " disabled" in attributes}
        for value, attributes in re.findall(
            r'<input type="checkbox" name="alerts" value="([^"]+)"([^>]*)>', section(browser)
        )
    }


def saved(user) -> set[tuple[str, str]]:
    return set(SignalAlertPreference.objects.filter(user=user).values_list("market", "channel"))


def test_the_profile_shows_one_box_per_market_and_channel_with_the_saved_choices(browser, member):
    SignalAlertPreference.objects.create(user=member, market="crypto", channel="email")

    shown = boxes(browser)

    assert len(shown) == 5 * 3
    assert shown["crypto:email"] == {"checked": True, "disabled": False}
    assert shown["forex:in_app"] == {"checked": False, "disabled": False}
    assert re.findall(r"<legend>([^<]+)</legend>", section(browser)) == [
        "Forex",
        "Crypto-monnaies",
        "Indices",
        "Matières premières",
        "Actions",
    ]


def test_saving_the_form_replaces_the_choices(browser, member):
    SignalAlertPreference.objects.create(user=member, market="stocks", channel="in_app")

    response = browser.post(SAVE, {"alerts": ["forex:in_app", "forex:email", "indices:email"]}, follow=True)

    assert response.redirect_chain[-1][0] == PROFILE + "#alertes"
    assert "Alertes de nouveaux signaux enregistrées." in response.content.decode()
    assert saved(member) == {("forex", "in_app"), ("forex", "email"), ("indices", "email")}
    assert boxes(browser)["indices:email"]["checked"]


def test_telegram_is_offered_only_once_linked_and_says_so_before(browser, member, telegram_sender):
    before = boxes(browser)
    reason = section(browser)
    refused = browser.post(SAVE, {"alerts": ["forex:telegram"]}, follow=True)
    link_telegram(member, 4242)
    after = boxes(browser)
    browser.post(SAVE, {"alerts": ["forex:telegram"]})

    assert before["forex:telegram"]["disabled"]
    assert 'data-channel="telegram">Reliez d&#x27;abord votre compte Telegram' in reason
    assert "Reliez d&#x27;abord votre compte Telegram" in refused.content.decode()
    assert not after["forex:telegram"]["disabled"]
    assert saved(member) == {("forex", "telegram")}


def test_a_forged_value_is_refused_and_nothing_changes(browser, member):
    SignalAlertPreference.objects.create(user=member, market="forex", channel="in_app")

    response = browser.post(SAVE, {"alerts": ["bonds:email"]}, follow=True)

    assert "Marché inconnu : bonds." in response.content.decode()
    assert saved(member) == {("forex", "in_app")}


def test_the_form_needs_a_logged_in_member(client):
    response = client.post(SAVE, {"alerts": ["forex:in_app"]})

    assert response.status_code == 302 and "/connexion/" in response["Location"]
    assert not SignalAlertPreference.objects.exists()

"""The profile's "Alertes de nouveaux signaux" on a phone (390 px): every box reachable without sideways scrolling,
saved and shown checked again. Screenshot: artifacts/screenshots/profile-alerts-phone.png (a copy in
docs/screenshots/)."""

import pytest

from notifications.models import SignalAlertPreference
from tests.e2e.helpers import PHONE, SCREENSHOTS, horizontal_overflow, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_member_chooses_alerts_on_a_phone(open_page, test_member):
    page = open_page(PHONE)
    login(page)
    page.goto("/espace/profil/#alertes")

    page.check("#alertes input[value='forex:in_app']")
    page.check("#alertes input[value='crypto:email']")
    # No Telegram bot on this server: the box is there, disabled, with the reason under the rows.
    assert page.is_disabled("#alertes input[value='forex:telegram']")
    page.click("#alertes button[type=submit]")
    page.wait_for_url("**/espace/profil/#alertes")

    assert "Alertes de nouveaux signaux enregistrées." in page.content()
    assert page.is_checked("#alertes input[value='forex:in_app']")
    assert page.is_checked("#alertes input[value='crypto:email']")
    assert horizontal_overflow(page) <= 0
    assert set(SignalAlertPreference.objects.filter(user=test_member).values_list("market", "channel")) == {
        ("forex", "in_app"),
        ("crypto", "email"),
    }
    # The section alone in artifacts/screenshots/ (docs/screenshots/ keeps a copy).
    page.locator("#alertes").screenshot(path=str(SCREENSHOTS / "profile-alerts-phone.png"))
    assert page.js_errors == []

"""The member space in a real headless Chromium: what a member does, end to end."""

import re

import pytest

from payments.models import Payment
from tests.e2e.helpers import horizontal_overflow, login, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _notify(user, kind: str, title: str, message: str):
    from core import clock
    from notifications.models import UserNotification

    return UserNotification.objects.create(
        user=user, notification_type=kind, title=title, message=message, status="sent", scheduled_for=clock.now()
    )


def test_login_redirects_to_the_dashboard_and_the_countdown_ticks(page, test_member):
    _notify(test_member, "renewal_recommended", "Renouvellement recommandé", "Votre abonnement expire dans 7 jours.")
    page.goto("/espace/profil/")
    assert "/espace/connexion/" in page.url
    screenshot(page, "login")

    login(page)

    countdown = page.locator("#countdown")
    first = int(countdown.get_attribute("data-remaining"))
    seconds_before = page.locator("[data-unit=seconds]").inner_text()
    page.wait_for_timeout(1500)
    second = int(countdown.get_attribute("data-remaining"))
    assert page.locator("[data-unit=seconds]").inner_text() != seconds_before
    assert 0 < first - second <= 3
    # ~30 days left on the seeded monthly subscription.
    assert 28 <= int(page.locator("[data-unit=days]").inner_text()) <= 30
    assert page.js_errors == []
    screenshot(page, "dashboard")


def test_countdown_corrects_a_wrong_device_clock_with_server_time(page, test_member):
    login(page)
    before = int(page.locator("#countdown").get_attribute("data-remaining"))
    # The device clock is 10 days fast: the countdown must still follow the server's clock.
    page.add_init_script("(() => { const d = Date.now; Date.now = () => d() + 10 * 86400 * 1000; })()")

    page.reload()

    after = int(page.locator("#countdown").get_attribute("data-remaining"))
    assert 0 <= before - after <= 5


def test_bad_whatsapp_number_shows_the_french_error_next_to_the_field(page, test_member):
    login(page)
    page.goto("/espace/profil/")
    page.fill("#id_whatsapp_number", "12ab")

    page.click("form.form button[type=submit]")

    error = page.locator("#whatsapp_number-errors")
    assert "Numéro WhatsApp invalide" in error.inner_text()
    assert page.locator(".field.has-error #id_whatsapp_number").count() == 1
    screenshot(page, "profile-error")
    page.fill("#id_whatsapp_number", "06 98 76 54 32")
    page.check("input[name=preferred_markets][value=crypto]")
    page.click("form.form button[type=submit]")
    assert "Profil enregistré." in page.locator(".messages").inner_text()
    assert page.input_value("#id_whatsapp_number") == "+33698765432"
    screenshot(page, "profile")


def test_completing_a_lesson_moves_the_progress_bar(page, test_member):
    login(page)
    page.goto("/espace/formations/")
    course = page.locator("[data-slug=bases-du-trading]")
    assert course.locator(".progress-percent").inner_text() == "0 %"
    assert page.locator("[data-slug=strategies-avancees] .lock-message").is_visible()
    screenshot(page, "formations")

    course.locator("h2 a").click()
    screenshot(page, "formation")
    page.locator(".lessons a").first.click()
    page.click("text=Marquer comme terminée")

    assert "terminée" in page.locator(".messages").inner_text()
    assert page.locator(".progress-done").inner_text() == "1"
    screenshot(page, "lesson")
    page.goto("/espace/formations/")
    assert page.locator("[data-slug=bases-du-trading] .progress-percent").inner_text() == "25 %"
    assert page.locator("[data-slug=bases-du-trading] progress").evaluate("el => el.value") == 25


def test_filtering_signals_and_the_monthly_chart(page, test_member):
    login(page)
    page.goto("/espace/signaux/")
    all_rows = page.locator("#signals-table tbody tr").count()
    assert all_rows == 15
    assert page.locator("#equity-chart svg polyline").count() == 1  # drawn on the server (core/charts.py)
    assert page.locator("#monthly-chart svg rect").count() > 0
    screenshot(page, "signals")

    page.select_option("#id_status", "tp_hit")
    page.select_option("#id_market", "forex")
    page.click("#signal-filters button[type=submit]")

    page.wait_for_url(re.compile(r"status=tp_hit"))
    statuses = page.locator("#signals-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.status)")
    markets = page.locator("#signals-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.market)")
    assert 0 < len(statuses) < all_rows
    assert set(statuses) == {"tp_hit"}
    assert set(markets) == {"forex"}
    assert page.locator("#stat-win-rate").inner_text() == "100,0 %"
    assert page.js_errors == []


def test_bad_signal_filter_shows_the_french_error(page, test_member):
    login(page)
    page.goto("/espace/signaux/?date_from=2026-10-02&date_to=2026-10-01")

    assert "postérieure" in page.locator("#date_to-errors").inner_text()


def test_declaring_a_payment(page, test_member):
    login(page)
    page.goto("/espace/paiements/")
    page.locator(".plan-choice", has_text="Annuel").locator("input").check()
    page.locator(".method-card", has_text="Virement bancaire").locator("input[type=radio]").check()
    page.fill("#id_reference", "VIR-E2E-42")

    page.click("#declare button[type=submit]")

    assert "déclaré" in page.locator(".messages").inner_text()
    payment = Payment.objects.get(user=test_member, reference="VIR-E2E-42", status="pending")
    row = page.locator("#payments-table tbody tr", has_text=payment.code)
    assert "En attente" in row.inner_text()
    screenshot(page, "payments")


def test_notifications_mark_all_read(page, test_member):
    _notify(test_member, "last_chance", "Dernière chance !", "Dernier jour ! Renouvelez maintenant.")
    _notify(test_member, "expires_in_2_days", "Expiration dans 2 jours", "Attention ! Votre abonnement expire.")
    login(page)
    page.goto("/espace/notifications/")
    # Two reminders and the "Paiement confirmé" notice of the seeded payment.
    assert page.locator("#unread-count").inner_text() == "3"
    assert page.locator(".notification.unread", has_text="Paiement confirmé").count() == 1
    screenshot(page, "notifications")

    page.click("text=Tout marquer comme lu")

    assert page.locator("#unread-count").inner_text() == "0"
    assert page.locator(".notification.unread").count() == 0


def test_registration_page_shows_the_api_password_rules(page, live_server):
    page.goto("/espace/inscription/")
    page.fill("#id_email", "nouveau@example.com")
    page.fill("#id_password", "123")
    page.check("#id_accept_terms")

    page.click("button[type=submit]")

    assert "trop court" in page.locator("#password-errors").inner_text()
    assert page.input_value("#id_email") == "nouveau@example.com"
    screenshot(page, "register")


def test_phone_width_has_no_horizontal_scroll(phone_page, test_member):
    login(phone_page)
    for url in ("/espace/", "/espace/signaux/", "/espace/profil/"):
        phone_page.goto(url)
        overflow = horizontal_overflow(phone_page)
        if overflow > 0:
            screenshot(phone_page, "phone-overflow")
        assert overflow <= 0, url
    phone_page.goto("/espace/")
    screenshot(phone_page, "dashboard-phone")


def test_pages_are_readable_and_forms_work_without_javascript(no_js_page, test_member):
    page = no_js_page
    login(page)

    # The countdown is rendered by the server: the figures are there, they just do not tick.
    assert 28 <= int(page.locator("[data-unit=days]").inner_text()) <= 30
    for path, heading in [
        ("/espace/profil/", "Mon profil"),
        ("/espace/formations/", "Formations"),
        ("/espace/signaux/", "Signaux"),
        ("/espace/paiements/", "Paiements"),
        ("/espace/notifications/", "Notifications"),
    ]:
        page.goto(path)
        assert heading in page.locator("h1").inner_text()
    page.goto("/espace/profil/")
    page.fill("#id_first_name", "Jeanne")
    page.click("form.form button[type=submit]")
    assert "Profil enregistré." in page.locator(".messages").inner_text()
    test_member.refresh_from_db()
    assert test_member.first_name == "Jeanne"
    screenshot(page, "profile-no-js")


def test_email_verification_and_password_reset_landings(page, live_server):
    from accounts import services
    from accounts.tests.factories import UnverifiedUserFactory

    member = UnverifiedUserFactory(email="nouveau@example.com")
    page.goto(f"/espace/verifier-email/?token={services.make_email_verification_token(user=member)}")
    screenshot(page, "verify-email")
    page.click("form button[type=submit]")
    member.refresh_from_db()
    assert member.is_verified

    page.goto(f"/espace/mot-de-passe/reinitialiser/?token={services.make_password_reset_token(user=member)}")
    screenshot(page, "password-reset")
    page.fill("input[name=new_password]", "Nouveau-Mot-2026")
    page.fill("input[name=new_password2]", "Nouveau-Mot-2026")
    page.click("form button[type=submit]")
    page.wait_for_url("**/espace/connexion/")
    member.refresh_from_db()
    assert member.check_password("Nouveau-Mot-2026")

"""The pages through Django's test client (no browser): login required, services reached, rules shared."""

from datetime import timedelta

import pytest
from django.test import Client

from core import clock
from formations.models import LessonCompletion
from formations.tests.factories import CourseFactory, LessonFactory, SubscriptionFactory
from notifications.models import UserNotification
from payments.models import Payment
from payments.tests.factories import PaymentMethodFactory
from subscriptions.tests.factories import PlanFactory
from trading_signals.tests.factories import SignalFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "/espace/",
    "/espace/profil/",
    "/espace/formations/",
    "/espace/signaux/",
    "/espace/formules/",
    "/espace/paiements/",
    "/espace/notifications/",
]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_requires_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(f"/espace/connexion/?next={url}")


@pytest.mark.parametrize("url", PAGES)
def test_every_page_renders_in_french_for_a_member(browser, url):
    response = browser.get(url)

    assert response.status_code == 200
    assert 'lang="fr"' in response.content.decode()
    assert "Se déconnecter" in response.content.decode()


def test_login_with_email_and_password_opens_the_dashboard(client, member):
    response = client.post("/espace/connexion/", {"username": member.email.upper(), "password": "MotDePasse123!"})

    assert response.status_code == 302
    assert response["Location"] == "/espace/"


def test_login_page_enforces_csrf(member):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/espace/connexion/", {"username": member.email, "password": "MotDePasse123!"})

    assert response.status_code == 403


def test_dashboard_renders_countdown_epochs_for_the_subscription_ending_last(browser, member):
    SubscriptionFactory(user=member, ends_at=clock.now() + timedelta(days=3))
    last = SubscriptionFactory(user=member, ends_at=clock.now() + timedelta(days=9))

    html = browser.get("/espace/").content.decode()

    assert f'data-ends-at="{round(last.ends_at.timestamp() * 1000)}"' in html
    assert "data-server-time=" in html


def test_profile_shows_the_api_message_next_to_the_field_and_saves_nothing(browser, member):
    response = browser.post(
        "/espace/profil/",
        {"first_name": "Marie", "last_name": "Curie", "telegram_username": member.telegram_username,
         "whatsapp_number": "12ab"},
    )  # fmt: skip

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="whatsapp_number-errors"' in html
    assert "Numéro WhatsApp invalide" in html
    member.refresh_from_db()
    assert member.whatsapp_number == ""


def test_profile_saves_through_the_accounts_service(browser, member):
    response = browser.post(
        "/espace/profil/",
        {"first_name": "Marie", "last_name": "Curie", "telegram_username": "@nouveau_pseudo",
         "whatsapp_number": "06 12 34 56 78", "preferred_markets": ["crypto", "forex"], "risk_tolerance": "low"},
    )  # fmt: skip

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.telegram_username == "nouveau_pseudo"
    assert member.whatsapp_number == "+33612345678"
    assert member.preferred_markets == ["forex", "crypto"]
    assert member.email_reminders is False


def test_completing_a_lesson_from_the_page_moves_progress(browser, member):
    course = CourseFactory(slug="bases")
    first = LessonFactory(course=course, order=1)
    LessonFactory(course=course, order=2)

    response = browser.post(f"/espace/lecons/{first.pk}/terminer/", follow=True)

    assert LessonCompletion.objects.filter(user=member, lesson=first).exists()
    assert "1</span>/2 leçons terminées" in response.content.decode()


def test_locked_lesson_page_redirects_with_the_policy_message(browser):
    course = CourseFactory(slug="avance", plans=[PlanFactory(name="Annuel", slug="annuel")])
    lesson = LessonFactory(course=course)

    response = browser.get(f"/espace/formations/avance/lecons/{lesson.pk}/", follow=True)

    assert "réservée aux abonnés de la formule Annuel" in response.content.decode()
    assert "Contenu secret" not in response.content.decode()
    assert browser.post(f"/espace/lecons/{lesson.pk}/terminer/").status_code == 302
    assert not LessonCompletion.objects.exists()


def test_unknown_course_page_is_404(browser):
    assert browser.get("/espace/formations/inconnue/").status_code == 404


def test_signals_page_hides_details_without_subscription(browser):
    SignalFactory(comment="Détail privé")

    html = browser.get("/espace/signaux/").content.decode()

    assert "Abonnez-vous pour voir les détails" in html
    assert "1,085" not in html


def test_signals_page_shows_details_to_a_subscriber_and_bad_filters_in_french(browser, member):
    SubscriptionFactory(user=member)
    SignalFactory()

    assert "1,085" in browser.get("/espace/signaux/").content.decode()
    html = browser.get("/espace/signaux/?status=gagne").content.decode()
    assert 'id="status-errors"' in html
    assert "n&#x27;est pas un choix valide" in html


def test_declaring_a_payment_from_the_page_uses_the_payment_service(browser, member):
    plan = PlanFactory(slug="mensuel")
    method = PaymentMethodFactory(kind="bank_transfer")
    form = {"plan": plan.pk, "payment_method": method.pk, "reference": "VIR-1", "idempotency_key": "k1"}

    response = browser.post("/espace/paiements/", form)
    browser.post("/espace/paiements/", form)

    assert response.status_code == 302
    payment = Payment.objects.get(user=member)
    assert (payment.amount, payment.payment_method) == (plan.price, method)
    assert payment.status == Payment.Status.PENDING


def test_a_page_loaded_before_payment_methods_may_still_post_the_kind_alone(browser, member):
    plan = PlanFactory(slug="mensuel")
    method = PaymentMethodFactory(kind="bank_transfer")

    response = browser.post("/espace/paiements/", {"plan": plan.pk, "method": "bank_transfer", "idempotency_key": "k"})

    assert response.status_code == 302
    assert Payment.objects.get(user=member).payment_method == method


def test_payments_page_lists_missing_fields_with_links_when_not_eligible(client):
    from accounts.tests.factories import UnverifiedUserFactory

    user = UnverifiedUserFactory()
    client.force_login(user)
    plan = PlanFactory(slug="mensuel")

    html = client.get("/espace/paiements/").content.decode()
    response = client.post("/espace/paiements/", {"plan": plan.pk, "payment_method": PaymentMethodFactory().pk})

    assert 'data-field="first_name"' in html
    assert 'data-field="telegram_or_discord"' in html
    assert 'href="/espace/profil/#id_telegram_username"' in html
    assert response.status_code == 302
    assert not Payment.objects.exists()


def test_notifications_mark_read_and_all_read_only_touch_own(browser, member):
    def notify(user, n):
        return UserNotification.objects.create(
            user=user, notification_type="expired", title=f"T{n}", message="m", status="sent",
            scheduled_for=clock.now(),
        )  # fmt: skip

    mine = [notify(member, 1), notify(member, 2)]
    other = notify(SubscriptionFactory().user, 3)

    assert browser.post(f"/espace/notifications/{other.pk}/lue/").status_code == 404
    browser.post(f"/espace/notifications/{mine[0].pk}/lue/")
    mine[0].refresh_from_db()
    assert mine[0].status == "read"
    browser.post("/espace/notifications/tout-lire/")
    mine[1].refresh_from_db()
    other.refresh_from_db()
    assert mine[1].status == "read"
    assert other.status == "sent"


def test_register_page_creates_an_unverified_member_via_the_service(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/espace/inscription/",
            {"email": "nouveau@example.com", "password": "UnMotDePasse-Solide-42", "accept_terms": "on"},
        )

    assert response.status_code == 200
    assert "Vérifiez votre boîte e-mail" in response.content.decode()
    assert len(mailoutbox) == 1


def test_register_page_shows_password_rules_in_french(client):
    response = client.post(
        "/espace/inscription/", {"email": "nouveau@example.com", "password": "123", "accept_terms": "on"}
    )

    assert 'id="password-errors"' in response.content.decode()
    assert "trop court" in response.content.decode()


def test_verify_email_landing_confirms_on_post_only(client):
    from accounts.services import make_email_verification_token
    from accounts.tests.factories import UnverifiedUserFactory

    user = UnverifiedUserFactory()
    token = make_email_verification_token(user=user)

    client.get(f"/espace/verifier-email/?token={token}")
    user.refresh_from_db()
    assert user.is_verified is False
    client.post("/espace/verifier-email/", {"token": token})
    user.refresh_from_db()
    assert user.is_verified is True
    again = client.post("/espace/verifier-email/", {"token": token})
    assert "message-error" in again.content.decode()


@pytest.fixture
def telegram_on(settings):
    settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_CHANNEL_ID = "123:abc", "-100123"
    settings.TELEGRAM_BOT_USERNAME = "calmnessfi_bot"


def test_profile_shows_channel_states_from_channels_sync(browser, telegram_on):
    html = browser.get("/espace/profil/").content.decode()

    assert 'data-platform="telegram" data-state="not_linked"' in html
    assert "Liez votre compte Telegram" in html
    assert 'data-platform="discord"' not in html  # no Discord bot on this server: not shown at all


def test_profile_shows_no_channel_block_when_no_platform_is_configured(browser):
    html = browser.get("/espace/profil/").content.decode()

    assert 'id="comptes"' not in html and "non configurée" not in html


def test_telegram_link_button_redirects_to_the_bot_deep_link(browser, telegram_on):

    assert 'action="/espace/profil/telegram/"' in browser.get("/espace/profil/").content.decode()
    response = browser.post("/espace/profil/telegram/")

    assert response.status_code == 302
    assert response["Location"].startswith("https://t.me/calmnessfi_bot?start=")


def test_discord_link_without_configuration_explains_in_french(browser, settings):
    settings.DISCORD_CLIENT_ID = ""

    response = browser.post("/espace/profil/discord/", follow=True)

    assert "La liaison Discord n&#x27;est pas configurée." in response.content.decode()


def test_login_page_shares_the_api_login_throttle(client, member, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "login": "2/min"}
    for _ in range(2):
        assert client.post("/espace/connexion/", {"username": member.email, "password": "faux"}).status_code == 200

    blocked = client.post("/espace/connexion/", {"username": member.email, "password": "MotDePasse123!"})
    api = client.post("/api/auth/login/", {"email": member.email, "password": "MotDePasse123!"}, "application/json")

    assert blocked.status_code == 429
    assert "Trop de tentatives" in blocked.content.decode()
    assert "_auth_user_id" not in client.session
    assert api.status_code == 429


def test_profile_bad_market_shows_a_readable_message(browser):
    response = browser.post("/espace/profil/", {"first_name": "Marie", "preferred_markets": ["lune"]})

    html = response.content.decode()
    assert 'id="preferred_markets-errors"' in html
    assert "n&#x27;est pas un choix valide" in html
    assert "{" not in html.split('id="preferred_markets-errors"')[1].split("</ul>")[0]


def test_logout_is_a_post_that_ends_the_session(browser):
    response = browser.post("/espace/deconnexion/")

    assert response.status_code == 302
    assert response["Location"] == "/espace/connexion/"
    assert browser.get("/espace/").status_code == 302


def test_lesson_page_with_another_courses_slug_is_404(browser):
    lesson = LessonFactory(course=CourseFactory(slug="une"))
    CourseFactory(slug="autre")

    assert browser.get(f"/espace/formations/autre/lecons/{lesson.pk}/").status_code == 404


def test_password_reset_landing_sets_a_new_password_once(client, member):
    from accounts.services import make_password_reset_token

    token = make_password_reset_token(user=member)
    assert "Nouveau mot de passe" in client.get(f"/espace/mot-de-passe/reinitialiser/?token={token}").content.decode()

    mismatch = client.post(
        "/espace/mot-de-passe/reinitialiser/",
        {"token": token, "new_password": "Nouveau-Secret-77", "new_password2": "autre"},
    )
    assert 'id="new_password2-errors"' in mismatch.content.decode()
    done = client.post(
        "/espace/mot-de-passe/reinitialiser/",
        {"token": token, "new_password": "Nouveau-Secret-77", "new_password2": "Nouveau-Secret-77"},
    )

    assert done.status_code == 302
    member.refresh_from_db()
    assert member.check_password("Nouveau-Secret-77")
    reused = client.get(f"/espace/mot-de-passe/reinitialiser/?token={token}")
    assert "message-error" in reused.content.decode()

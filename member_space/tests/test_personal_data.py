"""The member's personal data (issue 17): the export covers every row about them, the deletion leaves nothing
personal in any text column of any table, removes their channel access at once and keeps the payments anonymised.

Cross-app on purpose (every app's rows are built through its real paths), hence in the top app."""

import json
from io import BytesIO

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from django_tasks_db.models import DBTaskResult
from PIL import Image
from rest_framework.test import APIClient

from accounts.models import User
from accounts.privacy import deleted_email, export_sections, member_erase
from accounts.tests.factories import UserFactory
from billing.models import StripeSubscription
from channels_sync.models import AccountLink, ChannelAction, ChannelMembership, LinkToken
from channels_sync.tests.factories import link_discord, link_telegram
from conftest import client_for
from core import clock
from core.tests.queue import run_worker
from formations.models import LessonCompletion
from formations.tests.factories import LessonFactory
from invoicing.models import Invoice
from notifications.models import NotificationDelivery, UserNotification
from notifications.tests.factories import NotificationDeliveryFactory, UserNotificationFactory
from payments.models import Payment
from payments.services import payment_confirm
from payments.tests.factories import PaymentFactory
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory
from tests.fakes.fixtures import fake_discord, fake_telegram  # noqa: F401
from trials.models import TrialGrant
from trials.services import trial_eligible, trial_start

pytestmark = pytest.mark.django_db

PASSWORD = "MotDePasse123!"
EMAIL = "zephyrine.quignard@example.com"
TELEGRAM_ID = 770077001
DISCORD_ID = "912345678901234567"
# What names the member, searched for in every text column after the deletion.
PERSONAL = {
    "email": EMAIL,
    "first_name": "Zéphyrine",
    "last_name": "Quignard",
    "telegram_username": "zephy_quignard",
    "discord_username": "zephyquig",
    "whatsapp_number": "+33698765432",
    "telegram_id": str(TELEGRAM_ID),
    "discord_id": DISCORD_ID,
    "remote_username": "ZephyOnDiscord",
}

# Models with a relation to the member that no export section covers, and why (nothing of the member in them).
NOT_PERSONAL = {
    "admin.LogEntry": "the staff member's actions (LogEntry.user is the admin); the member's name is anonymised",
    "token_blacklist.OutstandingToken": "security records of issued JWTs (blacklisted on deletion)",
    "subscriptions.MemberFigures": "counters derived from the exported rows",
    "payments.Refund": "its user fields are the staff who recorded it; the refund is exported with its payment",
    "trading_signals.SignalEvent": "created_by is the staff member who moved a signal on; nothing about a member",
    "trading_signals.SignalRevision": "changed_by is the staff member who corrected a signal; nothing about a member",
}


def _png() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (20, 10), (10, 200, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private_media"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture
def history(fake_telegram, fake_discord, private_media, django_capture_on_commit_callbacks):  # noqa: F811
    """A member with everything: profile, linked Telegram and Discord (in the channel and holding the role), a free
    trial, a payment with a proof confirmed (subscription, invoice, notice), notifications with deliveries, lesson
    progress, an admin history entry."""
    member = UserFactory(
        email=EMAIL,
        password=PASSWORD,
        first_name=PERSONAL["first_name"],
        last_name=PERSONAL["last_name"],
        telegram_username=PERSONAL["telegram_username"],
        discord_username=PERSONAL["discord_username"],
        whatsapp_number=PERSONAL["whatsapp_number"],
        preferred_markets=["forex"],
        terms_version="2026-11-28",
    )
    link_telegram(member, TELEGRAM_ID)
    discord_link = link_discord(member, fake_discord, DISCORD_ID)
    discord_link.remote_username = PERSONAL["remote_username"]
    discord_link.save()
    admin = User.objects.create_superuser(email="chef@calmnessfi.com", password=PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        trial_start(user=member, plan=PlanFactory(trial_days=7))
    payment = PaymentFactory(
        user=member,
        reference=f"Virement {PERSONAL['first_name']} {PERSONAL['last_name']}",
        note=f"Écrivez-moi à {EMAIL}",
    )
    api = client_for(member)
    proof = SimpleUploadedFile("preuve.png", _png(), "image/png")
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            api.post(f"/api/auth/user/payments/{payment.pk}/proof/", {"file": proof}, format="multipart").status_code
            == 200
        )
    with django_capture_on_commit_callbacks(execute=True):
        payment_confirm(payment=payment, by=admin)
    notice = UserNotificationFactory(user=member, message=f"Bonjour {PERSONAL['first_name']}")
    NotificationDeliveryFactory(notification=notice, last_error=f"refusé pour {EMAIL}")
    LessonCompletion.objects.create(user=member, lesson=LessonFactory(), completed_at=clock.now())
    # The admin once edited the member: the history names the row.
    LogEntry.objects.log_actions(
        user_id=admin.pk, queryset=[member], action_flag=CHANGE, change_message="Modifié", single_object=True
    )
    # The confirmation granted access: the member joins the channel with their invite.
    [invite] = fake_telegram.invite_links
    fake_telegram.join(user_id=TELEGRAM_ID, invite_link=invite)
    assert fake_discord.role_id in fake_discord.members.get(DISCORD_ID, set())
    return member


def _text_columns(model) -> list[str]:
    return [
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, (models.CharField, models.TextField, models.JSONField))
    ]


def _personal_leftovers() -> list[str]:
    """Every (model, column, value searched) where a text column still holds something of the member's."""
    found = []
    for model in apps.get_models():
        for column in _text_columns(model):
            for label, value in PERSONAL.items():
                if model._default_manager.filter(**{f"{column}__icontains": value}).exists():
                    found.append(f"{model._meta.label}.{column} holds the {label}")
    return found


def _delete(client: APIClient, password: str = PASSWORD, capture=None):
    with capture(execute=True):
        return client.post("/api/auth/user/delete/", {"password": password}, format="json")


# --- export ------------------------------------------------------------------------------------------------


def test_every_model_about_a_member_is_exported_or_named_not_personal():
    covered = {model._meta.label for section in export_sections().values() for model in section.models}
    user_model = get_user_model()
    about_members = {
        model._meta.label
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is user_model
    }

    missing = about_members - covered - set(NOT_PERSONAL)

    assert not missing, f"neither exported nor named not personal: {sorted(missing)}"
    assert {"payments.Payment", "channels_sync.ChannelAction", "formations.LessonCompletion"} <= covered


def test_the_export_is_a_json_file_of_everything_held_about_the_member(history):
    other = UserFactory(email="autre@example.com")
    PaymentFactory(user=other, reference="AUTRE-REF")

    response = client_for(history).get("/api/auth/user/export/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="calmnessfi-donnees-')
    data = json.loads(response.content)
    assert data["profile"]["email"] == EMAIL
    assert data["profile"]["whatsapp_number"] == PERSONAL["whatsapp_number"]
    assert data["consent"]["terms_version"] == "2026-11-28"
    [payment] = data["payments"]
    assert payment["reference"].startswith("Virement Zéphyrine")
    assert payment["status"] == "confirmed" and payment["proof_type"] == "image/png"
    assert payment["code"] == Payment.objects.get(user=history).code
    [invoice] = data["invoices"]
    assert invoice["payment_code"] == payment["code"] and invoice["buyer_email"] == EMAIL
    trial, paid = data["subscriptions"]
    assert trial["is_trial"] and paid["payment_code"] == payment["code"]
    assert data["trials"][0]["telegram_id"] == str(TELEGRAM_ID)
    assert any(n["message"] == "Bonjour Zéphyrine" and n["deliveries"] for n in data["notifications"])
    assert len(data["lesson_progress"]) == 1
    assert {link["remote_id"] for link in data["channels"]["links"]} == {str(TELEGRAM_ID), DISCORD_ID}
    assert data["channels"]["actions"], "the confirmation's invite is in the action log"
    assert "AUTRE-REF" not in response.content.decode()
    assert "access_token" not in response.content.decode()  # OAuth tokens are secrets, never exported


def test_the_export_reads_a_bounded_number_of_queries(history, django_assert_max_num_queries):
    for _ in range(5):
        NotificationDeliveryFactory(notification=UserNotificationFactory(user=history))
        LessonCompletion.objects.create(user=history, lesson=LessonFactory(), completed_at=clock.now())
    client = client_for(history)

    with django_assert_max_num_queries(20):
        assert client.get("/api/auth/user/export/").status_code == 200


def test_the_profile_page_offers_the_download_and_serves_it_to_the_session(history):
    browser = Client()
    browser.force_login(history)

    page = browser.get("/espace/profil/").content.decode()
    download = browser.get("/espace/profil/donnees/")

    assert "Télécharger mes données" in page and "Supprimer mon compte" in page
    assert download.status_code == 200
    assert json.loads(download.content)["profile"]["email"] == EMAIL


def test_the_export_needs_a_logged_in_member(api_client):
    assert api_client.get("/api/auth/user/export/").status_code == 401


# --- deletion ----------------------------------------------------------------------------------------------


def test_deletion_leaves_nothing_personal_in_any_text_column(
    history,
    fake_telegram,  # noqa: F811
    fake_discord,  # noqa: F811
    private_media,
    django_capture_on_commit_callbacks,
):
    other = UserFactory(email="voisin@example.com", first_name="Voisin")
    other_notice = UserNotificationFactory(user=other)
    pending = PaymentFactory(user=history, note=f"Encore moi, {PERSONAL['first_name']}")
    assert _personal_leftovers(), "the history holds the member's data before"
    assert [path for path in private_media.rglob("*") if path.is_file()]

    response = _delete(client_for(history), capture=django_capture_on_commit_callbacks)

    assert response.status_code == 204
    assert _personal_leftovers() == []
    member = User.objects.get(pk=history.pk)
    assert member.email == deleted_email(member) and not member.is_active and member.deleted_at is not None
    assert not member.has_usable_password()
    # Channel access removed now, through the task: put out of the Telegram channel (banned, then unbanned so that
    # a new account may join one day), the invite revoked, the Discord role taken.
    assert fake_telegram.members[TELEGRAM_ID] == "left"
    assert [call.body["user_id"] for call in fake_telegram.calls("banChatMember")] == [TELEGRAM_ID]
    assert all(invite["is_revoked"] for invite in fake_telegram.invite_links.values())
    assert fake_discord.role_id not in fake_discord.members.get(DISCORD_ID, set())
    assert not AccountLink.objects.filter(user=member).exists()
    assert not LinkToken.objects.filter(user=member).exists()
    assert not ChannelMembership.objects.filter(user=member, has_access=True).exists()
    assert ChannelAction.objects.filter(user=member, action=ChannelAction.Action.REMOVE).exists()
    # Payments kept for the accounting retention, anonymised; the proof file gone.
    assert Payment.objects.get(pk=pending.pk).status == Payment.Status.CANCELLED  # nobody left to confirm it for
    payment = Payment.objects.get(user=member, pk__lt=pending.pk)
    assert payment.status == Payment.Status.CONFIRMED and payment.amount > 0 and payment.code
    assert payment.reference == payment.note == payment.proof_name == ""
    assert [path for path in private_media.rglob("*") if path.is_file()] == []
    invoice = Invoice.objects.get(payment=payment)
    assert invoice.number and invoice.amount_incl_tax == payment.amount
    assert invoice.buyer_email == member.email and invoice.buyer_name == "Membre supprimé"
    assert not UserNotification.objects.filter(user=member).exists()
    assert not NotificationDelivery.objects.filter(notification__user=member).exists()
    assert not LessonCompletion.objects.filter(user=member).exists()
    # Covered no more (the trial and the paid subscription): no reminder, access or revenue figure for the row.
    assert not Subscription.objects.filter(user=member, status=Subscription.Status.ACTIVE).exists()
    assert Subscription.objects.filter(user=member, status=Subscription.Status.CANCELLED).count() == 2
    # Another member untouched.
    other.refresh_from_db()
    assert other.email == "voisin@example.com" and other.first_name == "Voisin" and other.is_active
    assert UserNotification.objects.filter(pk=other_notice.pk).exists()


def test_after_deletion_every_token_is_refused_and_the_address_is_free(
    history, api_client, post, django_capture_on_commit_callbacks
):
    login = post("/api/auth/login/", {"email": EMAIL, "password": PASSWORD}).json()
    client = client_for(history)

    assert _delete(client, capture=django_capture_on_commit_callbacks).status_code == 204

    assert client.get("/api/auth/user/profile/").status_code == 401
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {login['access']}")
    assert bearer.get("/api/auth/user/profile/").status_code == 401
    assert post("/api/auth/token/refresh/", {"refresh": login["refresh"]}).status_code == 401
    assert post("/api/auth/login/", {"email": EMAIL, "password": PASSWORD}).status_code == 401
    registered = post("/api/auth/register/", {"email": EMAIL, "password": "Zk3!pqrstu9", "accept_terms": True})
    assert registered.status_code == 201
    fresh = User.objects.get(email=EMAIL)
    assert fresh.pk != history.pk and fresh.deleted_at is None


def test_deleting_the_account_does_not_buy_a_second_trial(
    history,
    post,
    fake_telegram,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    _delete(client_for(history), capture=django_capture_on_commit_callbacks)
    assert TrialGrant.objects.get().email.startswith("h:")

    post("/api/auth/register/", {"email": EMAIL, "password": "Zk3!pqrstu9", "accept_terms": True})
    same_address = User.objects.get(email=EMAIL)
    other_address = UserFactory(email="nouvelle.adresse@example.com")
    link_telegram(other_address, TELEGRAM_ID)

    assert not trial_eligible(user=same_address)
    assert not trial_eligible(user=other_address)
    assert trial_eligible(user=UserFactory(email="vraiment.nouveau@example.com"))


def test_deletion_waits_until_the_card_subscription_no_longer_renews(history, django_capture_on_commit_callbacks):
    renewing = StripeSubscription.objects.create(
        subscription_id="sub_renouvele", user=history, plan=PlanFactory(), status="active"
    )
    client = client_for(history)

    refused = _delete(client, capture=django_capture_on_commit_callbacks)

    assert refused.status_code == 409
    assert "annulez d'abord le renouvellement" in refused.json()["detail"]
    history.refresh_from_db()
    assert history.email == EMAIL and history.deleted_at is None
    assert AccountLink.objects.filter(user=history).count() == 2  # nothing erased

    StripeSubscription.objects.filter(pk=renewing.pk).update(cancel_at_period_end=True)
    assert _delete(client, capture=django_capture_on_commit_callbacks).status_code == 204


def test_a_wrong_password_deletes_nothing(history, django_capture_on_commit_callbacks):
    response = _delete(client_for(history), "pas-le-bon", capture=django_capture_on_commit_callbacks)

    assert response.status_code == 400
    assert response.json() == {"password": ["Mot de passe incorrect."]}
    history.refresh_from_db()
    assert history.email == EMAIL and history.is_active and history.deleted_at is None
    assert AccountLink.objects.filter(user=history).count() == 2


def test_password_guesses_on_deletion_are_throttled_like_logins(history, settings, django_capture_on_commit_callbacks):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "login": "2/min"}
    client = client_for(history)

    answers = [_delete(client, "faux", capture=django_capture_on_commit_callbacks).status_code for _ in range(3)]

    assert answers == [400, 400, 429]


def test_the_profile_page_deletes_the_account_and_ends_the_session(history, django_capture_on_commit_callbacks):
    browser = Client()
    browser.force_login(history)

    wrong = browser.post("/espace/profil/supprimer/", {"password": "faux"}, follow=True)
    assert "Mot de passe incorrect" in wrong.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = browser.post("/espace/profil/supprimer/", {"password": PASSWORD}, follow=True)

    assert "Votre compte a été supprimé" in done.content.decode()
    assert User.objects.get(pk=history.pk).deleted_at is not None
    assert browser.get("/espace/profil/").status_code == 302  # logged out


def test_another_session_of_the_member_ends_too(history, django_capture_on_commit_callbacks):
    elsewhere = Client()
    elsewhere.force_login(history)
    assert elsewhere.get("/espace/profil/").status_code == 200

    _delete(client_for(history), capture=django_capture_on_commit_callbacks)

    assert elsewhere.get("/espace/profil/").status_code == 302


def test_the_admin_erases_a_member_after_a_confirmation_page(history, django_capture_on_commit_callbacks):
    admin = User.objects.get(email="chef@calmnessfi.com")
    browser = Client()
    browser.force_login(admin)
    url = "/admin/accounts/user/"
    form = {"action": "erase_selected", "_selected_action": [history.pk]}

    confirmation = browser.post(url, form)
    assert confirmation.status_code == 200
    assert EMAIL in confirmation.content.decode()
    assert User.objects.get(pk=history.pk).deleted_at is None
    with django_capture_on_commit_callbacks(execute=True):
        done = browser.post(url, {**form, "apply": "1"}, follow=True)

    assert "Données personnelles supprimées pour 1 membre." in done.content.decode()
    member = User.objects.get(pk=history.pk)
    assert member.deleted_at is not None
    assert "compte supprimé le" in browser.get(url).content.decode()
    assert "compte supprimé le" in browser.get(f"{url}{member.pk}/change/").content.decode()
    assert _personal_leftovers() == []
    entry = LogEntry.objects.get(content_type=ContentType.objects.get_for_model(User), object_id=str(member.pk))
    assert entry.object_repr == member.email


@pytest.mark.django_db(transaction=True)
def test_finished_account_tasks_holding_the_address_are_erased(database_tasks, api_client):
    member = UserFactory(email=EMAIL)
    other = UserFactory(email="voisin@example.com")
    for address in (EMAIL, "voisin@example.com"):
        assert api_client.post("/api/auth/password-reset/", {"email": address}, format="json").status_code == 202
    run_worker()
    assert DBTaskResult.objects.filter(args_kwargs__icontains=EMAIL).exists()

    member_erase(user=member)

    assert not DBTaskResult.objects.filter(args_kwargs__icontains=EMAIL).exists()
    assert DBTaskResult.objects.filter(args_kwargs__icontains=other.email).exists()

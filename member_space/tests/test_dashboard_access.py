"""The dashboard's pending payment and "Accès" blocks (issue 15), over the API and on the page."""

from datetime import timedelta

import pytest
import time_machine

from channels_sync.models import ChannelMembership
from channels_sync.tests.factories import link_telegram
from conftest import client_for
from core import clock
from payments.models import Payment
from payments.tests.factories import PaymentFactory, PaymentMethodFactory
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

URL = "/api/auth/user/dashboard/"
State = ChannelMembership.State


@pytest.fixture
def telegram_on(settings):
    settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_CHANNEL_ID = "123:abc", "-100123"
    settings.TELEGRAM_BOT_USERNAME = "calmnessfi_bot"
    settings.DISCORD_BOT_TOKEN = ""  # Discord is off on this server


def test_no_pending_payment_and_no_platform_configured(member):
    body = client_for(member).get(URL).json()

    assert body["pending_payment"] is None
    assert body["access"] == []


def test_the_pending_payment_comes_with_its_code_and_instructions(member):
    payment = PaymentFactory(
        user=member, plan=PlanFactory(name="Annuel", price="449.00"), payment_method=PaymentMethodFactory()
    )

    pending = client_for(member).get(URL).json()["pending_payment"]

    assert pending["id"] == payment.pk and pending["code"] == payment.code
    assert (pending["amount"], pending["currency"], pending["plan"]["name"]) == ("449.00", "EUR", "Annuel")
    assert pending["instructions"] == f"Payez 449,00 € pour la formule Annuel avec le code {payment.code}."
    assert pending["created_at"]


def test_a_decided_payment_is_not_pending(member):
    PaymentFactory(user=member, status=Payment.Status.REJECTED)

    assert client_for(member).get(URL).json()["pending_payment"] is None


def test_access_lists_only_configured_platforms_with_the_next_step(member, telegram_on):
    [entry] = client_for(member).get(URL).json()["access"]

    assert entry["platform"] == "telegram" and entry["name"] == "Telegram"
    assert (entry["state"], entry["action"], entry["invite_link"]) == (State.NOT_LINKED, "link", None)
    assert entry["next_step"].startswith("Liez votre compte Telegram")


def test_an_invited_member_gets_the_join_action(member, telegram_on):
    SubscriptionFactory(user=member)
    link_telegram(member, 5551)
    ChannelMembership.objects.filter(user=member).update(
        state=State.INVITED, has_access=True, invite_link="https://t.me/+abc"
    )

    [entry] = client_for(member).get(URL).json()["access"]

    assert (entry["action"], entry["invite_link"]) == ("join", "https://t.me/+abc")


def test_a_linked_member_waiting_for_the_verification_of_a_first_payment_is_told_so(member, telegram_on):
    link_telegram(member, 5551)
    PaymentFactory(user=member)

    [entry] = client_for(member).get(URL).json()["access"]

    assert entry["state"] == State.LINKED and entry["action"] is None
    assert (
        entry["next_step"] == "Votre paiement est en cours de vérification : votre accès s'ouvrira dès sa validation."
    )


def test_a_member_kept_in_while_their_payment_is_verified_is_told_so(member, telegram_on):
    subscription = SubscriptionFactory(user=member, ends_at=clock.now() + timedelta(days=1))
    link_telegram(member, 5551)
    ChannelMembership.objects.filter(user=member).update(state=State.MEMBER, has_access=True)
    PaymentFactory(user=member)

    with time_machine.travel(subscription.ends_at + timedelta(hours=2)):
        [entry] = client_for(member).get(URL).json()["access"]

    assert entry["next_step"].startswith("Votre paiement est en cours de vérification : votre accès est maintenu")


def test_the_page_shows_the_pending_payment_and_the_access_block(client, member, telegram_on):
    client.force_login(member)
    payment = PaymentFactory(user=member, payment_method=PaymentMethodFactory())

    html = client.get("/espace/").content.decode()

    assert 'id="pending-payment"' in html and payment.code in html
    assert "démarrera dès la validation de votre paiement" in html
    assert 'id="access"' in html and 'data-platform="telegram"' in html and 'data-platform="discord"' not in html
    assert 'action="/espace/profil/telegram/"' in html
    assert "Aucun abonnement en cours" not in html


def test_the_page_without_pending_payment_links_to_the_plans(client, member):
    client.force_login(member)
    html = client.get("/espace/").content.decode()

    assert 'id="pending-payment"' not in html and 'id="access"' not in html
    assert 'href="/espace/formules/"' in html

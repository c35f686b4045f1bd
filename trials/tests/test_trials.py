"""Free trials: one per person (e-mail, linked Telegram and Discord ids, even from a new account), only for members
never covered, a subscription without payment, channel access through the real worker and the fake Telegram."""

import json

import pytest

from accounts.tests.factories import UnverifiedUserFactory, UserFactory
from channels_sync.models import ChannelMembership, Platform
from channels_sync.tests.factories import link_telegram, membership
from conftest import client_for
from core import clock
from core.tests.queue import run_worker
from payments.models import Payment
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory
from trials.models import TrialGrant, trial_fingerprint
from trials.services import TrialRefused, trial_eligible, trial_email_normalize, trial_start

pytestmark = pytest.mark.django_db

URL = "/api/auth/user/trial/"


@pytest.fixture
def trial_plan(db):
    return PlanFactory(name="Mensuel", slug="mensuel", price="49.00", duration_days=30, trial_days=7)


def _start(client, plan):
    return client.post(URL, data=json.dumps({"plan": plan.pk}), content_type="application/json")


def test_a_new_member_gets_a_trial_subscription_without_payment(member, trial_plan):
    link_telegram(member, 5551)

    response = _start(client_for(member), trial_plan)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["is_trial"] is True and body["plan"]["slug"] == "mensuel"
    subscription = Subscription.objects.get(user=member)
    assert subscription.is_trial and subscription.payment is None
    assert (subscription.ends_at - subscription.starts_at).days == 7
    assert not Payment.objects.exists()  # no payment, hence no invoice
    grant = TrialGrant.objects.get()
    assert (grant.user, grant.email, grant.telegram_id, grant.discord_id) == (member, member.email, "5551", "")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_a_trial_lets_the_member_into_the_channel_through_the_worker(fake_telegram, member, trial_plan):
    link_telegram(member, 5551)

    trial_start(user=member, plan=trial_plan)
    assert fake_telegram.calls("createChatInviteLink") == []  # nothing happens in the request
    run_worker()

    [invite] = fake_telegram.messages
    assert invite["chat_id"] == 5551
    assert membership(member, Platform.TELEGRAM).state == ChannelMembership.State.INVITED


def test_a_second_trial_for_the_same_member_is_a_french_409(member, trial_plan):
    link_telegram(member, 5551)
    trial_start(user=member, plan=trial_plan)

    response = _start(client_for(member), PlanFactory(trial_days=14))

    assert response.status_code == 409
    assert response.json() == {"detail": "L'essai gratuit est réservé aux nouveaux membres : choisissez une formule."}
    assert Subscription.objects.filter(user=member).count() == 1


def test_a_new_account_with_the_same_telegram_account_gets_no_second_trial(member, trial_plan):
    link_telegram(member, 5551)
    trial_start(user=member, plan=trial_plan)
    # The same person leaves the first account, and links the same Telegram account to a new one (new address).
    member.channel_links.all().delete()
    newcomer = UserFactory(email="autre.adresse@example.com")
    link_telegram(newcomer, 5551)

    response = _start(client_for(newcomer), trial_plan)

    assert response.status_code == 409
    assert response.json()["detail"].startswith("Vous avez déjà bénéficié d'un essai gratuit")
    assert not Subscription.objects.filter(user=newcomer).exists()


def test_an_erased_members_fingerprinted_grant_still_refuses_the_same_address_and_telegram(trial_plan):
    TrialGrant.objects.create(
        plan=trial_plan,
        email=trial_fingerprint("jean@example.com"),
        telegram_id=trial_fingerprint("5551"),
        granted_at=clock.now(),
    )
    same_address = UserFactory(email="Jean+retour@example.com")
    link_telegram(same_address, 7777)
    same_telegram = UserFactory(email="autre@example.com")
    link_telegram(same_telegram, 5551)

    for user in (same_address, same_telegram):
        assert not trial_eligible(user=user)
        with pytest.raises(TrialRefused, match="déjà bénéficié"):
            trial_start(user=user, plan=trial_plan)


def test_the_same_address_spelled_otherwise_gets_no_second_trial(trial_plan):
    first = UserFactory(email="jean.dupont@example.com")
    link_telegram(first, 5551)
    trial_start(user=first, plan=trial_plan)
    first.email = "jean.dupont.ancien@example.com"  # the first account moved to another address
    first.save()
    second = UserFactory(email="Jean.Dupont+essai@Example.com")
    link_telegram(second, 7777)

    with pytest.raises(TrialRefused, match="déjà bénéficié"):
        trial_start(user=second, plan=trial_plan)


def test_the_database_keeps_one_trial_per_telegram_id(trial_plan):
    from django.db import IntegrityError

    TrialGrant.objects.create(
        plan=trial_plan, email="a@example.com", telegram_id="5551", granted_at="2026-01-01T00:00Z"
    )
    with pytest.raises(IntegrityError):
        TrialGrant.objects.create(
            plan=trial_plan, email="b@example.com", telegram_id="5551", granted_at="2026-01-01T00:00Z"
        )


def test_a_member_who_was_ever_covered_gets_no_trial(member, trial_plan):
    link_telegram(member, 5551)
    SubscriptionFactory(user=member)

    with pytest.raises(TrialRefused, match="réservé aux nouveaux membres"):
        trial_start(user=member, plan=trial_plan)


@pytest.mark.parametrize(
    ("plan_fields", "message"),
    [
        ({"trial_days": 0}, "Cette formule ne propose pas d'essai gratuit."),
    ],
)
def test_a_plan_without_trial_is_a_french_400(member, plan_fields, message):
    link_telegram(member, 5551)
    response = _start(client_for(member), PlanFactory(**plan_fields))
    assert response.status_code == 400 and response.json() == {"detail": message}


def test_no_linked_account_is_a_french_400(member, trial_plan):
    response = _start(client_for(member), trial_plan)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Liez votre compte Telegram ou Discord")
    assert not Subscription.objects.exists()


def test_an_incomplete_profile_is_a_403_with_missing_fields(trial_plan):
    response = _start(client_for(UnverifiedUserFactory()), trial_plan)
    assert response.status_code == 403
    assert set(response.json()["missing_fields"]) == {
        "first_name",
        "last_name",
        "email_verified",
        "telegram_or_discord",
    }


def test_an_inactive_plan_is_a_400_on_plan(member):
    link_telegram(member, 5551)
    response = _start(client_for(member), PlanFactory(trial_days=7, is_active=False))
    assert response.status_code == 400 and "plan" in response.json()


def test_the_trial_needs_a_logged_in_member(api_client, trial_plan):
    assert _start(api_client, trial_plan).status_code == 401


@pytest.mark.parametrize(
    ("email", "normalised"),
    [("Jean@Example.com", "jean@example.com"), ("jean+promo@example.com", "jean@example.com"), (" a@b.fr ", "a@b.fr")],
)
def test_addresses_are_normalised(email, normalised):
    assert trial_email_normalize(email) == normalised


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_give_one_trial(member, trial_plan):
    from tests.concurrency import run_together

    link_telegram(member, 5551)

    results = run_together(
        lambda: trial_start(user=member, plan=trial_plan).pk,
        lambda: trial_start(user=member, plan=trial_plan).pk,
        slowed_tables=("subscriptions_subscription", "trials_trialgrant"),
    )

    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], TrialRefused), results
    assert Subscription.objects.filter(user=member, is_trial=True).count() == 1
    assert TrialGrant.objects.count() == 1

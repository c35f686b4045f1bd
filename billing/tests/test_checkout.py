"""The member's card checkout and billing portal against the fake Stripe (tests/fakes/fake_stripe.py), reached by the
real stripe library: the pending payment, one customer per member, the plan's price, the session, Stripe's failures,
and the checkout events through the real webhook."""

from datetime import timedelta
from io import StringIO

import pytest
import stripe
import time_machine
from django.core.management import CommandError, call_command

from accounts.tests.factories import UnverifiedUserFactory, UserFactory
from billing.checkout import checkout_close, checkout_start, price_lookup_key
from billing.models import StripeCheckout, StripeCustomer, StripeEvent, StripePrice
from billing.services import stripe_event_process, stripe_event_record
from billing.tests.stripe_signing import deliver
from conftest import client_for
from core import clock
from core.tests.queue import run_worker
from payments.models import Payment, PaymentKind
from payments.services import PaymentPendingExists, payment_cancel
from payments.tests.factories import PaymentFactory, PaymentMethodFactory
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db

CHECKOUT_URL = "/api/auth/user/checkout/"
PORTAL_URL = "/api/auth/user/billing-portal/"


@pytest.fixture
def one_off(db):
    return PlanFactory(slug="mensuel", name="Mensuel", price="49.00", duration_days=30)


@pytest.fixture
def recurring(db):
    return PlanFactory(slug="mensuel-auto", name="Mensuel automatique", price="45.00", is_recurring=True)


@pytest.fixture
def frontend(settings):
    settings.FRONTEND_URL = "https://app.example.com/espace"


def checkout(client, plan):
    return client.post(CHECKOUT_URL, {"plan": plan.pk}, format="json")


def session_of(fake, payment: Payment) -> dict:
    return fake.objects["checkout/sessions"][payment.stripe_checkout.session_id]


def form_body(call) -> dict:
    """The form fields of a recorded Stripe call (`metadata[payment_id]`…)."""
    return call.body


def process(event: dict) -> str:
    stripe_event_record(event=event)
    return stripe_event_process(event_id=event["id"])


def outcome(event: dict) -> tuple[str, str]:
    row = StripeEvent.objects.get(event_id=event["id"])
    return row.outcome, row.detail


# Starting a checkout


@pytest.mark.usefixtures("frontend")
def test_checkout_gives_201_and_the_pending_card_payment_exists_before_the_redirect(
    auth_client, member, fake_stripe, one_off
):
    response = checkout(auth_client, one_off)

    assert response.status_code == 201, response.json()
    body = response.json()
    payment = Payment.objects.get(pk=body["payment_id"])
    session = session_of(fake_stripe, payment)
    assert body == {"url": session["url"], "payment_id": payment.pk}
    assert body["url"] == f"{fake_stripe.url}/pay/{session['id']}"
    assert (payment.user, payment.plan, payment.status) == (member, one_off, Payment.Status.PENDING)
    assert (str(payment.amount), payment.currency, payment.method) == ("49.00", "EUR", PaymentKind.CARD)
    assert (payment.payment_method.kind, payment.payment_method.label) == (PaymentKind.CARD, "Carte bancaire")
    assert session["mode"] == "payment" and payment.stripe_checkout.mode == StripeCheckout.Mode.PAYMENT
    assert session["client_reference_id"] == str(payment.pk)
    assert session["metadata"] == {"payment_id": str(payment.pk), "user_id": str(member.pk), "plan_id": str(one_off.pk)}
    assert session["customer"] == member.stripe_customer.customer_id
    assert session["success_url"] == "https://app.example.com/espace/paiements/?paiement=retour"
    assert session["cancel_url"] == "https://app.example.com/espace/paiements/"
    assert payment.stripe_checkout.expires_at.timestamp() == session["expires_at"]
    sent = form_body(fake_stripe.calls("checkout.sessions.create")[0])
    assert sent["payment_intent_data[metadata][payment_id]"] == str(payment.pk)
    assert "subscription_data[metadata][payment_id]" not in sent
    price = fake_stripe.objects["prices"][sent["line_items[0][price]"]]
    assert (price["unit_amount"], price["currency"], price["recurring"]) == (4900, "eur", None)


def test_a_recurring_plan_opens_a_subscription_session_renewed_every_duration_days(
    auth_client, member, fake_stripe, recurring
):
    response = checkout(auth_client, recurring)

    assert response.status_code == 201
    payment = Payment.objects.get(pk=response.json()["payment_id"])
    assert session_of(fake_stripe, payment)["mode"] == "subscription"
    assert payment.stripe_checkout.mode == StripeCheckout.Mode.SUBSCRIPTION
    sent = form_body(fake_stripe.calls("checkout.sessions.create")[0])
    assert sent["subscription_data[metadata][payment_id]"] == str(payment.pk)
    assert sent["subscription_data[metadata][user_id]"] == str(member.pk)
    assert sent["subscription_data[metadata][plan_id]"] == str(recurring.pk)
    assert "payment_intent_data[metadata][payment_id]" not in sent
    price = fake_stripe.objects["prices"][sent["line_items[0][price]"]]
    assert price["recurring"]["interval"] == "day" and price["recurring"]["interval_count"] == 30
    assert price["unit_amount"] == 4500
    assert StripePrice.objects.get().interval_days == 30


def test_the_customer_is_created_once_with_the_members_identity_and_reused(member, fake_stripe, one_off):
    first, _url, _created = checkout_start(user=member, plan=one_off)
    payment_cancel(payment=first, by=member)

    second, _url, created = checkout_start(user=member, plan=one_off)

    assert created and second.pk != first.pk
    calls = fake_stripe.calls("customers.create")
    assert len(calls) == 1
    assert form_body(calls[0])["email"] == member.email
    assert form_body(calls[0])["name"] == member.get_full_name()
    assert calls[0].headers.get("Idempotency-Key", "").startswith(f"calmnessfi-customer-{member.pk}-")
    customer = StripeCustomer.objects.get(user=member)
    assert session_of(fake_stripe, first)["customer"] == session_of(fake_stripe, second)["customer"]
    assert session_of(fake_stripe, second)["customer"] == customer.customer_id


def test_a_customer_whose_row_was_lost_is_not_created_twice_at_stripe(member, fake_stripe, one_off):
    # Another host created it, or our row went with a rolled-back transaction: the idempotency key finds it.
    first, _url, _created = checkout_start(user=member, plan=one_off)
    customer_id = StripeCustomer.objects.get(user=member).customer_id
    payment_cancel(payment=first, by=member)
    StripeCustomer.objects.all().delete()

    checkout_start(user=member, plan=one_off)

    assert list(fake_stripe.objects["customers"]) == [customer_id]
    assert StripeCustomer.objects.get(user=member).customer_id == customer_id


def test_the_price_is_created_once_and_found_by_its_lookup_key_when_our_row_is_gone(fake_stripe, one_off):
    checkout_start(user=UserFactory(), plan=one_off)
    checkout_start(user=UserFactory(), plan=one_off)
    assert len(fake_stripe.calls("prices.create")) == 1
    price_id = StripePrice.objects.get(plan=one_off).price_id
    assert fake_stripe.objects["prices"][price_id]["lookup_key"] == price_lookup_key(one_off)
    assert price_lookup_key(one_off) == f"calmnessfi-plan-{one_off.pk}-4900-eur-once"

    StripePrice.objects.all().delete()
    checkout_start(user=UserFactory(), plan=one_off)

    assert len(fake_stripe.calls("prices.create")) == 1 and len(fake_stripe.calls("products.create")) == 1
    assert StripePrice.objects.get(plan=one_off).price_id == price_id


def test_a_new_plan_price_gets_a_new_stripe_price_of_the_same_product(fake_stripe, one_off):
    checkout_start(user=UserFactory(), plan=one_off)
    one_off.price = "59.00"
    one_off.save()

    checkout_start(user=UserFactory(), plan=one_off)

    prices = [fake_stripe.objects["prices"][row.price_id] for row in StripePrice.objects.order_by("id")]
    assert [p["unit_amount"] for p in prices] == [4900, 5900]
    assert prices[0]["product"] == prices[1]["product"] and len(fake_stripe.objects["products"]) == 1


def test_a_double_click_gives_the_same_session_back_with_200(auth_client, member, fake_stripe, one_off):
    first = checkout(auth_client, one_off)
    again = checkout(auth_client, one_off)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Payment.objects.filter(user=member).count() == 1
    assert len(fake_stripe.calls("checkout.sessions.create")) == 1


def test_a_pending_card_payment_whose_session_expired_is_cancelled_and_a_new_one_started(
    auth_client, member, fake_stripe, one_off
):
    first = checkout(auth_client, one_off).json()

    with time_machine.travel(clock.now() + timedelta(hours=25)):
        again = checkout(client_for(member), one_off)  # a fresh token: the first one expired too

    assert again.status_code == 201
    assert again.json()["payment_id"] != first["payment_id"] and again.json()["url"] != first["url"]
    old = Payment.objects.get(pk=first["payment_id"])
    assert (old.status, old.cancelled_by) == (Payment.Status.CANCELLED, None)
    assert Payment.objects.get(pk=again.json()["payment_id"]).status == Payment.Status.PENDING


def test_a_session_paid_just_before_it_expired_keeps_its_payment_pending_for_the_webhook(member, fake_stripe, one_off):
    payment, _url, _created = checkout_start(user=member, plan=one_off)
    fake_stripe.complete_checkout(payment.stripe_checkout.session_id)  # its webhook is late

    with time_machine.travel(clock.now() + timedelta(hours=25)), pytest.raises(PaymentPendingExists):
        checkout_start(user=member, plan=one_off)
    (event,) = fake_stripe.events_of("checkout.session.completed")

    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert process(event) == StripeEvent.Outcome.PROCESSED
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED


def test_an_open_card_session_for_another_plan_is_a_409_with_it(auth_client, fake_stripe, one_off, recurring):
    first = checkout(auth_client, one_off).json()

    response = checkout(auth_client, recurring)

    assert response.status_code == 409
    assert response.json()["payment"]["code"] == Payment.objects.get(pk=first["payment_id"]).code


def test_another_pending_payment_is_a_409_with_it_and_nothing_asked_of_stripe(
    auth_client, member, fake_stripe, one_off
):
    declared = PaymentFactory(user=member, plan=one_off)

    response = checkout(auth_client, one_off)

    assert response.status_code == 409
    body = response.json()
    assert "déjà un paiement en attente" in body["detail"] and body["payment"]["code"] == declared.code
    assert fake_stripe.calls() == []
    assert list(Payment.objects.filter(user=member)) == [declared]


def test_an_incomplete_profile_is_a_403_with_missing_fields_like_a_declaration(fake_stripe, one_off):
    response = checkout(client_for(UnverifiedUserFactory()), one_off)

    assert response.status_code == 403
    body = response.json()
    assert body["detail"] == "Complétez votre profil avant de payer."
    assert set(body["missing_fields"]) == {"first_name", "last_name", "email_verified", "telegram_or_discord"}
    assert fake_stripe.calls() == [] and not Payment.objects.exists()


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ("inactive", "Formule inconnue ou plus proposée."),
        (999_999, "Formule inconnue ou plus proposée."),
        ("1", "Identifiant de formule invalide."),
        (None, "Ce champ ne peut être nul."),
    ],
)
def test_a_bad_plan_is_a_french_400(auth_client, fake_stripe, plan, message):
    value = PlanFactory(is_active=False).pk if plan == "inactive" else plan

    response = auth_client.post(CHECKOUT_URL, {"plan": value}, format="json")

    assert response.status_code == 400
    assert response.json() == {"plan": [message]}
    assert fake_stripe.calls() == [] and not Payment.objects.exists()


def test_checkout_and_portal_need_a_logged_in_member(api_client, one_off):
    assert api_client.post(CHECKOUT_URL, {"plan": one_off.pk}, format="json").status_code == 401
    assert api_client.post(PORTAL_URL).status_code == 401


# Stripe off: the card is not offered anywhere


def test_with_stripe_off_the_card_is_not_offered(auth_client, settings, one_off):
    settings.STRIPE_SECRET_KEY = ""
    PaymentMethodFactory(kind=PaymentKind.CARD, label="Carte bancaire")
    transfer = PaymentMethodFactory(kind=PaymentKind.BANK_TRANSFER)

    response = checkout(auth_client, one_off)

    assert response.status_code == 503
    assert response.json() == {"detail": "Le paiement par carte n'est pas proposé."}
    assert not Payment.objects.exists()
    assert [m["id"] for m in auth_client.get("/api/payment-methods/").json()] == [transfer.pk]
    assert auth_client.post(PORTAL_URL).status_code == 503


@pytest.mark.parametrize("stripe_on", [False, True])
def test_a_card_payment_is_never_declared_by_hand(auth_client, settings, fake_stripe, one_off, stripe_on):
    if not stripe_on:
        settings.STRIPE_SECRET_KEY = ""
    card = PaymentMethodFactory(kind=PaymentKind.CARD, label="Carte bancaire")
    PaymentMethodFactory(kind=PaymentKind.BANK_TRANSFER)
    declare = "/api/auth/user/payments/"

    by_kind = auth_client.post(declare, {"plan": one_off.pk, "method": "card"}, format="json")
    by_method = auth_client.post(declare, {"plan": one_off.pk, "payment_method": card.pk}, format="json")

    assert by_kind.status_code == 400
    assert by_kind.json() == {
        "method": ["Le paiement par carte se fait en ligne : choisissez « Payer par carte » pour être redirigé."]
    }
    assert by_method.status_code == 400 and by_method.json() == {
        "payment_method": ["Moyen de paiement inconnu ou plus proposé."]
    }
    assert card.pk not in [m["id"] for m in auth_client.get("/api/payment-methods/").json()]
    assert not Payment.objects.exists()


# Stripe failing: nothing left pending, the member tries again


@pytest.mark.parametrize(
    ("failing", "status", "times"),
    [
        ("customers.create", 500, 3),  # the library's two retries fail too
        ("prices.create", 429, 1),
        ("checkout.sessions.create", 500, 3),
        ("checkout.sessions.create", 429, 1),
    ],
)
def test_a_stripe_failure_is_a_french_502_and_leaves_nothing_pending(
    auth_client, member, fake_stripe, one_off, failing, status, times
):
    fake_stripe.fail(failing, status, times=times)

    response = checkout(auth_client, one_off)

    assert response.status_code == 502
    assert response.json() == {
        "detail": "Le service de paiement par carte ne répond pas pour le moment : réessayez dans un instant."
    }
    assert not Payment.objects.filter(user=member).exists()
    assert not StripeCheckout.objects.exists()

    retry = checkout(auth_client, one_off)

    assert retry.status_code == 201
    assert Payment.objects.get(user=member).status == Payment.Status.PENDING
    assert len(fake_stripe.objects["customers"]) == 1  # the first try's customer, found again by its key
    assert len(fake_stripe.objects["prices"]) == 1


def test_stripe_out_of_reach_is_a_french_502_and_leaves_nothing_pending(auth_client, member, fake_stripe, one_off):
    fake_stripe.stop()

    response = checkout(auth_client, one_off)

    assert response.status_code == 502 and "réessayez" in response.json()["detail"]
    assert not Payment.objects.filter(user=member).exists()
    assert not StripeCustomer.objects.exists()


# The billing portal


@pytest.mark.usefixtures("frontend")
def test_the_portal_opens_for_the_members_customer(auth_client, member, fake_stripe, one_off):
    checkout(auth_client, one_off)

    response = auth_client.post(PORTAL_URL)

    assert response.status_code == 200
    portal = next(iter(fake_stripe.objects["billing_portal/sessions"].values()))
    assert response.json() == {"url": portal["url"]}
    assert portal["customer"] == member.stripe_customer.customer_id
    assert portal["return_url"] == "https://app.example.com/espace/paiements/"


def test_the_portal_without_a_customer_is_a_french_404(auth_client, fake_stripe):
    response = auth_client.post(PORTAL_URL)

    assert response.status_code == 404
    assert response.json() == {"detail": "Vous n'avez encore payé aucune formule par carte : il n'y a rien à gérer."}
    assert fake_stripe.calls() == []


def test_the_portal_when_stripe_fails_is_a_french_502(auth_client, member, fake_stripe, one_off):
    checkout(auth_client, one_off)
    fake_stripe.fail("billing_portal.sessions.create", 429)

    response = auth_client.post(PORTAL_URL)

    assert response.status_code == 502 and "réessayez" in response.json()["detail"]


# The checkout events


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_a_paid_session_delivered_to_the_webhook_confirms_the_payment(member, fake_stripe, one_off):
    payment, _url, _created = checkout_start(user=member, plan=one_off)
    session = fake_stripe.complete_checkout(payment.stripe_checkout.session_id)
    (event,) = fake_stripe.events_of("checkout.session.completed")

    assert deliver(event, secret=fake_stripe.webhook_secret).status_code == 200
    assert deliver(event, secret=fake_stripe.webhook_secret).status_code == 200  # a redelivery
    run_worker()

    payment.refresh_from_db()
    assert (payment.status, payment.confirmed_by) == (Payment.Status.CONFIRMED, None)
    assert Subscription.objects.filter(payment=payment).count() == 1
    assert payment.stripe_checkout.payment_intent_id == session["payment_intent"]
    assert outcome(event)[0] == StripeEvent.Outcome.PROCESSED


def test_a_paid_subscription_session_confirms_its_payment(member, fake_stripe, recurring):
    payment, _url, _created = checkout_start(user=member, plan=recurring)
    fake_stripe.complete_checkout(payment.stripe_checkout.session_id)
    (event,) = fake_stripe.events_of("checkout.session.completed")

    assert process(event) == StripeEvent.Outcome.PROCESSED

    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED
    assert payment.stripe_checkout.payment_intent_id == ""  # a subscription's payment intent is its invoice's


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_an_expired_session_cancels_its_pending_payment_once(member, fake_stripe, one_off):
    payment, _url, _created = checkout_start(user=member, plan=one_off)
    fake_stripe.expire_checkout(payment.stripe_checkout.session_id)
    (event,) = fake_stripe.events_of("checkout.session.expired")

    assert deliver(event, secret=fake_stripe.webhook_secret).status_code == 200
    run_worker()

    payment.refresh_from_db()
    assert (payment.status, payment.cancelled_by) == (Payment.Status.CANCELLED, None)
    assert outcome(event) == (StripeEvent.Outcome.PROCESSED, "")
    # The member can start again at once.
    assert checkout_start(user=member, plan=one_off)[2] is True


def test_an_expired_event_after_the_payment_was_confirmed_changes_nothing(member, fake_stripe, one_off):
    payment, _url, _created = checkout_start(user=member, plan=one_off)
    session_id = payment.stripe_checkout.session_id
    fake_stripe.complete_checkout(session_id)
    expired_session = {**fake_stripe.objects["checkout/sessions"][session_id], "status": "expired"}
    (completed,) = fake_stripe.events_of("checkout.session.completed")
    expired = {**completed, "id": "evt_late_expired", "type": "checkout.session.expired"}
    expired["data"] = {"object": expired_session}

    assert process(completed) == StripeEvent.Outcome.PROCESSED
    assert process(expired) == StripeEvent.Outcome.IGNORED

    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED
    assert outcome(expired) == (StripeEvent.Outcome.IGNORED, "paiement déjà confirmé")


def test_an_expired_session_whose_payment_was_rolled_back_is_ignored(fake_stripe):
    event = {
        "id": "evt_orphan",
        "type": "checkout.session.expired",
        "created": 1_800_000_000,
        "data": {"object": {"id": "cs_orphan", "client_reference_id": "987654", "customer": "cus_x"}},
    }

    assert process(event) == StripeEvent.Outcome.IGNORED


def test_a_session_naming_another_members_payment_settles_nothing(fake_stripe, one_off):
    alice, bob = UserFactory(), UserFactory()
    alices, _url, _created = checkout_start(user=alice, plan=one_off)
    bobs, _url, _created = checkout_start(user=bob, plan=one_off)
    fake_stripe.complete_checkout(alices.stripe_checkout.session_id)
    (event,) = fake_stripe.events_of("checkout.session.completed")
    # Alice's paid session, pointing at Bob's payment.
    event["data"]["object"]["client_reference_id"] = str(bobs.pk)

    with pytest.raises(Exception, match="n'est pas celui du membre"):
        process(event)

    bobs.refresh_from_db()
    assert bobs.status == Payment.Status.PENDING
    assert outcome(event)[0] == StripeEvent.Outcome.FAILED


def test_a_session_paid_after_its_payment_was_cancelled_fails_for_an_admin_to_see(member, fake_stripe, one_off):
    payment, _url, _created = checkout_start(user=member, plan=one_off)
    payment_cancel(payment=payment, by=member)
    fake_stripe.complete_checkout(payment.stripe_checkout.session_id)
    (event,) = fake_stripe.events_of("checkout.session.completed")

    with pytest.raises(Exception, match="à rembourser"):
        process(event)

    assert outcome(event)[0] == StripeEvent.Outcome.FAILED
    assert "annulé" in outcome(event)[1]


def test_cancelling_a_card_payment_closes_its_stripe_page(
    member, fake_stripe, one_off, django_capture_on_commit_callbacks
):
    payment, _url, _created = checkout_start(user=member, plan=one_off)
    session_id = payment.stripe_checkout.session_id

    with django_capture_on_commit_callbacks(execute=True):  # the task runs once the cancellation is committed
        answer = client_for(member).post(f"/api/auth/user/payments/{payment.pk}/cancel/")

    assert answer.status_code == 200
    assert fake_stripe.objects["checkout/sessions"][session_id]["status"] == "expired"
    assert fake_stripe.complete_checkout(session_id)["payment_status"] != "paid"  # the page takes no money now
    (expired,) = fake_stripe.events_of("checkout.session.expired")
    process(expired)
    payment.refresh_from_db()
    assert (payment.status, payment.cancelled_by) == (Payment.Status.CANCELLED, member)


def test_a_page_paid_before_the_worker_closed_it_is_left_to_its_own_event(member, fake_stripe, one_off):
    payment, _url, _created = checkout_start(user=member, plan=one_off)
    fake_stripe.complete_checkout(payment.stripe_checkout.session_id)

    assert checkout_close(session_id=payment.stripe_checkout.session_id) == "complete"
    assert not fake_stripe.events_of("checkout.session.expired")


def test_closing_a_page_while_stripe_is_down_raises_for_the_queue_to_retry(member, fake_stripe, one_off):
    payment, _url, _created = checkout_start(user=member, plan=one_off)
    fake_stripe.fail("checkout.sessions.expire", 500, times=5)

    with pytest.raises(stripe.APIError):
        checkout_close(session_id=payment.stripe_checkout.session_id)
    assert fake_stripe.objects["checkout/sessions"][payment.stripe_checkout.session_id]["status"] == "open"


# Concurrency (PostgreSQL)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_checkouts_at_once_make_one_customer_one_payment_and_one_session(fake_stripe, one_off):
    member = UserFactory()
    fake_stripe.latency = 0.2  # both requests are in flight together

    def start():
        payment, url, created = checkout_start(user=member, plan=one_off)
        return payment.pk, url, created

    results = run_together(start, start, slowed_tables=("billing_stripecustomer",))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert {r[:2] for r in results} == {results[0][:2]}  # one payment, one url
    assert sorted(r[2] for r in results) == [False, True]
    assert len(fake_stripe.objects["customers"]) == 1 and StripeCustomer.objects.count() == 1
    assert len(fake_stripe.objects["checkout/sessions"]) == 1
    assert Payment.objects.filter(user=member).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_members_first_checkouts_of_one_plan_at_once_make_one_price(fake_stripe, one_off):
    alice, bob = UserFactory(), UserFactory()
    fake_stripe.latency = 0.2

    results = run_together(
        lambda: checkout_start(user=alice, plan=one_off)[2],
        lambda: checkout_start(user=bob, plan=one_off)[2],
        slowed_tables=("billing_stripeprice",),
    )

    assert results == [True, True]
    assert StripePrice.objects.count() == 1 and len(fake_stripe.objects["prices"]) == 1


# manage.py stripe_sync_plans


def test_sync_plans_creates_each_active_plans_price_once(fake_stripe, one_off, recurring):
    PlanFactory(slug="ancienne", is_active=False)

    first = StringIO()
    call_command("stripe_sync_plans", stdout=first)
    again = StringIO()
    call_command("stripe_sync_plans", stdout=again)

    assert "Prix Stripe : 2 créés, 0 déjà présent." in first.getvalue()
    assert "Prix Stripe : 0 créé, 2 déjà présents." in again.getvalue()
    assert "tous les 30 j" in first.getvalue() and "paiement unique" in first.getvalue()
    assert len(fake_stripe.calls("prices.create")) == 2 and StripePrice.objects.count() == 2
    by_plan = {row.plan_id: row for row in StripePrice.objects.all()}
    assert by_plan[recurring.pk].recurring and not by_plan[one_off.pk].recurring


def test_sync_plans_refuses_with_stripe_off(settings, one_off):
    settings.STRIPE_SECRET_KEY = ""

    with pytest.raises(CommandError, match="Stripe n'est pas configuré"):
        call_command("stripe_sync_plans", stdout=StringIO())


def test_sync_plans_says_which_plan_stripe_refused(fake_stripe, one_off):
    fake_stripe.fail("prices.create", 400)

    with pytest.raises(CommandError, match="Mensuel"):
        call_command("stripe_sync_plans", stdout=StringIO())

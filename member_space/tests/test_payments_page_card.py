"""/espace/paiements/ with card payments (Stripe, through the fake Stripe server and the real `stripe` library):
"Payer par carte" per plan only when Stripe is on, the POST that sends the member to Stripe's page (303), the
refusals in French like a declaration's, the pending card payment ("Reprendre le paiement par carte", cancel), the
return from Stripe ("en cours de confirmation", polled through a small JSON state), and the portal button."""

import re

import pytest

from accounts.tests.factories import UnverifiedUserFactory, UserFactory
from billing.models import StripeCheckout, StripeCustomer
from payments.models import Payment, PaymentKind
from payments.services import payment_confirm
from payments.tests.factories import PaymentFactory, PaymentMethodFactory
from subscriptions.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db

URL = "/espace/paiements/"
CARD_URL = "/espace/paiements/carte/"
PORTAL_URL = "/espace/paiements/carte/gerer/"


@pytest.fixture
def monthly():
    return PlanFactory(name="Mensuel", slug="mensuel", price="49.00", duration_days=30)


@pytest.fixture
def automatic():
    return PlanFactory(name="Mensuel auto", slug="mensuel-auto", price="45.00", duration_days=30, is_recurring=True)


@pytest.fixture
def transfer():
    return PaymentMethodFactory(kind=PaymentKind.BANK_TRANSFER, label="Virement SEPA", position=1)


@pytest.fixture
def frontend(settings):
    settings.FRONTEND_URL = "https://app.example.com/espace"


def text(response) -> str:
    return response.content.decode()


def card_forms(html: str) -> list[str]:
    """The plan ids the page's "Payer par carte" forms post."""
    return re.findall(
        r'<form method="post" action="/espace/paiements/carte/" class="card-pay-form">.*?name="plan" value="(\d+)"',
        html,
        re.S,
    )


def messages_of(html: str) -> list[str]:
    return re.findall(r'<p class="message message-\w+">(.*?)</p>', html, re.S)


# The offer


def test_stripe_on_offers_payer_par_carte_for_each_plan_beside_the_declaration(
    browser, fake_stripe, monthly, automatic, transfer
):
    html = text(browser.get(URL))

    assert "Payer par carte" in html and 'id="payer-par-carte"' in html
    assert card_forms(html) == [str(automatic.pk), str(monthly.pk)]  # cheapest first, as the plans offered
    assert "renouvellement automatique" in html  # said of the recurring plan
    assert "Déclarer le paiement" in html  # the transfer is still declared by hand
    assert 'name="payment_method" value="' in html


def test_a_chosen_plan_gets_one_card_button(browser, fake_stripe, monthly, automatic, transfer):
    html = text(browser.get(f"{URL}?formule=mensuel-auto"))

    assert card_forms(html) == [str(automatic.pk)]
    assert "Renouvellement automatique tous les 30 jours" in html


@pytest.mark.parametrize("methods", [True, False])
def test_stripe_off_offers_no_card_at_all(browser, settings, monthly, methods):
    settings.STRIPE_SECRET_KEY = ""
    if methods:
        PaymentMethodFactory(kind=PaymentKind.BANK_TRANSFER)
    PaymentMethodFactory(kind=PaymentKind.CARD, label="Carte bancaire")  # left from a time Stripe was on

    html = text(browser.get(URL))

    assert "Payer par carte" not in html and "/espace/paiements/carte/" not in html
    assert "Carte bancaire" not in html
    assert ("Aucun moyen de paiement n'est encore configuré" in html) is not methods


def test_stripe_on_without_any_declared_method_offers_the_card_alone(browser, fake_stripe, monthly):
    html = text(browser.get(URL))

    assert card_forms(html) == [str(monthly.pk)]
    assert "Aucun moyen de paiement n'est encore configuré" not in html
    assert "Déclarer un paiement" not in html


def test_an_incomplete_profile_gets_no_card_button_but_the_missing_fields(client, fake_stripe, monthly, transfer):
    client.force_login(UnverifiedUserFactory())

    html = text(client.get(URL))

    assert card_forms(html) == []
    assert "Complétez votre profil avant de payer" in html


# Paying


@pytest.mark.usefixtures("frontend")
def test_payer_par_carte_creates_the_pending_card_payment_and_sends_the_member_to_stripe_with_303(
    browser, member, fake_stripe, automatic
):
    response = browser.post(CARD_URL, {"plan": automatic.pk})

    payment = Payment.objects.get(user=member)
    checkout = StripeCheckout.objects.get(payment=payment)
    assert response.status_code == 303
    assert response["Location"] == checkout.url == f"{fake_stripe.url}/pay/{checkout.session_id}"
    assert (payment.status, payment.method, payment.amount) == (Payment.Status.PENDING, PaymentKind.CARD, 45)
    session = fake_stripe.objects["checkout/sessions"][checkout.session_id]
    assert session["mode"] == "subscription"
    assert session["success_url"] == "https://app.example.com/espace/paiements/?paiement=retour"


def test_a_second_click_goes_to_the_same_stripe_page(browser, member, fake_stripe, monthly):
    first = browser.post(CARD_URL, {"plan": monthly.pk})
    again = browser.post(CARD_URL, {"plan": monthly.pk})

    assert first["Location"] == again["Location"]
    assert Payment.objects.filter(user=member).count() == 1
    assert len(fake_stripe.objects["checkout/sessions"]) == 1


def test_the_card_post_needs_the_csrf_token(member, fake_stripe, monthly):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(member)

    assert client.post(CARD_URL, {"plan": monthly.pk}).status_code == 403
    assert not Payment.objects.exists()


def test_the_card_post_needs_a_logged_in_member(client, fake_stripe, monthly):
    response = client.post(CARD_URL, {"plan": monthly.pk})

    assert response.status_code == 302 and response["Location"].startswith("/espace/connexion/")
    assert not Payment.objects.exists()


def test_a_get_of_the_card_url_starts_nothing(browser, fake_stripe, monthly):
    assert browser.get(CARD_URL).status_code == 405
    assert not Payment.objects.exists()


@pytest.mark.parametrize("plan", ["", "abc", "999999", "1\x00", "9" * 30])
def test_an_unknown_plan_is_said_in_french_and_nothing_is_asked_of_stripe(browser, fake_stripe, plan):
    response = browser.post(CARD_URL, {"plan": plan}, follow=True)

    assert response.redirect_chain == [(URL, 302)]
    assert messages_of(text(response)) == [
        "Cette formule n&#x27;existe pas ou n&#x27;est plus proposée : choisissez-en une autre."
    ]
    assert not Payment.objects.exists() and fake_stripe.calls() == []


def test_an_inactive_plan_is_refused_like_an_unknown_one(browser, fake_stripe, monthly):
    monthly.is_active = False
    monthly.save()

    response = browser.post(CARD_URL, {"plan": monthly.pk}, follow=True)

    assert "n&#x27;est plus proposée" in text(response)
    assert not Payment.objects.exists()


def test_an_incomplete_profile_is_sent_back_to_the_missing_fields(client, fake_stripe, monthly):
    client.force_login(UnverifiedUserFactory())

    response = client.post(CARD_URL, {"plan": monthly.pk}, follow=True)

    html = text(response)
    assert "Complétez votre profil avant de payer : il manque les informations ci-dessous." in messages_of(html)
    assert 'data-field="email_verified"' in html
    assert not Payment.objects.exists()


def test_another_pending_payment_is_shown_instead_of_a_second_one(browser, member, fake_stripe, monthly, transfer):
    declared = PaymentFactory(user=member, plan=monthly, payment_method=transfer)

    response = browser.post(CARD_URL, {"plan": monthly.pk}, follow=True)

    html = text(response)
    assert f"Vous avez déjà un paiement en attente ({declared.code})" in html
    assert 'id="pending"' in html and "Paiement en attente de vérification" in html
    assert Payment.objects.filter(user=member).count() == 1
    assert fake_stripe.calls() == []


def test_stripe_not_answering_is_said_in_french_and_leaves_nothing_pending(browser, member, fake_stripe, monthly):
    fake_stripe.fail("checkout.sessions.create", 500, times=5)

    response = browser.post(CARD_URL, {"plan": monthly.pk}, follow=True)

    assert response.redirect_chain == [(f"{URL}?formule=mensuel", 302)]
    assert messages_of(text(response)) == [
        "Le service de paiement par carte ne répond pas pour le moment : réessayez dans un instant."
    ]
    assert not Payment.objects.filter(user=member).exists()


def test_stripe_off_refuses_the_post_in_french(browser, settings, monthly):
    settings.STRIPE_SECRET_KEY = ""

    response = browser.post(CARD_URL, {"plan": monthly.pk}, follow=True)

    assert "Le paiement par carte n&#x27;est pas proposé." in messages_of(text(response))
    assert not Payment.objects.exists()


def test_the_card_post_spends_the_declaration_budget(browser, settings, member, fake_stripe, monthly):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "payment_declare": "2/hour"}
    browser.post(CARD_URL, {"plan": monthly.pk})
    browser.post(CARD_URL, {"plan": monthly.pk})

    response = browser.post(CARD_URL, {"plan": monthly.pk}, follow=True)

    assert any(m.startswith("Trop de tentatives.") for m in messages_of(text(response)))
    assert len(fake_stripe.objects["checkout/sessions"]) == 1  # the second click reused the first session


# The pending card payment


def test_a_pending_card_payment_offers_to_resume_it_and_to_cancel_it(browser, member, fake_stripe, monthly):
    browser.post(CARD_URL, {"plan": monthly.pk})
    payment = Payment.objects.get(user=member)

    html = text(browser.get(URL))

    assert "Paiement par carte non terminé" in html
    assert "Reprendre le paiement par carte" in html and f'name="plan" value="{monthly.pk}"' in html
    assert f'action="/espace/paiements/{payment.pk}/annuler/"' in html
    assert "Code à écrire" not in html and "Preuve de paiement" not in html  # nothing to pay by hand
    assert f'data-state-url="/espace/paiements/{payment.pk}/etat/"' in html
    assert card_forms(html) == []  # no new checkout while this one is pending


def test_resuming_goes_back_to_the_same_stripe_page(browser, member, fake_stripe, monthly):
    first = browser.post(CARD_URL, {"plan": monthly.pk})
    html = text(browser.get(URL))
    plan_id = re.search(r'action="/espace/paiements/carte/">.*?name="plan" value="(\d+)"', html, re.S).group(1)

    resumed = browser.post(CARD_URL, {"plan": plan_id})

    assert resumed.status_code == 303 and resumed["Location"] == first["Location"]


def test_cancelling_a_pending_card_payment_brings_the_offer_back(browser, member, fake_stripe, monthly):
    browser.post(CARD_URL, {"plan": monthly.pk})
    payment = Payment.objects.get(user=member)

    response = browser.post(f"/espace/paiements/{payment.pk}/annuler/", follow=True)

    payment.refresh_from_db()
    assert payment.status == Payment.Status.CANCELLED
    assert card_forms(text(response)) == [str(monthly.pk)]


def test_back_from_stripe_the_page_says_en_cours_de_confirmation_and_polls(browser, member, fake_stripe, monthly):
    browser.post(CARD_URL, {"plan": monthly.pk})
    payment = Payment.objects.get(user=member)
    fake_stripe.complete_checkout(payment.stripe_checkout.session_id)  # paid; the webhook has not landed yet

    html = text(browser.get(f"{URL}?paiement=retour"))

    assert "Paiement en cours de confirmation…" in html and 'id="card-confirming"' in html
    assert f'data-state-url="/espace/paiements/{payment.pk}/etat/"' in html
    assert '<script src="/static/member_space/payments.js" defer></script>' in html
    assert f'action="/espace/paiements/{payment.pk}/annuler/"' not in html  # it was paid: no cancel button
    assert "Gérer ma carte" not in html  # the customer exists, but the page is about this payment for now


def test_back_from_stripe_after_the_webhook_goes_straight_to_the_dashboard(browser, member, fake_stripe, monthly):
    browser.post(CARD_URL, {"plan": monthly.pk})
    payment_confirm(payment=Payment.objects.get(user=member), by=None)

    response = browser.get(f"{URL}?paiement=retour", follow=True)

    assert response.redirect_chain == [("/espace/", 302)]
    html = text(response)
    assert "Paiement par carte confirmé : votre formule Mensuel est active." in messages_of(html)
    assert 'id="countdown"' in html


def test_the_return_query_alone_changes_nothing_for_a_declared_payment(browser, member, monthly, transfer):
    payment_confirm(payment=PaymentFactory(user=member, plan=monthly, payment_method=transfer), by=None)

    response = browser.get(f"{URL}?paiement=retour")

    assert response.status_code == 200 and "Déclarer un paiement" in text(response)


def test_the_state_says_pending_then_where_to_go_once_confirmed(browser, member, fake_stripe, monthly):
    browser.post(CARD_URL, {"plan": monthly.pk})
    payment = Payment.objects.get(user=member)
    state_url = f"/espace/paiements/{payment.pk}/etat/"

    pending = browser.get(state_url)
    payment_confirm(payment=payment, by=None)
    confirmed = browser.get(state_url)

    assert pending.json() == {"status": "pending", "next": None}
    assert "no-store" in pending["Cache-Control"]
    assert confirmed.json() == {"status": "confirmed", "next": "/espace/"}


def test_a_cancelled_payments_state_sends_back_to_the_payments_page(browser, member, monthly, transfer):
    payment = PaymentFactory(user=member, plan=monthly, status=Payment.Status.CANCELLED)

    assert browser.get(f"/espace/paiements/{payment.pk}/etat/").json() == {"status": "cancelled", "next": URL}


def test_another_members_payment_state_is_a_404(browser, monthly):
    other = PaymentFactory(user=UserFactory(), plan=monthly)

    assert browser.get(f"/espace/paiements/{other.pk}/etat/").status_code == 404


def test_the_state_needs_a_logged_in_member(client, monthly):
    payment = PaymentFactory(plan=monthly)

    response = client.get(f"/espace/paiements/{payment.pk}/etat/")

    assert response.status_code == 302 and response["Location"].startswith("/espace/connexion/")


def test_the_dashboard_speaks_of_a_pending_card_payment_as_such(browser, member, fake_stripe, monthly):
    browser.post(CARD_URL, {"plan": monthly.pk})

    html = text(browser.get("/espace/"))

    assert "Paiement par carte en cours" in html and "Voir ou reprendre le paiement" in html
    assert "Code à indiquer" not in html and "Un administrateur vérifie" not in html


# The portal


def test_a_member_who_paid_by_card_gets_the_portal_button_which_goes_to_stripe_with_303(
    browser, member, fake_stripe, monthly, frontend
):
    browser.post(CARD_URL, {"plan": monthly.pk})
    payment = Payment.objects.get(user=member)
    payment_confirm(payment=payment, by=None)

    html = text(browser.get(URL))
    response = browser.post(PORTAL_URL)

    assert "Gérer ma carte / mon abonnement" in html and 'action="/espace/paiements/carte/gerer/"' in html
    assert html.index('id="carte"') < html.index('id="payer-par-carte"')  # first thing a member in force finds
    assert response.status_code == 303 and response["Location"].startswith(f"{fake_stripe.url}/portal/bps_")
    [portal] = fake_stripe.objects["billing_portal/sessions"].values()
    customer = StripeCustomer.objects.get(user=member)
    assert (portal["customer"], portal["return_url"]) == (
        customer.customer_id,
        "https://app.example.com/espace/paiements/",
    )


def test_no_portal_button_without_a_stripe_customer_and_the_post_says_why(browser, fake_stripe, monthly):
    html = text(browser.get(URL))
    response = browser.post(PORTAL_URL, follow=True)

    assert "Gérer ma carte" not in html
    assert messages_of(text(response)) == [
        "Vous n&#x27;avez encore payé aucune formule par carte : il n&#x27;y a rien à gérer."
    ]


def test_no_portal_button_when_stripe_is_off(browser, settings, member, monthly):
    StripeCustomer.objects.create(user=member, customer_id="cus_old")
    settings.STRIPE_SECRET_KEY = ""

    assert "Gérer ma carte" not in text(browser.get(URL))

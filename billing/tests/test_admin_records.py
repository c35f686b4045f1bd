"""The admin's lists of our Stripe records (customers, prices, checkout sessions, subscriptions, paid invoices): what
an admin needs to read, searchable, never edited."""

from decimal import Decimal

import pytest

from billing.models import StripeCheckout, StripeCustomer, StripeInvoice, StripePrice, StripeSubscription
from payments.models import Payment
from payments.tests.factories import PaymentFactory
from subscriptions.tests.factories import PlanFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_on")]

PAGES = {
    StripeCustomer: "/admin/billing/stripecustomer/",
    StripePrice: "/admin/billing/stripeprice/",
    StripeCheckout: "/admin/billing/stripecheckout/",
    StripeSubscription: "/admin/billing/stripesubscription/",
    StripeInvoice: "/admin/billing/stripeinvoice/",
}


@pytest.fixture
def records():
    plan = PlanFactory(name="Mensuel auto", price=Decimal("49.00"), is_recurring=True)
    first = PaymentFactory(plan=plan, status=Payment.Status.CONFIRMED, user__email="alice@example.com")
    renewal = PaymentFactory(plan=plan, user=first.user, status=Payment.Status.CONFIRMED)
    customer = StripeCustomer.objects.create(user=first.user, customer_id="cus_alice")
    price = StripePrice.objects.create(
        plan=plan, price_id="price_monthly", unit_amount=4900, currency="eur", recurring=True, interval_days=30
    )
    checkout = StripeCheckout.objects.create(
        payment=first, session_id="cs_alice", url="https://checkout.test/cs_alice", mode="subscription"
    )
    subscription = StripeSubscription.objects.create(
        subscription_id="sub_alice", user=first.user, plan=plan, first_payment=first, status="past_due"
    )
    invoices = [
        StripeInvoice.objects.create(
            invoice_id=f"in_{n}",
            stripe_subscription=subscription,
            payment=payment,
            billing_reason=reason,
            payment_intent_id=f"pi_{n}",
        )
        for n, (payment, reason) in enumerate([(first, "subscription_create"), (renewal, "subscription_cycle")])
    ]
    return {
        "customer": customer,
        "price": price,
        "checkout": checkout,
        "subscription": subscription,
        "invoices": invoices,
    }


def test_each_list_shows_what_an_admin_looks_for(admin_client, records):
    pages = {model: admin_client.get(url).content.decode() for model, url in PAGES.items()}

    assert "cus_alice" in pages[StripeCustomer] and "alice@example.com" in pages[StripeCustomer]
    assert "price_monthly" in pages[StripePrice] and "49,00\xa0€" in pages[StripePrice]
    assert "cs_alice" in pages[StripeCheckout] and "Confirmé" in pages[StripeCheckout]
    subscription_page = pages[StripeSubscription]
    assert "sub_alice" in subscription_page and "past_due" in subscription_page
    assert 'class="field-invoices_paid">2<' in subscription_page
    assert 'alt="False"' in subscription_page  # no automatic renewal while the card is refused
    assert "in_0" in pages[StripeInvoice] and "subscription_cycle" in pages[StripeInvoice]


def test_invoices_are_found_by_payment_intent_or_member(admin_client, records):
    by_intent = admin_client.get(PAGES[StripeInvoice], {"q": "pi_1"}).content.decode()
    by_member = admin_client.get(PAGES[StripeInvoice], {"q": "alice@example.com"}).content.decode()

    assert "in_1" in by_intent and "in_0" not in by_intent
    assert "in_0" in by_member and "in_1" in by_member


@pytest.mark.parametrize("model", list(PAGES))
def test_no_record_is_added_changed_or_deleted_in_the_admin(admin_client, records, model):
    record = model.objects.first()
    url = PAGES[model]

    assert admin_client.get(f"{url}add/").status_code == 403
    assert admin_client.get(f"{url}{record.pk}/delete/").status_code == 403
    detail = admin_client.get(f"{url}{record.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()

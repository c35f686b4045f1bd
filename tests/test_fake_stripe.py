"""The fake Stripe API, driven only through the real `stripe` library (a StripeClient pointed at its address)."""

import json
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from tests.fakes.fake_stripe import add_interval, nest


@pytest.fixture
def client(fake_stripe, settings) -> stripe.StripeClient:
    # What the project will do: one client per call, from the settings; no retries so an injected failure shows
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY, base_addresses={"api": settings.STRIPE_API_BASE}, max_network_retries=0
    )


@pytest.fixture
def monthly_price(client):
    product = client.v1.products.create({"name": "Abonnement mensuel", "metadata": {"plan": "12"}})
    return client.v1.prices.create(
        {
            "product": product.id,
            "currency": "eur",
            "unit_amount": 4900,
            "recurring": {"interval": "month"},
            "lookup_key": "plan-12-monthly",
            "metadata": {"plan": "12"},
        }
    )


def paid_subscription(client, fake_stripe, price):
    customer = client.v1.customers.create({"email": "alice@example.com", "metadata": {"member": "7"}})
    session = client.v1.checkout.sessions.create(
        {
            "mode": "subscription",
            "customer": customer.id,
            "line_items": [{"price": price.id, "quantity": 1}],
            "client_reference_id": "member-7",
            "success_url": "https://front.test/merci?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://front.test/annule",
            "metadata": {"member": "7"},
        }
    )
    fake_stripe.complete_checkout(session.id)
    return customer, client.v1.checkout.sessions.retrieve(session.id)


def test_nested_form_keys_read_back():
    assert nest({"line_items[0][price]": "price_1", "line_items[1][price]": "price_2", "metadata[plan]": "12"}) == {
        "line_items": [{"price": "price_1"}, {"price": "price_2"}],
        "metadata": {"plan": "12"},
    }


def test_a_month_after_the_31st_is_the_end_of_the_next_month():
    jan_31 = int(datetime(2027, 1, 31, 10, tzinfo=UTC).timestamp())
    assert add_interval(jan_31, "month") == int(datetime(2027, 2, 28, 10, tzinfo=UTC).timestamp())
    assert add_interval(jan_31, "year") == int(datetime(2028, 1, 31, 10, tzinfo=UTC).timestamp())


def test_customers_products_prices(client, monthly_price, fake_stripe):
    customer = client.v1.customers.create({"email": "alice@example.com", "name": "Alice", "metadata": {"member": "7"}})
    assert customer.id.startswith("cus_") and customer.object == "customer"
    again = client.v1.customers.retrieve(customer.id)
    assert (again.email, again.metadata["member"]) == ("alice@example.com", "7")  # metadata stays a string

    assert monthly_price.id.startswith("price_") and monthly_price.type == "recurring"
    assert monthly_price.recurring.interval == "month" and monthly_price.unit_amount == 4900
    one_time = client.v1.prices.create(
        {"product": monthly_price.product, "currency": "eur", "unit_amount": 12000, "lookup_key": "plan-12-once"}
    )
    assert one_time.type == "one_time" and one_time.recurring is None
    found = client.v1.prices.list({"lookup_keys": ["plan-12-monthly"]})
    assert [p.id for p in found.data] == [monthly_price.id]
    assert client.v1.products.retrieve(monthly_price.product).name == "Abonnement mensuel"

    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.customers.retrieve("cus_nope")
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError) as duplicate:
        client.v1.prices.create(
            {"product": monthly_price.product, "currency": "eur", "unit_amount": 1, "lookup_key": "plan-12-once"}
        )
    assert duplicate.value.http_status == 400 and duplicate.value.param == "lookup_key"


def test_checkout_subscription_then_renewals_cancel_and_refund(client, fake_stripe, monthly_price):
    start = int(time.time())
    customer, session = paid_subscription(client, fake_stripe, monthly_price)
    assert session.id.startswith("cs_") and session.status == "complete" and session.payment_status == "paid"
    assert session.client_reference_id == "member-7" and session.url == f"{fake_stripe.url}/pay/{session.id}"

    subscription = client.v1.subscriptions.retrieve(session.subscription)
    assert subscription.id.startswith("sub_") and subscription.status == "active"
    assert subscription.customer == customer.id and subscription.metadata["member"] == "7"
    item = subscription["items"].data[0]
    first_end = add_interval(item.current_period_start, "month")
    assert start <= item.current_period_start <= int(time.time()) and item.current_period_end == first_end

    first = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert first.id.startswith("in_") and first.billing_reason == "subscription_create" and first.status == "paid"
    assert first.parent.subscription_details.subscription == subscription.id
    line = first.lines.data[0]
    assert (line.period.start, line.period.end) == (item.current_period_start, first_end)
    assert line.amount == 4900 and line.pricing.price_details.price == monthly_price.id

    failed = fake_stripe.renew(subscription.id, succeed=False)
    assert failed["status"] == "open" and failed["billing_reason"] == "subscription_cycle"
    assert client.v1.subscriptions.retrieve(subscription.id).status == "past_due"
    paid = fake_stripe.renew(subscription.id)
    renewed = client.v1.subscriptions.retrieve(subscription.id)
    assert renewed.status == "active"
    second_end = add_interval(first_end, "month")
    third_end = add_interval(second_end, "month")
    assert renewed["items"].data[0].current_period_end == third_end
    invoice = client.v1.invoices.retrieve(paid["id"])
    # the invoice's own period is the one before; the paid service period is on its line
    assert (invoice.period_start, invoice.period_end) == (first_end, second_end)
    assert (invoice.lines.data[0].period.start, invoice.lines.data[0].period.end) == (second_end, third_end)
    listed = client.v1.invoices.list({"subscription": subscription.id})
    assert [i.id for i in listed.data] == [paid["id"], failed["id"], first.id]
    assert [i.status for i in listed.data] == ["paid", "open", "paid"]

    ending = client.v1.subscriptions.update(subscription.id, {"cancel_at_period_end": True})
    assert ending.cancel_at_period_end is True and ending.cancel_at == third_end and ending.status == "active"
    fake_stripe.renew(subscription.id)  # the period ends: no new invoice, the subscription ends
    assert client.v1.subscriptions.retrieve(subscription.id).status == "canceled"
    assert len(client.v1.invoices.list({"subscription": subscription.id}).data) == 3

    intent = invoice.payments.data[0].payment.payment_intent
    refund = client.v1.refunds.create({"payment_intent": intent})
    assert refund.id.startswith("re_") and refund.amount == 4900 and refund.status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError) as twice:
        client.v1.refunds.create({"payment_intent": intent})
    assert twice.value.code == "charge_already_refunded"

    assert [e["type"] for e in fake_stripe.events_of()] == [
        "checkout.session.completed",
        "invoice.paid",
        "invoice.payment_failed",
        "customer.subscription.updated",
        "invoice.paid",
        "customer.subscription.updated",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "charge.refunded",
    ]
    refunded = fake_stripe.events_of("charge.refunded")[0]["data"]
    assert refunded["object"]["refunded"] is True and refunded["previous_attributes"]["amount_refunded"] == 0


def test_the_payment_page_pays_a_one_time_price_and_redirects(client, fake_stripe, monthly_price):
    price = client.v1.prices.create({"product": monthly_price.product, "currency": "eur", "unit_amount": 12000})
    session = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [{"price": price.id, "quantity": 1}],
            "customer_email": "bob@example.com",
            "success_url": "https://front.test/merci?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://front.test/annule",
        }
    )
    with urllib.request.urlopen(session.url) as page:
        assert page.headers["Content-Type"].startswith("text/html") and b"120.00 EUR" in page.read()

    declined = urllib.request.Request(session.url, data=b"card=declined", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(declined)
    assert refused.value.code == 402
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirected:
        opener.open(urllib.request.Request(session.url, data=b"card=4242424242424242", method="POST"))
    assert redirected.value.code == 303
    assert redirected.value.headers["Location"] == f"https://front.test/merci?session={session.id}"

    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status, paid.subscription) == ("complete", "paid", None)
    assert paid.customer.startswith("cus_") and paid.payment_intent.startswith("pi_")
    refund = client.v1.refunds.create({"payment_intent": paid.payment_intent, "amount": 2000})
    assert refund.charge.startswith("ch_") and refund.amount == 2000
    assert [e["type"] for e in fake_stripe.events_of()] == ["checkout.session.completed", "charge.refunded"]


def test_a_subscription_needs_a_recurring_price(client, monthly_price):
    one_time = client.v1.prices.create({"product": monthly_price.product, "currency": "eur", "unit_amount": 100})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.checkout.sessions.create({"mode": "subscription", "line_items": [{"price": one_time.id}]})
    assert refused.value.http_status == 400 and refused.value.param == "line_items[0][price]"


def test_billing_portal_session(client, fake_stripe):
    customer = client.v1.customers.create({"email": "alice@example.com"})
    portal = client.v1.billing_portal.sessions.create(
        {"customer": customer.id, "return_url": "https://front.test/espace/"}
    )
    assert portal.id.startswith("bps_") and portal.url.startswith(fake_stripe.url)


def test_events_list_with_created_type_and_pagination(client, fake_stripe, monthly_price):
    paid_subscription(client, fake_stripe, monthly_price)
    subscription_id = fake_stripe.events_of("checkout.session.completed")[0]["data"]["object"]["subscription"]
    for _ in range(3):
        fake_stripe.renew(subscription_id)
    all_events = fake_stripe.events_of()
    assert len(all_events) == 8
    # Move the first two events an hour back: created[gte] must leave them out
    with fake_stripe.lock:
        for event in fake_stripe.events[:2]:
            event["created"] -= 3600
    since = all_events[2]["created"]

    first_page = client.v1.events.list({"created": {"gte": since}, "limit": 4})
    assert first_page.object == "list" and first_page.has_more is True and first_page.url == "/v1/events"
    second_page = client.v1.events.list(
        {"created": {"gte": since}, "limit": 4, "starting_after": first_page.data[-1].id}
    )
    assert second_page.has_more is False
    ids = [e.id for e in first_page.data + second_page.data]
    assert ids == [e["id"] for e in reversed(all_events[2:])]  # newest first, each once
    assert all(e.id.startswith("evt_") for e in first_page.data)

    paid = client.v1.events.list({"type": "invoice.paid"})
    assert len(paid.data) == 4 and {e.type for e in paid.data} == {"invoice.paid"}
    # auto-pagination through the library follows starting_after to the end
    assert len(list(client.v1.events.list({"limit": 3}).auto_paging_iter())) == 8


@pytest.mark.parametrize(
    ("status", "exception", "code"),
    [
        (402, stripe.CardError, "card_declined"),
        (429, stripe.RateLimitError, "rate_limit"),
        (500, stripe.APIError, None),
        (400, stripe.InvalidRequestError, "parameter_invalid_empty"),
    ],
)
def test_injected_failures_raise_the_library_exceptions(client, fake_stripe, monthly_price, status, exception, code):
    fake_stripe.fail("checkout.sessions.create", status)
    params = {"mode": "subscription", "line_items": [{"price": monthly_price.id}]}
    with pytest.raises(exception) as raised:
        client.v1.checkout.sessions.create(params)
    assert raised.value.http_status == status and raised.value.json_body["error"].get("code") == code
    assert client.v1.checkout.sessions.create(params).status == "open"  # only the next call failed
    assert [r.status for r in fake_stripe.calls("checkout.sessions.create")] == [status, 200]


def test_a_retried_post_replays_the_first_answer(fake_stripe, settings):
    retrying = stripe.StripeClient(settings.STRIPE_SECRET_KEY, base_addresses={"api": fake_stripe.url})
    first = retrying.v1.customers.create({"email": "a@example.com"}, {"idempotency_key": "member-7-checkout"})
    again = retrying.v1.customers.create({"email": "a@example.com"}, {"idempotency_key": "member-7-checkout"})
    assert again.id == first.id and len(fake_stripe.objects["customers"]) == 1


def test_a_stopped_server_is_a_connection_error(client, fake_stripe):
    fake_stripe.stop()
    with pytest.raises(stripe.APIConnectionError):
        client.v1.customers.create({"email": "a@example.com"})


def test_wrong_api_key_is_refused(fake_stripe):
    wrong = stripe.StripeClient("sk_test_wrong", base_addresses={"api": fake_stripe.url}, max_network_retries=0)
    with pytest.raises(stripe.AuthenticationError):
        wrong.v1.customers.create({"email": "a@example.com"})


def test_signed_events_pass_the_library_check_and_tampered_ones_do_not(client, fake_stripe, monthly_price, settings):
    paid_subscription(client, fake_stripe, monthly_price)
    event = fake_stripe.events_of("checkout.session.completed")[0]
    body, header = fake_stripe.signed_webhook(event["id"])
    assert header.startswith("t=") and ",v1=" in header
    checked = stripe.Webhook.construct_event(body.decode(), header, settings.STRIPE_WEBHOOK_SECRET)
    assert checked.id == event["id"] and checked.type == "checkout.session.completed"
    assert checked.data.object.client_reference_id == "member-7"

    tampered = body.replace(b"member-7", b"member-8")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(tampered.decode(), header, settings.STRIPE_WEBHOOK_SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body.decode(), header, "whsec_another")
    old_body, old_header = fake_stripe.signed_webhook(event, timestamp=int(time.time()) - 301)
    with pytest.raises(stripe.SignatureVerificationError):  # outside the 300 s tolerance
        stripe.Webhook.construct_event(old_body.decode(), old_header, settings.STRIPE_WEBHOOK_SECRET)


def test_deliver_posts_signed_events_twice_and_out_of_order(client, fake_stripe, monthly_price, settings):
    received: list[tuple[str, bool]] = []

    class Receiver(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            try:
                stripe.Webhook.construct_event(
                    body.decode(), self.headers["Stripe-Signature"], settings.STRIPE_WEBHOOK_SECRET
                )
                valid = True
            except stripe.SignatureVerificationError:
                valid = False
            received.append((json.loads(body)["id"], valid))
            self.send_response(200 if valid else 400)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        paid_subscription(client, fake_stripe, monthly_price)
        events = fake_stripe.events_of()
        url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/stripe/"
        results = fake_stripe.deliver(url, events, twice=True, reverse=True)
        ids = [e["id"] for e in events]
        expected = [ids[1], ids[1], ids[0], ids[0]]
        assert results == [(event_id, 200) for event_id in expected]
        assert received == [(event_id, True) for event_id in expected]
        assert fake_stripe.deliver(url, ids[:1], secret="whsec_another") == [(ids[0], 400)]
    finally:
        server.shutdown()
        server.server_close()


def test_an_expired_session_cannot_be_paid(client, fake_stripe, monthly_price):
    session = client.v1.checkout.sessions.create({"mode": "subscription", "line_items": [{"price": monthly_price.id}]})
    fake_stripe.expire_checkout(session.id)
    assert fake_stripe.complete_checkout(session.id)["status"] == "expired"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(session.url, data=b"card=4242424242424242", method="POST"))
    assert refused.value.code == 409
    assert [e["type"] for e in fake_stripe.events_of()] == ["checkout.session.expired"]


def test_the_library_retries_a_500_with_its_idempotency_key(fake_stripe, settings, monkeypatch):
    monkeypatch.setattr(stripe._http_client.HTTPClient, "_sleep_time_seconds", lambda self, n, response=None: 0)
    # a StripeClient built without max_network_retries does not retry at all (measured): the project must set it
    retrying = stripe.StripeClient(
        settings.STRIPE_SECRET_KEY, base_addresses={"api": fake_stripe.url}, max_network_retries=2
    )
    fake_stripe.fail("customers.create", 500)
    customer = retrying.v1.customers.create({"email": "a@example.com"})
    calls = fake_stripe.calls("customers.create")
    assert [c.status for c in calls] == [500, 200] and list(fake_stripe.objects["customers"]) == [customer.id]
    keys = {c.headers.get("Idempotency-Key") for c in calls}
    assert len(keys) == 1 and None not in keys

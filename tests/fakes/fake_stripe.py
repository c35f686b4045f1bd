"""A fake Stripe API v1 (the subset issue 16 needs), reached by the real `stripe` library through a base address.

Requests are form-encoded with nested keys (`line_items[0][price]`, `metadata[plan]`, `created[gte]`), answers JSON
objects with `object` and prefixed ids, lists `{object: "list", data, has_more, url}`, errors
`{"error": {type, code, message, param}}` with Stripe's statuses (400 invalid_request_error, 402 card_error, 404
resource_missing, 429 rate_limit, 500 api_error). Shapes follow the library's API version (2026-10-28.endive): a
subscription's period is on its items, an invoice names its subscription under `parent.subscription_details` and
the paid service period is on its lines (`lines.data[].period`); its own period_start/end is the period before.

State: customers, products, prices, coupons (`amount_off` or `percent_off`, `duration` once, applied through a
session's `discounts[0][coupon]` to its total and to a subscription's first invoice), checkout sessions (paid through
the fake's `/pay/<cs_id>` page or `complete_checkout`), subscriptions (`renew` moves the period forward), invoices,
payment intents, charges, refunds, billing portal sessions, and every state change as an event, listable through `GET
/v1/events` and signable as Stripe signs a webhook (`signed_webhook`, `deliver`). A POST repeated with the same
Idempotency-Key replays the first answer, as Stripe does.
"""

import calendar
import copy
import hashlib
import hmac
import html
import itertools
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from tests.fakes.base import Failure, FakeServer

API_VERSION = "2026-10-28.endive"
SECRET_KEY = "sk_test_fake_calmnessfi"
WEBHOOK_SECRET = "whsec_test_fake_calmnessfi"

# The path's collection -> (id prefix, the name failures and `calls()` use)
COLLECTIONS = {
    "customers": "cus",
    "products": "prod",
    "prices": "price",
    "coupons": "coupon",
    "checkout/sessions": "cs_test",
    "subscriptions": "sub",
    "invoices": "in",
    "payment_intents": "pi",
    "charges": "ch",
    "refunds": "re",
    "billing_portal/sessions": "bps",
    "events": "evt",
}
OBJECT_NAMES = {
    "customers": "customer",
    "products": "product",
    "prices": "price",
    "coupons": "coupon",
    "checkout/sessions": "checkout.session",
    "subscriptions": "subscription",
    "invoices": "invoice",
    "payment_intents": "payment_intent",
    "charges": "charge",
    "refunds": "refund",
    "billing_portal/sessions": "billing_portal.session",
    "events": "event",
}


class StripeError(Exception):
    def __init__(self, status: int, type_: str, message: str, *, code: str | None = None, param: str | None = None):
        super().__init__(message)
        self.status, self.type, self.message, self.code, self.param = status, type_, message, code, param


def nest(flat: dict[str, str]) -> dict:
    """`{"a[b][0]": "x"}` -> `{"a": {"b": ["x"]}}`: Stripe's form encoding read back."""
    root: dict = {}
    for key, value in flat.items():
        parts = key.replace("]", "").split("[")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node):
    if not isinstance(node, dict):
        return node
    node = {key: _lists(value) for key, value in node.items()}
    if node and all(key.isdigit() for key in node):
        return [node[key] for key in sorted(node, key=int)]
    return node


def add_interval(timestamp: int, interval: str, count: int = 1) -> int:
    """The same moment `count` days/weeks/months/years later (a month after 31 January is the last of February)."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    if interval in ("day", "week"):
        return timestamp + count * (86400 if interval == "day" else 7 * 86400)
    months = count * (12 if interval == "year" else 1)
    year, month = divmod(moment.month - 1 + months, 12)
    year, month = moment.year + year, month + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def sign(payload: bytes, *, secret: str, timestamp: int) -> str:
    """The `Stripe-Signature` header Stripe sends with a webhook: t=<unix>,v1=<HMAC-SHA256(secret, "t.body")>."""
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class FakeStripe(FakeServer):
    MUTATING = frozenset(
        {
            "customers.create",
            "products.create",
            "prices.create",
            "coupons.create",
            "checkout.sessions.create",
            "subscriptions.update",
            "subscriptions.cancel",
            "refunds.create",
            "billing_portal.sessions.create",
        }
    )

    def __init__(self, *, secret_key: str = SECRET_KEY, webhook_secret: str = WEBHOOK_SECRET):
        super().__init__()
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.clock: Callable[[], float] = time.time  # time-machine moves it in tests
        self.objects: dict[str, dict[str, dict]] = {name: {} for name in COLLECTIONS}
        self.events: list[dict] = []  # oldest first
        self.idempotent_answers: dict[str, tuple] = {}
        self.session_items: dict[str, tuple[str, int, dict]] = {}
        self._sequence = itertools.count(1)

    # plumbing
    def now(self) -> int:
        return int(self.clock())

    def new_id(self, prefix: str) -> str:
        # sortable and unique: Stripe's ids are opaque, ours also tell creation order in a failing test's output
        return f"{prefix}_{next(self._sequence):06d}{secrets.token_hex(4)}"

    @staticmethod
    def parse_body(raw: bytes, headers: dict) -> dict:
        # Stripe's values are strings (metadata included): no JSON decoding of each value as the base does
        return dict(parse_qsl(raw.decode(), keep_blank_values=True)) if raw else {}

    def name_of(self, method: str, path: str) -> str:
        """`POST /v1/checkout/sessions` -> `checkout.sessions.create`, `DELETE /v1/subscriptions/x` -> `.cancel`."""
        if path.startswith("/pay/"):
            return "checkout.pay"
        parts = path.removeprefix("/v1/").strip("/").split("/")
        collection = "/".join(parts[:2]) if "/".join(parts[:2]) in COLLECTIONS else parts[0]
        rest = parts[len(collection.split("/")) :]
        base = collection.replace("/", ".")
        if method == "DELETE":
            return f"{base}.cancel"
        if len(rest) == 2 and method == "POST":  # an action on one object: POST /v1/checkout/sessions/<id>/expire
            return f"{base}.{rest[1]}"
        if not rest:
            return f"{base}.create" if method == "POST" else f"{base}.list"
        return f"{base}.update" if method == "POST" else f"{base}.retrieve"

    # answers
    def error(self, status: int, type_: str, message: str, *, code: str | None = None, param: str | None = None):
        error: dict = {"type": type_, "message": message}
        if code:
            error["code"] = code
        if param:
            error["param"] = param
        if type_ == "card_error":
            error["decline_code"] = "generic_decline"
        return status, {"error": error}, {"Request-Id": self.new_id("req")}

    def rate_limited(self, wait: float):
        return self.error(429, "invalid_request_error", "Too many requests hit the API too quickly.", code="rate_limit")

    def failed(self, failure: Failure):
        if failure.status == 429:
            return self.rate_limited(failure.retry_after or 1)
        kinds = {
            400: ("invalid_request_error", "parameter_invalid_empty", "Invalid request."),
            402: ("card_error", "card_declined", "Your card was declined."),
            404: ("invalid_request_error", "resource_missing", "No such object."),
        }
        type_, code, message = kinds.get(failure.status, ("api_error", None, "An unknown error occurred."))
        return self.error(failure.status, type_, failure.description or message, code=code)

    def route(self, method, path, body, headers):
        if path.startswith("/pay/"):
            return self.checkout_page(method, path.removeprefix("/pay/"), body)
        if headers.get("Authorization") != f"Bearer {self.secret_key}":
            return self.error(401, "invalid_request_error", "Invalid API Key provided.")
        key = next((v for k, v in headers.items() if k.lower() == "idempotency-key"), None)
        if method == "POST" and key and key in self.idempotent_answers:
            status, payload, extra = self.idempotent_answers[key]
            return status, payload, {**extra, "Idempotent-Replayed": "true"}
        name = self.name_of(method, path)
        parts = path.removeprefix("/v1/").strip("/").split("/")
        object_id = parts[-2] if name.endswith(".expire") else parts[-1]
        params = nest(body)
        handler = getattr(self, "api_" + name.replace(".", "_"), None)
        if handler is None:
            answer = self.error(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path}).")
        else:
            try:
                payload = handler(params) if name.endswith((".create", ".list")) else handler(object_id, params)
                answer = 200, copy.deepcopy(payload), {"Request-Id": self.new_id("req")}
            except StripeError as exc:
                answer = self.error(exc.status, exc.type, exc.message, code=exc.code, param=exc.param)
        if method == "POST" and key and answer[0] != 500:
            self.idempotent_answers[key] = answer
        return answer

    def get(self, collection: str, object_id: str, *, param: str = "id") -> dict:
        found = self.objects[collection].get(object_id)
        if found is None:
            raise StripeError(
                404,
                "invalid_request_error",
                f"No such {OBJECT_NAMES[collection].split('.')[-1]}: '{object_id}'",
                code="resource_missing",
                param=param,
            )
        return found

    def store(self, collection: str, fields: dict) -> dict:
        obj = {
            "id": self.new_id(COLLECTIONS[collection]),
            "object": OBJECT_NAMES[collection],
            "created": self.now(),
            "livemode": False,
            **fields,
        }
        self.objects[collection][obj["id"]] = obj
        return obj

    @staticmethod
    def required(params: dict, name: str) -> str:
        if not params.get(name):
            raise StripeError(
                400, "invalid_request_error", f"Missing required param: {name}.", code="parameter_missing", param=name
            )
        return params[name]

    def page(self, items: list[dict], params: dict, url: str) -> dict:
        """A list answer, newest first, with `limit` (default 10, 1..100) and `starting_after`."""
        items = sorted(items, key=lambda o: (o["created"], o["id"]), reverse=True)
        limit = int(params.get("limit") or 10)
        if not 1 <= limit <= 100:
            raise StripeError(
                400, "invalid_request_error", "Invalid limit.", code="parameter_invalid_integer", param="limit"
            )
        if params.get("starting_after"):
            ids = [o["id"] for o in items]
            if params["starting_after"] not in ids:
                raise StripeError(
                    400,
                    "invalid_request_error",
                    "Invalid starting_after id.",
                    code="resource_missing",
                    param="starting_after",
                )
            items = items[ids.index(params["starting_after"]) + 1 :]
        return {"object": "list", "data": items[:limit], "has_more": len(items) > limit, "url": url}

    @staticmethod
    def created_filter(items: list[dict], created) -> list[dict]:
        if not created:
            return items
        if not isinstance(created, dict):
            return [o for o in items if o["created"] == int(created)]
        checks = {"gt": int.__gt__, "gte": int.__ge__, "lt": int.__lt__, "lte": int.__le__}
        for op, value in created.items():
            items = [o for o in items if checks[op](o["created"], int(value))]
        return items

    def record_event(self, type_: str, obj: dict, previous: dict | None = None) -> dict:
        data: dict = {"object": copy.deepcopy(obj)}
        if previous is not None:
            data["previous_attributes"] = previous
        event = self.store(
            "events",
            {
                "api_version": API_VERSION,
                "data": data,
                "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None},
                "type": type_,
            },
        )
        self.events.append(event)
        return event

    # customers, products, prices
    def api_customers_create(self, params):
        return self.store(
            "customers",
            {"email": params.get("email"), "name": params.get("name"), "metadata": params.get("metadata", {})},
        )

    def api_customers_retrieve(self, object_id, params):
        return self.get("customers", object_id)

    def api_customers_cancel(self, object_id, params):
        """DELETE /v1/customers/<id>: Stripe forgets the customer (a second delete is a 404 resource_missing)."""
        self.get("customers", object_id)
        del self.objects["customers"][object_id]
        return {"id": object_id, "object": "customer", "deleted": True}

    def api_products_create(self, params):
        return self.store(
            "products",
            {"name": self.required(params, "name"), "active": True, "metadata": params.get("metadata", {})},
        )

    def api_products_retrieve(self, object_id, params):
        return self.get("products", object_id)

    def api_prices_create(self, params):
        product = self.get("products", self.required(params, "product"), param="product")
        recurring = params.get("recurring")
        if recurring:
            recurring = {
                "interval": recurring["interval"],
                "interval_count": int(recurring.get("interval_count", 1)),
                "usage_type": "licensed",
            }
        lookup_key = params.get("lookup_key")
        if lookup_key and params.get("transfer_lookup_key") in ("true", True):
            for other in self.objects["prices"].values():
                if other["lookup_key"] == lookup_key:
                    other["lookup_key"] = None
        elif lookup_key and any(p["lookup_key"] == lookup_key for p in self.objects["prices"].values()):
            raise StripeError(
                400,
                "invalid_request_error",
                f"A price (`{lookup_key}`) already uses that lookup key.",
                param="lookup_key",
            )
        return self.store(
            "prices",
            {
                "active": True,
                "currency": self.required(params, "currency").lower(),
                "unit_amount": int(self.required(params, "unit_amount")),
                "product": product["id"],
                "recurring": recurring or None,
                "type": "recurring" if recurring else "one_time",
                "lookup_key": lookup_key,
                "nickname": params.get("nickname"),
                "metadata": params.get("metadata", {}),
            },
        )

    def api_prices_retrieve(self, object_id, params):
        return self.get("prices", object_id)

    def api_prices_list(self, params):
        prices = list(self.objects["prices"].values())
        if params.get("lookup_keys"):
            prices = [p for p in prices if p["lookup_key"] in params["lookup_keys"]]
        if params.get("product"):
            prices = [p for p in prices if p["product"] == params["product"]]
        if "active" in params:
            prices = [p for p in prices if p["active"] == (params["active"] == "true")]
        if params.get("type"):
            prices = [p for p in prices if p["type"] == params["type"]]
        return self.page(prices, params, "/v1/prices")

    # coupons: Stripe lets the caller choose the id, and refuses a second coupon with it
    def api_coupons_create(self, params):
        coupon_id = params.get("id")
        if coupon_id and coupon_id in self.objects["coupons"]:
            raise StripeError(
                400, "invalid_request_error", "Coupon already exists.", code="resource_already_exists", param="id"
            )
        amount_off, percent_off = params.get("amount_off"), params.get("percent_off")
        if bool(amount_off) == bool(percent_off):
            raise StripeError(
                400,
                "invalid_request_error",
                "Exactly one of amount_off or percent_off is required.",
                param="amount_off",
            )
        if amount_off and not params.get("currency"):
            raise StripeError(400, "invalid_request_error", "A currency is required with amount_off.", param="currency")
        coupon = self.store(
            "coupons",
            {
                "amount_off": int(amount_off) if amount_off else None,
                "percent_off": float(percent_off) if percent_off else None,
                "currency": (params.get("currency") or "").lower() or None,
                "duration": params.get("duration", "once"),
                "name": params.get("name"),
                "metadata": params.get("metadata", {}),
                "valid": True,
            },
        )
        if coupon_id:
            del self.objects["coupons"][coupon["id"]]
            coupon["id"] = coupon_id
            self.objects["coupons"][coupon_id] = coupon
        return coupon

    def api_coupons_retrieve(self, object_id, params):
        return self.get("coupons", object_id)

    def discounted(self, amount: int, coupon_id: str | None) -> int:
        """`amount` (cents) less the coupon's discount, as Stripe computes it: amount_off, or percent_off rounded."""
        if not coupon_id:
            return amount
        coupon = self.objects["coupons"][coupon_id]
        off = coupon["amount_off"] if coupon["amount_off"] else round(amount * coupon["percent_off"] / 100)
        return max(amount - off, 0)

    # checkout
    def api_checkout_sessions_create(self, params):
        mode = self.required(params, "mode")
        if mode not in ("payment", "subscription"):
            raise StripeError(
                400, "invalid_request_error", f"Invalid mode: {mode}", code="parameter_invalid_empty", param="mode"
            )
        line_items = params.get("line_items") or []
        if not line_items:
            raise StripeError(
                400,
                "invalid_request_error",
                "Missing required param: line_items.",
                code="parameter_missing",
                param="line_items",
            )
        price = self.get("prices", line_items[0].get("price", ""), param="line_items[0][price]")
        if (mode == "subscription") != (price["type"] == "recurring"):
            raise StripeError(
                400,
                "invalid_request_error",
                f"The price `{price['id']}` is {'not ' if mode == 'subscription' else ''}a recurring price, "
                f"mode `{mode}` needs {'a recurring' if mode == 'subscription' else 'a one-time'} price.",
                param="line_items[0][price]",
            )
        customer = self.get("customers", params["customer"], param="customer")["id"] if params.get("customer") else None
        quantity = int(line_items[0].get("quantity", 1))
        discounts = params.get("discounts") or []
        coupon_id = discounts[0].get("coupon") if discounts else None
        if coupon_id:
            coupon = self.get("coupons", coupon_id, param="discounts[0][coupon]")
            if coupon["currency"] not in (None, price["currency"]):
                raise StripeError(
                    400, "invalid_request_error", "The coupon's currency does not match.", param="discounts[0][coupon]"
                )
        session = self.store(
            "checkout/sessions",
            {
                "mode": mode,
                "status": "open",
                "payment_status": "unpaid",
                "customer": customer,
                "customer_email": params.get("customer_email"),
                "client_reference_id": params.get("client_reference_id"),
                "success_url": params.get("success_url"),
                "cancel_url": params.get("cancel_url"),
                "metadata": params.get("metadata", {}),
                "currency": price["currency"],
                "amount_subtotal": price["unit_amount"] * quantity,
                "amount_total": self.discounted(price["unit_amount"] * quantity, coupon_id),
                "discounts": [{"coupon": coupon_id}] if coupon_id else [],
                "subscription": None,
                "invoice": None,
                "payment_intent": None,
                "expires_at": self.now() + 24 * 3600,
            },
        )
        # Stripe lists a session's line items apart (and never shows subscription_data): kept beside it
        self.session_items[session["id"]] = (price["id"], quantity, params.get("subscription_data", {}))
        session["url"] = f"{self.url}/pay/{session['id']}"
        return session

    def api_checkout_sessions_retrieve(self, object_id, params):
        return self.get("checkout/sessions", object_id)

    def api_checkout_sessions_expire(self, object_id, params):
        session = self.get("checkout/sessions", object_id)
        if session["status"] != "open":
            raise StripeError(
                400,
                "invalid_request_error",
                f'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a '
                f'status of "{session["status"]}".',
            )
        session["status"] = "expired"
        self.record_event("checkout.session.expired", session)
        return session

    def checkout_page(self, method: str, session_id: str, body: dict):
        """The hosted payment page: GET shows it, POST pays (card=declined refuses) and redirects like Checkout."""
        session = self.objects["checkout/sessions"].get(session_id)
        if session is None:
            return 404, b"<h1>Session introuvable</h1>", {"Content-Type": "text/html; charset=utf-8"}
        if method == "GET":
            page = (
                f"<html><body><h1>Paiement CalmnessFi (fake Stripe)</h1>"
                f"<p>{session['amount_total'] / 100:.2f} {html.escape(session['currency'].upper())}</p>"
                f'<form method="post"><input name="card" value="4242424242424242">'
                f"<button>Payer</button></form></body></html>"
            )
            return 200, page.encode(), {"Content-Type": "text/html; charset=utf-8"}
        if session["status"] != "open":
            return 409, b"<h1>Session deja terminee</h1>", {"Content-Type": "text/html; charset=utf-8"}
        if body.get("card") == "declined":
            return 402, b"<h1>Carte refusee</h1>", {"Content-Type": "text/html; charset=utf-8"}
        self._complete(session)
        location = (session["success_url"] or "").replace("{CHECKOUT_SESSION_ID}", session["id"])
        return 303, None, {"Location": location}

    # test helpers: what the member or time does
    def complete_checkout(self, session_id: str, *, succeed: bool = True) -> dict:
        """The member paid on the hosted page (or the card was declined: the session stays open, no event)."""
        with self.lock:
            session = self.objects["checkout/sessions"][session_id]
            if succeed and session["status"] == "open":
                self._complete(session)
            return copy.deepcopy(session)

    def expire_checkout(self, session_id: str) -> dict:
        with self.lock:
            session = self.objects["checkout/sessions"][session_id]
            session["status"] = "expired"
            self.record_event("checkout.session.expired", session)
            return copy.deepcopy(session)

    def _complete(self, session: dict) -> None:
        if session["customer"] is None:
            session["customer"] = self.api_customers_create({"email": session["customer_email"]})["id"]
        price_id, quantity, subscription_data = self.session_items[session["id"]]
        price = self.objects["prices"][price_id]
        if session["mode"] == "subscription":
            subscription = self._new_subscription(session, price, quantity, subscription_data)
            session["subscription"] = subscription["id"]
            session["invoice"] = subscription["latest_invoice"]
        else:
            charge = self._pay(session["customer"], session["amount_total"], session["currency"], session["metadata"])
            session["payment_intent"] = charge["payment_intent"]
        session["status"], session["payment_status"] = "complete", "paid"
        self.record_event("checkout.session.completed", session)
        if session["mode"] == "subscription":
            invoice = self.objects["invoices"][session["invoice"]]
            self.record_event("invoice.paid", invoice)

    def _pay(self, customer: str, amount: int, currency: str, metadata: dict, *, succeed: bool = True) -> dict:
        """A payment intent and its charge (succeeded, or failed card_declined)."""
        intent = self.store(
            "payment_intents",
            {
                "amount": amount,
                "amount_received": amount if succeed else 0,
                "currency": currency,
                "customer": customer,
                "metadata": metadata,
                "status": "succeeded" if succeed else "requires_payment_method",
                "latest_charge": None,
            },
        )
        charge = self.store(
            "charges",
            {
                "amount": amount,
                "amount_captured": amount if succeed else 0,
                "amount_refunded": 0,
                "currency": currency,
                "customer": customer,
                "metadata": metadata,
                "paid": succeed,
                "captured": succeed,
                "refunded": False,
                "status": "succeeded" if succeed else "failed",
                "failure_code": None if succeed else "card_declined",
                "payment_intent": intent["id"],
            },
        )
        intent["latest_charge"] = charge["id"]
        return charge

    def _new_subscription(self, session: dict, price: dict, quantity: int, subscription_data: dict) -> dict:
        start = self.now()
        end = add_interval(start, price["recurring"]["interval"], price["recurring"]["interval_count"])
        metadata = {**session["metadata"], **subscription_data.get("metadata", {})}
        coupon_id = session["discounts"][0]["coupon"] if session.get("discounts") else None
        subscription = self.store(
            "subscriptions",
            {
                "customer": session["customer"],
                "status": "active",
                "cancel_at_period_end": False,
                "cancel_at": None,
                "canceled_at": None,
                "ended_at": None,
                "start_date": start,
                "billing_cycle_anchor": start,
                "currency": price["currency"],
                "metadata": metadata,
                "latest_invoice": None,
                "items": {"object": "list", "data": [], "has_more": False, "url": ""},
            },
        )
        subscription["items"]["url"] = f"/v1/subscription_items?subscription={subscription['id']}"
        subscription["items"]["data"].append(
            {
                "id": self.new_id("si"),
                "object": "subscription_item",
                "created": start,
                "price": copy.deepcopy(price),
                "quantity": quantity,
                "subscription": subscription["id"],
                "current_period_start": start,
                "current_period_end": end,
                "metadata": {},
            }
        )
        # A `duration: once` coupon discounts the first invoice only; the renewals are charged in full.
        invoice = self._invoice(subscription, "subscription_create", start, start, succeed=True, coupon_id=coupon_id)
        subscription["latest_invoice"] = invoice["id"]
        return subscription

    def _invoice(
        self,
        subscription: dict,
        reason: str,
        previous_start: int,
        previous_end: int,
        *,
        succeed: bool,
        coupon_id: str | None = None,
    ) -> dict:
        """An invoice for the subscription's current period (on its line); its own period is the one before."""
        item = subscription["items"]["data"][0]
        amount = self.discounted(item["price"]["unit_amount"] * item["quantity"], coupon_id)
        charge = self._pay(subscription["customer"], amount, subscription["currency"], {}, succeed=succeed)
        now = self.now()
        invoice = self.store(
            "invoices",
            {
                "customer": subscription["customer"],
                "billing_reason": reason,
                "status": "paid" if succeed else "open",
                "paid": succeed,
                "attempted": True,
                "attempt_count": 1,
                "amount_due": amount,
                "amount_paid": amount if succeed else 0,
                "amount_remaining": 0 if succeed else amount,
                "currency": subscription["currency"],
                "period_start": previous_start,
                "period_end": previous_end,
                "status_transitions": {"finalized_at": now, "paid_at": now if succeed else None},
                "parent": {
                    "type": "subscription_details",
                    "subscription_details": {"subscription": subscription["id"], "metadata": subscription["metadata"]},
                },
                "lines": {"object": "list", "data": [], "has_more": False, "url": ""},
                "payments": {"object": "list", "data": [], "has_more": False, "url": ""},
                "next_payment_attempt": None if succeed else now + 3 * 86400,
            },
        )
        invoice["lines"]["url"] = f"/v1/invoices/{invoice['id']}/lines"
        invoice["lines"]["data"].append(
            {
                "id": self.new_id("il"),
                "object": "line_item",
                "amount": amount,
                "currency": subscription["currency"],
                "description": f"{item['quantity']} x {item['price']['nickname'] or item['price']['product']}",
                "invoice": invoice["id"],
                "quantity": item["quantity"],
                "period": {"start": item["current_period_start"], "end": item["current_period_end"]},
                "pricing": {
                    "type": "price_details",
                    "price_details": {"price": item["price"]["id"], "product": item["price"]["product"]},
                    "unit_amount_decimal": str(item["price"]["unit_amount"]),
                },
                "parent": {
                    "type": "subscription_item_details",
                    "subscription_item_details": {"subscription": subscription["id"], "subscription_item": item["id"]},
                },
                "metadata": {},
            }
        )
        invoice["payments"]["data"].append(
            {
                "id": self.new_id("inpay"),
                "object": "invoice_payment",
                "invoice": invoice["id"],
                "is_default": True,
                "status": "paid" if succeed else "open",
                "payment": {"type": "payment_intent", "payment_intent": charge["payment_intent"]},
            }
        )
        return invoice

    def renew(self, subscription_id: str, *, succeed: bool = True) -> dict:
        """The period ended: a `subscription_cycle` invoice for the next one, paid or failed (then past_due).

        A subscription set to cancel at period end ends instead (customer.subscription.deleted). Returns the
        new invoice, or the ended subscription."""
        with self.lock:
            subscription = self.objects["subscriptions"][subscription_id]
            if subscription["status"] == "canceled":
                raise ValueError(f"{subscription_id} is canceled")
            item = subscription["items"]["data"][0]
            if subscription["cancel_at_period_end"]:
                return copy.deepcopy(self._end(subscription))
            previous = {
                "current_period_start": item["current_period_start"],
                "current_period_end": item["current_period_end"],
            }
            recurring = item["price"]["recurring"]
            item["current_period_start"] = item["current_period_end"]
            item["current_period_end"] = add_interval(
                item["current_period_end"], recurring["interval"], recurring["interval_count"]
            )
            invoice = self._invoice(subscription, "subscription_cycle", *previous.values(), succeed=succeed)
            old_status = subscription["status"]
            subscription["latest_invoice"] = invoice["id"]
            subscription["status"] = "active" if succeed else "past_due"
            self.record_event("invoice.paid" if succeed else "invoice.payment_failed", invoice)
            changed: dict = {"items": {"data": [{**item, **previous}]}, "latest_invoice": None}
            if old_status != subscription["status"]:
                changed["status"] = old_status
            self.record_event("customer.subscription.updated", subscription, changed)
            return copy.deepcopy(invoice)

    def _end(self, subscription: dict) -> dict:
        now = self.now()
        subscription.update(status="canceled", canceled_at=subscription["canceled_at"] or now, ended_at=now)
        self.record_event("customer.subscription.deleted", subscription)
        return subscription

    # subscriptions, invoices
    def api_subscriptions_retrieve(self, object_id, params):
        return self.get("subscriptions", object_id)

    def api_subscriptions_update(self, object_id, params):
        subscription = self.get("subscriptions", object_id)
        if subscription["status"] == "canceled":
            raise StripeError(
                400,
                "invalid_request_error",
                "A canceled subscription can only update its cancellation_details and metadata.",
            )
        previous: dict = {}
        if "cancel_at_period_end" in params:
            wanted = params["cancel_at_period_end"] == "true"
            if wanted != subscription["cancel_at_period_end"]:
                previous = {key: subscription[key] for key in ("cancel_at_period_end", "cancel_at", "canceled_at")}
                period_end = subscription["items"]["data"][0]["current_period_end"]
                subscription.update(
                    cancel_at_period_end=wanted,
                    cancel_at=period_end if wanted else None,
                    canceled_at=self.now() if wanted else None,
                )
        if "metadata" in params:
            previous["metadata"] = subscription["metadata"]
            subscription["metadata"] = {**subscription["metadata"], **params["metadata"]}
        if previous:
            self.record_event("customer.subscription.updated", subscription, previous)
        return subscription

    def api_subscriptions_cancel(self, object_id, params):
        subscription = self.get("subscriptions", object_id)
        if subscription["status"] == "canceled":
            raise StripeError(
                404,
                "invalid_request_error",
                f"No such subscription: '{object_id}'",
                code="resource_missing",
                param="id",
            )
        return self._end(subscription)

    def api_invoices_retrieve(self, object_id, params):
        return self.get("invoices", object_id)

    def api_invoices_list(self, params):
        invoices = list(self.objects["invoices"].values())
        if params.get("customer"):
            invoices = [i for i in invoices if i["customer"] == params["customer"]]
        if params.get("subscription"):
            invoices = [
                i for i in invoices if i["parent"]["subscription_details"]["subscription"] == params["subscription"]
            ]
        if params.get("status"):
            invoices = [i for i in invoices if i["status"] == params["status"]]
        return self.page(self.created_filter(invoices, params.get("created")), params, "/v1/invoices")

    def api_payment_intents_retrieve(self, object_id, params):
        return self.get("payment_intents", object_id)

    def api_charges_retrieve(self, object_id, params):
        return self.get("charges", object_id)

    # refunds, billing portal, events
    def api_refunds_create(self, params):
        if params.get("charge"):
            charge = self.get("charges", params["charge"], param="charge")
        elif params.get("payment_intent"):
            intent = self.get("payment_intents", params["payment_intent"], param="payment_intent")
            charge = self.objects["charges"][intent["latest_charge"]]
        else:
            raise StripeError(
                400,
                "invalid_request_error",
                "One of `charge` or `payment_intent` is required.",
                code="parameter_missing",
            )
        if not charge["paid"]:
            raise StripeError(400, "invalid_request_error", f"Charge {charge['id']} has not been paid.", param="charge")
        left = charge["amount_captured"] - charge["amount_refunded"]
        amount = int(params.get("amount") or left)
        if left <= 0:
            raise StripeError(
                400,
                "invalid_request_error",
                f"Charge {charge['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        if amount > left:
            raise StripeError(
                400,
                "invalid_request_error",
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                code="amount_too_large",
                param="amount",
            )
        refund = self.store(
            "refunds",
            {
                "amount": amount,
                "charge": charge["id"],
                "payment_intent": charge["payment_intent"],
                "currency": charge["currency"],
                "reason": params.get("reason"),
                "metadata": params.get("metadata", {}),
                "status": "succeeded",
            },
        )
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
        self.record_event("charge.refunded", charge, previous)
        return refund

    def api_billing_portal_sessions_create(self, params):
        customer = self.get("customers", self.required(params, "customer"), param="customer")
        portal = self.store(
            "billing_portal/sessions", {"customer": customer["id"], "return_url": params.get("return_url")}
        )
        portal["url"] = f"{self.url}/portal/{portal['id']}"
        return portal

    def api_events_retrieve(self, object_id, params):
        return self.get("events", object_id)

    def api_events_list(self, params):
        events = self.created_filter(list(self.events), params.get("created"))
        if params.get("type"):
            wanted = params["type"]
            events = [
                e
                for e in events
                if e["type"] == wanted or (wanted.endswith(".*") and e["type"].startswith(wanted[:-1]))
            ]
        if params.get("types"):
            events = [e for e in events if e["type"] in params["types"]]
        return self.page(events, params, "/v1/events")

    # what tests assert on
    def events_of(self, type_: str | None = None) -> list[dict]:
        with self.lock:
            return [copy.deepcopy(e) for e in self.events if type_ is None or e["type"] == type_]

    # webhooks: signed as Stripe signs them
    def signed_webhook(
        self, event: dict | str, *, secret: str | None = None, timestamp: int | None = None
    ) -> tuple[bytes, str]:
        """(raw body, Stripe-Signature header) of a webhook delivery of `event` (an event or its id).

        `timestamp` defaults to now: Stripe signs each delivery attempt afresh, so a late delivery carries a fresh
        signature; give an old one to test the 300 s tolerance."""
        if isinstance(event, str):
            with self.lock:
                event = copy.deepcopy(self.objects["events"][event])
        payload = json.dumps(event, indent=2).encode()
        header = sign(
            payload, secret=secret or self.webhook_secret, timestamp=self.now() if timestamp is None else timestamp
        )
        return payload, header

    def deliver(
        self,
        url: str,
        events: Iterable[dict | str],
        *,
        secret: str | None = None,
        twice: bool = False,
        reverse: bool = False,
        timestamp: int | None = None,
        timeout: float = 10,
    ) -> list[tuple[str, int]]:
        """POST each event to `url` as Stripe delivers a webhook: `twice` sends each one a second time right after
        (a redelivery), `reverse` sends them newest first (out of order; a late one arrives after later ones).
        Returns (event id, HTTP status) per delivery."""
        ordered = list(events)
        if reverse:
            ordered.reverse()
        results = []
        for event in ordered:
            for _ in range(2 if twice else 1):
                body, header = self.signed_webhook(event, secret=secret, timestamp=timestamp)
                request = urllib.request.Request(
                    url,
                    data=body,
                    method="POST",
                    headers={
                        "Content-Type": "application/json; charset=utf-8",
                        "Stripe-Signature": header,
                        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                    },
                )
                try:
                    with urllib.request.urlopen(request, timeout=timeout) as answer:
                        status = answer.status
                except urllib.error.HTTPError as exc:
                    status = exc.code
                results.append((json.loads(body)["id"], status))
        return results

"""Card payments through Stripe Checkout: the session a pending card payment sends the member to (with the member's
one Stripe customer and the plan's Stripe price), the billing portal, and the events that settle a session
(docs/architecture/stripe.md)."""

import hashlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from billing.amounts import stripe_cents
from billing.client import stripe_client, stripe_enabled
from billing.errors import BillingError, StripeEventError, StripeOff, StripeUnavailable
from billing.models import StripeCheckout, StripeCustomer, StripeEvent, StripePrice
from core import clock
from core.tasks import task_enqueue
from payments.models import Payment
from payments.selectors import payment_pending_for
from payments.services import (
    PaymentPendingExists,
    PaymentStateError,
    payment_allowed_check,
    payment_cancel,
    payment_card_create,
    payment_confirm,
    payment_member_lock,
)
from subscriptions.models import Plan

logger = logging.getLogger("calmnessfi.billing")

# Where Stripe sends the member back, under FRONTEND_URL (the member space): the payments page, which polls until the
# webhook has confirmed the payment.
RETURN_PATH = "/paiements/"
SUCCESS_QUERY = "?paiement=retour"


def payments_page_url() -> str:
    """The member's payments page, absolute (Stripe redirects there; the portal's "return" link too)."""
    return f"{settings.FRONTEND_URL.rstrip('/')}{RETURN_PATH}"


def _idempotency_key(name: str, params: dict[str, Any]) -> str:
    """A Stripe idempotency key for creating `name` with `params`: two hosts (or a retry after a rolled-back
    transaction) asking for the same object get the same one back. The parameters' digest is part of the key since
    Stripe refuses a key reused with other parameters (a member who changed their name in between)."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:24]
    return f"calmnessfi-{name}-{digest}"


def stripe_customer_for(*, user, client: stripe.StripeClient | None = None) -> StripeCustomer:
    """The member's one Stripe customer, created at Stripe on their first card checkout (e-mail and name), reused
    ever after. The idempotency key, derived from the member, makes a second creation (another host, a retry after
    our row was rolled back) return the same customer; the unique `user` keeps one row."""
    existing = StripeCustomer.objects.filter(user=user).first()
    if existing is not None:
        return existing
    params = {"email": user.email, "name": user.get_full_name(), "metadata": {"user_id": str(user.pk)}}
    customer = (client or stripe_client()).v1.customers.create(
        params,  # type: ignore[arg-type]  # a plain dict: the library's TypedDict is not inferred from it
        {"idempotency_key": _idempotency_key(f"customer-{user.pk}", params)},
    )
    row, _created = StripeCustomer.objects.get_or_create(user=user, defaults={"customer_id": customer.id})
    return row


def _price_terms(plan: Plan) -> dict[str, Any]:
    """What a Stripe price of the plan is for: the amount in cents, the currency, and for a recurring plan a period
    of its duration in days (Stripe's period then equals our coverage)."""
    return {
        "unit_amount": stripe_cents(plan.price),
        "currency": plan.currency.lower(),
        "recurring": plan.is_recurring,
        "interval_days": plan.duration_days if plan.is_recurring else 0,
    }


def price_lookup_key(plan: Plan) -> str:
    """The price's name at Stripe, from the plan and its terms: found again even if our row was lost."""
    terms = _price_terms(plan)
    period = f"{terms['interval_days']}d" if terms["recurring"] else "once"
    return f"calmnessfi-plan-{plan.pk}-{terms['unit_amount']}-{terms['currency']}-{period}"


def _product_for(plan: Plan, client: stripe.StripeClient) -> str:
    """The plan's Stripe product: the one of its earlier prices, else a new one (one per plan)."""
    known = StripePrice.objects.filter(plan=plan).order_by("id").first()
    if known is not None:
        product = client.v1.prices.retrieve(known.price_id).product
        return product if isinstance(product, str) else product.id
    params = {"name": plan.name, "metadata": {"plan_id": str(plan.pk)}}
    return client.v1.products.create(
        params,  # type: ignore[arg-type]
        {"idempotency_key": _idempotency_key(f"product-{plan.pk}", params)},
    ).id


def stripe_price_for(*, plan: Plan, client: stripe.StripeClient | None = None) -> tuple[StripePrice, bool]:
    """The plan's Stripe price for its current terms, and whether this call created it at Stripe.

    Our row first; else the price Stripe knows by its lookup key (our row was lost, or another host made it);
    else a new price: one-off for a plain plan, every `duration_days` days for a recurring one. Idempotent."""
    terms = _price_terms(plan)
    row = StripePrice.objects.filter(plan=plan, **terms).first()
    if row is not None:
        return row, False
    client = client or stripe_client()
    lookup_key = price_lookup_key(plan)
    found = client.v1.prices.list({"lookup_keys": [lookup_key], "limit": 1}).data
    if found:
        price_id = found[0].id
    else:
        params: dict[str, Any] = {
            "product": _product_for(plan, client),
            "unit_amount": terms["unit_amount"],
            "currency": terms["currency"],
            "lookup_key": lookup_key,
            "nickname": plan.name,
            "metadata": {"plan_id": str(plan.pk)},
        }
        if terms["recurring"]:
            params["recurring"] = {"interval": "day", "interval_count": terms["interval_days"]}
        price_id = client.v1.prices.create(
            params,  # type: ignore[arg-type]
            {"idempotency_key": _idempotency_key(f"price-{lookup_key}", params)},
        ).id
    row, _created = StripePrice.objects.get_or_create(plan=plan, **terms, defaults={"price_id": price_id})
    return row, not found


def stripe_coupon_for(*, payment: Payment, client: stripe.StripeClient) -> str:
    """The Stripe coupon mirroring the payment's discount: `amount_off` of exactly our discount in cents (whatever
    the kind of our coupon: Stripe's own rounding of a percentage could differ from ours by a cent), `duration`
    once (a recurring plan's renewals are charged in full). Its id names our coupon and the amount, so it is made
    once at Stripe and found again by every later checkout with the same discount (another host, a retry)."""
    assert payment.coupon is not None
    cents = stripe_cents(payment.discount)
    coupon_id = f"calmnessfi-coupon-{payment.coupon_id}-{cents}-{payment.currency.lower()}"
    try:
        return client.v1.coupons.retrieve(coupon_id).id
    except stripe.InvalidRequestError as exc:
        if exc.http_status != 404:
            raise
    params = {
        "id": coupon_id,
        "amount_off": cents,
        "currency": payment.currency.lower(),
        "duration": "once",
        "name": payment.coupon.code,
        "metadata": {"coupon_id": str(payment.coupon_id)},
    }
    return client.v1.coupons.create(
        params,  # type: ignore[arg-type]
        {"idempotency_key": _idempotency_key(f"coupon-{coupon_id}", params)},
    ).id


def _session_create(*, payment: Payment, user, plan: Plan) -> StripeCheckout:
    client = stripe_client()
    customer = stripe_customer_for(user=user, client=client)
    price, _created = stripe_price_for(plan=plan, client=client)
    mode = StripeCheckout.Mode.SUBSCRIPTION if price.recurring else StripeCheckout.Mode.PAYMENT
    # What the webhook handlers find the payment, the member and the plan by (on the session, the subscription and
    # its invoices, or the payment intent).
    metadata = {"payment_id": str(payment.pk), "user_id": str(user.pk), "plan_id": str(plan.pk)}
    params: dict[str, Any] = {
        "mode": mode.value,
        "customer": customer.customer_id,
        "client_reference_id": str(payment.pk),
        "line_items": [{"price": price.price_id, "quantity": 1}],
        "metadata": metadata,
        "success_url": payments_page_url() + SUCCESS_QUERY,
        "cancel_url": payments_page_url(),
        "locale": "fr",
    }
    if payment.coupon is not None and payment.discount > 0:
        # Stripe charges what we computed: the list price less our discount, never its own figure.
        params["discounts"] = [{"coupon": stripe_coupon_for(payment=payment, client=client)}]
    if mode == StripeCheckout.Mode.SUBSCRIPTION:
        params["subscription_data"] = {"metadata": metadata}
    else:
        params["payment_intent_data"] = {"metadata": metadata}
    # No idempotency key of ours: the library sends one of its own and keeps it across its retries.
    session = client.v1.checkout.sessions.create(params)  # type: ignore[arg-type]
    return StripeCheckout.objects.create(
        payment=payment,
        session_id=session.id,
        url=session.url or "",  # always set for a hosted page
        mode=mode,
        expires_at=datetime.fromtimestamp(session.expires_at, UTC) if session.expires_at else None,
    )


def _checkout_open(checkout: StripeCheckout) -> bool:
    return checkout.expires_at is None or checkout.expires_at > clock.now()


def _session_paid(checkout: StripeCheckout) -> bool:
    """Whether Stripe says the session was completed: a late webhook must find its payment still pending."""
    return stripe_client().v1.checkout.sessions.retrieve(checkout.session_id).status == "complete"


def checkout_start(*, user, plan: Plan, coupon_code: str = "") -> tuple[Payment, str, bool]:
    """Start paying `plan` by card: (the pending card payment, the Stripe Checkout URL to send the member to,
    whether this call created them). A `coupon_code` takes its discount off (payments.services.coupon_apply, a
    French PaymentError on `coupon` when it cannot apply), mirrored at Stripe as a coupon of the same amount; a
    double click finding the open session gets it back as it was made, unless it names another code
    (PaymentPendingExists: the member cancels the first session to use it).

    Refused like a declaration: incomplete profile (PaymentNotAllowed), plan no longer offered (PaymentError),
    another pending payment (PaymentPendingExists); Stripe off raises StripeOff. A double click gets the same open
    session back; a pending card payment whose session expired unpaid is cancelled and a new one started (one paid
    just before it expired, whose webhook has not come yet, stays pending: PaymentPendingExists).

    Everything happens in one transaction holding the member's lock (the lock order of payments.services): two
    clicks at once are served one after the other, the second getting the first's session. The Stripe calls are
    inside it, so a Stripe failure (error, 429, network) rolls the payment back: the member is left with nothing
    pending and simply tries again (StripeUnavailable). What Stripe made meanwhile is found again next time (the
    customer by its idempotency key, the price by its lookup key); a session whose payment was rolled back was
    never shown and expires unpaid."""
    if not stripe_enabled():
        raise StripeOff()
    try:
        with transaction.atomic():
            payment_member_lock(user=user)
            payment_allowed_check(user=user, plan=plan)
            pending = payment_pending_for(user=user)
            if pending is not None:
                checkout = StripeCheckout.objects.filter(payment=pending).first()
                # The open session is given back only for what it charges: the same plan, and no other promo code
                # (a code typed after starting: the member cancels the first, or pays it as it is).
                other_code = bool(coupon_code.strip()) and coupon_code.strip().upper() != _coupon_code_of(pending)
                if checkout is None or (_checkout_open(checkout) and (pending.plan_id != plan.pk or other_code)):
                    raise PaymentPendingExists(pending)
                if _checkout_open(checkout):
                    return pending, checkout.url, False
                if _session_paid(checkout):
                    raise PaymentPendingExists(pending)  # paid just before it expired: its webhook is on its way
                payment_cancel(payment=pending, by=None)  # unpaid, and its page can no longer be paid
            payment = payment_card_create(user=user, plan=plan, coupon_code=coupon_code)
            checkout = _session_create(payment=payment, user=user, plan=plan)
    except stripe.StripeError as exc:
        logger.warning(
            "stripe checkout failed",
            extra={"user_id": user.pk, "error": type(exc).__name__, "http_status": exc.http_status},
        )
        raise StripeUnavailable() from exc
    return payment, checkout.url, True


def _coupon_code_of(payment: Payment) -> str:
    return payment.coupon.code.upper() if payment.coupon is not None else ""


def billing_portal_url(*, user, return_url: str) -> str:
    """A Stripe customer portal session for the member (card update, cancellation of the automatic renewal);
    BillingError when they never paid by card (no Stripe customer)."""
    if not stripe_enabled():
        raise StripeOff()
    customer = StripeCustomer.objects.filter(user=user).first()
    if customer is None:
        raise BillingError(_("Vous n'avez encore payé aucune formule par carte : il n'y a rien à gérer."))
    try:
        portal = stripe_client().v1.billing_portal.sessions.create(
            {"customer": customer.customer_id, "return_url": return_url}
        )
    except stripe.StripeError as exc:
        logger.warning("stripe portal failed", extra={"user_id": user.pk, "error": type(exc).__name__})
        raise StripeUnavailable() from exc
    return portal.url


def checkout_close_enqueue(*, payment: Payment) -> None:
    """A cancelled card payment's Stripe page must stop taking money: its session is expired by the worker (a task
    written in the cancelling transaction, so that it happens once the cancellation is committed, and is retried
    if Stripe cannot be reached). No session (not a card payment): nothing to do."""
    from billing.tasks import stripe_checkout_expire  # the task module imports this one

    session_id = StripeCheckout.objects.filter(payment=payment).values_list("session_id", flat=True).first()
    if session_id is not None:
        task_enqueue(stripe_checkout_expire, session_id=session_id)


def checkout_close(*, session_id: str) -> str:
    """Expire the session at Stripe; returns its status afterwards. A session that is no longer open (paid in the
    meantime, or already expired) is left as it is: its own event tells the rest (a paid one is then an event that
    needs an admin, see `_checkout_session_completed`)."""
    client = stripe_client()
    try:
        return client.v1.checkout.sessions.expire(session_id).status or ""
    except stripe.InvalidRequestError:
        status = client.v1.checkout.sessions.retrieve(session_id).status or ""
        logger.info("stripe session not expired", extra={"session_id": session_id, "status": status})
        return status


# Events


def _payment_of(session: dict[str, Any]) -> Payment:
    reference = session.get("client_reference_id")
    try:
        return Payment.objects.get(pk=int(str(reference)))
    except (ValueError, Payment.DoesNotExist):
        raise StripeEventError(_("Paiement introuvable : client_reference_id=%(ref)r") % {"ref": reference}) from None


def _member_check(session: dict[str, Any], payment: Payment) -> None:
    """The session must be the member's: its customer is the Stripe customer of the payment's member (and its
    metadata, when present, name that member). Anything else settles nobody's payment."""
    customer_id = StripeCustomer.objects.filter(user_id=payment.user_id).values_list("customer_id", flat=True).first()
    user_id = (session.get("metadata") or {}).get("user_id")
    if customer_id is None or session.get("customer") != customer_id or user_id not in (None, str(payment.user_id)):
        raise StripeEventError(
            _("Session %(session)s : son client Stripe n'est pas celui du membre du paiement %(code)s.")
            % {"session": session.get("id"), "code": payment.code}
        )
    if StripeCheckout.objects.filter(payment=payment).exclude(session_id=session.get("id")).exists():
        raise StripeEventError(
            _("Session %(session)s : le paiement %(code)s a été ouvert avec une autre session.")
            % {"session": session.get("id"), "code": payment.code}
        )


def _checkout_session_completed(session: dict[str, Any], event: StripeEvent) -> str:
    """A paid Checkout Session confirms the payment named by its `client_reference_id`, through the admin's own
    confirmation service (idempotent): same coverage, e-mails, in-app notice and channel access. A one-off session
    also keeps its payment intent (a refund names it). The Stripe subscription of a recurring plan is the invoice
    handlers' business (billing/renewals.py)."""
    if session.get("payment_status") != "paid":
        return _("session non payée (statut %(status)s)") % {"status": session.get("payment_status")}
    payment = _payment_of(session)
    _member_check(session, payment)
    intent = session.get("payment_intent")
    if session.get("mode") == StripeCheckout.Mode.PAYMENT and isinstance(intent, str) and intent:
        StripeCheckout.objects.filter(payment=payment, session_id=session.get("id"), payment_intent_id="").update(
            payment_intent_id=intent
        )
    if payment.status in {Payment.Status.CANCELLED, Payment.Status.REJECTED}:
        # Paid at Stripe after the member cancelled it: money was taken, an admin decides (refund or confirm).
        raise StripeEventError(
            _("Paiement %(code)s payé chez Stripe alors qu'il est %(status)s : à rembourser ou à traiter à la main.")
            % {"code": payment.code, "status": payment.get_status_display().lower()}
        )
    payment_confirm(payment=payment, by=None)
    return ""


def _checkout_session_expired(session: dict[str, Any], event: StripeEvent) -> str:
    """An expired session was never paid: its pending payment is cancelled, so the member can start again. A
    payment already confirmed, rejected or cancelled stays as it is (events come in any order)."""
    try:
        payment = _payment_of(session)
    except StripeEventError:
        # A session whose payment was rolled back with a failed checkout_start: nothing of ours to cancel.
        return _("aucun paiement pour cette session")
    _member_check(session, payment)
    try:
        payment_cancel(payment=payment, by=None)
    except PaymentStateError:
        status = Payment.Status(Payment.objects.values_list("status", flat=True).get(pk=payment.pk))
        return _("paiement déjà %(status)s") % {"status": str(status.label).lower()}
    return ""


# Each handler returns "" when it applied the event, or why it had nothing to do (the event is then "ignored").
HANDLERS = {
    "checkout.session.completed": _checkout_session_completed,
    "checkout.session.expired": _checkout_session_expired,
}

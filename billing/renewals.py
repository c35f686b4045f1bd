"""Stripe events about invoices and subscriptions: renewals, refused renewals, cancellations, and the state of each
Stripe subscription reflected on the subscriptions it paid for (docs/architecture/stripe.md).

Every handler runs in the transaction that locks its event row (billing.services.stripe_event_process), so one
event is applied once. Events about one Stripe subscription may still be applied at the same time by two workers:
each handler locks the member's row first (the lock order of payments.services), then the StripeSubscription row.
Events come late and out of order: a paid invoice is recorded once whatever its order (the unique invoice id), and
the subscription's state only moves forward (`state_at`, the `created` time of the event that last set it;
`canceled` is final).
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext as _

from billing.amounts import from_stripe_cents
from billing.errors import StripeEventError
from billing.models import StripeEvent, StripeInvoice, StripeSubscription
from core import clock
from notifications.renewal_notices import renewal_failed_notice_create
from payments.models import Payment
from payments.services import payment_confirm, payment_member_lock, payment_method_card, payment_record_confirmed
from subscriptions.models import Plan, Subscription
from subscriptions.selectors import coverage_end

# Stripe's statuses under which the card is charged again at the period's end (past_due: the last charge failed).
RENEWING_STATUSES = frozenset({"active", "trialing"})
CANCELED = "canceled"  # final: a deleted subscription never comes back
FIRST_INVOICE = "subscription_create"


def stripe_subscription_renews(stripe_subscription: StripeSubscription) -> bool:
    """Whether Stripe will charge the card again at the paid period's end."""
    return stripe_subscription.status in RENEWING_STATUSES and not stripe_subscription.cancel_at_period_end


def stripe_subscription_sync(*, stripe_subscription: StripeSubscription) -> int:
    """Copy the Stripe subscription's state onto every Subscription it paid for (its first payment and its invoices'
    payments): `auto_renew` while Stripe will charge again, `next_charge_at` the end of the paid period then. Returns
    how many rows were updated. A refunded payment's row is left as its refund set it (never renewing)."""
    renews = stripe_subscription_renews(stripe_subscription)
    paid_by_it = Q(payment__stripe_subscription=stripe_subscription) | Q(
        payment__stripe_invoice__stripe_subscription=stripe_subscription
    )
    rows = Subscription.objects.filter(paid_by_it).exclude(payment__status=Payment.Status.REFUNDED)
    return rows.update(
        auto_renew=renews,
        next_charge_at=stripe_subscription.current_period_end if renews else None,
        updated_at=clock.now(),
    )


def _moment(timestamp: Any) -> datetime | None:
    return datetime.fromtimestamp(int(timestamp), tz=UTC) if timestamp else None


def _our_id(metadata: dict[str, Any], key: str) -> int | None:
    try:
        return int(str(metadata.get(key)))
    except ValueError:
        return None


def _stripe_subscription_locked(*, subscription_id: str, metadata: dict[str, Any]) -> StripeSubscription | None:
    """The row of `subscription_id`, locked (the member first, then the row). The first event we see of it creates
    it from the metadata our checkout gave it (`user_id`, `plan_id`, `payment_id`), whatever that event is: invoices
    and subscription events may come before the checkout's. None when we do not know it and it has no metadata of
    ours (a subscription made outside our checkout)."""
    rows = StripeSubscription.objects.filter(subscription_id=subscription_id)
    known_user_id = rows.values_list("user_id", flat=True).first()
    user_id = known_user_id if known_user_id is not None else _our_id(metadata, "user_id")
    plan_id = _our_id(metadata, "plan_id")
    if user_id is None or (known_user_id is None and plan_id is None):
        return None
    member = get_user_model().objects.filter(pk=user_id).first()
    if member is None:
        raise StripeEventError(_("Membre introuvable : user_id=%(id)s") % {"id": user_id})
    payment_member_lock(user=member)
    if plan_id is not None and not rows.exists():
        first_payment = _first_payment_of_metadata(metadata, user_id=user_id)
        if not Plan.objects.filter(pk=plan_id).exists():
            raise StripeEventError(_("Formule introuvable : plan_id=%(id)s") % {"id": plan_id})
        # Another event of the same subscription may create it at the same time: the unique id decides, and
        # get_or_create then reads the winner's row.
        StripeSubscription.objects.get_or_create(
            subscription_id=subscription_id,
            defaults={"user_id": user_id, "plan_id": plan_id, "first_payment": first_payment},
        )
    locked = StripeSubscription.objects.select_for_update(of=("self",)).select_related("user", "plan", "first_payment")
    return locked.get(subscription_id=subscription_id)


def _first_payment_of_metadata(metadata: dict[str, Any], *, user_id: int) -> Payment | None:
    payment_id = _our_id(metadata, "payment_id")
    if payment_id is None:
        return None
    payment = Payment.objects.filter(pk=payment_id, user_id=user_id).first()
    if payment is None:
        raise StripeEventError(_("Paiement introuvable : payment_id=%(id)s") % {"id": payment_id})
    return payment


def _state_apply(
    row: StripeSubscription,
    *,
    event: StripeEvent,
    status: str,
    cancel_at_period_end: bool | None = None,
    period_end: datetime | None = None,
) -> bool:
    """Take the state an event describes, unless a newer event already set it or the subscription ended; True when
    it was taken. The paid period's end only moves forward, whatever the event's age."""
    if period_end is not None and (row.current_period_end is None or period_end > row.current_period_end):
        row.current_period_end = period_end
    newer = row.status != CANCELED and (row.state_at is None or event.created >= row.state_at)
    if newer:
        row.status = status
        if cancel_at_period_end is not None:
            row.cancel_at_period_end = cancel_at_period_end
        row.state_at = event.created
    row.save(update_fields=["status", "cancel_at_period_end", "current_period_end", "state_at", "updated_at"])
    return newer


def _invoice_subscription(invoice: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    subscription_id = details.get("subscription")
    if not isinstance(subscription_id, str) or not subscription_id:
        return None
    return subscription_id, details.get("metadata") or {}


def _invoice_period(invoice: dict[str, Any], bound: str) -> datetime | None:
    """The "start" or "end" of the service period the invoice pays (its lines'; the invoice's own period is the one
    before it)."""
    moments = [line.get("period", {}).get(bound) for line in (invoice.get("lines") or {}).get("data") or []]
    moments = [moment for moment in moments if moment]
    return _moment((min if bound == "start" else max)(moments, default=None))


def _invoice_payment_intent(invoice: dict[str, Any]) -> str:
    entries = (invoice.get("payments") or {}).get("data") or []
    paid_first = sorted(entries, key=lambda entry: entry.get("status") != "paid")
    for entry in paid_first:
        intent = (entry.get("payment") or {}).get("payment_intent")
        if intent:
            return str(intent)
    return ""


def _first_payment(row: StripeSubscription) -> Payment:
    if row.first_payment is None:
        raise StripeEventError(
            _("L'abonnement Stripe %(id)s n'a pas de premier paiement connu.") % {"id": row.subscription_id}
        )
    return row.first_payment


def _renewal_payment_record(*, row: StripeSubscription, invoice: dict[str, Any]) -> Payment:
    """The payment of a renewal Stripe charged, confirmed with its subscription, notices and e-mail
    (payments.services.payment_record_confirmed: never pending, so a declared payment cannot stand in its way)."""
    return payment_record_confirmed(
        user=row.user,
        plan=row.plan,
        payment_method=payment_method_card(),
        amount=from_stripe_cents(invoice["amount_paid"]),
        currency=str(invoice["currency"]).upper(),
        reference=str(invoice["id"])[:100],
        note=_("Renouvellement automatique par carte (Stripe)."),
        # Covered from the period Stripe charged for, however late its event reaches us (an outage, a retry).
        paid_from=_invoice_period(invoice, "start"),
    )


def _invoice_stripe_subscription_locked(invoice: dict[str, Any]) -> tuple[StripeSubscription | None, str]:
    """The invoice's Stripe subscription row, locked; or None and why the invoice is none of ours (then ignored)."""
    reference = _invoice_subscription(invoice)
    if reference is None:
        return None, _("facture sans abonnement Stripe")
    row = _stripe_subscription_locked(subscription_id=reference[0], metadata=reference[1])
    if row is None:
        return None, _("abonnement Stripe inconnu (sans les métadonnées de notre paiement)")
    return row, ""


def _invoice_paid(invoice: dict[str, Any], event: StripeEvent) -> str:
    """A paid invoice of a Stripe subscription. The first one (`subscription_create`) pays the checkout's payment,
    confirmed here if its checkout event has not come yet; any other one is a renewal: a new confirmed payment and
    the subscription it pays for, stacked on the coverage, once per invoice. The subscription is then active again
    (a renewal paid after a refusal restores everything)."""
    row, ignored = _invoice_stripe_subscription_locked(invoice)
    if row is None:
        return ignored
    invoice_id = str(invoice["id"])
    fields = {
        "stripe_subscription": row,
        "billing_reason": str(invoice.get("billing_reason") or "")[:50],
        "payment_intent_id": _invoice_payment_intent(invoice),
    }
    if invoice.get("billing_reason") == FIRST_INVOICE:
        first = _first_payment(row)
        payment_confirm(payment=first, by=None)
        StripeInvoice.objects.get_or_create(invoice_id=invoice_id, defaults={"payment": first, **fields})
    elif not StripeInvoice.objects.filter(invoice_id=invoice_id).exists():
        if int(invoice.get("amount_paid") or 0) <= 0:
            return _("facture à 0 : aucun paiement à enregistrer")
        # A renewal may come before its subscription's first invoice or checkout: the first period is paid first,
        # so the renewal stacks after it.
        payment_confirm(payment=_first_payment(row), by=None)
        StripeInvoice.objects.create(
            invoice_id=invoice_id, payment=_renewal_payment_record(row=row, invoice=invoice), **fields
        )
    _state_apply(row, event=event, status="active", period_end=_invoice_period(invoice, "end"))
    stripe_subscription_sync(stripe_subscription=row)
    return ""


def _invoice_payment_failed(invoice: dict[str, Any], event: StripeEvent) -> str:
    """Stripe could not charge the card: the member is told (in the app and by e-mail) once per attempt, renewals are
    shown off while it lasts (past_due), and access is untouched: it runs to the paid end (plus the channels'
    grace). Stripe retries by itself; a later invoice.paid restores everything. A failure older than what we know
    (the invoice was paid since, or a newer event set the state) says nothing to the member."""
    row, ignored = _invoice_stripe_subscription_locked(invoice)
    if row is None:
        return ignored
    if StripeInvoice.objects.filter(invoice_id=str(invoice["id"])).exists():
        return _("facture payée depuis")
    if not _state_apply(row, event=event, status="past_due"):
        return _("échec plus ancien que l'état connu de l'abonnement")
    stripe_subscription_sync(stripe_subscription=row)
    renewal_failed_notice_create(
        user=row.user,
        plan_name=row.plan.name,
        amount=from_stripe_cents(invoice.get("amount_due")),
        currency=str(invoice.get("currency") or row.plan.currency).upper(),
        paid_until=coverage_end(user=row.user),
        next_attempt_at=_moment(invoice.get("next_payment_attempt")),
    )
    return ""


def _subscription_changed(subscription: dict[str, Any], event: StripeEvent) -> str:
    """`customer.subscription.created/updated/deleted`: Stripe's status, cancel-at-period-end (the member turned
    renewals off in the portal) and the paid period's end, unless a newer event already said more. Deletion is
    final: no renewal any more, access runs to the paid end."""
    row = _stripe_subscription_locked(
        subscription_id=str(subscription["id"]), metadata=subscription.get("metadata") or {}
    )
    if row is None:
        return _("abonnement Stripe inconnu (sans les métadonnées de notre paiement)")
    items = (subscription.get("items") or {}).get("data") or [{}]
    status = CANCELED if event.type == "customer.subscription.deleted" else str(subscription.get("status") or "")
    applied = _state_apply(
        row,
        event=event,
        status=status,
        cancel_at_period_end=bool(subscription.get("cancel_at_period_end")),
        period_end=_moment(items[0].get("current_period_end")),
    )
    stripe_subscription_sync(stripe_subscription=row)
    return "" if applied else _("événement plus ancien que l'état connu de l'abonnement")


# Each handler returns "" when it applied the event, or why it had nothing to do (the event is then "ignored").
HANDLERS: dict[str, Callable[[dict[str, Any], StripeEvent], str]] = {
    "invoice.paid": _invoice_paid,
    "invoice.payment_failed": _invoice_payment_failed,
    "customer.subscription.created": _subscription_changed,
    "customer.subscription.updated": _subscription_changed,
    "customer.subscription.deleted": _subscription_changed,
}

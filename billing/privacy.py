"""The member's Stripe records in their data export (accounts.privacy, docs/architecture/personal-data.md).

Erasing keeps our rows: Stripe's customer and subscription ids are the card payments' accounting trail (kept with the
payments for the legal retention period) and name no one by themselves. The customer itself, which holds the
member's name and address at Stripe, is deleted there by the worker once the erasure is committed."""

import stripe
from django.utils.translation import gettext as _

from accounts.privacy import ErasureRefused, iso
from billing.client import stripe_client
from billing.models import StripeCustomer, StripeEvent, StripeSubscription
from billing.renewals import stripe_subscription_renews
from core.tasks import task_enqueue


def stripe_export(user) -> dict:
    customer = StripeCustomer.objects.filter(user=user).first()
    return {
        "customer_id": customer.customer_id if customer else None,
        "subscriptions": [
            {
                "subscription_id": subscription.subscription_id,
                "plan": subscription.plan.name,
                "status": subscription.status,
                "cancel_at_period_end": subscription.cancel_at_period_end,
                "current_period_end": iso(subscription.current_period_end),
                "created_at": iso(subscription.created_at),
            }
            for subscription in StripeSubscription.objects.filter(user=user).select_related("plan").order_by("pk")
        ],
    }


def member_erasure_check(*, user) -> None:
    """Refuses the erasure while Stripe still renews one of the member's card subscriptions: deleting the account
    would not stop the charges. The member cancels the renewal in Stripe's portal first (the profile's link)."""
    subscriptions = StripeSubscription.objects.filter(user=user)
    if any(stripe_subscription_renews(subscription) for subscription in subscriptions):
        raise ErasureRefused(
            _(
                "Votre abonnement par carte se renouvelle automatiquement : annulez d'abord le renouvellement "
                "(page Paiements, « Gérer ma carte / mon abonnement »), puis supprimez votre compte."
            )
        )


def member_stripe_customer_delete_enqueue(*, user) -> None:
    """Stripe holds the member's name and address on their customer: deleted at Stripe by the worker once the erasure
    is committed (a durable task, retried while Stripe is down). Our row keeps the id, as the card payments do."""
    from billing.tasks import stripe_customer_delete  # the task module imports billing's services

    customer_id = StripeCustomer.objects.filter(user=user).values_list("customer_id", flat=True).first()
    if customer_id is not None:
        task_enqueue(stripe_customer_delete, customer_id=customer_id)


def stripe_customer_delete(*, customer_id: str) -> bool:
    """Delete the customer at Stripe; True when Stripe deleted it now, False when it was gone already."""
    try:
        return bool(stripe_client().v1.customers.delete(customer_id).deleted)
    except stripe.InvalidRequestError as exc:
        if exc.code == "resource_missing":
            return False
        raise


def member_stripe_events_scrub(*, user) -> int:
    """Blanks the member's address and names in the Stripe events we stored (a checkout's customer details, an
    invoice's customer e-mail), keeping each event's ids, amounts and dates. Returns how many events changed."""
    needles = [value.lower() for value in (user.email, user.get_full_name(), user.first_name, user.last_name) if value]
    changed = []
    for event in StripeEvent.objects.filter(payload__icontains=user.email).iterator(chunk_size=200):
        event.payload = _scrub(event.payload, needles)
        changed.append(event)
    StripeEvent.objects.bulk_update(changed, ["payload"], batch_size=200)
    return len(changed)


def _scrub(value, needles: list[str]):
    if isinstance(value, dict):
        return {key: _scrub(item, needles) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, needles) for item in value]
    if isinstance(value, str) and any(needle in value.lower() for needle in needles):
        return ""
    return value

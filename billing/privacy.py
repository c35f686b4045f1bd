"""The member's Stripe records in their data export (accounts.privacy, docs/architecture/personal-data.md).

Erasing keeps them: Stripe's customer and subscription ids are the card payments' accounting trail (kept with the
payments for the legal retention period) and name no one by themselves."""

from django.utils.translation import gettext as _

from accounts.privacy import ErasureRefused, iso
from billing.models import StripeCustomer, StripeEvent, StripeSubscription
from billing.renewals import stripe_subscription_renews


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

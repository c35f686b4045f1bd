"""Writes about plans and subscriptions. Payments call these inside their own transaction."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from core import clock
from subscriptions.models import Plan, Subscription
from subscriptions.selectors import coverage_end


@dataclass(frozen=True)
class DefaultPlan:
    slug: str
    name: str
    duration_days: int
    price: Decimal
    description: str


MONTHLY_SLUG = "mensuel"

# The plans every installation starts with (prices in EUR), created by `manage.py create_plans`.
DEFAULT_PLANS = (
    DefaultPlan(MONTHLY_SLUG, "Mensuel", 30, Decimal("49.00"), "Accès complet pendant 30 jours."),
    DefaultPlan("trimestriel", "Trimestriel", 90, Decimal("129.00"), "Accès complet pendant 90 jours."),
    DefaultPlan("annuel", "Annuel", 365, Decimal("449.00"), "Accès complet pendant 365 jours."),
)


def plans_create_defaults() -> list[tuple[Plan, bool]]:
    """Create the default plans missing (matched by slug); existing ones keep what the admin set."""
    results = []
    for default in DEFAULT_PLANS:
        plan, created = Plan.objects.get_or_create(
            slug=default.slug,
            defaults={
                "name": default.name,
                "duration_days": default.duration_days,
                "price": default.price,
                "currency": "EUR",
                "description": default.description,
                "is_active": True,
                "grants_telegram": True,
                "grants_discord": True,
            },
        )
        results.append((plan, created))
    return results


def subscription_create_for_payment(*, payment, paid_from: datetime | None = None) -> Subscription:
    """Create the subscription a confirmed payment pays for.

    A renewal starts when the member's coverage ends, so no paid day is lost; otherwise it starts now. `paid_from`
    is when a period paid elsewhere began (a card renewal: Stripe's period start): the coverage is then counted
    from that instant rather than from the moment we hear of it, so a late webhook leaves no gap. The caller
    (payments' confirmation) holds the locks that make this safe under concurrency.
    """
    now = clock.now()
    start_from = min(paid_from, now) if paid_from is not None else now
    current_end = coverage_end(user=payment.user, at=start_from)
    starts_at = current_end if current_end and current_end > start_from else start_from
    return Subscription.objects.create(
        user_id=payment.user_id,
        plan_id=payment.plan_id,
        payment=payment,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(days=payment.plan.duration_days),
        status=Subscription.Status.ACTIVE,
    )


def subscriptions_mark_expired(*, at: datetime | None = None) -> int:
    """Store `expired` on every active subscription whose end has passed; returns how many changed.

    The API never needs this to be correct (it filters by time); it keeps the stored status tidy for
    the admin and the cron commands.
    """
    at = at or clock.now()
    ended = Subscription.objects.filter(status=Subscription.Status.ACTIVE, ends_at__lte=at)
    return ended.update(status=Subscription.Status.EXPIRED, updated_at=at)

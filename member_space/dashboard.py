"""The member dashboard: one read across the apps below (subscriptions, payments, notifications, channels_sync).

A fixed number of queries whatever the member's history: the totals come from one `MemberFigures` row (running
totals kept by database triggers, subscriptions/figures.py), every list is a plain ORM LIMIT in index order.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection, models
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from channels_sync.selectors import channel_statuses_for, grace_next_change
from core import clock
from member_space.channels import access_entries
from notifications.selectors import notifications_for_member
from payments.models import Payment, PaymentKind
from payments.selectors import payment_pending_for, payments_for_member
from subscriptions import figures as figures_sql
from subscriptions.models import MemberFigures, PlansVersion, Subscription
from subscriptions.selectors import subscriptions_active_list_for, time_remaining

RECENT_ITEMS = 5


@dataclass(frozen=True)
class Dashboard:
    user: User
    stats: dict
    countdown: dict | None
    active_subscriptions: list
    recent_payments: list
    recent_notifications: list
    server_time: datetime
    channels: dict  # per platform, as channels_sync.selectors.channel_status_for
    pending_payment: Payment | None  # the payment waiting for an admin, if any
    access: list  # the "Accès" block: member_space.channels.access_entries


FIGURES_FIELDS = (*figures_sql.COLUMNS, figures_sql.VERSION)  # columns of MemberFigures, also its fields' names
FIGURES_PREFIX = "figures_"  # the figures' columns read with the member, as attributes of the User instance


def member_with_figures(*, member_id: int) -> User | None:
    """The member (every column, as `User.objects.get` reads it) and, in the same statement, their figures row and
    the plans' version, as attributes of the instance (`Manager.raw` annotations; `member_figures` reads them). The
    dashboard's authentication reads the member with it: the dashboard then starts with no query of its own, on a
    cache hit too. Plain SQL, three primary-key reads: a subquery per version through the ORM cost more than a
    second query."""
    q = connection.ops.quote_name
    figures = ", ".join(f"COALESCE(f.{q(name)}, 0) AS {q(FIGURES_PREFIX + name)}" for name in FIGURES_FIELDS)
    sql = (
        f"SELECT u.*, {figures}, "  # noqa: S608 (names from constants, the id as a parameter)
        f"COALESCE((SELECT {q('version')} FROM {q(PlansVersion._meta.db_table)} WHERE {q('id')} = 1), 0) "
        f"AS {q('plans_version')} "
        f"FROM {q(User._meta.db_table)} AS u LEFT JOIN {q(MemberFigures._meta.db_table)} AS f "
        f"ON f.{q('user_id')} = u.{q('id')} WHERE u.{q('id')} = %s"
    )
    return next(iter(User.objects.raw(sql, [member_id])), None)


def member_figures(*, user) -> tuple[MemberFigures, int]:
    """The member's figures row (their totals and version) and the plans' version: those read with `user` by
    `member_with_figures`, else read now (one query). No row: no history (zeros, version 0); nothing such a
    member's dashboard shows depends on plans either, but the plans' version is read all the same."""
    if not hasattr(user, "plans_version"):
        user = member_with_figures(member_id=user.pk)
    values = {name: getattr(user, FIGURES_PREFIX + name) for name in FIGURES_FIELDS}
    return MemberFigures(user_id=user.pk, **values), user.plans_version


def dashboard_for_member(*, user, at: datetime | None = None, figures: MemberFigures | None = None) -> Dashboard:
    """Everything the dashboard shows, computed at one instant `at` (default now).

    Four queries: active subscriptions, recent payments, recent notifications, channel memberships; one more for
    the member's figures unless given or read with `user` (`member_figures`), one while an account is linked
    and waiting for access, and one in the rare case of a pending payment older than the recent ones.
    """
    at = at or clock.now()
    if figures is None:
        figures, _ = member_figures(user=user)
    # How each one was paid, in the same query (a join on its payment's primary key): subscription_renewal reads it.
    active = list(subscriptions_active_list_for(user=user.pk, at=at).annotate(paid_with=F("payment__method")))
    stats = {
        # Same filter as the list above, at the same instant: its length is the count.
        "active_subscriptions": len(active),
        "total_subscriptions": figures.subscriptions_total,
        "total_payments": figures.payments_total,
        "confirmed_payments": figures.payments_confirmed,
        "pending_payments": figures.payments_pending,
        "total_paid": Decimal(figures.paid_cents).scaleb(-2),
        "unread_notifications": figures.notifications_unread,
    }
    recent_payments = list(payments_for_member(user=user.pk)[:RECENT_ITEMS])
    pending_payment = None
    if figures.payments_pending:
        # A new declaration waits while one is pending, so the pending one is almost always among the recent.
        recent_pending = [payment for payment in recent_payments if payment.status == Payment.Status.PENDING]
        pending_payment = recent_pending[0] if recent_pending else payment_pending_for(user=user.pk)
    channels = channel_statuses_for([user.pk])[user.pk]
    return Dashboard(
        user=user,
        stats=stats,
        countdown=countdown_for(subscription=active[0], at=at) if active else None,
        active_subscriptions=active,
        recent_payments=recent_payments,
        recent_notifications=list(notifications_for_member(user=user).order_by("-scheduled_for", "-id")[:RECENT_ITEMS]),
        server_time=at,
        channels=channels,
        pending_payment=pending_payment,
        access=access_entries(statuses=channels, payment_pending=pending_payment is not None, covered=bool(active)),
    )


def dashboard_next_change(dashboard: Dashboard) -> datetime | None:
    """The next instant at which this body changes with no write at all, or None: how long the dashboard cache may
    keep it. The first of: an active subscription ending, a queued one starting (both already loaded), a grace
    changing the member's channel access (channels_sync's rule: one query with a channel grace or a pending
    payment, so it is asked only when the body is kept)."""
    at, active = dashboard.server_time, dashboard.active_subscriptions
    candidates = [s.starts_at for s in active if s.starts_at > at] + [s.ends_at for s in active]
    payment_pending = dashboard.stats["pending_payments"] > 0
    candidates.append(grace_next_change(user_id=dashboard.user.pk, at=at, payment_pending=payment_pending))
    return min((instant for instant in candidates if instant is not None), default=None)


class Renewal(models.TextChoices):
    """What happens at the end of a subscription paid through a Stripe subscription (the dashboard's sentence)."""

    AUTOMATIC = "automatic", _("Renouvellement automatique")  # the card is charged at next_charge_at
    DISABLED = "disabled", _("Renouvellement désactivé")  # cancelled by the member, or Stripe gave up charging


def subscription_renewal(subscription: Subscription) -> str | None:
    """Renewal.AUTOMATIC while it renews by itself; Renewal.DISABLED for a plan that renews by itself, paid by card
    (so through a Stripe subscription), whose renewal is off; None for everything else (paid once, by transfer…),
    which simply ends. `paid_with` is the payment's method, annotated by dashboard_for_member."""
    if subscription.auto_renew:
        return Renewal.AUTOMATIC
    if subscription.plan.is_recurring and getattr(subscription, "paid_with", None) == PaymentKind.CARD:
        return Renewal.DISABLED
    return None


def countdown_for(*, subscription: Subscription, at: datetime) -> dict:
    remaining = time_remaining(ends_at=subscription.ends_at, at=at)
    remaining.pop("is_expired")
    return {
        "subscription_id": subscription.pk,
        "ends_at": subscription.ends_at,
        **remaining,
        "auto_renew": subscription.auto_renew,
        "next_charge_at": subscription.next_charge_at,
        "renewal": subscription_renewal(subscription),
    }

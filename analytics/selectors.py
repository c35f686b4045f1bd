"""Revenue analytics for the admins: every figure is an SQL aggregate, ten queries whatever the data size.

Conventions (docs/architecture/analytics.md):
- Months are calendar months in TIME_ZONE (Europe/Paris); the window is the current month and the 11 before it.
- A paid payment is a confirmed one, or one confirmed then refunded (its refund is counted apart, in the month it
  was recorded, against the payment's plan and method). Amounts are never added across currencies.
- MRR: each subscription in force now and paid by a payment still confirmed contributes its plan's price spread
  over the plan's duration, per average month of 30.4375 days (365.25 / 12): price × 30.4375 / duration_days.
- A member is new in the month of their first paid payment (its confirmation).
- A coverage ends when a subscription (not cancelled) ends; it is renewed when another subscription of the member
  (not cancelled) covers any instant of the following CHURN_AFTER_DAYS days, otherwise the member churned in the
  month it ended (a member who leaves, comes back and leaves again counts each time). An end is counted once those
  days have passed. Renewal rate: renewed / ended over the window.
- Cohorts: members by month of first paid payment; "covered after k months" means a subscription of theirs (not
  cancelled) covers the instant first payment + k × 30.4375 days; a share is given once every member of the cohort
  has reached that instant.
"""

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    ValueRange,
    WindowFrameExclusion,
)
from django.db.models import Window as Over  # this module's Window is the months shown
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.models import User
from core import clock
from payments.models import Payment, PaymentKind, Refund
from subscriptions.models import Plan, Subscription
from subscriptions.selectors import in_force_q
from trading_signals.selectors import signal_stats

MONTHS_SHOWN = 12
AVERAGE_MONTH_DAYS = Decimal("30.4375")  # 365.25 / 12
AVERAGE_MONTH = timedelta(days=float(AVERAGE_MONTH_DAYS))
COHORT_OFFSETS = range(1, MONTHS_SHOWN)  # shares after 1..11 months
PAID_STATUSES = (Payment.Status.CONFIRMED, Payment.Status.REFUNDED)
# Ages of the payments waiting for an admin: (key, French label, upper bound in hours or None).
PENDING_BUCKETS = (
    ("under_1_day", "moins de 24 h", 24),
    ("1_to_3_days", "1 à 3 jours", 72),
    ("3_to_7_days", "3 à 7 jours", 168),
    ("over_7_days", "plus de 7 jours", None),
)
CENT = Decimal("0.01")


def _percent(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(part * 100) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _month_key(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m")


@dataclass(frozen=True)
class Window:
    """The months shown: `starts` is the first one's first instant in TIME_ZONE, `keys` every month as YYYY-MM."""

    now: datetime
    starts: datetime
    month_starts: tuple[datetime, ...]

    @property
    def keys(self) -> list[str]:
        return [_month_key(start) for start in self.month_starts]


def _window(now: datetime) -> Window:
    today = clock.local_date(now).replace(day=1)
    firsts = []
    year, month = today.year, today.month
    for _ in range(MONTHS_SHOWN):
        firsts.append(today.replace(year=year, month=month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    month_starts = tuple(clock.start_of_local_day(day) for day in reversed(firsts))
    return Window(now=now, starts=month_starts[0], month_starts=month_starts)


def _next_month_start(start: datetime) -> datetime:
    day = timezone.localtime(start).date()
    first = day.replace(year=day.year + 1, month=1) if day.month == 12 else day.replace(month=day.month + 1)
    return clock.start_of_local_day(first)


def _truncated_month(field: str) -> TruncMonth:
    return TruncMonth(field, tzinfo=timezone.get_current_timezone())


def _paid_payments() -> QuerySet[Payment]:
    return Payment.objects.filter(status__in=PAID_STATUSES, confirmed_at__isnull=False)


def _money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


# -- members and MRR (2 queries) -------------------------------------------------------------------------------


def members_active_count(*, now: datetime) -> int:
    """Members with a subscription in force now (any plan, paid or not)."""
    return Subscription.objects.filter(in_force_q(at=now)).aggregate(n=Count("user_id", distinct=True))["n"]


def mrr(*, now: datetime) -> list[dict]:
    """Monthly recurring revenue per currency (see the module's conventions), subscriptions counted per plan."""
    rows = (
        Subscription.objects.filter(in_force_q(at=now), payment__status=Payment.Status.CONFIRMED)
        .values("plan__currency", "plan__price", "plan__duration_days")
        .annotate(subscriptions=Count("pk"))
        .order_by()
    )
    totals: dict[str, Decimal] = {}
    counts: dict[str, int] = {}
    for row in rows:
        currency = row["plan__currency"]
        monthly = row["plan__price"] * AVERAGE_MONTH_DAYS / row["plan__duration_days"]
        totals[currency] = totals.get(currency, Decimal(0)) + monthly * row["subscriptions"]
        counts[currency] = counts.get(currency, 0) + row["subscriptions"]
    return [
        {"currency": currency, "amount": _money(totals[currency]), "subscriptions": counts[currency]}
        for currency in sorted(totals)
    ]


# -- revenue per month (3 queries: plans, payments, refunds) --------------------------------------------------


def _empty_months(window: Window) -> dict[str, dict]:
    return {key: {"month": key, "paid": Decimal(0), "refunded": Decimal(0), "payments": 0} for key in window.keys}


def _series(groups: dict[tuple, dict[str, dict]]) -> list[tuple[tuple, list[dict]]]:
    out = []
    for group_key in sorted(groups, key=str):
        months = []
        for row in groups[group_key].values():
            months.append(
                {
                    **row,
                    "paid": _money(row["paid"]),
                    "refunded": _money(row["refunded"]),
                    "net": _money(row["paid"] - row["refunded"]),
                }
            )
        out.append((group_key, months))
    return out


def revenue_per_month(*, window: Window) -> dict:
    """Paid amounts (by month of confirmation) and refunds (by month recorded), by plan, by payment method and in
    total, each per currency."""
    plan_names = dict(Plan.objects.values_list("pk", "name"))
    paid = (
        _paid_payments()
        .filter(confirmed_at__gte=window.starts, confirmed_at__lte=window.now)
        .annotate(month=_truncated_month("confirmed_at"))
        .values("month", "plan_id", "method", "currency")
        .annotate(total=Sum("amount"), count=Count("amount"))  # "amount", not "pk": read from the index alone
        .order_by()
    )
    refunded = (
        Refund.objects.filter(recorded_at__gte=window.starts, recorded_at__lte=window.now)
        .annotate(month=_truncated_month("recorded_at"), plan_id=F("payment__plan_id"), method=F("payment__method"))
        .values("month", "plan_id", "method", "currency")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    by_plan: dict[tuple, dict[str, dict]] = {}
    by_method: dict[tuple, dict[str, dict]] = {}
    total: dict[tuple, dict[str, dict]] = {}

    def add(rows: Iterable[Mapping[str, Any]], field: str) -> None:
        for row in rows:
            key = _month_key(row["month"])
            for groups, group_key in (
                (by_plan, (row["plan_id"], row["currency"])),
                (by_method, (row["method"], row["currency"])),
                (total, (row["currency"],)),
            ):
                month = groups.setdefault(group_key, _empty_months(window))[key]
                month[field] += row["total"]
                month["payments"] += row.get("count", 0)

    add(paid, "paid")
    add(refunded, "refunded")
    method_labels = dict(PaymentKind.choices)
    return {
        "by_plan": [
            {"plan_id": plan_id, "plan": plan_names.get(plan_id, ""), "currency": currency, "months": months}
            for (plan_id, currency), months in _series(by_plan)
        ],
        "by_method": [
            {"method": method, "label": str(method_labels.get(method, method)), "currency": currency, "months": months}
            for (method, currency), months in _series(by_method)
        ],
        "total": [{"currency": currency, "months": months} for (currency,), months in _series(total)],
    }


# -- members gained, lost, renewed and kept (2 queries: coverage ends, cohorts) ------------------------------------


def _covering(*, user, instant) -> QuerySet[Subscription]:
    """The outer member's subscriptions (not cancelled) covering `instant` (expressions on the outer row)."""
    return Subscription.objects.filter(user_id=user, starts_at__lte=instant, ends_at__gt=instant).exclude(
        status=Subscription.Status.CANCELLED
    )


def members_per_month(*, window: Window, cohorts: list[dict]) -> dict:
    """New members (the cohorts' sizes: first paid payment) and coverage ends, renewed or churned, per month, and
    the renewal rate."""
    churn_after = timedelta(days=settings.CHURN_AFTER_DAYS)
    counted_until = window.now - churn_after  # an end counts once its renewal days have passed
    # A renewal ends after the subscription it renews, so "another subscription covers an instant of the days after
    # this end" is "the earliest start among the member's subscriptions ending later is within those days": one
    # window over the subscriptions in (member, end) order, read from analytics' covering index alone, instead of one
    # EXISTS probe per end. EXCLUDE GROUP: a subscription ending at the same instant covers none of those days.
    next_start = Over(
        Min("starts_at"),
        partition_by=F("user_id"),
        order_by=F("ends_at").asc(),
        frame=ValueRange(start=0, end=None, exclusion=WindowFrameExclusion.GROUP),
    )
    # Every subscription ending since the window's start feeds the window; the ends still within their renewal days
    # are left out by the counts' conditions below, not here, so a renewal still running is seen.
    subscriptions = (
        Subscription.objects.filter(ends_at__gte=window.starts)
        .exclude(status=Subscription.Status.CANCELLED)
        .annotate(next_starts_at=next_start)
    )
    renewed = Q(next_starts_at__lte=F("ends_at") + churn_after)
    counts = {}
    for index, month_start in enumerate(window.month_starts):
        in_month = Q(ends_at__gte=month_start, ends_at__lt=_next_month_start(month_start), ends_at__lte=counted_until)
        # "ends_at", not "pk": the rows are read from the index alone.
        counts[f"ended_{index}"] = Count("ends_at", filter=in_month)
        counts[f"renewed_{index}"] = Count("ends_at", filter=in_month & renewed)
    # One row: aggregate() puts the window in a subquery and counts the months over it (Django 4.2.4+).
    ends = subscriptions.aggregate(**counts)
    per_month: dict[str, dict[str, Any]] = {
        key: {"month": key, "new": 0, "ended": 0, "renewed": 0, "churned": 0} for key in window.keys
    }
    for cohort in cohorts:
        per_month[cohort["month"]]["new"] = cohort["members"]
    for index, month in enumerate(per_month.values()):
        ended, renewed_count = ends[f"ended_{index}"], ends[f"renewed_{index}"]
        month.update(ended=ended, renewed=renewed_count, churned=ended - renewed_count)
    ended_total = sum(month["ended"] for month in per_month.values())
    renewed_total = sum(month["renewed"] for month in per_month.values())
    for month in per_month.values():
        month["renewal_rate"] = _percent(month["renewed"], month["ended"])
    return {
        "churn_after_days": settings.CHURN_AFTER_DAYS,
        "renewal_rate": _percent(renewed_total, ended_total),
        "months": list(per_month.values()),
    }


def cohort_retention(*, window: Window) -> list[dict]:
    """Members by month of first paid payment (the window's months) and the share still covered after 1..11
    average months; None until every member of the cohort has reached that point.

    Driven from the members: each one's first paid payment is one probe of analytics' index on (user, confirmed_at)
    (migrations/0001), cheaper than an anti-join over every payment."""
    first_paid = Subquery(
        _paid_payments().filter(user_id=OuterRef("pk")).order_by("confirmed_at").values("confirmed_at")[:1]
    )
    rows: Iterable[Mapping[str, Any]] = (
        User.objects.annotate(first_paid_at=first_paid)
        .filter(first_paid_at__gte=window.starts)  # no upper bound: a payment is confirmed by now
        .annotate(month=_truncated_month("first_paid_at"))
        .values("month")
        .annotate(
            members=Count("pk"),
            **{
                f"after_{k}": Count(
                    "pk",
                    filter=Exists(
                        _covering(
                            user=OuterRef("pk"),
                            instant=ExpressionWrapper(
                                OuterRef("first_paid_at") + AVERAGE_MONTH * k, output_field=DateTimeField()
                            ),
                        )
                    ),
                )
                for k in COHORT_OFFSETS
            },
        )
        .order_by("month")
    )
    cohorts = []
    for row in rows:
        month_end = _next_month_start(row["month"])
        retention = []
        for k in COHORT_OFFSETS:
            reached = month_end + AVERAGE_MONTH * k <= window.now
            covered = row[f"after_{k}"] if reached else None
            retention.append(
                {
                    "after_months": k,
                    "covered": covered,
                    "share": _percent(covered, row["members"]) if covered is not None else None,
                }
            )
        cohorts.append({"month": _month_key(row["month"]), "members": row["members"], "retention": retention})
    return cohorts


# -- payments waiting for an admin (1 query) ------------------------------------------------------------------------


def pending_payments(*, now: datetime) -> dict:
    """How many payments wait for an admin, since when, and how old they are (by declaration time)."""
    buckets = {}
    lower: int | None = 0
    for key, _label, upper in PENDING_BUCKETS:
        condition = Q(created_at__lte=now - timedelta(hours=lower or 0))
        if upper is not None:
            condition &= Q(created_at__gt=now - timedelta(hours=upper))
        buckets[key] = Count("pk", filter=condition)
        lower = upper
    row = Payment.objects.filter(status=Payment.Status.PENDING).aggregate(
        count=Count("pk"), oldest=Min("created_at"), **buckets
    )
    oldest = row["oldest"]
    return {
        "count": row["count"],
        "oldest_declared_at": oldest,
        "oldest_age_hours": int((now - oldest).total_seconds() // 3600) if oldest else None,
        "ages": [{"key": key, "label": label, "count": row[key]} for key, label, _upper in PENDING_BUCKETS],
    }


@contextmanager
def _without_jit() -> Iterator[None]:
    """On PostgreSQL, a transaction whose queries are not JIT-compiled: the cohort query's cost estimate (correlated
    EXISTS per row) passes jit_above_cost, and compiling such queries took ~0.6 s of a 1.4 s answer on the
    benchmark's data, for queries that run in a few hundred milliseconds without it. Nothing elsewhere changes."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield


def admin_stats(*, user) -> dict:
    """Every figure of the admins' dashboard and of GET /api/admin/stats/, in ten queries (on PostgreSQL, one more
    and a transaction: _without_jit)."""
    now = clock.now()
    window = _window(now)
    with _without_jit():
        cohorts = cohort_retention(window=window)
        return {
            "generated_at": now,
            "time_zone": settings.TIME_ZONE,
            "months": window.keys,
            "active_members": members_active_count(now=now),
            "mrr": mrr(now=now),
            "revenue": revenue_per_month(window=window),
            "members": members_per_month(window=window, cohorts=cohorts),
            "cohorts": cohorts,
            "pending_payments": pending_payments(now=now),
            "signals": signal_stats(user=user, with_results=True),
        }

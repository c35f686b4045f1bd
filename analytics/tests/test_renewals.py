"""Coverage ends, renewals and churn (members_per_month) on the cases its single pass over the subscriptions must get
right: an end shared with another subscription, a renewal that is not the next subscription to end, a cancelled
follow-up, an end on a Paris month's edge; and against the definition itself, computed in Python, on a varied
history."""

import random
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.tests.factories import UserFactory
from analytics import selectors
from analytics.tests.dataset import NOW, utc
from subscriptions.models import Subscription
from subscriptions.tests.factories import PlanFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def subscription(user, starts_at, ends_at, *, cancelled=False):
    if cancelled:
        status = Subscription.Status.CANCELLED
    else:
        status = Subscription.Status.ACTIVE if ends_at > NOW else Subscription.Status.EXPIRED
    return SubscriptionFactory(
        user=user, plan=PlanFactory(slug="mensuel"), starts_at=starts_at, ends_at=ends_at, status=status
    )


def movements(settings, churn_after_days=7):
    settings.CHURN_AFTER_DAYS = churn_after_days
    with time_machine.travel(NOW, tick=False):
        window = selectors._window(NOW)
        return selectors.members_per_month(window=window, cohorts=[])


def test_renewals_on_shared_ends_overlaps_cancelled_follow_ups_and_month_edges(settings):
    ivy, jack, kate, leo, mia = (UserFactory() for _ in range(5))
    # Ivy: two subscriptions ending at the same instant, 31 January 23:30 UTC (1 February in Paris): neither covers
    # a day after the other's end, so two ends, both churned, in February.
    subscription(ivy, utc(2026, 1, 1, 23, 30), utc(2026, 1, 31, 23, 30))
    subscription(ivy, utc(2025, 12, 15), utc(2026, 1, 31, 23, 30))
    # Jack: a month inside a year: its end (9 February) is renewed by the year, which ends after now.
    subscription(jack, utc(2025, 9, 1), utc(2026, 9, 1))
    subscription(jack, utc(2026, 1, 10), utc(2026, 2, 9))
    # Kate: ends 1 March; her follow-up on 5 March was refunded (cancelled); she came back on 20 March: churned.
    subscription(kate, utc(2026, 1, 30), utc(2026, 3, 1))
    subscription(kate, utc(2026, 3, 5), utc(2026, 4, 4), cancelled=True)
    subscription(kate, utc(2026, 3, 20), utc(2026, 4, 19))
    # Leo: renewed twice, 5 days late then back to back; the last one ends after now (not counted yet).
    subscription(leo, utc(2026, 1, 21), utc(2026, 2, 20))
    subscription(leo, utc(2026, 2, 25), utc(2026, 3, 27))
    subscription(leo, utc(2026, 3, 27), utc(2026, 4, 26))
    # Mia: ends 10 March; the next subscription to end (a gift, 25 March to 5 April) starts too late, but a year
    # started on 12 March covers her: renewed. The gift's end (5 April, past its 7 days) is covered by the year too.
    subscription(mia, utc(2026, 2, 8), utc(2026, 3, 10))
    subscription(mia, utc(2026, 3, 12), utc(2027, 3, 12))
    subscription(mia, utc(2026, 3, 25), utc(2026, 4, 5))

    figures = movements(settings)

    months = {row["month"]: (row["ended"], row["renewed"], row["churned"]) for row in figures["months"] if row["ended"]}
    assert months == {"2026-02": (4, 2, 2), "2026-03": (3, 2, 1), "2026-04": (1, 1, 0)}
    assert str(figures["renewal_rate"]) == "62.5"


def test_an_end_is_counted_once_its_renewal_days_have_passed(settings):
    member = UserFactory()
    subscription(member, utc(2026, 3, 9), utc(2026, 4, 8, 9))  # 7 days and 1 hour before now
    subscription(UserFactory(), utc(2026, 3, 9), utc(2026, 4, 8, 11))  # 7 days minus 1 hour: not yet

    months = {row["month"]: row["ended"] for row in movements(settings)["months"] if row["ended"]}

    assert months == {"2026-04": 1}


def expected_movements(churn_after: timedelta) -> dict[str, tuple[int, int]]:
    """The definition, row by row (docs/architecture/analytics.md, "Churn and renewal")."""
    window = selectors._window(NOW)
    kept = list(Subscription.objects.exclude(status=Subscription.Status.CANCELLED))
    counts: dict[str, tuple[int, int]] = {}
    for ending in kept:
        if not window.starts <= ending.ends_at <= NOW - churn_after:
            continue
        renewed = any(
            other.user_id == ending.user_id
            and other.starts_at <= ending.ends_at + churn_after
            and other.ends_at > ending.ends_at
            for other in kept
        )
        month = timezone.localtime(ending.ends_at).strftime("%Y-%m")
        ended, renewed_count = counts.get(month, (0, 0))
        counts[month] = (ended + 1, renewed_count + renewed)
    return counts


@pytest.mark.parametrize("churn_after_days", [3, 7, 30])
def test_the_figures_equal_the_definition_on_a_varied_history(settings, churn_after_days):
    rng = random.Random(17)
    # Ends drawn from a few instants (shared ends) around month edges, starts before them, some cancelled.
    instants = [
        utc(2025, 4, 30, 22) + timedelta(days=days, hours=hours) for days in range(0, 420, 9) for hours in (0, 1)
    ]
    for _ in range(25):
        member = UserFactory()
        for _ in range(rng.randint(1, 6)):
            ends_at = rng.choice(instants)
            starts_at = ends_at - timedelta(days=rng.choice((1, 5, 30, 31, 90, 365)))
            subscription(member, starts_at, ends_at, cancelled=rng.random() < 0.15)

    figures = movements(settings, churn_after_days)

    actual = {row["month"]: (row["ended"], row["renewed"]) for row in figures["months"] if row["ended"]}
    expected = expected_movements(timedelta(days=churn_after_days))
    assert actual == expected
    assert sum(renewed for _ended, renewed in expected.values()) > 5  # renewals and churn both occur
    assert sum(ended - renewed for ended, renewed in expected.values()) > 5

"""Dashboard benchmark: query count and in-process latency for members with 1, 100 and 10,000 rows.

    .venv/bin/python bench/dashboard.py [--requests 30] [--sizes 1 100 10000]

Runs in a throwaway test database (in-memory SQLite by default; `test_<name>` on PostgreSQL when
DATABASE_URL points there), created and destroyed by the script. Each member gets `size` payments,
`size` subscriptions (back to back, the last two still active) and `size` notifications.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings, setup_test_environment  # noqa: E402
from rest_framework_simplejwt.tokens import RefreshToken  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.load import payment_code  # noqa: E402
from core import clock  # noqa: E402
from notifications.models import UserNotification  # noqa: E402
from payments.models import Payment  # noqa: E402
from subscriptions.models import Plan, Subscription  # noqa: E402

URL = "/api/auth/user/dashboard/"
BATCH = 2000


def seed_member(index: int, size: int, plan: Plan) -> User:
    user = User.objects.create_user(
        email=f"bench{index}@example.com",
        password="x",
        first_name="Bench",
        last_name=str(index),
        is_verified=True,
        telegram_username=f"bench_{index:04d}",
    )
    now = clock.now()
    # One pending payment at most per member (a database constraint): the newest one.
    statuses = (Payment.Status.CONFIRMED, Payment.Status.CONFIRMED, Payment.Status.CANCELLED, Payment.Status.REJECTED)
    payments = Payment.objects.bulk_create(
        (
            Payment(
                user=user,
                plan=plan,
                code=payment_code(index * 100_000 + i),  # bulk_create: no second draw if a random code repeats
                amount=plan.price,
                currency=plan.currency,
                method=Payment.Method.BANK_TRANSFER,
                reference=f"B{index}-{i}",
                status=Payment.Status.PENDING if i == size - 1 else statuses[i % len(statuses)],
            )
            for i in range(size)
        ),
        batch_size=BATCH,
    )
    # Back to back, ending 20 days from now: all in the past except the last two.
    first_start = now + timedelta(days=20) - timedelta(days=30 * size)
    Subscription.objects.bulk_create(
        (
            Subscription(
                user=user,
                plan=plan,
                payment=payment,
                starts_at=first_start + timedelta(days=30 * i),
                ends_at=first_start + timedelta(days=30 * (i + 1)),
                status=Subscription.Status.ACTIVE if i >= size - 2 else Subscription.Status.EXPIRED,
            )
            for i, payment in enumerate(payments)
        ),
        batch_size=BATCH,
    )
    note_statuses = (UserNotification.Status.READ, UserNotification.Status.SENT, UserNotification.Status.DISMISSED)
    UserNotification.objects.bulk_create(
        (
            UserNotification(
                user=user,
                notification_type="renewal_recommended",
                title="Renouvellement recommandé",
                message="Votre abonnement expire dans 7 jours.",
                status=note_statuses[i % len(note_statuses)],
                scheduled_for=now - timedelta(hours=i),
            )
            for i in range(size)
        ),
        batch_size=BATCH,
    )
    return user


def client_for(user: User) -> Client:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    for _ in range(5):  # warm-up: URL resolution, serializers, connection, caches
        assert client.get(URL).status_code == 200
    return client


def count_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200, response.content
    return len(queries)  # read now: the next request's reset_queries empties the log it points to


def median_latencies_ms(clients: list[Client], requests: int) -> list[float]:
    """Requests interleaved across members, so background load hits every member alike."""
    timings: list[list[float]] = [[] for _ in clients]
    for _ in range(requests):
        for index, client in enumerate(clients):
            start = time.perf_counter()
            client.get(URL)
            timings[index].append(time.perf_counter() - start)
    return [statistics.median(t) * 1000 for t in timings]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 100, 10_000])
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        plan = Plan.objects.create(name="Mensuel", slug="mensuel", price="49.00", duration_days=30)
        members = []
        for index, size in enumerate(args.sizes):
            start = time.perf_counter()
            members.append((size, seed_member(index, size, plan)))
            print(f"seeded member with {size} rows of each kind in {time.perf_counter() - start:.1f}s")
        with connection.cursor() as cursor:
            # The steady state of a live database (autovacuum runs after bulk inserts): planner statistics, and on
            # PostgreSQL a visibility map, so the counts are index-only scans.
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        print(f"\ndatabase: {connection.vendor}, {args.requests} requests per member (median)")
        print(f"{'history rows':>14} {'queries':>8} {'median ms':>10}")
        # Uncached: the per-member dashboard cache off, so every request computes the body.
        with override_settings(DASHBOARD_CACHE_SECONDS=0):
            clients = [client_for(user) for _, user in members]
            query_counts = [count_queries(client) for client in clients]
            medians = median_latencies_ms(clients, args.requests)
        results = list(zip(args.sizes, query_counts, medians, strict=True))
        for size, count, median_ms in results:
            print(f"{size:>14} {count:>8} {median_ms:>10.2f}")
        # Cached (the default): the same members, every request after the first a hit.
        with override_settings(DASHBOARD_CACHE_SECONDS=3600):
            for client in clients:
                client.get(URL)  # fills the member's entry
            cached_counts = [count_queries(client) for client in clients]
            cached_medians = median_latencies_ms(clients, args.requests)
        print("\ncached (per-member dashboard cache, local memory; every request after the first a hit)")
        print(f"{'history rows':>14} {'queries':>8} {'median ms':>10}")
        for size, count, median_ms in zip(args.sizes, cached_counts, cached_medians, strict=True):
            print(f"{size:>14} {count:>8} {median_ms:>10.2f}")
        counts = {count for _, count, _ in results}
        ratio = results[-1][2] / results[0][2]
        print(f"\nsame query count: {'yes' if len(counts) == 1 else 'NO'} ({sorted(counts)})")
        print(f"latency ratio largest/smallest: {ratio:.2f} (target <= 1.5)")
        return 0 if len(counts) == 1 and ratio <= 1.5 else 1
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())

"""Notification calendar benchmark: batched creation + in-app delivery vs a naive per-subscription loop.

    .venv/bin/python bench/notifications.py [--members 100000] [--baseline-sample 10000] [--keep]
    .venv/bin/python bench/notifications.py --postgres postgres://postgres:postgres@127.0.0.1:5432/postgres \
        --members 1000000

Builds its own throwaway database: a SQLite file in a temporary directory, or with --postgres a database created
on that server for the run (named calmnessfi_bench_<random>, dropped at the end unless --keep):
`--members` members with one subscription each, spread over the seven calendar days (each one due today).
Then, on the same data and in the same run:
  1. the command's code path: `notifications_create_due` (which records the in-app delivery) and
     `deliveries_send_pending(channels=["in_app"])`;
  2. (notifications deleted) a naive baseline written here, as a first version would do it: for each
     subscription, compute the days left, check the renewal and existence with a query each, create the
     notification and its deliveries one by one, mark the in-app delivery sent.
The baseline runs in autocommit (each write its own transaction, as such a loop does), on the first
`--baseline-sample` subscriptions (same spread), extrapolated linearly to all members (`--baseline-sample 0`
runs it on all of them). On SQLite its time is mostly commits, so the same loop is also timed inside one
transaction (`--atomic-sample`), which isolates the cost of one query per question. Prints times, query
counts and the ratios.
"""

import argparse
import os
import secrets
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--baseline-sample", type=int, default=2_000, help="0: the whole data set")
    parser.add_argument("--atomic-sample", type=int, default=10_000, help="0: the whole data set")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server (any database on it) to run on")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args()


ARGS = parse_args()
WORKDIR = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
if ARGS.postgres:
    BENCH_DB = f"calmnessfi_bench_{secrets.token_hex(4)}"
    SERVER_URL = ARGS.postgres
    parts = urlsplit(SERVER_URL)
    DB_LABEL = f"PostgreSQL, base {BENCH_DB}"
    with psycopg.connect(SERVER_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{BENCH_DB}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
else:
    DB_FILE = WORKDIR / "bench.sqlite3"
    DB_LABEL = str(DB_FILE)
    os.environ["DATABASE_URL"] = f"sqlite:///{DB_FILE}"
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
os.environ["DJANGO_DEBUG"] = "0"
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from core import clock  # noqa: E402
from notifications.calendar import CALENDAR  # noqa: E402
from notifications.models import NotificationDelivery, UserNotification  # noqa: E402
from notifications.senders import SENDERS  # noqa: E402
from notifications.services import deliveries_send_pending, notifications_create_due  # noqa: E402
from subscriptions.models import Plan, Subscription  # noqa: E402

CHUNK = 5000


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def counted(function, *args, **kwargs):
    counter = QueryCounter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        result = function(*args, **kwargs)
    return result, time.perf_counter() - started, counter.count


def build(members: int) -> None:
    call_command("migrate", verbosity=0)
    plan = Plan.objects.create(name="Premium", slug="premium", price=49, duration_days=30)
    today = clock.local_date()
    password = "!"  # unusable password: these members never log in
    for start in range(0, members, CHUNK):
        stop = min(start + CHUNK, members)
        users = User.objects.bulk_create(
            User(
                email=f"bench{i}@example.com",
                password=password,
                first_name="Bench",
                last_name=str(i),
                is_verified=True,
                telegram_username=f"bench_{i:06d}",
            )
            for i in range(start, stop)
        )
        subscriptions = []
        for i, user in zip(range(start, stop), users, strict=True):
            entry = CALENDAR[i % len(CALENDAR)]
            end_day = clock.add_days(today, -entry.offset_days)
            ends_at = clock.start_of_local_day(end_day) + timedelta(hours=(i * 7) % 24, minutes=30)
            subscriptions.append(
                Subscription(
                    user=user,
                    plan=plan,
                    starts_at=ends_at - timedelta(days=30),
                    ends_at=ends_at,
                    status=Subscription.Status.ACTIVE if ends_at > clock.now() else Subscription.Status.EXPIRED,
                )
            )
        Subscription.objects.bulk_create(subscriptions)


def optimized() -> tuple[int, int]:
    now = clock.now()
    creation = notifications_create_due(as_of=clock.local_date(now), scheduled_for=now)
    # In-app deliveries are recorded sent by the creation; this pass finds nothing left to do.
    delivery = deliveries_send_pending(channels=[NotificationDelivery.Channel.IN_APP])
    in_app = NotificationDelivery.objects.filter(channel=NotificationDelivery.Channel.IN_APP, status="sent").count()
    assert in_app == creation.delivered_in_app + delivery.delivered[NotificationDelivery.Channel.IN_APP]
    return sum(creation.created.values()), in_app


def naive(limit: int | None) -> tuple[int, int]:
    """What a first version would write: one subscription at a time, a query for every question."""
    now = clock.now()
    today = timezone.localtime(now).date()
    by_offset = {entry.offset_days: entry for entry in CALENDAR}
    created = delivered = 0
    subscriptions = Subscription.objects.exclude(status=Subscription.Status.CANCELLED).order_by("pk")
    if limit:
        subscriptions = subscriptions[:limit]
    for subscription in subscriptions:
        days_left = (timezone.localtime(subscription.ends_at).date() - today).days
        entry = by_offset.get(-days_left)
        if entry is None:
            continue
        renewed = (
            Subscription.objects.filter(user_id=subscription.user_id, ends_at__gt=subscription.ends_at)
            .exclude(status=Subscription.Status.CANCELLED)
            .exists()
        )
        if renewed:
            continue
        if UserNotification.objects.filter(subscription=subscription, notification_type=entry.type).exists():
            continue
        notification = UserNotification.objects.create(
            user_id=subscription.user_id,
            subscription=subscription,
            notification_type=entry.type,
            title=str(entry.title),
            message=entry.render_message(plan_name=subscription.plan.name, ends_at=subscription.ends_at),
            scheduled_for=now,
        )
        created += 1
        deliveries = [NotificationDelivery.objects.create(notification=notification, channel=c) for c in SENDERS]
        in_app = deliveries[0]
        in_app.status = NotificationDelivery.Status.SENT
        in_app.attempts = 1
        in_app.sent_at = now
        in_app.save()
        notification.status = UserNotification.Status.SENT
        notification.sent_at = now
        notification.save()
        delivered += 1
    return created, delivered


def atomic_naive(limit: int | None) -> tuple[int, int]:
    with transaction.atomic():
        return naive(limit)


def run_baseline(label: str, function, sample: int, members: int, fast_pairs: set) -> tuple[float, int]:
    """Runs a baseline on the first `sample` subscriptions; returns its time and queries scaled to `members`."""
    reset()
    (created, _), elapsed, queries = counted(function, sample)
    pairs = set(UserNotification.objects.values_list("subscription_id", "notification_type"))
    assert pairs == {p for p in fast_pairs if p[0] <= sample}, "the baseline and the command disagree"
    scale = members / sample
    measured = "mesurée sur tout" if sample == members else f"mesurée sur {sample}"
    print(f"{label:<29}: {created} notifications en {elapsed:.2f} s, {queries} requêtes ({measured})")
    if sample != members:
        print(f"{'':<29}  extrapolé à {members} : ~{elapsed * scale:.1f} s, ~{round(queries * scale)} requêtes")
    return elapsed * scale, round(queries * scale)


def reset() -> None:
    """Empty both tables in one statement each (the ORM's delete() would load a million rows to cascade)."""
    with connection.cursor() as cursor:
        for model in (NotificationDelivery, UserNotification):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


def main() -> None:
    args = ARGS
    sample = args.baseline_sample if 0 < args.baseline_sample < args.members else args.members

    try:
        started = time.perf_counter()
        build(args.members)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")  # fresh statistics, as a database in service has
        print(f"Données : {args.members} membres et abonnements ({time.perf_counter() - started:.1f} s) ; {DB_LABEL}")

        (created, delivered), fast_time, fast_queries = counted(optimized)
        assert created == delivered == args.members, (created, delivered)
        fast_sample = set(UserNotification.objects.values_list("subscription_id", "notification_type"))
        print(
            f"{'Commande (par lots)':<29}: {created} notifications créées + {delivered} envois in-app "
            f"en {fast_time:.2f} s, {fast_queries} requêtes SQL"
        )

        naive_total = run_baseline("Boucle naïve (autocommit)", naive, sample, args.members, fast_sample)
        atomic_sample = args.atomic_sample if 0 < args.atomic_sample < args.members else args.members
        atomic_total = run_baseline(
            "Boucle naïve (1 transaction)", atomic_naive, atomic_sample, args.members, fast_sample
        )
        print(
            f"Rapport : {naive_total[0] / fast_time:.1f}x plus rapide que la boucle naïve "
            f"({naive_total[1] / fast_queries:.0f}x moins de requêtes) ; "
            f"{atomic_total[0] / fast_time:.1f}x plus rapide que la même boucle en une transaction."
        )
        # The bars: 100,000 subscriptions in < 30 s, 1,000,000 in < 60 s.
        limit = 30 if args.members <= 100_000 else 60
        print(
            f"Objectifs : >= 20x ({'OK' if naive_total[0] / fast_time >= 20 else 'NON ATTEINT'}), "
            f"< {limit} s pour {args.members} ({'OK' if fast_time < limit else 'NON ATTEINT'})."
        )
    finally:
        connection.close()
        if args.keep:
            print(f"Base conservée : {DB_LABEL}")
        else:
            shutil.rmtree(WORKDIR, ignore_errors=True)
            if args.postgres:
                with psycopg.connect(SERVER_URL, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE "{BENCH_DB}"')


if __name__ == "__main__":
    main()

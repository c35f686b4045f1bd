"""Stripe webhook benchmark: 10,000 events, 10 % delivered twice, shuffled, through the real endpoint into PostgreSQL.

    .venv/bin/python bench/stripe_webhooks.py [--events 10000] [--duplicates 0.10] [--clients 4] [--workers 2]
    BENCH_ADMIN_URL=postgres://postgres:postgres@127.0.0.1:5432/postgres (default; a role that may create databases)

1. Creates a throwaway database on that server, migrates it, starts our fake Stripe on 127.0.0.1, and tells member
   stories until Stripe has recorded `--events` events: each member starts a card checkout through our own
   `checkout_start` (pending payment, Stripe customer, price, Checkout Session) and pays on the fake; then, by
   member: three renewals; a refused renewal then a paid one; a cancellation at period end then its end; or a
   one-off plan paid then refunded. Stripe's clock moves a period forward between steps (events are seconds
   apart, as they would be days apart).
2. Copies that database twice (PostgreSQL `CREATE DATABASE … TEMPLATE`): *in order* and *shuffled*.
3. For each copy: gunicorn (2 workers, the production WSGI application) and `--workers` task workers on it; the
   events are POSTed signed as Stripe signs them by `--clients` concurrent clients, in Stripe's order for the
   first copy (the baseline), shuffled with `--duplicates` of them sent twice for the second. Measured: the
   endpoint's events/s (every answer must be 200), then the time until the queue is empty (the handlers'
   events/s). Events that failed because they came before what they need (a refund before its payment) are
   retried by the queue after a minute; instead of waiting, `manage.py stripe_reconcile` applies them again, the
   operator's own command.
4. Compares the two final states member by member (payments, refunds, subscriptions as offsets from the member's
   first start, Stripe subscriptions, notifications by type, events by outcome): they must be equal.

Exit code 1 when a delivery is not answered 200, an event stays failed, or the states differ.
"""

import argparse
import concurrent.futures
import http.client
import json
import os
import random
import secrets
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.fake_stripe import FakeStripe  # noqa: E402
from tests.redis_server import free_port, wait_for_port  # noqa: E402

DAY = 86400
DRAIN_LIMIT_SECONDS = 1800


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000, help="events Stripe records (before duplicates)")
    parser.add_argument("--duplicates", type=float, default=0.10, help="share of events delivered twice")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument("--workers", type=int, default=2, help="task worker processes")
    parser.add_argument("--seed", type=int, default=16, help="random seed of the shuffle and duplicates")
    parser.add_argument("--dump-state", action="store_true", help=argparse.SUPPRESS)  # internal: one copy's state
    return parser.parse_args()


ARGS = parse_args()
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgres://postgres:postgres@127.0.0.1:5432/postgres")


def database_url(name: str) -> str:
    return urlunsplit(urlsplit(ADMIN_URL)._replace(path=f"/{name}"))


def environment(database: str, fake: FakeStripe | None) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": database_url(database),
        "DATABASE_CONN_MAX_AGE": "60",
        "DJANGO_DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "TELEGRAM_BOT_TOKEN": "",
        "DISCORD_BOT_TOKEN": "",
        "THROTTLE_ANON": "1000000/minute",
    }
    if fake is not None:
        env.update(
            STRIPE_SECRET_KEY=fake.secret_key, STRIPE_API_BASE=fake.url, STRIPE_WEBHOOK_SECRET=fake.webhook_secret
        )
    return env


def dump_state() -> None:
    """Print this database's final state as canonical JSON (run in a subprocess on one copy)."""
    import django

    django.setup()
    from accounts.models import User
    from billing.models import StripeEvent, StripeSubscription
    from notifications.models import UserNotification
    from payments.models import Payment
    from subscriptions.models import Subscription

    state: dict = {}
    for user in User.objects.filter(email__startswith="stripe").order_by("email"):
        subscriptions = list(Subscription.objects.filter(user=user))
        first = min((s.starts_at for s in subscriptions), default=None)
        state[user.email] = {
            "payments": sorted(
                (p.method, str(p.amount), p.currency, p.status, str(getattr(p, "refund", None) and p.refund.amount))
                for p in Payment.objects.filter(user=user).select_related("refund")
            ),
            "subscriptions": sorted(
                (
                    (s.starts_at - first) // timedelta(seconds=1),
                    (s.ends_at - first) // timedelta(seconds=1),
                    s.status,
                    s.auto_renew,
                    s.next_charge_at.isoformat() if s.next_charge_at else None,
                )
                for s in subscriptions
                if first is not None
            ),
            "stripe_subscriptions": sorted(
                (s.status, s.cancel_at_period_end, s.current_period_end.isoformat() if s.current_period_end else None)
                for s in StripeSubscription.objects.filter(user=user)
            ),
            # A refused renewal's notice is left out: delivered after the renewal's success, the failure is stale
            # and rightly tells the member nothing.
            "notifications": sorted(
                Counter(
                    UserNotification.objects.filter(user=user)
                    .exclude(notification_type="renewal_failed")
                    .values_list("notification_type", flat=True)
                ).items()
            ),
        }
    # Which of two events about one thing is "processed" and which "ignored" depends on their order: not compared.
    state["events failed"] = StripeEvent.objects.filter(outcome=StripeEvent.Outcome.FAILED).count()
    print(json.dumps(state, sort_keys=True))


if ARGS.dump_state:
    dump_state()
    sys.exit(0)

BASE_DB = f"calmnessfi_bench_stripe_{secrets.token_hex(3)}"
FAKE = FakeStripe().start()
os.environ.update(environment(BASE_DB, FAKE))

import django  # noqa: E402

with psycopg.connect(ADMIN_URL, autocommit=True) as _admin:
    _admin.execute(f'CREATE DATABASE "{BASE_DB}"')
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import User  # noqa: E402
from billing.checkout import checkout_start  # noqa: E402
from billing.client import stripe_client  # noqa: E402
from subscriptions.models import Plan  # noqa: E402


class StripeTime:
    """Stripe's clock in the fake: moved forward by hand, one second per step, a period at each renewal."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        self.now += 1
        return self.now


def tell_stories(target: int) -> Counter:
    """Member stories until Stripe has recorded `target` events; returns how many members told each story."""
    clock = StripeTime()
    FAKE.clock = clock
    monthly = Plan.objects.create(
        name="Mensuel auto", slug="mensuel-auto", price="49.00", duration_days=30, is_recurring=True
    )
    once = Plan.objects.create(name="Mois unique", slug="mois-unique", price="59.00", duration_days=30)
    client = stripe_client()
    stories: Counter = Counter()
    index = 0
    while len(FAKE.events) < target:
        story = ("renewals", "renewals", "renewals", "renewals", "failed_then_paid", "cancelled", "refunded")[index % 7]
        user = User.objects.create(
            email=f"stripe{index:05d}@example.com",
            password="!",
            first_name="Bench",
            last_name="Stripe",
            is_verified=True,
            telegram_username=f"bench_{index}",
        )
        payment, _url, _created = checkout_start(user=user, plan=once if story == "refunded" else monthly)
        session = FAKE.complete_checkout(payment.stripe_checkout.session_id)
        if story == "refunded":
            client.v1.refunds.create(params={"payment_intent": session["payment_intent"]})
        else:
            subscription = session["subscription"]
            if story == "cancelled":
                client.v1.subscriptions.update(subscription, params={"cancel_at_period_end": True})
            outcomes = {"renewals": (True, True, True), "failed_then_paid": (False, True), "cancelled": (True,)}
            for succeed in outcomes[story]:
                clock.now += 30 * DAY
                FAKE.renew(subscription, succeed=succeed)
        stories[story] += 1
        index += 1
    return stories


def post_events(port: int, deliveries: list[dict], clients: int) -> tuple[float, Counter]:
    """POST the deliveries signed, `clients` at a time; (seconds, statuses)."""

    def post(chunk: list[dict]) -> Counter:
        statuses: Counter = Counter()
        for event in chunk:
            body, header = FAKE.signed_webhook(event)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request(
                "POST",
                "/api/stripe/webhook/",
                body=body,
                headers={"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": header},
            )
            answer = conn.getresponse()
            answer.read()
            conn.close()
            statuses[answer.status] += 1
        return statuses

    # Interleaved chunks keep the order within each client; the clients still race each other, as Stripe's do.
    chunks = [deliveries[start::clients] for start in range(clients)]
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        statuses = sum((future.result() for future in [pool.submit(post, chunk) for chunk in chunks]), Counter())
    return time.perf_counter() - started, statuses


def warm_up(port: int) -> None:
    """Each gunicorn worker loads the application on its first request: unsigned posts (400) before the clock."""
    for _ in range(20):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", "/api/stripe/webhook/", body=b"{}", headers={"Content-Type": "application/json"})
        conn.getresponse().read()
        conn.close()


def queue_left(database: str) -> int:
    with psycopg.connect(database_url(database)) as db:
        row = db.execute(
            # Running, or ready and due (django-tasks-db marks "no delay" with the largest date): a retry waiting for
            # its delay does not count (stripe_reconcile applies its event).
            "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING' "
            "OR (status = 'READY' AND (run_after <= now() OR run_after >= '9999-01-01'))"
        ).fetchone()
        return int(row[0]) if row else 0


def outcomes(database: str) -> Counter:
    with psycopg.connect(database_url(database)) as db:
        return Counter(
            dict(db.execute("SELECT outcome, COUNT(*) FROM billing_stripeevent GROUP BY outcome").fetchall())
        )


def failed_types(database: str) -> Counter:
    with psycopg.connect(database_url(database)) as db:
        rows = db.execute("SELECT type, detail FROM billing_stripeevent WHERE outcome = 'failed'").fetchall()
        # By type, with the first reason met (the reasons name charges and payments, one each).
        examples = {kind: detail[:100] for kind, detail in reversed(rows)}
        return Counter(f"{kind} (e.g. {examples[kind]})" for kind, _detail in rows)


def replay(database: str, deliveries: list[dict], label: str) -> dict:
    env = {**os.environ, **environment(database, FAKE)}
    port = free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi:application", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "task_worker", "--no-reload", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(ARGS.workers)
    ]
    try:
        wait_for_port(port, timeout=30)
        warm_up(port)
        started = time.perf_counter()
        seconds, statuses = post_events(port, deliveries, ARGS.clients)
        while queue_left(database):
            if time.perf_counter() - started > DRAIN_LIMIT_SECONDS:
                raise SystemExit(f"{label}: the queue is not empty after {DRAIN_LIMIT_SECONDS} s")
            time.sleep(0.2)
        drained = time.perf_counter() - started
        before_reconcile = outcomes(database)
        failed_before = failed_types(database)
        if before_reconcile.get("failed"):
            subprocess.run(
                [sys.executable, "manage.py", "stripe_reconcile", "--since", "2000-01-01"],
                cwd=ROOT,
                env=env,
                check=False,
                stdout=subprocess.DEVNULL,
            )
        return {
            "label": label,
            "deliveries": len(deliveries),
            "post_seconds": seconds,
            "statuses": statuses,
            "drained_seconds": drained,
            "failed_before_reconcile": before_reconcile.get("failed", 0),
            "failed_types": failed_before,
            "outcomes": outcomes(database),
        }
    finally:
        for process in [server, *workers]:
            process.terminate()
        for process in [server, *workers]:
            process.wait(timeout=70)


def state_of(database: str) -> dict:
    answer = subprocess.run(
        [sys.executable, __file__, "--dump-state"],
        cwd=ROOT,
        env={**os.environ, **environment(database, None)},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(answer.stdout)


def main() -> int:
    copies = [f"{BASE_DB}_in_order", f"{BASE_DB}_shuffled"]
    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        stories = tell_stories(ARGS.events)
        events = FAKE.events_of()
        print(
            f"==> {len(events):,} Stripe events from {sum(stories.values()):,} members "
            f"({', '.join(f'{name} {count}' for name, count in sorted(stories.items()))}) "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        connection.close()
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            for name in copies:
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{BASE_DB}"')
        rng = random.Random(ARGS.seed)
        shuffled = events + rng.sample(events, round(len(events) * ARGS.duplicates))
        rng.shuffle(shuffled)
        results = [replay(copies[0], events, "in order"), replay(copies[1], shuffled, "shuffled + duplicates")]
        ok = True
        print(f"{'delivery':<24}{'POSTs':>8}{'200':>8}{'POST ev/s':>11}{'handled ev/s':>14}{'retried':>9}  outcomes")
        for row in results:
            handled = len(events) / row["drained_seconds"]
            print(
                f"{row['label']:<24}{row['deliveries']:>8,}{row['statuses'].get(200, 0):>8,}"
                f"{row['deliveries'] / row['post_seconds']:>11,.0f}{handled:>14,.0f}"
                f"{row['failed_before_reconcile']:>9,}  "
                f"{dict(sorted(row['outcomes'].items()))}"
            )
            for reason, count in row["failed_types"].most_common(3):
                print(f"    failed before reconcile ({count}): {reason}")
            ok &= row["statuses"].get(200, 0) == row["deliveries"] and not row["outcomes"].get("failed")
        base, other = results
        print(
            "ratios shuffled / in order: POST "
            f"{(other['deliveries'] / other['post_seconds']) / (base['deliveries'] / base['post_seconds']):.2f}, "
            f"handled {base['drained_seconds'] / other['drained_seconds']:.2f}"
        )
        first, second = state_of(copies[0]), state_of(copies[1])
        differing = sorted(key for key in first.keys() | second.keys() if first.get(key) != second.get(key))
        if differing:
            ok = False
            print(f"final states DIFFER for {len(differing)} keys, e.g. {differing[:5]}")
            for key in differing[:2]:
                print(f"  {key}\n    in order: {first.get(key)}\n    shuffled: {second.get(key)}")
        else:
            print(
                f"final states equal: {len(first) - 1:,} members compared (payments, refunds, subscriptions, notices)"
            )
        return 0 if ok else 1
    finally:
        FAKE.stop()
        connection.close()
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            for name in [*copies, BASE_DB]:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())

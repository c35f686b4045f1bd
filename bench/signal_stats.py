"""Signal statistics benchmark: GET /api/auth/user/signals/stats/ on PostgreSQL with 100,000 published signals.

    .venv/bin/python bench/signal_stats.py [--signals 100000] [--runs 50] [--keep]

Creates a throwaway PostgreSQL database on BENCH_ADMIN_URL's server (calmnessfi_bench_<random>, dropped at the end
unless --keep), migrates it, then inserts the signals in bulk with `INSERT … SELECT … FROM generate_series`: five
markets in turn, one signal every 20 minutes back from now; 5 % open, 5 % cancelled, the rest closed 2 to 50 hours
after publication: 45 % at a take-profit (+1.5 to +3 R), 35 % at the stop-loss (−1 R), 10 % by hand (−0.8 to
+1.2 R). VACUUM ANALYZE, then, as a member with a subscription in force (every figure in R: the costliest path), the
median (p50) and the 95th percentile (p95) of `--runs` timed requests (after one warm-up) through Django's test
client with a real JWT: the whole history, one market, one year; and the same without a subscription (counts only).

Baseline in the same run: the same measures after loading the first 1,000 signals only, before the rest is loaded;
the ratios say how the time grows with 100 times the data. Target: p95 under 300 ms for each request.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import throwaway  # noqa: E402

TARGET_SECONDS = 0.300
BASELINE_SIGNALS = 1_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--signals", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args()


ARGS = parse_args()
BENCH_DB = throwaway.database_create()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from rest_framework_simplejwt.tokens import RefreshToken  # noqa: E402

from accounts.models import User  # noqa: E402
from core import clock  # noqa: E402
from subscriptions.models import Plan, Subscription  # noqa: E402
from trading_signals.models import Market, Signal  # noqa: E402

URL = "/api/auth/user/signals/stats/"
MARKETS = list(Market.values)

# One row per signal number n (from `first`): the market in turn, the status from n's position in a cycle of 20
# (1 open, 1 cancelled, 9 take-profit, 7 stop-loss, 2 by hand), the result in R from that status, and a closing 2 to
# 50 hours after publication. The same numbers give the same rows: the baseline is the first 1,000 of the full set.
SIGNALS_SQL = """
INSERT INTO trading_signals_signal (
    market, instrument, direction, entry_price, stop_loss, status, take_profits_reached, exit_price, result_r,
    published_at, closed_at, comment, is_published, version, created_at, updated_at
)
SELECT
    (%(markets)s::text[])[1 + n %% 5], 'INSTR' || (n %% 40), 'buy', 100, 90, kind,
    CASE WHEN kind = 'tp_hit' THEN 1 ELSE 0 END,
    CASE WHEN r IS NULL THEN NULL ELSE 100 + r * 10 END,
    r, published, CASE WHEN kind = 'open' THEN NULL ELSE published + (2 + n %% 49) * interval '1 hour' END,
    '', true, 1, published, published
FROM (
    SELECT n, published, kind,
        CASE kind
            WHEN 'tp_hit' THEN round(1.5 + (n %% 7) * 0.25, 2)
            WHEN 'sl_hit' THEN -1.00
            WHEN 'closed' THEN round(-0.8 + (n %% 11) * 0.2, 2)
        END AS r
    FROM (
        SELECT n, %(now)s - n * interval '20 minutes' AS published,
            CASE
                WHEN n %% 20 = 0 THEN 'open'
                WHEN n %% 20 = 1 THEN 'cancelled'
                WHEN n %% 20 < 11 THEN 'tp_hit'
                WHEN n %% 20 < 18 THEN 'sl_hit'
                ELSE 'closed'
            END AS kind
        FROM generate_series(%(first)s, %(last)s) AS n
    ) AS numbered
) AS signals
"""


def load(first: int, count: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(SIGNALS_SQL, {"markets": MARKETS, "now": clock.now(), "first": first, "last": first + count - 1})


def vacuum_analyze() -> None:
    url = os.environ["DATABASE_URL"]
    with psycopg.connect(url, autocommit=True) as database:
        database.execute("VACUUM ANALYZE")


def timed(client: Client, url: str, **headers) -> list[float]:
    client.get(url, **headers)  # warm-up: connections, the first plans
    times = []
    for _ in range(ARGS.runs):
        started = time.perf_counter()
        response = client.get(url, **headers)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[-1]


def requests(subscriber: User, member: User) -> dict[str, tuple[User, str]]:
    year_ago = clock.local_date(clock.now() - timedelta(days=365)).isoformat()
    return {
        "abonné, tout l'historique": (subscriber, URL),
        "abonné, un marché": (subscriber, f"{URL}?{urlencode({'market': Market.FOREX})}"),
        "abonné, une année": (subscriber, f"{URL}?{urlencode({'date_from': year_ago})}"),
        "sans abonnement, tout l'historique": (member, URL),
    }


def measure(subscriber: User, member: User) -> dict[str, tuple[float, float]]:
    figures = {}
    for label, (user, url) in requests(subscriber, member).items():
        client = Client()
        token = RefreshToken.for_user(user).access_token
        times = timed(client, url, HTTP_AUTHORIZATION=f"Bearer {token}")
        figures[label] = (statistics.median(times), p95(times))
    return figures


def counts() -> str:
    closed = Signal.objects.filter(result_r__isnull=False).count()
    return f"{Signal.objects.count():,} signaux publiés dont {closed:,} clôturés"


def main() -> int:
    try:
        call_command("migrate", verbosity=0)
        print(f"Base : PostgreSQL, {BENCH_DB} ; charge de la machine (UTC) : {throwaway.uptime()}")
        now = clock.now()
        plan = Plan.objects.create(name="Mensuel", slug="mensuel", duration_days=30, price="49.00", currency="EUR")
        subscriber = User.objects.create_user(email="abonne@bench.example.org", password="x")
        Subscription.objects.create(
            user=subscriber, plan=plan, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=29)
        )
        member = User.objects.create_user(email="membre@bench.example.org", password="x")

        started = time.perf_counter()
        load(0, BASELINE_SIGNALS)
        vacuum_analyze()
        print(f"Base de référence : {counts()} (chargés en {time.perf_counter() - started:.1f} s)")
        baseline = measure(subscriber, member)

        started = time.perf_counter()
        load(BASELINE_SIGNALS, ARGS.signals - BASELINE_SIGNALS)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        vacuum_analyze()
        vacuumed = time.perf_counter() - started
        print(f"Données complètes : {counts()} (chargés en {loaded:.1f} s, VACUUM ANALYZE {vacuumed:.1f} s)")
        full = measure(subscriber, member)

        print(f"Charge après les mesures (UTC) : {throwaway.uptime()}")
        reached = True
        for label, (median, high) in full.items():
            base_median, base_high = baseline[label]
            print(
                f"GET {URL} ({label}) : p50 {median * 1000:.0f} ms, p95 {high * 1000:.0f} ms sur {ARGS.runs} "
                f"(référence p50 {base_median * 1000:.0f} ms, p95 {base_high * 1000:.0f} ms ; "
                f"rapport p50 {median / base_median:.1f}x)"
            )
            reached &= high < TARGET_SECONDS
        verdict = "OK" if reached else "NON ATTEINT"
        print(f"Objectif : p95 de chacune en moins de {TARGET_SECONDS * 1000:.0f} ms ({verdict})")
        return 0 if reached else 1
    finally:
        connection.close()
        if not ARGS.keep:
            throwaway.database_drop(BENCH_DB)


if __name__ == "__main__":
    sys.exit(main())

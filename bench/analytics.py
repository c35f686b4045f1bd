"""Admin analytics benchmark: GET /api/admin/stats/ and the admin's "Tableau de bord" on PostgreSQL.

    .venv/bin/python bench/analytics.py [--members 100000] [--payments-per-member 10] [--runs 5] [--keep]

Creates a throwaway PostgreSQL database on BENCH_ADMIN_URL's server (calmnessfi_bench_<random>, dropped at the end
unless --keep), migrates it, then inserts members, payments, subscriptions and refunds in bulk with
`INSERT … SELECT … FROM generate_series` (the member-figures triggers are disabled while loading: analytics does not
read those figures). Each member pays one of four plans (30 days 49 EUR, 90 days 129 EUR, 365 days 449 EUR, 30 days
39 USD) back to back `--payments-per-member` times, their last payment 0 to 3 years ago; one payment in 50 is
refunded (its refund recorded two days later, its subscription cancelled), one member in 50 has a payment waiting
for an admin, and 2,000 signals are published. VACUUM ANALYZE, then, as a staff member, the median of `--runs` timed
requests (after one warm-up) of the API (Django's test client, a real JWT) and of the admin page (a session).

Baseline in the same run: the same measures after loading the first 1,000 members only (10,000 payments), before
the rest is loaded; the ratios say how the time grows with 100 times the data. Target: under 1 s each. Then where
the time goes: each SQL statement of one more computation of the figures (`admin_stats`), with its time.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import throwaway  # noqa: E402

TARGET_SECONDS = 1.0
BASELINE_MEMBERS = 1_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--payments-per-member", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args()


ARGS = parse_args()
BENCH_DB = throwaway.database_create()

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, models  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework_simplejwt.tokens import RefreshToken  # noqa: E402

from accounts.models import User  # noqa: E402
from analytics.selectors import admin_stats  # noqa: E402
from core import clock  # noqa: E402
from payments.models import CODE_ALPHABET, CODE_PREFIX, Payment, PaymentKind, PaymentMethod, Refund  # noqa: E402
from subscriptions.models import Plan, Subscription  # noqa: E402
from trading_signals.models import Signal  # noqa: E402

PLANS = (
    ("mensuel", 30, "49.00", "EUR"),
    ("trimestriel", 90, "129.00", "EUR"),
    ("annuel", 365, "449.00", "EUR"),
    ("dollars", 30, "39.00", "USD"),
)
METHOD_DETAILS = {
    PaymentKind.BANK_TRANSFER: {
        "iban": "FR7630006000011234567890189",
        "bic": "DEMOFRPPXXX",
        "holder": "C",
        "bank": "B",
    },
    PaymentKind.PAYPAL: {"address": "paiements@example.com"},
    PaymentKind.CRYPTO: {"network": "TRC20", "address": "TG7Uz21UfGtY2s6w9eQ2sxfw35iDu4fUMo"},
    PaymentKind.MOBILE_MONEY: {"operator": "Orange Money", "number": "+2250707070707"},
    PaymentKind.CASH: {"place": "Bureau"},
}
TRIGGERED_TABLES = ("accounts_user", "payments_payment", "subscriptions_subscription", "payments_refund")


def insert_select(model: type[models.Model], expressions: dict[str, str], source: str, params: dict) -> int:
    """INSERT INTO model's table SELECT … FROM `source`: the given SQL expression for the named fields, every other
    column its field's default (or NULL), so columns added by later migrations need nothing here."""
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.name not in expressions:
            continue
        columns.append(connection.ops.quote_name(str(field.column)))
        if field.name in expressions:
            values.append(expressions[field.name])
        else:
            key = f"default_{field.column}"
            params[key] = field.get_db_prep_save(field.get_default(), connection) if field.has_default() else None
            if params[key] is None and not field.null:
                params[key] = field.get_db_prep_save(
                    field.to_python("") if field.empty_strings_allowed else 0, connection
                )
            values.append(f"%({key})s")
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {source}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def code_sql(number: str) -> str:
    """A unique, well-formed payment code from a number below 31**6 (the same alphabet as payment_code_generate)."""
    letters = " || ".join(
        f"substr('{CODE_ALPHABET}', ((({number}) / {31**k})::bigint %% 31 + 1)::int, 1)" for k in range(6)
    )
    return f"'{CODE_PREFIX}' || {letters}"


def load(first_member: int, members: int, *, plans: list[Plan], methods: list[PaymentMethod]) -> None:
    """Members first_member … first_member + members − 1 with their payments, subscriptions and refunds."""
    per = ARGS.payments_per_member
    now = clock.now()
    params = {
        "first": first_member,
        "last": first_member + members - 1,
        "per": per,
        "now": now,
        "plans": [plan.pk for plan in plans],
        "days": [plan.duration_days for plan in plans],
        "prices": [plan.price for plan in plans],
        "currencies": [plan.currency for plan in plans],
        "methods": [method.pk for method in methods],
        "kinds": [method.kind for method in methods],
        "password": "!",  # an unusable password: nobody logs in as a benchmark member
    }
    with connection.cursor() as cursor:
        for table in TRIGGERED_TABLES:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    insert_select(
        User,
        {
            "password": "%(password)s",
            "email": "'membre' || m || '@bench.example'",
            "is_verified": "true",
            "is_active": "true",
            "date_joined": "%(now)s::timestamptz - interval '4 years'",
        },
        "generate_series(%(first)s, %(last)s) AS m",
        params,
    )
    # Member m is the user with email membre<m>@…: its id, its plan (m % 4), its method (m % 5), how long ago its
    # last payment was ((m * 7919) % 1095 days).
    members_sql = (
        "(SELECT id AS user_id, substring(email from 7 for position('@' in email) - 7)::bigint AS m "
        "FROM accounts_user WHERE email LIKE '%%@bench.example') AS u "
        "CROSS JOIN LATERAL (SELECT (u.m %% 4) + 1 AS p, (u.m %% 5) + 1 AS k, (u.m * 7919) %% 1095 AS ago) AS c "
        "CROSS JOIN generate_series(0, %(per)s - 1) AS j "
        "CROSS JOIN LATERAL (SELECT %(now)s::timestamptz - (c.ago + (%(per)s - 1 - j) "
        "* (%(days)s::int[])[c.p]) * interval '1 day' AS at) AS t "
        "WHERE u.m BETWEEN %(first)s AND %(last)s"
    )
    number = "(u.m * %(per)s + j)"
    insert_select(
        Payment,
        {
            "user": "u.user_id",
            "plan": "(%(plans)s::bigint[])[c.p]",
            "payment_method": "(%(methods)s::bigint[])[c.k]",
            "code": code_sql(number),
            "amount": "(%(prices)s::numeric[])[c.p]",
            "currency": "(%(currencies)s::text[])[c.p]",
            "method": "(%(kinds)s::text[])[c.k]",
            "status": f"CASE WHEN {number} %% 50 = 7 THEN 'refunded' ELSE 'confirmed' END",
            "created_at": "t.at - interval '1 hour'",
            "confirmed_at": "t.at",
        },
        members_sql,
        params,
    )
    # One member in 50: a payment waiting for an admin, 0 to 239 hours old.
    insert_select(
        Payment,
        {
            "user": "u.user_id",
            "plan": "(%(plans)s::bigint[])[(u.m %% 4) + 1]",
            "payment_method": "(%(methods)s::bigint[])[1]",
            "code": code_sql(f"(u.m + {50_000_000})"),
            "amount": "(%(prices)s::numeric[])[(u.m %% 4) + 1]",
            "currency": "(%(currencies)s::text[])[(u.m %% 4) + 1]",
            "method": "(%(kinds)s::text[])[1]",
            "status": "'pending'",
            "created_at": "%(now)s::timestamptz - ((u.m / 50) %% 240) * interval '1 hour'",
        },
        "(SELECT id AS user_id, substring(email from 7 for position('@' in email) - 7)::bigint AS m "
        "FROM accounts_user WHERE email LIKE '%%@bench.example') AS u "
        "WHERE u.m BETWEEN %(first)s AND %(last)s AND u.m %% 50 = 0",
        params,
    )
    paid = (
        "payments_payment AS pay JOIN subscriptions_plan AS plan ON plan.id = pay.plan_id "
        "JOIN accounts_user AS usr ON usr.id = pay.user_id "
        "WHERE pay.status IN ('confirmed', 'refunded') AND usr.email LIKE '%%@bench.example' "
        "AND substring(usr.email from 7 for position('@' in usr.email) - 7)::bigint BETWEEN %(first)s AND %(last)s"
    )
    insert_select(
        Subscription,
        {
            "user": "pay.user_id",
            "plan": "pay.plan_id",
            "payment": "pay.id",
            "starts_at": "pay.confirmed_at",
            "ends_at": "pay.confirmed_at + plan.duration_days * interval '1 day'",
            "status": "CASE WHEN pay.status = 'refunded' THEN 'cancelled' "
            "WHEN pay.confirmed_at + plan.duration_days * interval '1 day' > %(now)s THEN 'active' "
            "ELSE 'expired' END",
            "created_at": "pay.confirmed_at",
            "updated_at": "pay.confirmed_at",
        },
        paid,
        params,
    )
    insert_select(
        Refund,
        {
            "payment": "pay.id",
            "amount": "pay.amount",
            "currency": "pay.currency",
            "access_ends": "'now'",
            "recorded_at": "LEAST(pay.confirmed_at + interval '2 days', %(now)s)",
            "access_decided_at": "LEAST(pay.confirmed_at + interval '2 days', %(now)s)",
        },
        paid.replace("IN ('confirmed', 'refunded')", "= 'refunded'"),
        params,
    )
    with connection.cursor() as cursor:
        for table in TRIGGERED_TABLES:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def vacuum_analyze() -> None:
    url = os.environ["DATABASE_URL"]
    with psycopg.connect(url, autocommit=True) as database:
        database.execute("VACUUM ANALYZE")


def timed(client: Client, url: str, **headers) -> list[float]:
    client.get(url, **headers)  # warm-up: connections, the templates' compilation
    times = []
    for _ in range(ARGS.runs):
        started = time.perf_counter()
        response = client.get(url, **headers)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return times


def measure(staff: User) -> dict[str, float]:
    api = Client()
    token = RefreshToken.for_user(staff).access_token
    page = Client()
    page.force_login(staff)
    return {
        "API GET /api/admin/stats/": statistics.median(
            timed(api, "/api/admin/stats/", HTTP_AUTHORIZATION=f"Bearer {token}")
        ),
        "page /admin/tableau-de-bord/": statistics.median(timed(page, "/admin/tableau-de-bord/")),
    }


def print_statements(staff: User) -> None:
    """Each statement of one computation of the figures, with its time (Django's own measure, to the millisecond)."""
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        admin_stats(user=staff)
        elapsed = time.perf_counter() - started
    print(f"Les chiffres seuls (admin_stats) : {elapsed * 1000:.0f} ms, {len(queries)} requêtes :")
    for query in queries.captured_queries:
        print(f"  {float(query['time']) * 1000:6.0f} ms  {query['sql'][:100]}")


def counts() -> str:
    return (
        f"{User.objects.filter(is_staff=False).count():,} membres, {Payment.objects.count():,} paiements, "
        f"{Subscription.objects.count():,} abonnements, {Refund.objects.count():,} remboursements"
    )


def main() -> int:
    # Static files by plain name: the checkout's `staticfiles/` manifest (collectstatic) may predate this page's CSS.
    override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()
    try:
        call_command("migrate", verbosity=0)
        print(f"Base : PostgreSQL, {BENCH_DB} ; charge de la machine (UTC) : {throwaway.uptime()}")
        plans = [
            Plan.objects.create(name=slug.capitalize(), slug=slug, duration_days=days, price=price, currency=currency)
            for slug, days, price, currency in PLANS
        ]
        methods = [
            PaymentMethod.objects.create(kind=kind, label=str(kind.label), details=details)
            for kind, details in METHOD_DETAILS.items()
        ]
        staff = User.objects.create_user(email="staff@bench.example.org", password="x", is_staff=True)
        now = clock.now()
        Signal.objects.bulk_create(
            Signal(
                market="forex",
                instrument="EUR/USD",
                direction="buy",
                entry_price=Decimal("1.0850"),
                stop_loss=Decimal("1.0810"),
                status=("tp_hit", "sl_hit", "open")[n % 3],
                exit_price=(Decimal("1.0950"), Decimal("1.0810"), None)[n % 3],
                result_r=(Decimal("2.50"), Decimal("-1.00"), None)[n % 3],
                is_published=True,
                published_at=now - timedelta(hours=n * 7),
                closed_at=now - timedelta(hours=n * 7) if n % 3 != 2 else None,
            )
            for n in range(2_000)
        )

        started = time.perf_counter()
        load(0, BASELINE_MEMBERS, plans=plans, methods=methods)
        vacuum_analyze()
        print(f"Base de référence : {counts()} (chargés en {time.perf_counter() - started:.1f} s)")
        baseline = measure(staff)

        started = time.perf_counter()
        load(BASELINE_MEMBERS, ARGS.members - BASELINE_MEMBERS, plans=plans, methods=methods)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        vacuum_analyze()
        vacuumed = time.perf_counter() - started
        print(f"Données complètes : {counts()} (chargés en {loaded:.1f} s, VACUUM ANALYZE {vacuumed:.1f} s)")
        full = measure(staff)

        print(f"Charge après les mesures (UTC) : {throwaway.uptime()}")
        reached = True
        for label, seconds in full.items():
            ratio = seconds / baseline[label]
            print(
                f"{label} : médiane de {ARGS.runs} {seconds * 1000:.0f} ms "
                f"(référence {baseline[label] * 1000:.0f} ms, rapport {ratio:.1f}x)"
            )
            reached &= seconds < TARGET_SECONDS
        print(f"Objectif : chacune en moins de {TARGET_SECONDS:.0f} s ({'OK' if reached else 'NON ATTEINT'})")
        print_statements(staff)
        return 0 if reached else 1
    finally:
        connection.close()
        if not ARGS.keep:
            throwaway.database_drop(BENCH_DB)


if __name__ == "__main__":
    sys.exit(main())

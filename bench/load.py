"""Load benchmark: the production shape on 127.0.0.1, driven from a second process (run by hand, not in CI).

    .venv/bin/python bench/load.py                 # 10,000 members, 20 s per endpoint, 4 concurrent clients
    .venv/bin/python bench/load.py --duration 5 --members 2000 --concurrency 4
    .venv/bin/python bench/load.py --no-dashboard-cache   # gunicorn with DASHBOARD_CACHE_SECONDS=0: uncached reads
    .venv/bin/python bench/load.py --server-side-binding  # gunicorn with DATABASE_SERVER_SIDE_BINDING=1 (opt-in)
    .venv/bin/python bench/load.py --rounds 5      # the phases take turns 5 times (a shared machine's load)

Prerequisites (Debian): `apt-get install postgresql redis-server`, PostgreSQL listening on 127.0.0.1:5432 with a
role allowed to create databases (BENCH_ADMIN_URL, default postgres://postgres:postgres@127.0.0.1:5432/postgres).

What it does:
1. creates a fresh database `calmnessfi_bench` on that server, starts `redis-server` on a free port;
2. migrates and seeds N members with histories (bulk_create: payments, subscriptions, notifications), then
   `VACUUM ANALYZE` (what autovacuum would do after such inserts, before the measure rather than during it);
3. starts gunicorn (deploy/gunicorn.conf.py, 2 workers) with config.settings.production on 127.0.0.1;
4. from a second process (an asyncio HTTP/1.1 client, one TCP connection per request as gunicorn's sync workers
   close them), drives each endpoint in turn for a bounded time with a fixed number of concurrent clients (with
   --rounds N, the endpoints take turns N times for 1/N of that time each, and each row sums its turns: a load
   that comes and goes elsewhere on the machine then weighs on every endpoint alike; a run then lasts longer than
   an entry of the dashboard cache, so a few cached reads are misses: compare cached runs with the same --rounds);
5. prints requests/s, p50, p99, errors and 5xx per endpoint, and the dashboard/health throughput ratio.

Targets (exit code 1 when one is missed): zero errors; p99 < 50 ms on every endpoint except login (one Argon2id
check per request); dashboard/health >= 0.45 with the dashboard cache (the production default), >= 0.25 without.

The "mixed" phase is what members do: each request from a random member of a pool of --mixed-members (5,000,
none of them used by the earlier phases, so their cache entries start cold), 5 dashboard reads then 1 write (a
profile PATCH or "mark all read", alternately). It prints each kind's figures (rows mixed:*) and the dashboard
cache hit ratio, counted from the X-Dashboard-Cache response header (hit / miss) of every dashboard read.

Throttling is set out of the way (THROTTLE_* very high) so it does not distort the figures; request logs are on
(JSON) but go to /dev/null. Persistent database connections: DATABASE_CONN_MAX_AGE=60, as in deploy/env.example.
"""

import argparse
import asyncio
import itertools
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.redis_server import free_port, running_redis, wait_for_port  # noqa: E402

PASSWORD = "Bench-Passw0rd!"
DB_NAME = "calmnessfi_bench"
TARGET_P99_MS = 50.0  # every endpoint but login
TARGET_RATIO = {True: 0.45, False: 0.25}  # dashboard/health, with and without the dashboard cache


# Driver (the second process)


async def _request(host: str, port: int, raw: bytes) -> tuple[int, float, str]:
    """(status, milliseconds, X-Dashboard-Cache value or "")."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(raw)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        cache = ""
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value.strip())
            elif name == b"x-dashboard-cache":
                cache = value.strip().decode()
        if length:
            await reader.readexactly(length)
        else:
            await reader.read()
        return status, (time.perf_counter() - started) * 1000, cache
    finally:
        writer.close()


def _raw(method: str, path: str, host: str, headers: dict, body: dict | None) -> bytes:
    data = json.dumps(body).encode() if body is not None else b""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: close", "Accept: application/json"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def _requests_for(scenario: str, spec: dict, index: int) -> bytes:
    host = spec["host_header"]
    member = spec["members"][index % len(spec["members"])]
    bearer = {"Authorization": f"Bearer {member['access']}"}
    if scenario == "health":
        return _raw("GET", "/api/health/", host, {}, None)
    if scenario == "login":
        return _raw("POST", "/api/auth/login/", host, {}, {"email": member["email"], "password": PASSWORD})
    if scenario == "dashboard":
        return _raw("GET", "/api/auth/user/dashboard/", host, bearer, None)
    if scenario == "eligibility":  # the floor of an authenticated read: the JWT's user query and little else
        return _raw("GET", "/api/auth/user/payment-eligibility/", host, bearer, None)
    if scenario == "notifications":
        return _raw("GET", "/api/auth/user/notifications/", host, bearer, None)
    if scenario == "profile":
        body = {"first_name": f"Jean{index % 997}", "risk_tolerance": random.choice(["low", "medium", "high"])}
        return _raw("PATCH", "/api/auth/user/profile/", host, bearer, body)
    raise ValueError(scenario)


MIXED_READS_PER_WRITE = 5
MIXED_WRITES = ("profile", "read-all")  # alternately: a profile PATCH, "mark all read" (forgets the cached entry)


def _mixed_request(spec: dict, index: int, rng: random.Random) -> tuple[str, bytes]:
    """What members do: a random member of the pool (thousands) each time, 1 write per MIXED_READS_PER_WRITE reads."""
    host = spec["host_header"]
    member = rng.choice(spec["mixed_members"])
    bearer = {"Authorization": f"Bearer {member['access']}"}
    cycle, position = divmod(index, MIXED_READS_PER_WRITE + 1)
    if position < MIXED_READS_PER_WRITE:
        return "dashboard", _raw("GET", "/api/auth/user/dashboard/", host, bearer, None)
    kind = MIXED_WRITES[cycle % len(MIXED_WRITES)]
    if kind == "profile":
        body = {"first_name": f"Jean{index % 997}", "risk_tolerance": rng.choice(["low", "medium", "high"])}
        return kind, _raw("PATCH", "/api/auth/user/profile/", host, bearer, body)
    return kind, _raw("POST", "/api/auth/user/notifications/read-all/", host, bearer, {})


def _summary(name: str, rows: list[tuple[int, float, str]], errors: list[str], elapsed: float) -> dict:
    latencies = sorted(ms for _, ms, _ in rows)
    statuses = [status for status, _, _ in rows]
    return {
        "endpoint": name,
        "requests": len(rows),
        "rps": len(rows) / elapsed,
        "p50_ms": statistics.median(latencies) if latencies else None,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else None,
        "errors": len(errors) + sum(1 for s in statuses if s != 200),
        "server_errors": sum(1 for s in statuses if s >= 500),
        "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
        "sample_error": errors[0] if errors else "",
        "cache_hits": sum(1 for _, _, cache in rows if cache == "hit"),
        "cache_misses": sum(1 for _, _, cache in rows if cache == "miss"),
    }


Measured = dict[str, tuple[list, list, float]]  # per row name: (responses, errors, seconds measured)


async def _drive_mixed(spec: dict, seconds: float, concurrency: int, warmup: float, round_index: int) -> Measured:
    host, port = "127.0.0.1", spec["port"]
    counter = iter(range(10**9))
    rows: dict[str, list] = {}
    errors: dict[str, list] = {}

    async def client(deadline: float, rng: random.Random) -> None:
        while time.perf_counter() < deadline:
            kind, raw = _mixed_request(spec, next(counter), rng)
            try:
                rows.setdefault(kind, []).append(await _request(host, port, raw))
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                errors.setdefault(kind, []).append(repr(exc))

    rngs = [random.Random(1000 + 100 * round_index + n) for n in range(concurrency)]  # other members each round
    warmup_end = time.perf_counter() + warmup
    await asyncio.gather(*(client(warmup_end, rng) for rng in rngs))
    rows.clear()
    errors.clear()
    started = time.perf_counter()
    await asyncio.gather(*(client(started + seconds, rng) for rng in rngs))
    elapsed = time.perf_counter() - started
    kinds = ["dashboard", *MIXED_WRITES]
    return {f"mixed:{kind}": (rows.get(kind, []), errors.get(kind, []), elapsed) for kind in kinds}


async def _drive(scenario: str, spec: dict, seconds: float, concurrency: int, warmup: float, fill: int = 0) -> Measured:
    """`warmup` seconds, and at least `fill` requests, before the measure."""
    host, port = "127.0.0.1", spec["port"]
    counter = iter(range(10**9))
    results: list[tuple[int, float, str]] = []
    errors: list[str] = []

    async def client(deadline: float, at_least: int = 0) -> None:
        while time.perf_counter() < deadline or len(results) + len(errors) < at_least:
            try:
                results.append(await _request(host, port, _requests_for(scenario, spec, next(counter))))
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                errors.append(repr(exc))

    warmup_end = time.perf_counter() + warmup
    await asyncio.gather(*(client(warmup_end, fill) for _ in range(concurrency)))
    results.clear()
    errors.clear()
    started = time.perf_counter()
    await asyncio.gather(*(client(started + seconds) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {scenario: (results, errors, elapsed)}


def drive_main(spec_path: str) -> None:
    """Each phase in turn; with --rounds N, the phases take turns N times for a 1/N share of their time each, so a
    load that comes and goes on a shared machine weighs on every phase alike (the sums make the figures)."""
    spec = json.loads(Path(spec_path).read_text())
    rounds = spec.get("rounds", 1)
    seconds = spec["seconds"] / rounds
    measured: dict[str, tuple[list, list, float]] = {}
    for round_index in range(rounds):
        # Not measured: the first turn's first seconds fill the caches and connections, a later turn's first moment
        # lets the server settle on the endpoint.
        warmup = min(2.0, spec["seconds"] / 5) if round_index == 0 else min(0.5, seconds / 5)
        for scenario in spec["scenarios"]:
            if scenario == "mixed":
                got = asyncio.run(_drive_mixed(spec, seconds, spec["concurrency"], warmup, round_index))
            else:
                # Each dashboard turn reads every member once before the measure: entries missing are cached (an
                # entry lives DASHBOARD_CACHE_SECONDS, less than a run in rounds: some expire during a turn).
                fill = len(spec["members"]) if scenario == "dashboard" else 0
                got = asyncio.run(_drive(scenario, spec, seconds, spec["concurrency"], warmup, fill))
            for name, (rows, errors, elapsed) in got.items():
                total_rows, total_errors, total_elapsed = measured.get(name, ([], [], 0.0))
                measured[name] = (total_rows + rows, total_errors + errors, total_elapsed + elapsed)
    print(json.dumps([_summary(name, *values) for name, values in measured.items()]))


# Orchestration (the first process)


def _env(
    database_url: str, redis_url: str, port: int, *, dashboard_cache: bool = True, server_side_binding: bool = False
) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "THROTTLE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY="bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DATABASE_URL=database_url,
        DATABASE_CONN_MAX_AGE=os.environ.get("BENCH_CONN_MAX_AGE", "60"),
        REDIS_URL=redis_url,
        EMAIL_URL="smtp://127.0.0.1:1",  # production requires one; the load sends no e-mail
        FRONTEND_URL="https://app.bench.calmnessfi.com",
        THROTTLE_LOGIN="1000000/min",
        THROTTLE_REGISTER="1000000/min",
        THROTTLE_RESEND="1000000/min",
        THROTTLE_PASSWORD_RESET="1000000/min",
        JWT_ACCESS_MINUTES="120",
        LOG_JSON="1",
        LOG_LEVEL="INFO",
        HOST="127.0.0.1",
        PORT=str(port),
        GUNICORN_WORKERS=os.environ.get("GUNICORN_WORKERS", "2"),
    )
    if not dashboard_cache:
        env["DASHBOARD_CACHE_SECONDS"] = "0"  # every dashboard read computes the body
    if server_side_binding:
        env["DATABASE_SERVER_SIDE_BINDING"] = "1"  # prepared statements (off by default)
    return env


def _create_database(admin_url: str) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    return admin_url.rsplit("/", 1)[0] + f"/{DB_NAME}"


def _vacuum_analyze(database_url: str) -> None:
    """What autovacuum does some time after bulk inserts (visibility map, statistics): done before measuring, so it
    does not run in the middle of a phase and index-only scans are possible from the first request."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def payment_code(n: int) -> str:
    """The n-th payment code (CFI-222222, CFI-222223...): seeded payments are bulk-created, and bulk_create does not
    draw again when a random code repeats (1 chance in 5 among 20,000)."""
    from payments.models import CODE_ALPHABET, CODE_LENGTH, CODE_PREFIX

    digits = []
    for _ in range(CODE_LENGTH):
        n, digit = divmod(n, len(CODE_ALPHABET))
        digits.append(CODE_ALPHABET[digit])
    return CODE_PREFIX + "".join(reversed(digits))


def _seed(members: int, mixed_members: int) -> tuple[list[dict], list[dict]]:
    """Bulk-creates `members` members with histories; returns a sample of 500 of them with access tokens (the
    single-endpoint phases) and a disjoint pool of `mixed_members` others (the mixed phase, caches cold)."""
    from django.contrib.auth.hashers import make_password
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User
    from core import clock
    from notifications.models import NotificationType, UserNotification
    from payments.models import Payment
    from subscriptions.models import Plan, Subscription

    rng = random.Random(42)
    plans = list(Plan.objects.order_by("duration_days"))
    password = make_password(PASSWORD)
    now = clock.now()
    batch = 2000
    for start in range(0, members, batch):
        User.objects.bulk_create(
            User(
                email=f"membre{i}@bench.calmnessfi.com",
                first_name="Jean",
                last_name=f"Dupont{i}",
                is_verified=True,
                telegram_username=f"membre_{i:05d}",
                password=password,
                can_make_payment=True,
            )
            for i in range(start, min(members, start + batch))
        )
    users = list(User.objects.filter(email__endswith="@bench.calmnessfi.com").order_by("pk"))
    types = list(NotificationType.values)
    codes = map(payment_code, itertools.count())
    for start in range(0, len(users), batch):
        chunk = users[start : start + batch]
        payments, subscriptions, notifications = [], [], []
        for user in chunk:
            plan = rng.choice(plans)
            old_end = now - timedelta(days=rng.randint(5, 200))
            payments.append(
                Payment(
                    user=user,
                    plan=plan,
                    code=next(codes),
                    amount=plan.price,
                    currency=plan.currency,
                    method="card",
                    status="confirmed",
                    confirmed_at=old_end - timedelta(days=plan.duration_days),
                )
            )
            payments.append(
                Payment(
                    user=user,
                    plan=plan,
                    code=next(codes),
                    amount=plan.price,
                    currency=plan.currency,
                    method="bank_transfer",
                    status=rng.choice(["confirmed", "pending", "rejected"]),
                )
            )
            subscriptions.append(
                Subscription(
                    user=user,
                    plan=plan,
                    starts_at=old_end - timedelta(days=plan.duration_days),
                    ends_at=old_end,
                    status="expired",
                )
            )
            if rng.random() < 0.7:
                subscriptions.append(
                    Subscription(
                        user=user,
                        plan=plan,
                        starts_at=now - timedelta(days=rng.randint(0, 20)),
                        ends_at=now + timedelta(days=rng.randint(1, 60)),
                        status="active",
                    )
                )
            for n in range(6):
                notifications.append(
                    UserNotification(
                        user=user,
                        notification_type=types[n % len(types)],
                        title="Rappel",
                        message="Votre abonnement expire bientôt.",
                        status=rng.choice(["sent", "read", "dismissed"]),
                        scheduled_for=now - timedelta(days=n),
                        sent_at=now - timedelta(days=n),
                    )
                )
        Payment.objects.bulk_create(payments)
        Subscription.objects.bulk_create(subscriptions)
        UserNotification.objects.bulk_create(notifications)
    chosen = rng.sample(users, min(500 + mixed_members, len(users)))
    sample, pool = chosen[:500], chosen[500:]
    tokens = [{"email": u.email, "access": str(AccessToken.for_user(u))} for u in chosen]
    return tokens[: len(sample)], tokens[len(sample) :] if pool else tokens[: len(sample)]


def _table(results: list[dict], concurrency: int) -> str:
    lines = [
        f"{'endpoint':<15}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'5xx':>6}",
        "-" * 65,
    ]
    for r in results:
        lines.append(
            f"{r['endpoint']:<15}{r['requests']:>9}{r['rps']:>9.1f}{r['p50_ms'] or 0:>9.1f}{r['p99_ms'] or 0:>9.1f}"
            f"{r['errors']:>8}{r['server_errors']:>6}"
        )
    lines.append(f"(concurrency: {concurrency} clients per endpoint; mixed:* rows share one phase, req/s each)")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per endpoint")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="the phases take turns this many times, each for 1/rounds of --duration (a shared machine's load)",
    )
    parser.add_argument(
        "--endpoints",
        default="health,dashboard,mixed,notifications,profile,login",
        help="comma-separated, in order (also: eligibility, the cheapest authenticated read)",
    )
    parser.add_argument(
        "--mixed-members", type=int, default=5000, help="distinct members in the mixed phase (random each request)"
    )
    parser.add_argument(
        "--no-dashboard-cache", action="store_true", help="gunicorn with DASHBOARD_CACHE_SECONDS=0 (uncached reads)"
    )
    parser.add_argument(
        "--server-side-binding", action="store_true", help="gunicorn with DATABASE_SERVER_SIDE_BINDING=1 (opt-in)"
    )
    parser.add_argument("--drive", help=argparse.SUPPRESS)  # the second process
    args = parser.parse_args()
    if args.drive:
        drive_main(args.drive)
        return 0

    admin_url = os.environ.get("BENCH_ADMIN_URL", "postgres://postgres:postgres@127.0.0.1:5432/postgres")
    database_url = _create_database(admin_url)
    port = free_port()
    with running_redis() as (redis_port, _), tempfile.TemporaryDirectory() as tmp:
        env = _env(
            database_url,
            f"redis://127.0.0.1:{redis_port}/0",
            port,
            dashboard_cache=not args.no_dashboard_cache,
            server_side_binding=args.server_side_binding,
        )
        os.environ.update(env)
        print(f"==> database {DB_NAME}, redis on {redis_port}, gunicorn on {port}", flush=True)
        for command in (["migrate", "--noinput", "-v0"], ["create_plans"], ["collectstatic", "--noinput", "-v0"]):
            subprocess.run(
                [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
            )

        import django

        django.setup()
        started = time.perf_counter()
        sample, mixed_pool = _seed(args.members, args.mixed_members)
        from django.db import connection

        from accounts.models import User
        from notifications.models import UserNotification
        from payments.models import Payment
        from subscriptions.models import Subscription

        counts = (
            User.objects.count(),
            Payment.objects.count(),
            Subscription.objects.count(),
            UserNotification.objects.count(),
        )
        connection.close()
        _vacuum_analyze(database_url)
        print(
            f"==> seeded {counts[0]} members, {counts[1]} payments, {counts[2]} subscriptions, "
            f"{counts[3]} notifications in {time.perf_counter() - started:.1f} s",
            flush=True,
        )

        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi:application", "-c", "deploy/gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_for_port(port, timeout=60, process=server)
            spec = {
                "port": port,
                "host_header": f"127.0.0.1:{port}",
                "members": sample,
                "mixed_members": mixed_pool,
                "seconds": args.duration,
                "concurrency": args.concurrency,
                "rounds": args.rounds,
                "scenarios": args.endpoints.split(","),
            }
            spec_path = Path(tmp) / "spec.json"
            spec_path.write_text(json.dumps(spec))
            print(
                f"==> driving {', '.join(spec['scenarios'])} for {args.duration:g} s each"
                + (f" in {args.rounds} rounds, " if args.rounds > 1 else ", ")
                + f"{args.concurrency} concurrent clients; dashboard cache "
                + ("OFF (DASHBOARD_CACHE_SECONDS=0)" if args.no_dashboard_cache else "on (default settings)")
                + "; server-side binding "
                + ("on (DATABASE_SERVER_SIDE_BINDING=1)" if args.server_side_binding else "off (default)"),
                flush=True,
            )
            driver = subprocess.run(
                [sys.executable, __file__, "--drive", str(spec_path)], cwd=ROOT, capture_output=True, text=True
            )
            if driver.returncode != 0:
                print(driver.stderr, file=sys.stderr)
                return 1
            results = json.loads(driver.stdout)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)

    print(_table(results, args.concurrency))
    by_name = {r["endpoint"]: r for r in results}
    failures = []
    total_errors = sum(r["errors"] for r in results)
    total_5xx = sum(r["server_errors"] for r in results)
    print(f"errors: {total_errors}, 5xx: {total_5xx}")
    if total_errors or total_5xx:
        failures.append("errors or 5xx")
        for r in results:
            if r["errors"]:
                print(f"  {r['endpoint']}: statuses {r['statuses']} {r['sample_error']}")
    for name in ("dashboard", "mixed:dashboard"):
        if name in by_name:
            r = by_name[name]
            reads = r["cache_hits"] + r["cache_misses"]
            share = f"{r['cache_hits'] / reads:.0%}" if reads else "n/a"
            print(f"{name} cache hits: {share} ({r['cache_hits']} hits / {reads} reads, X-Dashboard-Cache header)")
    if "dashboard" in by_name and "health" in by_name:
        ratio = by_name["dashboard"]["rps"] / by_name["health"]["rps"]
        target = TARGET_RATIO[not args.no_dashboard_cache]
        print(f"dashboard/health throughput: {ratio:.2f} (target >= {target})")
        if ratio < target:
            failures.append(f"dashboard/health {ratio:.2f} < {target}")
    if "mixed:dashboard" in by_name and "health" in by_name:
        health = by_name["health"]["rps"]
        mixed = [r for r in results if r["endpoint"].startswith("mixed:")]
        total = sum(r["rps"] for r in mixed)
        print(
            f"mixed phase ({len(spec['mixed_members'])} members, 1 write per {MIXED_READS_PER_WRITE} reads): "
            f"dashboard reads {by_name['mixed:dashboard']['rps']:.1f}/s, all requests {total:.1f}/s; "
            f"all requests/health {total / health:.2f} (no target: what members do, for comparison)"
        )
    for r in results:
        if r["endpoint"] != "login" and r["p99_ms"] is not None and r["p99_ms"] >= TARGET_P99_MS:
            failures.append(f"{r['endpoint']} p99 {r['p99_ms']:.1f} ms >= {TARGET_P99_MS:g} ms")
    print("targets: " + ("all met" if not failures else "MISSED: " + "; ".join(failures)))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())

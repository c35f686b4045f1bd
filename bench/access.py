"""Access latency benchmark: from an admin's confirmation to the member's Telegram invitation, with the task worker.

    .venv/bin/python bench/access.py [--members 30] [--interval 1]
    .venv/bin/python bench/access.py --postgres postgres://postgres:postgres@127.0.0.1:5432/postgres

Builds a throwaway database (a SQLite file in a temporary directory, or with --postgres a database created on that
server for the run and dropped at the end), starts our fake Telegram Bot API on 127.0.0.1 in this process, and the
real worker (`manage.py task_worker --interval N`) as a separate process on the same database, both through the real
python-telegram-bot. `--members` members, each with a linked Telegram account and a pending payment, are confirmed
one after the other through `payment_confirm` (what the admin's button calls), a random pause of 0 to 1 s between
two, so that confirmations land anywhere in the worker's polling interval. For each: the time from the call to the
moment the fake server receives the invitation (`sendMessage` to the member).

Baseline, in the same run: as many other members confirmed, then synced inline in this process right after the
commit (`channel_sync` for that member, as linking does), which is the work itself without the queue; the
difference is what durability costs (the worker's polling, its own bot start). Before this issue a confirmed member
waited for the next `manage_channel_members` run: 7.5 min on average with the 15-minute cron. Target: every
invitation within 5 s (docs/benchmarks.md).
"""

import argparse
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.fake_telegram import BOT_USERNAME, FakeTelegram  # noqa: E402

TARGET_SECONDS = 5.0
WAIT_LIMIT_SECONDS = 60.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=30)
    parser.add_argument("--interval", type=float, default=1.0, help="the worker's polling interval (seconds)")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server (any database on it) to run on")
    return parser.parse_args()


class TimedTelegram(FakeTelegram):
    """The fake Bot API, noting when each member's invitation arrives."""

    def __init__(self):
        super().__init__()
        self.arrived: dict[int, float] = {}
        self.arrival = threading.Condition()

    def api_sendMessage(self, body):
        answer = super().api_sendMessage(body)
        with self.arrival:
            self.arrived[int(body["chat_id"])] = time.perf_counter()
            self.arrival.notify_all()
        return answer

    def wait_for(self, chat_id: int) -> float:
        with self.arrival:
            if not self.arrival.wait_for(lambda: chat_id in self.arrived, timeout=WAIT_LIMIT_SECONDS):
                raise SystemExit(f"no invitation for {chat_id} after {WAIT_LIMIT_SECONDS} s: is the worker running?")
            return self.arrived[chat_id]


ARGS = parse_args()
WORKDIR = Path(tempfile.mkdtemp(prefix="bench-access-"))
FAKE = TimedTelegram().start()
if ARGS.postgres:
    BENCH_DB = f"calmnessfi_bench_{secrets.token_hex(4)}"
    with psycopg.connect(ARGS.postgres, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{BENCH_DB}"')
    DATABASE_URL = urlunsplit(urlsplit(ARGS.postgres)._replace(path=f"/{BENCH_DB}"))
    DB_LABEL = f"PostgreSQL, base {BENCH_DB}"
else:
    DATABASE_URL = f"sqlite:///{WORKDIR / 'bench.sqlite3'}"
    DB_LABEL = "SQLite (fichier)"
ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.local",
    "DATABASE_URL": DATABASE_URL,
    "DJANGO_DEBUG": "0",
    "LOG_LEVEL": "WARNING",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "TELEGRAM_BOT_TOKEN": FAKE.token,
    "TELEGRAM_CHANNEL_ID": FAKE.chat_id,
    "TELEGRAM_API_BASE_URL": FAKE.base_url,
    "TELEGRAM_BOT_USERNAME": BOT_USERNAME,
    "TELEGRAM_MAX_REQUESTS_PER_SECOND": "0",
    "DISCORD_BOT_TOKEN": "",
}
os.environ.update(ENV)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import User  # noqa: E402
from channels_sync.models import AccountLink, ChannelMembership, Platform  # noqa: E402
from channels_sync.sync import channel_sync  # noqa: E402
from core import clock  # noqa: E402
from payments.models import Payment, PaymentKind, PaymentMethod, payment_code_generate  # noqa: E402
from payments.services import payment_confirm  # noqa: E402
from subscriptions.models import Plan  # noqa: E402


def seed(count: int, first_id: int) -> list[Payment]:
    plan = Plan.objects.get_or_create(slug="mensuel", defaults={"name": "Mensuel", "price": 49, "duration_days": 30})[0]
    method = PaymentMethod.objects.get_or_create(
        kind=PaymentKind.CASH, defaults={"label": "Espèces", "details": {"place": "Au bureau"}}
    )[0]
    payments = []
    for index in range(count):
        telegram_id = first_id + index
        user = User.objects.create(
            email=f"acces{telegram_id}@example.com", password="!", first_name="Bench", is_verified=True
        )
        ChannelMembership.objects.create(user=user, platform=Platform.TELEGRAM, state=ChannelMembership.State.LINKED)
        AccountLink.objects.create(
            user=user, platform=Platform.TELEGRAM, remote_id=str(telegram_id), linked_at=clock.now()
        )
        payments.append(
            Payment.objects.create(
                user=user,
                plan=plan,
                payment_method=method,
                method=method.kind,
                amount=plan.price,
                currency=plan.currency,
                code=payment_code_generate(),
            )
        )
    return payments


def telegram_id_of(payment: Payment) -> int:
    return int(AccountLink.objects.get(user_id=payment.user_id, platform=Platform.TELEGRAM).remote_id)


def measure(payments: list[Payment], *, inline: bool) -> list[float]:
    latencies = []
    for payment in payments:
        time.sleep(random.random())  # anywhere in the worker's polling interval
        chat_id = telegram_id_of(payment)
        started = time.perf_counter()
        payment_confirm(payment=payment, by=None)
        if inline:
            channel_sync(platform=Platform.TELEGRAM, user_ids=[payment.user_id])
        latencies.append(FAKE.wait_for(chat_id) - started)
    return latencies


def summary(label: str, latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"{label:<34}: n={len(ordered)}  médiane {statistics.median(ordered):.2f} s  p95 {p95:.2f} s  "
        f"max {ordered[-1]:.2f} s"
    )


def main() -> int:
    worker = None
    try:
        call_command("migrate", verbosity=0)
        queued = seed(ARGS.members + 1, first_id=600_000)
        inline = seed(ARGS.members, first_id=700_000)
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "task_worker", "--no-reload", "--interval", str(ARGS.interval)],
            cwd=ROOT,
            env={**os.environ, **ENV},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # The first confirmation also waits for the worker to start: timed apart, not counted.
        warm_up = measure(queued[:1], inline=False)[0]
        through_worker = measure(queued[1:], inline=False)
        # The baseline: the worker still runs, and finds these members already synced.
        without_queue = measure(inline, inline=True)
        print(f"Base : {DB_LABEL} ; intervalle du worker {ARGS.interval} s ; premier envoi (démarrage) {warm_up:.2f} s")
        print(summary("Confirmation -> invitation (worker)", through_worker))
        print(summary("Confirmation + sync en ligne", without_queue))
        ratio = statistics.median(through_worker) / statistics.median(without_queue)
        print(f"Rapport des médianes worker / en ligne : {ratio:.1f}x (le prix de la file durable)")
        reached = max(through_worker) < TARGET_SECONDS
        print(f"Objectif : chaque invitation en moins de {TARGET_SECONDS:.0f} s ({'OK' if reached else 'NON ATTEINT'})")
        return 0 if reached else 1
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=70)
        FAKE.stop()
        connection.close()
        shutil.rmtree(WORKDIR, ignore_errors=True)
        if ARGS.postgres:
            with psycopg.connect(ARGS.postgres, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE "{BENCH_DB}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())

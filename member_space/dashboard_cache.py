"""The per-member cache of the dashboard body: the one place that reads and writes it
(docs/architecture/dashboard.md).

Key: `dashboard:v3:<user id>:<language>:<member version>:<plans version>`. The versions are kept by the database,
not by the application: triggers raise the member's `MemberFigures.version` on every insert, update and delete of
their subscriptions, payments, notifications (subscriptions/figures.py), channel memberships and account links
(`VERSIONED_TABLES`, this app's migration 0001), and `PlansVersion.version` on every write to plans; whatever
makes the write (a service, `.update()`, `bulk_create`, raw SQL, the admin, the shell). Nothing forgets an
entry: a write changes the key, and an entry whose key nobody reads any more expires on its own.

Never stale:
- writes: the versions are read with the member by the view's authentication (`member_with_figures`: one
  query; the member's figures are the same row) BEFORE the rest of the data, so an entry holds data at least as
  new as the versions in its key.
  A write committed after the versions were read gives the next reader a new key; the entry stored meanwhile
  under the old key may hold data older or newer than that write, but only a reader who read the old versions
  (before the commit) can find it. Entries are stored by the
  dashboard API view, which runs in autocommit (no ATOMIC_REQUESTS): it never stores data of a transaction that
  could still roll back.
- time: an entry is valid only until the next instant at which the body would change without any write (a
  subscription ending or starting, a channel grace period running out: `dashboard_next_change`), and at most
  `DASHBOARD_CACHE_SECONDS` (0 disables the cache).
- what moves with the clock is not cached: `server_time`, the countdown's days/hours/minutes/seconds and each
  active subscription's `time_remaining` are recomputed from the cached `ends_at` values on every request. The
  profile block is kept with the raw values it was serialized from and reused only while `request.user` (loaded
  by authentication on every request) still has exactly those values.
- Redis down: django-redis ignores the errors, so every read is a miss and the body is computed (correct, slower).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from accounts.serializers import PROFILE_FIELDS, profile_body
from channels_sync.models import AccountLink, ChannelMembership
from member_space.dashboard import Dashboard, dashboard_next_change
from subscriptions.models import MemberFigures
from subscriptions.selectors import time_remaining

# v3: the countdown and the active subscriptions carry auto_renew and next_charge_at (issue 16); a new shape takes a
# new key, so a body cached by the previous release is never served.
KEY = "dashboard:v3"

# Tables whose writes change what a member's dashboard shows without changing their figures: the figures'
# triggers (subscriptions.figures.install_statements), version only, installed by migration 0001 of this app.
VERSIONED_TABLES: dict[str, dict[str, str]] = {ChannelMembership._meta.db_table: {}, AccountLink._meta.db_table: {}}


@dataclass(frozen=True)
class Lookup:
    """What one read found: the key for the member's current versions (None: cache off) and its entry if any."""

    key: str | None
    entry: dict | None


def dashboard_cache_lookup(*, figures: MemberFigures, plans_version: int, at: datetime) -> Lookup:
    """The entry for the versions read with the member (`member_figures`): one cache round trip, no query."""
    if settings.DASHBOARD_CACHE_SECONDS <= 0:
        return Lookup(key=None, entry=None)
    language = translation.get_language() or settings.LANGUAGE_CODE
    key = f"{KEY}:{figures.user_id}:{language}:{figures.version}:{plans_version}"
    entry = cache.get(key)
    if entry is None or at >= entry["valid_until"]:
        return Lookup(key=key, entry=None)
    return Lookup(key=key, entry=entry)


def dashboard_cache_store(*, lookup: Lookup, dashboard: Dashboard, body: dict) -> None:
    """Keep `body` (serialized from `dashboard`) until the first of: its next time-driven change
    (`dashboard_next_change`), DASHBOARD_CACHE_SECONDS after its instant. Kept with it: the raw values the
    countdowns are recomputed from, and the profile values its profile block was serialized from."""
    if lookup.key is None:
        return
    at = dashboard.server_time
    valid_until = at + timedelta(seconds=settings.DASHBOARD_CACHE_SECONDS)
    next_change = dashboard_next_change(dashboard)
    if next_change is not None:
        valid_until = min(valid_until, next_change)
    timeout = int((valid_until - at).total_seconds())
    if timeout < 1:
        return
    ends_at = {
        "countdown": dashboard.countdown["ends_at"] if dashboard.countdown else None,
        "active": [subscription.ends_at for subscription in dashboard.active_subscriptions],
    }
    entry = {
        "valid_until": valid_until,
        "body": {key: value for key, value in body.items() if key not in ("user", "server_time")},
        "ends_at": ends_at,
        "profile": (profile_fingerprint(dashboard.user), body["user"]),
    }
    cache.set(lookup.key, entry, timeout=timeout)


def profile_fingerprint(user) -> tuple:
    """Every value the profile block is serialized from (all plain model fields)."""
    return tuple(getattr(user, name) for name in PROFILE_FIELDS)


def dashboard_cache_render(*, entry: dict, user, at: datetime, server_time: str) -> dict:
    """A cached entry completed for instant `at`: profile checked against `user`, server time and countdowns."""
    fingerprint, block = entry["profile"]
    result = {"user": block if fingerprint == profile_fingerprint(user) else profile_body(user)}
    ends_at = entry["ends_at"]
    for key, value in entry["body"].items():
        if key == "countdown" and value is not None:
            value = {**value, **_remaining(ends_at["countdown"], at)}
        elif key == "active_subscriptions":
            value = [
                {**item, "time_remaining": time_remaining(ends_at=end, at=at)}
                for item, end in zip(value, ends_at["active"], strict=True)
            ]
        result[key] = value
    result["server_time"] = server_time
    return result


def _remaining(ends_at: datetime, at: datetime) -> dict:
    remaining = time_remaining(ends_at=ends_at, at=at)
    remaining.pop("is_expired")
    return remaining

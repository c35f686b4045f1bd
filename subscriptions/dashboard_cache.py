"""The per-member cache of the dashboard body: the one place that reads, writes and forgets it.

What is cached: the serialized dashboard without the parts that move with the clock (`server_time`, the
countdown's days/hours/minutes/seconds/total_seconds, each active subscription's `time_remaining`), which are
recomputed from the cached `ends_at` values with `core.clock.now()` on every request. The profile block is kept
with the raw values it was serialized from and reused only while `request.user` (loaded by authentication on every
request) still has exactly those values; otherwise it is serialized again.

Never stale:
- time: an entry is valid only until the next instant at which the body would change without any write (a
  subscription ending or starting, a channel grace period running out: `Dashboard.next_change`), and at most
  `DASHBOARD_CACHE_SECONDS` (0 disables the cache);
- writes: every service that changes what the dashboard shows calls `dashboard_cache_forget(user_ids=...)`, and
  `post_save`/`post_delete` receivers on the shown models (subscriptions/apps.py) do the same for admin and shell
  edits. Forgetting gives the member a new random version token; an entry carries the tokens read BEFORE its
  data were read, so an entry filled from a snapshot older than a write never matches again. The token is
  changed at once (the writer's own reads, tests) and again after commit (readers that filled the cache from
  the last snapshot before the commit). Plan edits change a global token (every member's entry).
- Redis down: django-redis ignores the errors, so every read is a miss and the body is computed (correct, slower).
  Known limit: a token change lost while Redis is unreachable leaves an older entry valid again if Redis comes
  back with its data, for at most `DASHBOARD_CACHE_SECONDS`.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import translation

from accounts.serializers import PROFILE_FIELDS, profile_body
from subscriptions.selectors import time_remaining

KEY = "dashboard:v1"
GLOBAL_TOKEN_KEY = f"{KEY}:global"
TOKEN_TTL = 86400  # longer than any entry; a token that expires only turns the member's next read into a miss


def _entry_key(user_id: int) -> str:
    return f"{KEY}:{user_id}:{translation.get_language() or settings.LANGUAGE_CODE}"


def _token_key(user_id: int) -> str:
    return f"{KEY}:{user_id}:token"


@dataclass
class Lookup:
    """What one read found: the cached entry (or None) and the version tokens seen before any database read."""

    user_id: int
    entry: dict | None
    stamp: tuple | None


def dashboard_cache_lookup(*, user_id: int, at: datetime) -> Lookup:
    """One cache round trip: the global token, the member's token and the entry."""
    if settings.DASHBOARD_CACHE_SECONDS <= 0:
        return Lookup(user_id=user_id, entry=None, stamp=None)
    keys = [GLOBAL_TOKEN_KEY, _token_key(user_id), _entry_key(user_id)]
    found = cache.get_many(keys)
    stamp = (found.get(GLOBAL_TOKEN_KEY), found.get(keys[1]))
    if None in stamp:
        # Never stamp an entry with a missing token (an evicted token would make an old entry match again).
        for key, value in zip(keys[:2], stamp, strict=True):
            if value is None:
                cache.add(key, uuid.uuid4().hex, timeout=TOKEN_TTL)
        again = cache.get_many(keys[:2])
        stamp = (again.get(GLOBAL_TOKEN_KEY), again.get(keys[1]))
        return Lookup(user_id=user_id, entry=None, stamp=None if None in stamp else stamp)
    entry = found.get(keys[2])
    if entry is None or entry["stamp"] != stamp or at >= entry["valid_until"]:
        return Lookup(user_id=user_id, entry=None, stamp=stamp)
    return Lookup(user_id=user_id, entry=entry, stamp=stamp)


def dashboard_cache_store(
    *, lookup: Lookup, user, body: dict, at: datetime, next_change: datetime | None, ends_at: dict
) -> None:
    """Keep `body` (serialized at `at`) until the first of: next_change, at + DASHBOARD_CACHE_SECONDS.

    `ends_at`: {"countdown": datetime or None, "active": [datetime per active subscription, in order]}, the raw
    values the countdowns are recomputed from.
    """
    if lookup.stamp is None:
        return
    valid_until = at + timedelta(seconds=settings.DASHBOARD_CACHE_SECONDS)
    if next_change is not None:
        valid_until = min(valid_until, next_change)
    timeout = int((valid_until - at).total_seconds())
    if timeout < 1:
        return
    cached = {key: value for key, value in body.items() if key not in ("user", "server_time")}
    entry = {
        "stamp": lookup.stamp,
        "valid_until": valid_until,
        "body": cached,
        "ends_at": ends_at,
        "profile": (profile_fingerprint(user), body["user"]),
    }
    cache.set(_entry_key(lookup.user_id), entry, timeout=timeout)


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


def _renew_tokens(keys: list[str]) -> None:
    if keys:
        cache.set_many({key: uuid.uuid4().hex for key in keys}, timeout=TOKEN_TTL)


def dashboard_cache_forget(*, user_ids: Iterable[int]) -> None:
    """The members' dashboards changed (or may have): their cached bodies are never served again."""
    keys = [_token_key(user_id) for user_id in {int(uid) for uid in user_ids if uid is not None}]
    if not keys:
        return
    _renew_tokens(keys)
    transaction.on_commit(lambda: _renew_tokens(keys))


def dashboard_cache_forget_all() -> None:
    """Something every dashboard shows changed (a plan's name, its channel flags): forget every entry."""
    _renew_tokens([GLOBAL_TOKEN_KEY])
    transaction.on_commit(lambda: _renew_tokens([GLOBAL_TOKEN_KEY]))

"""The one clock. Every rule asks it for "now" so tests can move time with time-machine."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def now() -> datetime:
    """Current instant, timezone-aware, in UTC."""
    return timezone.now()


def local_date(moment: datetime | None = None) -> date:
    """The calendar day of `moment` (default: now) in settings.TIME_ZONE."""
    return timezone.localtime(moment or now()).date()


def start_of_local_day(day: date) -> datetime:
    """The aware instant at which `day` begins in settings.TIME_ZONE (DST-safe)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def days_between(start: date, end: date) -> int:
    """Calendar days from `start` to `end` (negative when `end` is earlier)."""
    return (end - start).days


def add_days(day: date, days: int) -> date:
    return day + timedelta(days=days)

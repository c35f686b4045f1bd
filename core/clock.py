"""The one clock. Every rule asks it for "now" so tests can move time with time-machine."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

# The first and last calendar days whose bounds are instants Python can hold in any time zone: a day's start is up to
# a day away from UTC (0001-01-01 00:00 in Paris falls in year 0 in UTC, which Python has not) and an inclusive end
# is the next day's start.
FIRST_DAY = date.min + timedelta(days=1)
LAST_DAY = date.max - timedelta(days=1)


def now() -> datetime:
    """Current instant, timezone-aware, in UTC."""
    return timezone.now()


def local_date(moment: datetime | None = None) -> date:
    """The calendar day of `moment` (default: now) in settings.TIME_ZONE."""
    return timezone.localtime(moment or now()).date()


def start_of_local_day(day: date) -> datetime:
    """The aware instant at which `day` begins in settings.TIME_ZONE (DST-safe); `day` in FIRST_DAY..LAST_DAY + 1."""
    return timezone.make_aware(datetime.combine(day, time.min))


def days_between(start: date, end: date) -> int:
    """Calendar days from `start` to `end` (negative when `end` is earlier)."""
    return (end - start).days


def add_days(day: date, days: int) -> date:
    return day + timedelta(days=days)

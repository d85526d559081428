"""Dates, timestamps with time zones, durations and business days."""

from __future__ import annotations

import datetime as dt
import re

TIMESTAMP_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
    r" ?(Z|UTC|[+-][0-9]{2}:?[0-9]{2})$"
)
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_TIMESTAMP = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) ?(?P<zone>Z|UTC|[+-]\d{2}:?\d{2})?$"
)
_DATE = re.compile(DATE_PATTERN)


MIN_YEAR, MAX_YEAR = 1900, 2200
"""Dates and timestamps outside these years are refused: no incident report needs them, and every
date sum (a due window, a review deadline) then stays far from the calendar's end."""


class BadValue(ValueError):
    """A value that looks like a date or timestamp but is not one; the message says why."""


class OutOfRange(BadValue):
    """A real date, but outside MIN_YEAR to MAX_YEAR."""


def _in_range(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise OutOfRange(f"the year {year} is outside {MIN_YEAR} to {MAX_YEAR}")


def parse_timestamp(value: object) -> dt.datetime:
    """Parse `2026-03-04T14:02:00Z`, `2026-03-04 14:02 UTC` or `...+01:00` into an aware datetime."""
    if not isinstance(value, str):
        raise BadValue("it is not a timestamp")
    match = _TIMESTAMP.match(value.strip())
    if not match:
        raise BadValue("it is not a timestamp")
    zone = match["zone"]
    if zone is None:
        raise BadValue("it has no time zone")
    zone = "+00:00" if zone in ("Z", "UTC") else zone
    if len(zone) == 5:  # +0100
        zone = zone[:3] + ":" + zone[3:]
    _in_range(int(match["date"][:4]))
    try:
        parsed = dt.datetime.fromisoformat(f"{match['date']}T{match['time']}{zone}")
    except ValueError as exc:
        raise BadValue(f"there is no such date or time ({exc})") from None
    return parsed


def parse_date(value: object) -> dt.date:
    """Parse a `YYYY-MM-DD` date."""
    if not isinstance(value, str) or not _DATE.match(value.strip()):
        raise BadValue("it is not a date")
    _in_range(int(value.strip()[:4]))
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise BadValue(f"there is no such date ({exc})") from None


def add_days(start: dt.date, days: int) -> dt.date | None:
    """`start` plus `days` calendar days, or None past the calendar's ends (never an exception)."""
    try:
        return start + dt.timedelta(days=days)
    except (OverflowError, ValueError):
        return None


def add_business_days(start: dt.date, days: int) -> dt.date | None:
    """The date `days` business days (Monday to Friday) after `start`; None past the calendar's end.
    Constant time: whole weeks first, then the days left."""
    if days <= 0:
        return start
    weeks, rest = divmod(days, 5)
    current = add_days(start, weeks * 7)
    while current is not None and rest > 0:
        current = add_days(current, 1)
        if current is not None and current.weekday() < 5:
            rest -= 1
    if current is not None and weeks and rest == 0 and current.weekday() >= 5:
        # n whole weeks after a weekend day lands on a weekend day: step back to the Friday
        current = add_days(current, -(current.weekday() - 4))
    return current


def business_days_between(start: dt.date, end: dt.date) -> int:
    """Business days from `start` to `end` (negative when `end` is earlier). Constant time."""
    if end < start:
        return -business_days_between(end, start)
    weeks, rest = divmod((end - start).days, 7)
    days = weeks * 5
    weekday = start.weekday()
    for offset in range(1, rest + 1):
        if (weekday + offset) % 7 < 5:
            days += 1
    return days


def format_duration(delta: dt.timedelta | None) -> str:
    """`1 h 05 min`, `3 d 2 h`, `12 min`; an em dash when unknown."""
    if delta is None:
        return "—"
    minutes = int(delta.total_seconds() // 60)
    if minutes < 0:
        return "—"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins:02d} min"
    return f"{mins} min"

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


class BadValue(ValueError):
    """A value that looks like a date or timestamp but is not one; the message says why."""


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
    try:
        parsed = dt.datetime.fromisoformat(f"{match['date']}T{match['time']}{zone}")
    except ValueError as exc:
        raise BadValue(f"there is no such date or time ({exc})") from None
    return parsed


def parse_date(value: object) -> dt.date:
    """Parse a `YYYY-MM-DD` date."""
    if not isinstance(value, str) or not _DATE.match(value.strip()):
        raise BadValue("it is not a date")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise BadValue(f"there is no such date ({exc})") from None


def add_business_days(start: dt.date, days: int) -> dt.date:
    """The date `days` business days (Monday to Friday) after `start`."""
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def business_days_between(start: dt.date, end: dt.date) -> int:
    """Business days from `start` to `end` (negative when `end` is earlier)."""
    if end < start:
        return -business_days_between(end, start)
    days = 0
    current = start
    while current < end:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
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

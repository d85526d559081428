"""Timeline entries: every list item (or table row) of the Timeline section starts with a time.

Accepted forms, in the time zone of `started` unless the entry names one:

    - 2026-03-04 14:02 — Deploy 4812 reaches 100% of checkout-api pods
    - 14:09 UTC — p99 latency alert pages the on-call engineer     (date of the entry before)
    - ~14:30 — The team suspects the deploy                        (approximate: `~`, `≈` or `(approx.)`)
    - 14:45 (approx.) — Rollback starts
    - 2026-03-06 — Postmortem published                            (a date only: outside the incident's days)
    | 2026-03-04 14:02 | Deploy 4812 ... |                            (a table row)

Entries before `started` are the lead-up; the checks (checks/rules.py) decide where a date-only
entry may stand. Nothing here changes the report's durations, which come from the front matter.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from handbook.core.timestamps import MAX_YEAR, MIN_YEAR

_ITEM = re.compile(r"^(?:[-*+]|\d{1,3}[.)])[ \t]+(?P<rest>.*)$")
_ROW = re.compile(r"^\|(?P<cell>[^|]*)\|(?P<rest>.*)$")
_SEPARATOR = re.compile(r"^\|?[\s:|-]+\|?$")
_APPROX = r"[~≈][ ]?"
_STAMP = re.compile(
    rf"^(?:\*\*|`)?(?P<lead>{_APPROX})?(?P<date>\d{{4}}-\d{{2}}-\d{{2}})?"
    rf"(?:(?(date)[ T])(?P<near>{_APPROX})?(?P<time>\d{{1,2}}:\d{{2}})(?::(?P<sec>\d{{2}}))?"
    r"(?:[ ]?(?P<zone>Z|UTC|[+-]\d{2}:?\d{2}))?(?P<tail>[ ]?\(approx\.?\))?)?"
    r"(?:\*\*|`)?(?=$|[\s:—–-])"
)
FORMS = ("`2026-03-04 14:02`, `14:02` (the date of the entry before), `~14:02` or `14:02 (approx.)` "
         "(approximate), or `2026-03-04` alone (before the day of `started` or after the day of `resolved`)")
"""The accepted forms, as the checks' messages name them."""


@dataclass(frozen=True, slots=True)
class Entry:
    line: int
    when: dt.datetime | None
    """None when the entry has no readable timestamp."""
    text: str
    problem: str = ""
    """Why the timestamp could not be read (empty when it could)."""
    approximate: bool = False
    """The author marked the time as approximate (`~14:02`, `≈14:02`, `14:02 (approx.)`)."""
    date_only: bool = False
    """The entry gives a day and no time; `when` is that day's midnight."""

    @property
    def day(self) -> dt.date | None:
        """The entry's date, in its own time zone."""
        return self.when.date() if self.when is not None else None


def parse_timeline(lines: list[tuple[int, str]], started: dt.datetime | None) -> list[Entry]:
    """Entries of a Timeline section; `started` gives the default date and time zone."""
    entries: list[Entry] = []
    zone = started.tzinfo if started else dt.timezone.utc
    last_date = started.date() if started else None
    header_seen = False
    for line, raw in lines:
        text = raw.strip()
        if raw[:1] in (" ", "\t") and not text.startswith("|"):
            continue  # continuation of a list item, or a nested list
        item = _ITEM.match(text)
        if item:
            rest = item.group("rest")
        else:
            row = _ROW.match(text)
            if not row:
                continue
            if _SEPARATOR.match(text):
                header_seen = True
                continue
            if not header_seen:  # the header row of a table names its columns
                continue
            rest = row.group("cell").strip() + " " + row.group("rest").strip().rstrip("|")
        entry = _entry(line, rest.strip(), zone, last_date)
        if entry.when is not None:
            last_date = entry.when.date()
            zone = entry.when.tzinfo or zone
        entries.append(entry)
    return entries


def _entry(line: int, rest: str, zone: dt.tzinfo | None, last_date: dt.date | None) -> Entry:
    match = _STAMP.match(rest)
    if not match or not (match.group("date") or match.group("time")):
        return Entry(line, None, rest, "it does not start with a time in a form the handbook reads")
    text = rest[match.end():].lstrip(" :—–-\t")
    day = match.group("date")
    if day is None and last_date is None:
        return Entry(line, None, text, "it has a time but no date, and there is no date before it")
    approximate = bool(match.group("lead") or match.group("near") or match.group("tail"))
    try:
        date = dt.date.fromisoformat(day) if day else last_date
        if date is not None and not MIN_YEAR <= date.year <= MAX_YEAR:
            return Entry(line, None, text, f"its year {date.year} is outside {MIN_YEAR} to {MAX_YEAR}")
        if match.group("time") is None:
            when = dt.datetime.combine(date, dt.time(), tzinfo=zone)  # type: ignore[arg-type]
            return Entry(line, when, text, approximate=approximate, date_only=True)
        hour, minute = (int(x) for x in match.group("time").split(":"))
        second = int(match.group("sec") or 0)
        tz = _zone(match.group("zone")) or zone
        when = dt.datetime.combine(date, dt.time(hour, minute, second), tzinfo=tz)  # type: ignore[arg-type]
    except (ValueError, OverflowError) as exc:
        return Entry(line, None, text, f"its time is impossible ({exc})")
    return Entry(line, when, text, approximate=approximate)


def _zone(name: str | None) -> dt.tzinfo | None:
    if not name:
        return None
    if name in ("Z", "UTC"):
        return dt.timezone.utc
    sign = 1 if name[0] == "+" else -1
    digits = name[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))

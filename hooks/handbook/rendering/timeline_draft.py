"""Chat messages as a draft of a report's timeline, in the entry forms `reading/timeline.py` reads.

    Times are Europe/Berlin (+02:00).

    - 2026-10-05 09:07 — Ada Moreau: Error rate is up on checkout-api
    - 09:12 — PagerDuty: Triggered: checkout-api 5xx above 2%
    - 09:15 — Kwame Mensah (in thread): Rolling back 4812 now

The first entry, and the first of each new day, gives the date; the others the time only. An entry
names its zone (`09:07 UTC`, `09:07 +02:00`) only where the reader would otherwise read it in
another one: the reader takes the zone of `started`, or of the last entry that named one, so the
draft names it on its first entry when that zone is not known (no report given), and wherever
daylight saving time changes the offset.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from handbook.reading.slack_export import Message

THREAD_MARK = " (in thread)"
"""After the author of a thread reply."""


@dataclass(frozen=True, slots=True)
class Zone:
    """The zone the times are written in, and its name for the sentence above the entries."""

    tz: dt.tzinfo
    name: str
    """`UTC`, an IANA name (`Europe/Berlin`), or `UTC+02:00` for a fixed offset."""


def offset_text(offset: dt.timedelta | None) -> str:
    """`UTC` for no offset, else `+02:00` / `-05:30`: the suffixes the timeline reader accepts."""
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def zone_sentence(zone: Zone, messages: Sequence[Message]) -> str:
    """`Times are UTC.`, `Times are UTC+02:00.` or `Times are Europe/Berlin (+02:00).` (with each
    offset the messages fall in, when daylight saving time changes during them)."""
    if zone.name in ("UTC", "Etc/UTC") and not any(m.when.astimezone(zone.tz).utcoffset() for m in messages):
        return "Times are UTC."
    offsets: list[str] = []
    for message in messages:
        text = offset_text(message.when.astimezone(zone.tz).utcoffset())
        if text not in offsets:
            offsets.append(text)
    if zone.name.startswith("UTC") or not offsets:
        return f"Times are {zone.name}."
    return f"Times are {zone.name} ({', then '.join(offsets).replace('UTC', '+00:00')})."


def entry_lines(messages: Sequence[Message], zone: Zone, assumed: dt.timedelta | None = None) -> list[str]:
    """One `- date time — Author: text` line per message, in the order given.

    `assumed` is the offset the reader will read a time without a zone in (None: not known, so the
    first entry names its zone). The first entry always gives its date, so the draft reads right
    after any entry it is pasted below."""
    lines: list[str] = []
    current = assumed
    previous_day: dt.date | None = None
    for message in messages:
        local = message.when.astimezone(zone.tz)
        offset = local.utcoffset()
        stamp = local.strftime("%H:%M")
        if previous_day != local.date():
            stamp = f"{local.date().isoformat()} {stamp}"
        if current is None or offset != current:
            stamp = f"{stamp} {offset_text(offset)}"
            current = offset
        previous_day = local.date()
        mark = THREAD_MARK if message.thread_reply else ""
        lines.append(f"- {stamp} — {message.author}{mark}: {message.text}")
    return lines

"""calendar.ics: the deadlines of one build's reports as an iCalendar file people subscribe to.

Each `queries.deadlines.Deadline` becomes an all-day event. Its UID is made from the report's id,
the item's id and the kind of deadline, never from the date: when a due date is edited, a calendar
app that subscribed updates the event it already has instead of adding a second one. The file is
written by the icalendar library (escaping, line folding, CRLF line endings), and it holds only
the reports the build was given: a report the audience may not read leaves nothing here.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from icalendar import Calendar, Event, vText
from icalendar.enums import TRANSP

from handbook.core.paths import stable_name
from handbook.core.text import clip, drop_bad
from handbook.queries.deadlines import Deadline
from handbook.rendering.report_page import action_anchor
from handbook.rendering.routes import report_url

PRODID = "-//Postmortem handbook//calendar.ics//EN"
DEFAULT_HOST = "postmortem-handbook"
"""The right-hand side of every UID when the site has no `site_url` to take a host name from."""
SUMMARY_ACTION = 80
"""Characters of an action item's description at most in an event's title (the description has it all)."""


_BREAKS = str.maketrans(dict.fromkeys("\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029", "\n"))
"""Every character a reader may split lines on (Python's `str.splitlines` splits on all of them)."""


class IcsText(vText):
    """A TEXT value escaped as RFC 5545 says and no more (icalendar's own escaping reads `\\N` as a line
    break), with every other line separator written as a line break, so no reader sees a new line that
    starts a property."""

    def to_ical(self) -> bytes:
        """Return the value escaped: backslash, `;`, `,` and each line break."""
        text = _lines(str(self))
        return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
                .replace("\n", "\\n").encode("utf-8"))


def ics_text(value: str, *, one_line: bool = False) -> IcsText:
    """Return `value` as a TEXT value; with `one_line`, its line breaks as spaces (an event's title)."""
    return IcsText(" ".join(_lines(value).split("\n")) if one_line else value)


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n").translate(_BREAKS)


def uid_host(site_url: str) -> str:
    """What follows the `@` of every UID: the site's host name, else `DEFAULT_HOST`."""
    return (urlsplit(site_url).hostname or DEFAULT_HOST) if site_url else DEFAULT_HOST


def event_uid(deadline: Deadline, host: str, taken: set[str] | None = None) -> str:
    """`inc-2026-003.ai-2.due@host`, `inc-2026-003.review@host`: the report's id, the item's id and
    the kind, the same in every build whatever the date. A UID already in `taken` gets `-2`, `-3`…
    (two reports with one id, or two items: refused by validation, but a build that is not strict,
    `mkdocs serve`, still writes the calendar); the UID returned is added to `taken`."""
    parts = [deadline.report.id, *([deadline.item.id] if deadline.item is not None else []), deadline.kind]
    local = ".".join(stable_name(part) for part in parts)
    uid, n = f"{local}@{host}", 2
    while taken is not None and uid in taken:
        uid, n = f"{local}-{n}@{host}", n + 1
    if taken is not None:
        taken.add(uid)
    return uid


def summary(deadline: Deadline) -> str:
    """The event's title: "INC-2026-003 AI-2 due: <the action, clipped>", "INC-2026-003 review meeting due"."""
    item = deadline.item
    if item is None:
        return f"{deadline.report.id} {deadline.label}"
    what = f"{deadline.report.id} {item.id} {deadline.label}"
    return f"{what}: {clip(item.description, SUMMARY_ACTION)}" if item.description else what


def report_link(deadline: Deadline, site_url: str) -> str:
    """The address of the report's page (at the item's block for an action item): absolute when the
    site has a `site_url`, else relative to the calendar, which sits at the site's root."""
    page = report_url(site_url, deadline.report.key) if site_url else f"incidents/{deadline.report.key}/"
    return f"{page}#{action_anchor(deadline.item.id)}" if deadline.item is not None else page


def description(deadline: Deadline, link: str) -> str:
    """The event's notes: the action in full, the report, the owner and the link to the report."""
    report, item = deadline.report, deadline.item
    lines = [f"{item.id}: {item.description}"] if item is not None and item.description else []
    lines += [f"Report: {report.id}: {report.title}", f"Owner: {deadline.owner or 'not known'}", link]
    return "\n".join(lines)


def calendar_ics(deadlines: list[Deadline], site_url: str, site_name: str, today: dt.date) -> bytes:
    """The iCalendar file of `deadlines`, one all-day event each, in the order given."""
    calendar = Calendar()
    calendar.prodid = PRODID
    calendar.version = "2.0"
    # Site-wide text was not cleaned at reading, as report text was: no control character is written.
    name = drop_bad(site_name) or "Postmortem handbook"
    title = ics_text(f"{name}: review meetings and action items due", one_line=True)
    about = ics_text(f"Review meetings due and the due dates of open action items, from the incident reports of "
                     f"{name}.", one_line=True)
    for key, value in (("description", about), ("x-wr-caldesc", about), ("name", title), ("x-wr-calname", title)):
        calendar.add(key, value)  # what icalendar's calendar_name and description write, escaped as IcsText
    # DTSTAMP is when the event was written. The wall clock would change every event at every build,
    # and the site would never build the same twice: it is the start of the build's "today"
    # (`settings.today`, HANDBOOK_TODAY or the plugin's `today`), in UTC, instead.
    stamp = dt.datetime.combine(today, dt.time(0, 0), tzinfo=dt.timezone.utc)
    host = uid_host(site_url)
    taken: set[str] = set()
    for deadline in deadlines:
        link = report_link(deadline, site_url)
        calendar.add_component(Event.new(
            uid=event_uid(deadline, host, taken),
            stamp=stamp,
            start=deadline.date,
            end=deadline.date + dt.timedelta(days=1),  # all day: DATE values, the end excluded
            summary=ics_text(summary(deadline), one_line=True),
            description=ics_text(description(deadline, link)),
            url=link if site_url else None,  # URL must be absolute; without site_url the notes have the path
            transparency=TRANSP.TRANSPARENT,  # a reminder, not a meeting: it does not make anyone busy
        ))
    return calendar.to_ical()

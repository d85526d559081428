"""The postmortem model: a report, its action items and its contributing factors.

Built from front matter that may be incomplete (a draft) or wrong (a broken file under
`mkdocs serve`): every accessor copes with missing or mistyped values, so a page can
always be drawn and no action item is ever dropped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from handbook.core.paths import path_key, stable_name
from handbook.core.problems import Problem
from handbook.core.timestamps import BadValue, parse_date, parse_timestamp
from handbook.reading.durations import BY_KEY
from handbook.reading.links import Link
from handbook.reading.sections import Body
from handbook.reading.taxonomy import LONG_TERM, NOT_STATED, is_long_term, is_not_stated
from handbook.reading.source import line_of
from handbook.reading.timeline import Entry

TIMESTAMP_FIELDS = ("started", "detected", "mitigated", "impact_ended", "resolved")
"""The report's timestamps, in the order they must keep (`impact_ended` is optional)."""
TIMESTAMPS_NOT_STATED = ("detected", "mitigated")
"""The timestamps a source often does not give (a public write-up of someone else's outage): `not stated`
is accepted for these, and every duration that needs one reads "not known". The start and the end of
an incident are what makes it one, so `started` and `resolved` are always required."""


def text(value: Any) -> str:
    """A front matter value as display text ('' when missing)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {text(v)}" for k, v in value.items())
    return str(value)


def texts(value: Any) -> list[str]:
    """A front matter list of names as a list of text (a lone value becomes a list of one)."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [text(v) for v in value if v is not None and text(v)]
    return [text(value)]


def _timestamp(value: Any) -> dt.datetime | None:
    try:
        return parse_timestamp(value)
    except BadValue:
        return None


@dataclass(slots=True)
class ActionItem:
    report_id: str
    index: int
    """Position in the report's list, from 0."""
    line: int
    raw: dict[str, Any]
    open: bool

    @property
    def id(self) -> str:
        """The item's id, or `#n` (its position in the list) when it has none."""
        return text(self.raw.get("id")) or f"#{self.index + 1}"

    @property
    def description(self) -> str:
        """What will be done."""
        return text(self.raw.get("description"))

    @property
    def owner(self) -> str:
        """The one person who owns the item (`not stated` as written in handbook.yml when so stated)."""
        return self._stated("owner")

    @property
    def priority(self) -> str:
        """The priority id (P1…), or `not stated`."""
        return self._stated("priority")

    def _stated(self, key: str) -> str:
        value = self.raw.get(key)
        return NOT_STATED if is_not_stated(value) else text(value)

    def not_stated(self, key: str) -> bool:
        """Whether the report says explicitly that no source gives `key` (`due: not stated`)."""
        return is_not_stated(self.raw.get(key))

    @property
    def category(self) -> str:
        """The category id (prevent, detect, mitigate, process)."""
        return text(self.raw.get("category"))

    @property
    def verification(self) -> str:
        """What will be observed when the item is done."""
        return text(self.raw.get("verification"))

    @property
    def status(self) -> str:
        """The action status id (`open` when missing)."""
        return text(self.raw.get("status")) or "open"

    @property
    def ticket(self) -> str:
        """The tracker link, when there is one."""
        return text(self.raw.get("ticket"))

    @property
    def due(self) -> dt.date | None:
        """The due date, or None when missing or not a date."""
        try:
            return parse_date(self.raw.get("due"))
        except BadValue:
            return None

    @property
    def done_on(self) -> dt.date | None:
        """The day the item was done (`done:`), or None when not given or not a date."""
        try:
            return parse_date(self.raw.get("done"))
        except BadValue:
            return None

    @property
    def long_term(self) -> bool:
        """Whether the item is due `long-term`: no date, never overdue."""
        return is_long_term(self.raw.get("due"))

    @property
    def due_text(self) -> str | None:
        """The due date as pages show it: YYYY-MM-DD, `not stated`, `long-term`, the text as written, or None."""
        due = self.due
        if due:
            return due.isoformat()
        return LONG_TERM if self.long_term else self._stated("due") or None


@dataclass(frozen=True, slots=True)
class Factor:
    layer: str
    description: str
    line: int


@dataclass
class Report:
    """One postmortem file, as far as it could be read."""

    path: Path
    rel: str
    """Path relative to the project root, forward slashes."""
    data: dict[str, Any]
    """Front matter ({} when unreadable)."""
    body: str
    body_line: int
    parsed_body: Body | None = None
    timeline: list[Entry] = field(default_factory=list)
    actions: list[ActionItem] = field(default_factory=list)
    factors: list[Factor] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    parsed: bool = True
    """False when the front matter could not be parsed at all."""
    lines: dict[tuple, int] = field(default_factory=dict)
    """Line of each front matter key and list item, by its path."""
    enforced: bool = True
    """Whether the rules are enforced (problems are errors): False while the report's status lets
    problems be warnings (a draft)."""
    visibility: str = ""
    """Who may read it: the declared value, or the taxonomy's default for its tags."""
    summary: str = ""
    """The Summary section as one line of plain text."""
    body_links: list[Link] = field(default_factory=list)
    """The body's relative links and images (`reading.links`), checked and rewritten against the
    repository's files by the collection and the site."""
    withheld: tuple[str, ...] = ()
    """In a view for one audience (`reading.parts.view_for`): the front matter fields taken out, which
    pages leave out rather than show as not known."""
    shown_parts: tuple[tuple[int, int, str], ...] = ()
    """In a view: the stretches of the body (first and last line index, level) kept for a narrower
    audience than the report's, which this reader may read."""

    # -- identity ------------------------------------------------------------------------
    @property
    def id(self) -> str:
        """The report's id, as written (empty when missing)."""
        value = self.data.get("id")
        return value if isinstance(value, str) and value.strip() else ""

    @property
    def key(self) -> str:
        """Where the report's page lives (`incidents/<key>/`): its id when that is safe as a file
        name, else a name made from its file's (a report whose id is missing or malformed still
        gets a page, under `mkdocs serve`, and never one outside the site)."""
        return path_key(self.id) or path_key(self.path.stem) or stable_name(self.path.stem or "report")

    @property
    def title(self) -> str:
        """The report's title."""
        return text(self.data.get("title")) or self.path.stem

    @property
    def severity(self) -> str:
        """The severity id (SEV1…)."""
        return text(self.data.get("severity"))

    @property
    def status(self) -> str:
        """The status id (draft, in-review, reviewed, closed)."""
        return text(self.data.get("status"))

    @property
    def owner(self) -> str:
        """The report's owner."""
        return text(self.data.get("owner"))

    @property
    def services(self) -> list[str]:
        """The affected services."""
        return texts(self.data.get("services"))

    @property
    def tags(self) -> list[str]:
        """The report's tags."""
        return texts(self.data.get("tags"))

    @property
    def authors(self) -> list[str]:
        """Who wrote the report."""
        return texts(self.data.get("authors"))

    @property
    def related(self) -> list[str]:
        """Ids of related reports."""
        return texts(self.data.get("related"))

    @property
    def roles(self) -> dict[str, list[str]]:
        """Role id -> the people in it (a single name becomes a list of one)."""
        roles = self.data.get("roles")
        return {str(k): texts(v) for k, v in roles.items()} if isinstance(roles, dict) else {}

    @property
    def impact(self) -> dict[str, Any]:
        """The `impact` mapping ({} when missing or not a mapping)."""
        impact = self.data.get("impact")
        return impact if isinstance(impact, dict) else {}

    @property
    def kind(self) -> str:
        """The `kind` as written ("" when the report does not say: the taxonomy's first kind)."""
        return text(self.data.get("kind"))

    @property
    def severity_estimated(self) -> bool:
        """Whether the severity is an estimate (`severity_estimated: true`)."""
        return self.data.get("severity_estimated") is True

    @property
    def severity_label(self) -> str:
        """The source's own severity label, or ""."""
        return text(self.data.get("severity_label"))

    @property
    def references(self) -> list[dict[str, str]]:
        """The `references` as {"text", "url"} ("" when a reference has no address)."""
        found = []
        for item in self.data.get("references") or []:
            if isinstance(item, dict):
                found.append({"text": text(item.get("text")), "url": text(item.get("url"))})
            elif item is not None:
                found.append({"text": text(item), "url": ""})
        return [r for r in found if r["text"]]

    @property
    def links(self) -> dict[str, Any]:
        """The `links` mapping ({} when missing or not a mapping)."""
        links = self.data.get("links")
        return links if isinstance(links, dict) else {}

    # -- time ----------------------------------------------------------------------------
    @cached_property
    def started(self) -> dt.datetime | None:
        """When impact started, or None when unknown or unreadable."""
        return _timestamp(self.data.get("started"))

    @cached_property
    def detected(self) -> dt.datetime | None:
        """When the incident was detected, or None."""
        return _timestamp(self.data.get("detected"))

    @cached_property
    def mitigated(self) -> dt.datetime | None:
        """When customer impact ended, or None."""
        return _timestamp(self.data.get("mitigated"))

    @cached_property
    def resolved(self) -> dt.datetime | None:
        """When the incident was resolved, or None."""
        return _timestamp(self.data.get("resolved"))

    @property
    def review_meeting(self) -> dt.date | None:
        """The day of the review meeting (`review_meeting:`), or None when not given or not a date."""
        try:
            return parse_date(self.data.get("review_meeting"))
        except BadValue:
            return None

    @property
    def effectiveness(self) -> dict[str, Any]:
        """`effectiveness_review:` as written ({} when absent): held, outcome, measured, follow_up."""
        value = self.data.get("effectiveness_review")
        return value if isinstance(value, dict) else {}

    @property
    def date(self) -> dt.date | None:
        """The day the incident started, in its own time zone."""
        started = self.started
        return started.date() if started else None

    @property
    def time_to_detect(self) -> dt.timedelta | None:
        """See `durations.DURATIONS`; None when a timestamp it needs is unknown."""
        return self.duration("time_to_detect")

    @property
    def time_to_mitigate(self) -> dt.timedelta | None:
        """See `durations.DURATIONS`; None when a timestamp it needs is unknown."""
        return self.duration("time_to_mitigate")

    @property
    def time_to_resolve(self) -> dt.timedelta | None:
        """See `durations.DURATIONS`; None when a timestamp it needs is unknown."""
        return self.duration("time_to_resolve")

    @property
    def impact_duration(self) -> dt.timedelta | None:
        """Customer impact (see `durations.DURATIONS`); None when unknown."""
        return self.duration("customer_impact")

    @cached_property
    def impact_ended(self) -> dt.datetime | None:
        """When customer impact ended, when the report says so apart from `mitigated`, or None."""
        return _timestamp(self.data.get("impact_ended"))

    def duration(self, key: str) -> dt.timedelta | None:
        """The duration `key` of `durations.DURATIONS`, from this report's timestamps (each read once:
        the lists and metrics ask for thousands of durations)."""
        spec = BY_KEY[key]
        start = self._moment(spec.start)
        end = next((t for t in (self._moment(name) for name in spec.ends) if t is not None), None)
        return _span(start, end)

    def _moment(self, name: str) -> dt.datetime | None:
        """The timestamp `name` of the front matter, or None (its property's value, for the report's own)."""
        return getattr(self, name) if name in TIMESTAMP_FIELDS else _timestamp(self.data.get(name))

    def release_content(self) -> None:
        """Drop the text and parse trees once the pages are written: a build keeps thousands."""
        self.body = ""
        self.parsed_body = None
        self.timeline = []
        self.lines = {}

    def slim(self) -> "Report":
        """A copy with only what problems and the checks between reports need (id, status,
        related, their lines, the body's links): cheap to send from a worker process."""
        keep: dict[str, Any] = {k: self.data[k] for k in ("id", "status", "related", "title") if k in self.data}
        lines = {p: n for p, n in self.lines.items() if not p or p[0] in ("id", "related")}
        return Report(path=self.path, rel=self.rel, data=keep, body="", body_line=self.body_line,
                      problems=self.problems, parsed=self.parsed, lines=lines, enforced=self.enforced,
                      visibility=self.visibility, body_links=self.body_links)

    def line_of(self, path: tuple) -> int:
        """The file line of the front matter key or item at `path` (its nearest known parent's otherwise)."""
        return line_of(self.lines, path)

    @property
    def open_actions(self) -> list[ActionItem]:
        """The action items still open."""
        return [a for a in self.actions if a.open]


def _span(start: dt.datetime | None, end: dt.datetime | None) -> dt.timedelta | None:
    if start is None or end is None or end < start:
        return None
    return end - start

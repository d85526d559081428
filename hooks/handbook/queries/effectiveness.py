"""Effectiveness reviews: when each report's is due, and where it stands.

Some weeks after the fixes are in, someone checks that they work and records what was measured.
The clock starts on the day the last fix was done: the latest `done:` date of the action items in
handbook.yml's `effectiveness_reviews.categories` (prevent and detect). A report with no such item
starts it on its review meeting (`review_meeting:`). The window, [due from, late after] in days from
that start, is its severity's `effectiveness_review_days`. Nothing is guessed: a start the report
does not give is `start_unknown`, with what the author can add to give it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum

from handbook.core.timestamps import BadValue, add_days, parse_date
from handbook.reading.model import Report
from handbook.reading.taxonomy import Outcome, Taxonomy


class State(Enum):
    HELD = "held"
    """Held: its outcome is recorded."""
    WAITING = "waiting"
    """Fixes it waits for are still open."""
    START_UNKNOWN = "start-unknown"
    """The fixes are in, but the report does not say when (an item without `done:`, no `review_meeting:`)."""
    SCHEDULED = "scheduled"
    """Its window has not opened yet."""
    DUE = "due"
    """Inside its window."""
    LATE = "late"
    """Past its window and not held."""


@dataclass(slots=True)
class Effectiveness:
    """One report's effectiveness review."""

    report: Report
    state: State
    due_from: dt.date | None = None
    due_by: dt.date | None = None
    started: dt.date | None = None
    """The clock's start: the last fix done, or the review meeting."""
    from_meeting: bool = False
    """The clock started at the review meeting (the report has no prevent or detect item)."""
    waiting_for: list[str] = field(default_factory=list)
    """Ids of the open items it waits for (WAITING), or of the done items without `done:` (START_UNKNOWN)."""
    held: dt.date | None = None
    outcome: Outcome | None = None
    measured: str = ""
    follow_up: list[str] = field(default_factory=list)

    def days_late(self, today: dt.date) -> int:
        """Days past the window on `today` (0 unless LATE)."""
        return (today - self.due_by).days if self.state is State.LATE and self.due_by else 0


def effectiveness(report: Report, tax: Taxonomy, today: dt.date) -> Effectiveness | None:
    """Where `report`'s effectiveness review stands on `today`; None when it has none: not one of the
    organisation's own incidents, not reviewed yet, or of a severity without a window."""
    status = tax.status(report.status)
    severity = tax.severity(report.severity)
    if not tax.kind(report.kind).counted or status is None or not status.reviewed or severity is None:
        return None
    window = severity.effectiveness_review_days
    written = report.effectiveness
    held = _date(written.get("held"))
    if window is None and held is None:
        return None
    if held is not None:
        follow_up = written.get("follow_up")
        return Effectiveness(report, State.HELD, held=held, outcome=tax.outcome(_text(written.get("outcome"))),
                             measured=_text(written.get("measured")),
                             follow_up=[str(i) for i in follow_up] if isinstance(follow_up, list) else [])
    assert window is not None
    reviews = tax.effectiveness_reviews
    fixes = [a for a in report.actions if a.category in reviews.categories
             and (a.open or a.status in reviews.done_statuses)]
    still_open = [a.id for a in fixes if a.open]
    if still_open:
        return Effectiveness(report, State.WAITING, waiting_for=still_open)
    if fixes:
        undated = [a.id for a in fixes if a.done_on is None]
        if undated:
            return Effectiveness(report, State.START_UNKNOWN, waiting_for=undated)
        started: dt.date | None = max(a.done_on for a in fixes if a.done_on is not None)
    else:
        started = report.review_meeting
        if started is None:
            return Effectiveness(report, State.START_UNKNOWN)
    assert started is not None
    due_from, due_by = add_days(started, window[0]), add_days(started, window[1])
    if due_from is None or due_by is None:
        return Effectiveness(report, State.START_UNKNOWN, started=started)
    state = State.SCHEDULED if today < due_from else State.DUE if today <= due_by else State.LATE
    return Effectiveness(report, state, due_from=due_from, due_by=due_by, started=started, from_meeting=not fixes)


def scheduled_reviews(reports: list[Report], tax: Taxonomy) -> list[Effectiveness]:
    """The effectiveness reviews with a window (not held, not waiting for a fix, their start known),
    whatever the day: their dates do not depend on it."""
    found = (effectiveness(r, tax, dt.date.min) for r in reports)  # any day gives the same window
    return [e for e in found if e is not None and e.due_from is not None]


def reviews_due(reports: list[Report], tax: Taxonomy, today: dt.date) -> list[Effectiveness]:
    """The effectiveness reviews due or late on `today`, the latest first (most days past its window)."""
    found = [e for e in (effectiveness(r, tax, today) for r in reports) if e and e.state in (State.DUE, State.LATE)]
    return sorted(found, key=lambda e: (e.due_by or today, e.report.key))


def held_reviews(reports: list[Report], tax: Taxonomy, today: dt.date) -> list[Effectiveness]:
    """The effectiveness reviews held, with their outcomes."""
    return [e for e in (effectiveness(r, tax, today) for r in reports) if e and e.state is State.HELD]


def _date(value: object) -> dt.date | None:
    try:
        return parse_date(value)
    except BadValue:
        return None


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""

"""Dated deadlines, as plain data: what the calendar (calendar.ics) shows as all-day events.

These are the review meetings due, the due dates of open action items and the effectiveness reviews
due. Another kind of deadline is one more function here returning `Deadline`s, added to `deadlines`:
the calendar writes every deadline it is given, whatever its kind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from handbook.queries.effectiveness import scheduled_reviews
from handbook.queries.worklists import open_items, review_deadline
from handbook.reading.model import ActionItem, Report
from handbook.reading.taxonomy import Taxonomy


@dataclass(frozen=True, slots=True)
class Deadline:
    """One thing to be done by a day, for one report (and one of its action items, when `item` is set)."""

    kind: str
    """What is due, as a short stable word: `review` (the report's review meeting), `due` (an action
    item) or `effectiveness` (the report's effectiveness review). It is part of the event's UID, so a calendar app sees the same event from build to build:
    never rename a kind."""
    label: str
    """What is due, as a calendar entry says it: "review meeting due", "due", "effectiveness review due (by …)"."""
    date: dt.date
    report: Report
    item: ActionItem | None = None

    @property
    def owner(self) -> str:
        """Who holds it: the item's owner, else the report's ("" when the report does not say)."""
        return self.item.owner if self.item is not None else self.report.owner


def review_meetings(reports: list[Report], tax: Taxonomy) -> list[Deadline]:
    """Each report still waiting for its review meeting, on its review deadline (the review queue's
    own computation, `worklists.review_deadline`), however far off or late that day is."""
    found = []
    for report in reports:
        day = review_deadline(report, tax)
        if day is not None:
            found.append(Deadline("review", "review meeting due", day, report))
    return found


def action_items_due(reports: list[Report], tax: Taxonomy) -> list[Deadline]:
    """Each open action item with a due date, on that date. An item due `not stated` or `long-term`
    (or with no date at all) has no day to be shown on."""
    return [Deadline("due", "due", o.item.due, o.report, o.item)
            for o in open_items(reports, tax) if o.item.due is not None]


def effectiveness_reviews_due(reports: list[Report], tax: Taxonomy) -> list[Deadline]:
    """Each effectiveness review not yet held whose window is known, on the window's first day (the
    review queue lists it from then on, and late after its last day, which the label gives)."""
    return [Deadline("effectiveness", f"effectiveness review due (by {e.due_by.isoformat()})", e.due_from, e.report)
            for e in scheduled_reviews(reports, tax) if e.due_from is not None and e.due_by is not None]


def deadlines(reports: list[Report], tax: Taxonomy) -> list[Deadline]:
    """Every deadline of `reports`, by date, then report, kind and item: the order the calendar lists
    them in, the same in every build. Give it the reports one audience may read and that count as
    ours (`audience.counted`): the calendar holds nothing else. Reports without an id are left out,
    as from incidents.json: an event's UID is made from the id."""
    found = [*review_meetings(reports, tax), *action_items_due(reports, tax), *effectiveness_reviews_due(reports, tax)]
    return sorted((d for d in found if d.report.id),
                  key=lambda d: (d.date, d.report.key, d.kind, d.item.index if d.item is not None else -1))

"""What needs doing, as plain data: open action items by due date, and reports due for review.

The action items page, the review queue, service pages and the Slack digest all ask these
questions; none of the answers holds HTML or Markdown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from handbook.core.timestamps import add_business_days, add_days, business_days_between
from handbook.reading.model import ActionItem, Report
from handbook.reading.taxonomy import Taxonomy

SOON_DAYS = 14
"""Open items due within this many days are "due soon"."""


def newest_first(reports: list[Report]) -> list[Report]:
    """Reports by start, newest first (reports without a start last, by key)."""
    epoch = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    return sorted(reports, key=lambda r: (r.started or epoch, r.key), reverse=True)


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An action item still open, with the report it belongs to."""

    report: Report
    item: ActionItem


def days_overdue(item: ActionItem, today: dt.date) -> int | None:
    """How many days an open item is past its due date on `today` (None when it is not overdue)."""
    return (today - item.due).days if item.open and item.due and item.due < today else None


def open_items(reports: list[Report], tax: Taxonomy) -> list[OpenItem]:
    """Every open action item, most urgent first: by due date (so the most overdue lead), then by
    priority in handbook.yml's order; undated items last, and unknown priorities after known ones."""
    items = [OpenItem(r, a) for r in reports for a in r.actions if a.open]
    rank = {p.id: n for n, p in enumerate(tax.priorities)}
    far, unranked = dt.date.max, len(rank)
    return sorted(items, key=lambda o: (o.item.due or far, rank.get(o.item.priority, unranked), o.report.key,
                                        o.item.index))


@dataclass(frozen=True, slots=True)
class OwnerLoad:
    """One owner's open items (`name` None: items whose owner the report does not give)."""

    name: str | None
    items: list[OpenItem]
    overdue: int
    oldest_days: int | None
    """Days the owner's most overdue item is late (None when nothing is overdue)."""


def by_owner(items: list[OpenItem], today: dt.date) -> list[OwnerLoad]:
    """Open items per owner, the most behind first: most overdue items, then the oldest, then the most
    open, then by name. Each owner's items keep the order they were given in."""
    grouped: dict[str | None, list[OpenItem]] = {}
    for o in items:
        grouped.setdefault(o.item.owner or None, []).append(o)
    loads = []
    for name, owned in grouped.items():
        late = [d for d in (days_overdue(o.item, today) for o in owned) if d is not None]
        loads.append(OwnerLoad(name, owned, len(late), max(late) if late else None))
    return sorted(loads, key=lambda w: (-w.overdue, -(w.oldest_days or 0), -len(w.items),
                                        (w.name or "").lower(), w.name is None))


def group_by_due(items: list[OpenItem], today: dt.date) -> dict[str, list[OpenItem]]:
    """Open items as overdue, due in the next 14 days, later, and without a due date."""
    groups: dict[str, list[OpenItem]] = {"overdue": [], "soon": [], "later": [], "undated": []}
    horizon = add_days(today, SOON_DAYS) or today
    for o in items:
        due = o.item.due
        key = "undated" if due is None else "overdue" if due < today else "soon" if due <= horizon else "later"
        groups[key].append(o)
    return groups


@dataclass(frozen=True, slots=True)
class ReviewDue:
    """A report whose review meeting is due, with its deadline and the business days left (< 0: late)."""

    report: Report
    deadline: dt.date
    business_days_left: int


def review_deadline(report: Report, tax: Taxonomy) -> dt.date | None:
    """The day `report`'s review meeting is due: its resolution plus its severity's business days
    (handbook.yml). None when no meeting is awaited: the report is reviewed already, its status or
    severity is unknown, the severity needs no review, or it is not resolved yet. The review queue
    and the calendar both ask this; it is computed here only."""
    status = tax.status(report.status)
    severity = tax.severity(report.severity)
    if status is None or status.reviewed or severity is None or report.resolved is None:
        return None
    if severity.review_deadline_business_days is None:
        return None
    # None past the calendar's end: impossible for a real report, refused at reading
    return add_business_days(report.resolved.date(), severity.review_deadline_business_days)


def review_queue(reports: list[Report], tax: Taxonomy, today: dt.date) -> list[ReviewDue]:
    """Unreviewed reports whose review deadline has passed or is within the warning window."""
    queue = []
    for r in reports:
        deadline = review_deadline(r, tax)
        if deadline is None:
            continue
        left = business_days_between(today, deadline)
        if left <= tax.rules.review_warning_business_days:
            queue.append(ReviewDue(r, deadline, left))
    return sorted(queue, key=lambda d: (d.deadline, d.report.key))

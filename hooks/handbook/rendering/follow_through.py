"""An effectiveness review as people read it: a short badge and one sentence, the same on the report's
page, the review queue and in Slack's digest (queries.effectiveness says where it stands)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from handbook.queries.effectiveness import Effectiveness, State


def _ids(ids: list[str]) -> str:
    return ids[0] if len(ids) == 1 else ", ".join(ids[:-1]) + " and " + ids[-1]


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def effectiveness_view(e: Effectiveness, today: dt.date) -> dict[str, Any]:
    """`e` as plain data for the templates: `state` (a CSS modifier), `badge` and `text`; `measured` and
    `follow_up` for a review held."""
    view: dict[str, Any] = {"state": e.state.value, "measured": None, "follow_up": None}
    if e.state is State.HELD:
        outcome = e.outcome.name if e.outcome else "outcome not known"
        view.update(badge=outcome, text=f"Effectiveness review held {e.held.isoformat() if e.held else ''}.",
                    measured=e.measured or None, follow_up=_ids(e.follow_up) if e.follow_up else None,
                    working=bool(e.outcome and e.outcome.working))
    elif e.state is State.WAITING:
        view.update(badge="waiting", text=f"Effectiveness review: its clock starts when {_ids(e.waiting_for)} "
                                          f"{'is' if len(e.waiting_for) == 1 else 'are'} done.")
    elif e.state is State.START_UNKNOWN:
        missing = (f"the day {_ids(e.waiting_for)} {'was' if len(e.waiting_for) == 1 else 'were'} done (`done:`)"
                   if e.waiting_for else "the day of the review meeting (`review_meeting:`)")
        view.update(badge="not known", text=f"Effectiveness review: when it is due is not known; the report does "
                                            f"not give {missing}.")
    elif e.state is State.SCHEDULED:
        since = "review meeting on" if e.from_meeting else "fixes in on"
        view.update(badge="scheduled", text=f"Effectiveness review due from {_date(e.due_from)} to {_date(e.due_by)} "
                                            f"({since} {_date(e.started)}).")
    elif e.state is State.DUE:
        view.update(badge="due", text=f"Effectiveness review due by {_date(e.due_by)}.")
    else:  # short, to share the header's line with the overdue items: the review queue gives the dates
        view.update(badge="late", text=f"Effectiveness review {_days(e.days_late(today))} late.")
    return view


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else "not known"

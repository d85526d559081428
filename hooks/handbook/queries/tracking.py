"""Which action items the issue tracker should hold, and which of them it holds already (plain data).

`handbook sync github` opens an issue for each item that `untracked` returns and reads back the
state of each issue `linked` returns. Only the organisation's own incidents are tracked (the kinds
handbook.yml counts), and only reports no more restricted than `github.visibility`: whoever can read
the repository's issues reads what the issue says.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from handbook.queries.audience import audience_may_read, counted
from handbook.reading.parts import view_for
from handbook.reading.model import ActionItem, Report
from handbook.reading.taxonomy import GitHub, Taxonomy
from handbook.reading.tracker import issue_number


_MARKABLE = re.compile(r"[\w.:-]{1,100}")
"""The ids an issue's title and hidden marker line can carry as they are (the declared patterns are
checked too: this only keeps out what a looser pattern might let through, such as `-->`)."""


@dataclass(frozen=True, slots=True)
class Tracked:
    """An action item with the report it belongs to."""

    report: Report
    item: ActionItem


@dataclass(frozen=True, slots=True)
class Passed:
    """An item that gets no issue, and why (said to the person running the command)."""

    report: Report
    item: ActionItem
    reason: str


@dataclass(frozen=True, slots=True)
class Linked:
    """An item whose `ticket` names an issue of the repository."""

    report: Report
    item: ActionItem
    number: int


def untracked(reports: list[Report], tax: Taxonomy, github: GitHub) -> tuple[list[Tracked], list[Passed], int]:
    """The items that need an issue, in file order; the items left out for a reason to tell (an id that
    names no single item); and how many items were left out for their report's visibility."""
    report_id = re.compile(tax.ids.pattern)
    item_id = re.compile(tax.ids.action_item_pattern)
    wanted: list[Tracked] = []
    passed: list[Passed] = []
    hidden = 0
    used = Counter(r.id for r in reports if r.id)
    for full in sorted(counted(reports, tax), key=lambda r: r.rel):
        if not audience_may_read(tax, github.visibility, full.visibility):
            hidden += sum(1 for a in full.actions if not a.ticket)
            continue
        # the report as the issues' readers read it: an item kept for a narrower audience gets no issue
        report = view_for(full, tax, github.visibility)
        hidden += sum(1 for a in full.actions if not a.ticket) - sum(1 for a in report.actions if not a.ticket)
        missing = [a for a in report.actions if not a.ticket]
        if not missing:
            continue
        if not report.id or not report_id.search(report.id) or not _MARKABLE.fullmatch(report.id):
            passed += [Passed(report, a, "its report has no valid id") for a in missing]
            continue
        if used[report.id] > 1:
            passed += [Passed(report, a, f"its report's id {report.id} is used by another report too")
                       for a in missing]
            continue
        seen = Counter(a.id for a in report.actions)
        for item in missing:
            text_id = str(item.raw.get("id") or "")
            if not item_id.search(text_id) or text_id != item.id or not _MARKABLE.fullmatch(text_id):
                passed.append(Passed(report, item, "it has no valid id"))
            elif seen[item.id] > 1:
                passed.append(Passed(report, item, f"its id {item.id} is used by another item of the report too"))
            else:
                wanted.append(Tracked(report, item))
    return wanted, passed, hidden


def linked(reports: list[Report], repository: str) -> list[Linked]:
    """Every item, of any report, whose `ticket` names an issue of `repository`, in file order."""
    found = []
    for report in sorted(reports, key=lambda r: r.rel):
        for item in report.actions:
            number = issue_number(item.ticket, repository) if item.ticket else None
            if number is not None:
                found.append(Linked(report, item, number))
    return found

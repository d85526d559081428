"""The GitHub issue `handbook sync github` opens for an action item: title, body, labels, assignee.

The body is Markdown, which GitHub renders with some HTML allowed. Author text reaches it as text:
each value is put on one line, `<` and `>` become entities (so no tag, no comment and no forged
marker line can come from a report) and `|` is escaped inside the table. The last line is the hidden
marker (`<!-- handbook:INC-2026-003/AI-2 -->`) by which a later run finds the issue again.
"""

from __future__ import annotations

from dataclasses import dataclass

from handbook.core.text import clip
from handbook.reading.model import ActionItem, Report
from handbook.reading.taxonomy import GitHub, Taxonomy
from handbook.reading.tracker import item_key, marker
from handbook.rendering.report_page import action_anchor
from handbook.rendering.routes import report_url

TITLE_ACTION_LIMIT = 90
"""Characters of the action in an issue's title, at most (GitHub allows 256 in all)."""
_ESCAPES = str.maketrans({"<": "&lt;", ">": "&gt;"})


@dataclass(frozen=True, slots=True)
class IssueText:
    """What the issue of one action item says, and how it is filed."""

    key: str
    """`INC-2026-003/AI-2`: the item, as the marker names it."""
    title: str
    body: str
    labels: list[str]
    assignee: str | None
    """The GitHub login of the item's owner, from `github.assignees` (None: not listed)."""
    close_as: str | None
    """For an item that is no longer open, how its issue is closed at once: `completed` or `not_planned`."""


def _line(value: str) -> str:
    return " ".join(value.split()).translate(_ESCAPES)


def _cell(value: str) -> str:
    return _line(value).replace("|", "\\|") or "—"


def issue_text(report: Report, item: ActionItem, tax: Taxonomy, github: GitHub, site_url: str) -> IssueText:
    """The issue for `item` of `report`, linking to the report's page under `site_url` (absolute)."""
    key = item_key(report.id, item.id)
    title = f"{report.id} {item.id}: {clip(' '.join(item.description.split()), TITLE_ACTION_LIMIT)}"
    link = f"{report_url(site_url, report.id)}#{action_anchor(item.id)}"
    priority = tax.priority(item.priority)
    category = next((c for c in tax.action_categories if c.id == item.category), None)
    rows = [("Owner", item.owner), ("Due", item.due_text or ""),
            ("Priority", f"{priority.id} ({priority.horizon.lower()})" if priority and priority.horizon
             else item.priority),
            ("Category", category.name if category else item.category), ("Status in the report", item.status)]
    body = "\n".join([
        f"**Action:** {_line(item.description) or '—'}",
        "",
        f"**Verification:** {_line(item.verification) or '—'}",
        "",
        "| | |",
        "|---|---|",
        *(f"| {name} | {_cell(value)} |" for name, value in rows),
        f"| Report | [{_cell(f'{report.id}: {report.title}')}]({link}) |",
        "",
        f"This issue tracks action item {_line(item.id)} of the postmortem {_line(report.id)}. The report is "
        "where the item is kept: when the work is finished, set the item's `status` there and close this "
        "issue; `handbook validate` warns while the two disagree.",
        "",
        marker(report.id, item.id),
    ])
    closed = None if item.open else ("not_planned" if item.status in github.not_planned else "completed")
    return IssueText(key=key, title=title, body=body,
                     labels=github.labels.for_item(priority.id if priority else None,
                                                   category.id if category else None),
                     assignee=github.assignees.get(item.owner), close_as=closed)

"""Tables that restate the taxonomy in the handbook (used through mkdocs-macros).

Each is HTML from an autoescaped template (templates/handbook-table.html): handbook.yml's text is
shown as text whatever it holds, and the table is the same responsive one as the generated pages'.
"""

from __future__ import annotations

from typing import Union

from handbook.reading.durations import DURATIONS
from handbook.reading.taxonomy import Taxonomy
from handbook.rendering.templating import render_html

Cell = Union[str, dict[str, str], None]


def _code(text: str) -> dict[str, str]:
    """A cell showing `text` as it is typed in a report."""
    return {"code": text}


def _table(head: list[str], rows: list[list[Cell]]) -> str:
    # Blank lines around: Markdown passes the table through as one block of HTML.
    return "\n" + render_html("handbook-table.html", head=head, rows=rows).strip() + "\n\n"


def _days(n: int | None, unit: str = "business day") -> str:
    if n is None:
        return "optional"
    return f"{n} {unit}{'s' if n != 1 else ''}"


class HandbookTables:
    """One method per macro; each returns a Markdown table built from the taxonomy."""

    MACROS = ("severity_table", "priority_table", "category_table", "layer_table", "status_table",
              "section_table", "role_table", "review_deadline", "duration_table", "effectiveness_table",
              "outcome_table")

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.tax = taxonomy

    def severity_table(self) -> str:
        """The severity levels as a Markdown table."""
        return _table(["Severity", "Name", "When it applies", "Review meeting due"],
                      [[s.id, s.name, s.description,
                        "optional" if s.review_deadline_business_days is None else
                        f"within {_days(s.review_deadline_business_days)} of resolution"]
                       for s in self.tax.severities])

    def review_deadline(self, severity_id: str) -> str:
        """A severity's review deadline in words."""
        severity = self.tax.severity(severity_id)
        if severity is None:
            raise ValueError(f"review_deadline: no severity `{severity_id}` in handbook.yml")
        return _days(severity.review_deadline_business_days)

    def priority_table(self) -> str:
        """The priorities and their due windows as a Markdown table."""
        return _table(["Priority", "Impact", "Effort", "Horizon", "Due within"],
                      [[p.id, p.impact, p.effort, p.horizon,
                        f"{_days(p.window_days, 'day')} of resolution"] for p in self.tax.priorities])

    def category_table(self) -> str:
        """The action-item categories as a Markdown table."""
        return _table(["Category", "Id in front matter", "What it does"],
                      [[c.name, _code(c.id), c.description] for c in self.tax.action_categories])

    def layer_table(self) -> str:
        """The contributing-factor layers as a Markdown table."""
        return _table(["Layer", "Id in front matter", "What it covers"],
                      [[t.name, _code(t.id), t.description] for t in self.tax.contributing_factor_layers])

    def status_table(self) -> str:
        """The report statuses as a Markdown table."""
        rows: list[list[Cell]] = []
        for s in self.tax.statuses:
            checks = "problems are errors" if s.enforced else "problems are warnings"
            if s.requires_no_open_actions:
                checks += "; no open action items"
            rows.append([_code(s.id), s.description, checks])
        return _table(["Status", "Meaning", "Validation"], rows)

    def section_table(self) -> str:
        """The required sections as a Markdown table."""
        rows: list[list[Cell]] = []
        for s in self.tax.sections:
            content = "generated from front matter" if s.generated else "written by the authors"
            if s.subsections:
                content += "; with " + ", ".join(f"### {t}" for t in s.subsections)
            rows.append([_code(f"## {s.title}"), _code(s.required_from), content])
        return _table(["Section", "Required from status", "Content"], rows)

    def role_table(self) -> str:
        """The response roles as a Markdown table."""
        return _table(["Role", "Key under roles", "Required", "Value"],
                      [[r.name, _code(r.id), "yes" if r.required else "no",
                        "a list of names" if r.many else "a name"] for r in self.tax.roles])

    def duration_table(self) -> str:
        """The durations every page, message and metric uses, with how each is measured."""
        return _table(["Duration", "From", "To", "What it measures"],
                      [[d.label, _code(d.start), _code(" or else ".join(d.ends)), d.meaning] for d in DURATIONS])

    def effectiveness_table(self) -> str:
        """Each severity's effectiveness-review window, in days after the fixes are in."""
        return _table(["Severity", "Effectiveness review due", "Late after"],
                      [[s.id, "not required" if s.effectiveness_review_days is None else
                        f"from {_days(s.effectiveness_review_days[0], 'day')} after the fixes are in",
                        "" if s.effectiveness_review_days is None else _days(s.effectiveness_review_days[1], "day")]
                       for s in self.tax.severities])

    def outcome_table(self) -> str:
        """The outcomes an effectiveness review records."""
        return _table(["Outcome", "Written as", "Meaning", "Counted as verified working"],
                      [[o.name, _code(o.id), o.description, "yes" if o.working else "no"]
                       for o in self.tax.effectiveness_reviews.outcomes])

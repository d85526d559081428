"""Markdown tables that restate the taxonomy in the handbook (used through mkdocs-macros)."""

from __future__ import annotations

from handbook.reading.taxonomy import Taxonomy
from handbook.rendering.markup import md


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell or "—" for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _days(n: int | None, unit: str = "business day") -> str:
    if n is None:
        return "optional"
    return f"{n} {unit}{'s' if n != 1 else ''}"


class HandbookTables:
    """One method per macro; each returns a Markdown table built from the taxonomy."""

    MACROS = ("severity_table", "priority_table", "category_table", "layer_table", "status_table",
              "section_table", "role_table", "review_deadline")

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.tax = taxonomy

    def severity_table(self) -> str:
        """The severity levels as a Markdown table."""
        return _table(["Severity", "Name", "When it applies", "Review meeting due"],
                      [[md(s.id), md(s.name), md(s.description),
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
                      [[md(p.id), md(p.impact), md(p.effort), md(p.horizon),
                        f"{_days(p.window_days, 'day')} of resolution"] for p in self.tax.priorities])

    def category_table(self) -> str:
        """The action-item categories as a Markdown table."""
        return _table(["Category", "Id in front matter", "What it does"],
                      [[md(c.name), f"`{c.id}`", md(c.description)] for c in self.tax.action_categories])

    def layer_table(self) -> str:
        """The contributing-factor layers as a Markdown table."""
        return _table(["Layer", "Id in front matter", "What it covers"],
                      [[md(t.name), f"`{t.id}`", md(t.description)] for t in self.tax.contributing_factor_layers])

    def status_table(self) -> str:
        """The report statuses as a Markdown table."""
        rows = []
        for s in self.tax.statuses:
            checks = "problems are errors" if s.enforced else "problems are warnings"
            if s.requires_no_open_actions:
                checks += "; no open action items"
            rows.append([f"`{s.id}`", md(s.description), checks])
        return _table(["Status", "Meaning", "Validation"], rows)

    def section_table(self) -> str:
        """The required sections as a Markdown table."""
        rows = []
        for s in self.tax.sections:
            content = "generated from front matter" if s.generated else "written by the authors"
            if s.subsections:
                content += "; with " + ", ".join(f"`### {md(t)}`" for t in s.subsections)
            rows.append([f"`## {md(s.title)}`", f"`{s.required_from}`", content])
        return _table(["Section", "Required from status", "Content"], rows)

    def role_table(self) -> str:
        """The response roles as a Markdown table."""
        return _table(["Role", "Key under `roles:`", "Required", "Value"],
                      [[md(r.name), f"`{r.id}`", "yes" if r.required else "no",
                        "a list of names" if r.many else "a name"] for r in self.tax.roles])

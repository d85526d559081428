"""Who may read what: a build or a message is made for one audience, and shows only the
reports whose visibility that audience may read, each without the parts kept for a narrower one."""

from __future__ import annotations

from dataclasses import dataclass, replace

from handbook.reading.model import Report
from handbook.reading.parts import find_marks, view_for
from handbook.reading.settings import SettingsError
from handbook.reading.taxonomy import Taxonomy


def audience_may_read(tax: Taxonomy, audience: str, visibility: str) -> bool:
    """An audience reads its own level and every less restricted one."""
    return tax.visibility_rank(visibility) <= tax.visibility_rank(audience)


def check_audience(tax: Taxonomy, audience: str) -> None:
    """Raise SettingsError unless `audience` is one of the taxonomy's visibility levels."""
    if audience not in tax.visibilities.levels:
        raise SettingsError(f"The audience is `{audience}`; use one of: {', '.join(tax.visibilities.levels)} "
                            "(the handbook plugin's audience option in mkdocs.yml, or HANDBOOK_AUDIENCE).")


def counted(reports: list[Report], tax: Taxonomy) -> list[Report]:
    """The organisation's own incidents among `reports`: the kinds handbook.yml counts (case studies
    and drills are kept for learning, not counted in metrics, worklists or the digest)."""
    return [r for r in reports if tax.kind(r.kind).counted]


def learning(reports: list[Report], tax: Taxonomy) -> list[Report]:
    """The reports of kinds that are not counted, for the library page."""
    return [r for r in reports if not tax.kind(r.kind).counted]


def readable_by(reports: list[Report], tax: Taxonomy, audience: str, *, unread: bool = False) -> list[Report]:
    """The reports `audience` may read (those at its level or less restricted), each as it reads them:
    without the parts kept for a narrower audience (`reading.parts.view_for`). Every page, file and
    message of a build or a command is made from these, so a part left out here leaves no trace.

    A report that could not be read counts as the most restricted; with `unread` (the author's own
    preview, `mkdocs serve`) it is read by every audience, as what is known of it: its file and its
    problems, none of its text."""
    check_audience(tax, audience)
    return [view_for(r, tax, audience) if audience_may_read(tax, audience, r.visibility) else replace(r, body="")
            for r in reports if audience_may_read(tax, audience, r.visibility) or (unread and not r.parsed)]




@dataclass(frozen=True, slots=True)
class LeftOut:
    """What one audience does not read of one report (`handbook validate --audience`)."""

    report: Report
    readable: bool
    """False: the audience reads none of it (the report's visibility is narrower)."""
    stretches: tuple[tuple[int, int, str], ...] = ()
    """(first file line, last file line, level) of each stretch of the body left out."""
    items: tuple[str, ...] = ()
    """The ids of the action items left out."""
    factors: tuple[int, ...] = ()
    """The file lines of the contributing factors left out."""
    fields: tuple[str, ...] = ()
    """The front matter fields left out."""

    @property
    def everything_read(self) -> bool:
        """Whether the audience reads all of the report."""
        return self.readable and not (self.stretches or self.items or self.factors or self.fields)


def left_out(report: Report, tax: Taxonomy, audience: str) -> LeftOut:
    """What `audience` does not read of `report`, located in its file."""
    check_audience(tax, audience)
    if not audience_may_read(tax, audience, report.visibility):
        return LeftOut(report, False)
    view = view_for(report, tax, audience)
    if view is report:
        return LeftOut(report, True)
    lines = report.body.split("\n")
    stretches = tuple((report.body_line + s.first, report.body_line + min(s.last, len(lines) - 1), s.level)
                      for s in find_marks(lines, tax.visibilities.levels).stretches
                      if not audience_may_read(tax, audience, s.level))
    shown_items = {a.index for a in view.actions}
    shown_factors = {f.line for f in view.factors}
    return LeftOut(report, True, stretches,
                   items=tuple(a.id for a in report.actions if a.index not in shown_items),
                   factors=tuple(f.line for f in report.factors if f.line not in shown_factors),
                   fields=view.withheld)

"""Who may read what: a build or a message is made for one audience, and shows only the
reports whose visibility that audience may read, each without the parts kept for a narrower one."""

from __future__ import annotations

from handbook.reading.model import Report
from handbook.reading.parts import view_for
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


def readable_by(reports: list[Report], tax: Taxonomy, audience: str) -> list[Report]:
    """The reports `audience` may read (those at its level or less restricted), each as it reads them:
    without the parts kept for a narrower audience (`reading.parts.view_for`). Every page, file and
    message of a build or a command is made from these, so a part left out here leaves no trace."""
    check_audience(tax, audience)
    return [view_for(r, tax, audience) for r in reports if audience_may_read(tax, audience, r.visibility)]



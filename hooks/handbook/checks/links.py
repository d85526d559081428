"""The check between a report and the repository's files: every relative link and image resolves.

A link that reads right on the pull request but points nowhere on the site (a screenshot that is not
published, a report or handbook page moved or misspelt) is found here, at its line, with the fix;
without this only `mkdocs build --strict` would notice, naming a generated page the author never saw.
"""

from __future__ import annotations

from handbook.core.problems import Level, Problem
from handbook.reading.links import Layout, Resolver, Unresolved
from handbook.reading.model import Report
from handbook.reading.taxonomy import Taxonomy


def resolver_for(layout: Layout, tax: Taxonomy, ids: set[str]) -> Resolver:
    """The resolver of one repository's links, with handbook.yml's attachment rules."""
    return Resolver(layout, tax.attachments.types, tax.attachments.max_bytes, ids)


def check_links(reports: list[Report], resolver: Resolver) -> None:
    """Adds a `broken-link` problem to each report for each link of its body that resolves to nothing
    (an error once the report's status enforces the rules, a warning in a draft)."""
    for report in reports:
        for link in report.body_links:
            found = resolver.resolve(report.path, link.target)
            if isinstance(found, Unresolved):
                what = "image" if link.image else "link"
                report.problems.append(Problem(report.rel, link.line, "broken-link",
                                               Level.ERROR if report.enforced else Level.WARNING,
                                               f"The {what} {found.message}", found.fix))

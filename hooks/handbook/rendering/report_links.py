"""A report's relative links and images as the site serves them, and the attachments they publish.

On the pull request a link is relative to the report's file; on the site the report is the page
`incidents/<id>.md`. Each target is rewritten to the same file's place in the site, as a path
relative to the report's page, so MkDocs turns it into an address (and checks it) as it does for
every page: another report's page, a handbook page or file of docs/, or an attachment, which is
published at `incidents/files/<its path under postmortems/>` only when a report this build
publishes links to it. A link to a report this build does not publish (one for a narrower
audience) keeps its text and loses the link, so not even the other report's file name reaches
the page; so does a link that resolves to nothing (validation names it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from handbook.reading.links import Edit, Link, Resolver, Target, apply_edits, unlinked
from handbook.reading.model import Report
from handbook.rendering.routes import Routes

ATTACHMENTS = "incidents/files"
"""The site folder of the attachments, under which each keeps its path below postmortems/."""
NOT_PUBLISHED = "#not-published"
"""The target left to a reference definition whose file this build does not publish."""


@dataclass(slots=True)
class ReportLinks:
    resolver: Resolver
    pages: dict[str, str]
    """Repository-relative path of each report with a page in this build -> that page's source path."""
    by_id: dict[str, str]
    """Id -> page source path, for the same reports."""
    attachments: dict[str, Path] = field(default_factory=dict)
    """Site path -> file of every attachment linked by a published report so far."""

    def body(self, report: Report, src: str) -> str:
        """`report`'s body with every relative link and image rewritten for its page at `src`."""
        if not report.body_links:
            return report.body
        edits: list[Edit] = []
        for link in report.body_links:
            site_path = self._site_path(report, link)
            if site_path is not None:
                # `<my graph.png>`: the new target is percent-encoded, so the angle brackets go too (the
                # page's Markdown shows `<` as text)
                angled = report.body[link.start - 1:link.start] == "<" and report.body[link.end:link.end + 1] == ">"
                edits.append((link.start - angled, link.end + angled, site_path))
            else:  # keep the words, drop the link
                edits += unlinked(link, NOT_PUBLISHED)
        return apply_edits(report.body, edits)

    def _site_path(self, report: Report, link: Link) -> str | None:
        """The link's new target, relative to the report's page; None when the site has no such file."""
        found = self.resolver.resolve(report.path, link.target)
        if not isinstance(found, Target):
            return None
        page = self.pages.get(report.rel)
        if page is None:
            return None
        if found.kind == "report":
            target = self.pages.get(found.path)
        elif found.kind == "id":
            target = self.by_id.get(found.path)
        elif found.kind in ("page", "file"):
            target = self.resolver.docs_relative(found.path)
        else:  # an attachment
            under = self.resolver.postmortems_relative(found.path)
            target = f"{ATTACHMENTS}/{under}"
            self.attachments[target] = self.resolver.root / found.path
        if target is None:
            return None
        return quote(Routes.rel(page, target), safe="/") + found.fragment


"""Where every generated page lives, and relative links between them.

Reports live at `incidents/<id>.md`, so with directory URLs a report's address is
`/incidents/<id>/`: built from its id alone, it survives renaming or moving the file.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Protocol

from handbook.core.paths import stable_name


def report_url(site_url: str, report_id: str) -> str:
    """The permanent address of a report: `<site_url>/incidents/<id>/`."""
    return f"{site_url.rstrip('/')}/incidents/{report_id}/"


def slug(value: str) -> str:
    """A file-name-safe, readable form of a service or tag name (any script; long names shortened)."""
    return stable_name(value)


class PageLinks(Protocol):
    """How one page links to another: given by the site generator, which decides every page's
    address (the MkDocs plugin gives `handbook_mkdocs.links.MkDocsLinks`)."""

    def href(self, src: str, target: str) -> str:
        """The relative link from the page at `src` to the page at `target` (docs-relative sources)."""
        ...


@dataclass(slots=True)
class Routes:
    links: PageLinks
    """Addresses as the site generator makes them: no rule of MkDocs is repeated here."""
    known: dict[str, str] = field(default_factory=dict)
    """Id -> title of every report this build publishes."""
    _service_slugs: dict[str, str] = field(default_factory=dict)

    INCIDENTS = "incidents/index.md"
    ACTIONS = "actions/index.md"
    REVIEW = "review/index.md"
    METRICS = "metrics/index.md"
    THEMES = "themes/index.md"
    SERVICES = "services/index.md"
    LIBRARY = "library/index.md"
    CALENDAR = "calendar.ics"
    """Not a page: the calendar file at the site's root (`rendering.calendar`)."""

    def report(self, key: str) -> str:
        """The source path of the report page with key `key`."""
        return f"incidents/{key}.md"

    def service(self, name: str) -> str:
        """The source path of the page of service `name` (a stable, readable slug)."""
        if name not in self._service_slugs:
            base = slug(name)
            candidate, n = base, 2
            taken = set(self._service_slugs.values())
            while candidate in taken or candidate == "index":
                candidate, n = f"{base}-{n}", n + 1
            self._service_slugs[name] = candidate
        return f"services/{self._service_slugs[name]}.md"

    def severity(self, severity_id: str) -> str:
        """The source path of a severity's page."""
        return f"severities/{slug(severity_id)}.md"

    def year(self, year: int) -> str:
        """The source path of a year's page."""
        return f"archive/{year}.md"

    @classmethod
    def listing_of(cls, src: str) -> str | None:
        """The listing a generated page is reached from (a report, a service, a severity or a year page):
        the site places the page under that listing's part of the navigation. None for the listings."""
        folder, _, name = src.partition("/")
        if name == "index.md" or not name:
            return None
        return {"incidents": cls.INCIDENTS, "services": cls.SERVICES, "severities": cls.INCIDENTS,
                "archive": cls.INCIDENTS}.get(folder)

    @staticmethod
    def rel(src: str, target: str) -> str:
        """Relative Markdown link from the page at `src` to the page at `target` (both docs-relative)."""
        return posixpath.relpath(target, posixpath.dirname(src) or ".")

    def href(self, src: str, target: str) -> str:
        """Relative URL from the page at `src` to the page at `target`, for generated HTML."""
        return self.links.href(src, target)

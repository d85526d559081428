"""Where every generated page lives, and relative links between them.

Reports live at `incidents/<id>.md`, so with directory URLs a report's address is
`/incidents/<id>/`: built from its id alone, it survives renaming or moving the file.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from handbook.core.paths import stable_name


def _url_parts(path: str) -> tuple[str, ...]:
    """The folders of a page's directory URL: `incidents/INC-1.md` -> (incidents, INC-1)."""
    stem = path[:-3] if path.endswith(".md") else path
    parts = tuple(p for p in stem.split("/") if p)
    return parts[:-1] if parts and parts[-1] == "index" else parts


def report_url(site_url: str, report_id: str) -> str:
    """The permanent address of a report: `<site_url>/incidents/<id>/`."""
    return f"{site_url.rstrip('/')}/incidents/{report_id}/"


def slug(value: str) -> str:
    """A file-name-safe, readable form of a service or tag name (any script; long names shortened)."""
    return stable_name(value)


@dataclass(slots=True)
class Routes:
    known: dict[str, str] = field(default_factory=dict)
    """Id -> title of every report this build publishes."""
    _service_slugs: dict[str, str] = field(default_factory=dict)
    directory_urls: bool = True
    """MkDocs' `use_directory_urls`: how a page's source path becomes its address."""

    INCIDENTS = "incidents/index.md"
    ACTIONS = "actions/index.md"
    REVIEW = "review/index.md"
    METRICS = "metrics/index.md"
    SERVICES = "services/index.md"

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

    @staticmethod
    def rel(src: str, target: str) -> str:
        """Relative Markdown link from the page at `src` to the page at `target` (both docs-relative)."""
        return posixpath.relpath(target, posixpath.dirname(src) or ".")

    def href(self, src: str, target: str) -> str:
        """Relative URL from the page at `src` to the page at `target`, for generated HTML.

        With MkDocs' directory URLs, `incidents/INC-1.md` is served at `incidents/INC-1/` and
        `incidents/index.md` at `incidents/`; without them, at `incidents/INC-1.html` and
        `incidents/index.html`, as MkDocs writes them.
        """
        if not self.directory_urls:
            page = target[:-3] + ".html" if target.endswith(".md") else target
            return posixpath.relpath(page, posixpath.dirname(src) or ".")
        here, there = _url_parts(src), _url_parts(target)
        common = 0
        while common < min(len(here), len(there)) and here[common] == there[common]:
            common += 1
        relative = "../" * (len(here) - common) + "".join(part + "/" for part in there[common:])
        return relative or "./"

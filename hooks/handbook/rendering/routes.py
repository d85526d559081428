"""Where every generated page lives, and relative links between them.

Reports live at `incidents/<id>.md`, so with directory URLs a report's address is
`/incidents/<id>/`: built from its id alone, it survives renaming or moving the file.
"""

from __future__ import annotations

import posixpath
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from handbook.core.paths import stable_name
from handbook.core.problems import Level, Problem

REPLACES_GENERATED = "replaces-generated"
"""The rule of a file of docs/ written where a generated page or file is (`replacing`)."""


def report_url(site_url: str, report_id: str) -> str:
    """The permanent address of a report: `<site_url>/incidents/<id>/`."""
    return f"{site_url.rstrip('/')}/incidents/{report_id}/"


def same_place(site_path: str) -> str:
    """`site_path` as a file system that ignores case and Unicode normalisation (macOS, Windows) compares it."""
    return unicodedata.normalize("NFC", site_path).casefold()


def replacing(generated: Iterable[str], others: Mapping[str, str]) -> list[Problem]:
    """A `replaces-generated` error for each of `others` (a file's project-relative path -> the site path it
    is written to) at the place of a generated page or file (the site paths `generated`): the same path, or
    one a file system that ignores case or Unicode normalisation takes for it (`Incidents.json`)."""
    taken = {same_place(path): path for path in generated}
    found = []
    for rel, path in sorted(others.items()):
        replaced = taken.get(same_place(path))
        if replaced is None:
            continue
        where = "" if replaced == path else \
            " on a file system that ignores case or Unicode normalisation (macOS, Windows)"
        found.append(Problem(rel, 1, REPLACES_GENERATED, Level.ERROR,
                             f"{rel} would replace the generated {replaced}{where}.",
                             "Remove or rename it: the handbook writes that file itself, at every build."))
    return found


def slug(value: str) -> str:
    """A file-name-safe, readable form of a service or tag name (any script; long names shortened)."""
    return stable_name(value)


class PageLinks(Protocol):
    """How one page links to another: given by the site generator, which decides every page's
    address (the MkDocs plugin gives `handbook_mkdocs.links.MkDocsLinks`)."""

    def href(self, src: str, target: str) -> str:
        """The relative link from the page at `src` to the page at `target` (docs-relative sources)."""
        ...

    def file_href(self, src: str, target: str) -> str:
        """The relative link from the page at `src` to the file the site writes at `target` as it is,
        whatever its suffix (`statements/INC-2026-001.md` is a file, not a page)."""
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
    REPEATS_JSON = "themes/repeats.json"
    """Not a page: every repeat incident the themes page counts, as JSON (`rendering.themes`)."""
    SERVICES = "services/index.md"
    LIBRARY = "library/index.md"
    CALENDAR = "calendar.ics"
    """Not a page: the calendar file at the site's root (`rendering.calendar`)."""
    INCIDENTS_JSON = "incidents.json"
    """Not a page: every report the build publishes, as data (`rendering.outputs`)."""
    FEED = "feed.xml"
    """Not a page: the Atom feed of the published reports (`rendering.outputs`)."""
    STATEMENTS = "statements/index.md"
    """The list of the external messages published (`rendering.statements`)."""
    STATEMENTS_JSON = "statements/index.json"
    """Not a page: every external message published, as JSON."""
    FILES = (INCIDENTS_JSON, FEED, CALENDAR, REPEATS_JSON, STATEMENTS_JSON)
    """The files every full build writes at these paths, whatever its reports (an author's preview writes fewer)."""
    LISTINGS = (INCIDENTS, ACTIONS, REVIEW, METRICS, THEMES, SERVICES, LIBRARY, STATEMENTS)
    """The index pages every build generates, whatever its reports (source paths)."""

    def report(self, key: str) -> str:
        """The source path of the report page with key `key`."""
        return f"incidents/{key}.md"

    @staticmethod
    def statement(report_id: str) -> str:
        """The source path of the page of a report's external message: `statements/<id>/index.md`, so
        its address is `statements/<id>/` however the site writes addresses, beside the files
        `statements/<id>.md` and `.json` (a page `statements/<id>.md` would take the Markdown file's name)."""
        return f"statements/{report_id}/index.md"

    @staticmethod
    def statement_file(report_id: str, suffix: str) -> str:
        """The site path of a report's external message as a file: `statements/<id>.md` or `.json`."""
        return f"statements/{report_id}.{suffix}"

    def name_services(self, names: list[str]) -> None:
        """Give every service of `names` its page's slug, in the order of the sorted names, so a slug
        depends on the names alone and never on which page asked first (`service-2` is the second of
        two names with one slug, in that order)."""
        for name in sorted(set(names), key=lambda n: (n.lower(), n)):
            self.service(name)

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
                "archive": cls.INCIDENTS, "statements": cls.STATEMENTS}.get(folder)

    @staticmethod
    def rel(src: str, target: str) -> str:
        """Relative Markdown link from the page at `src` to the page at `target` (both docs-relative)."""
        return posixpath.relpath(target, posixpath.dirname(src) or ".")

    def href(self, src: str, target: str) -> str:
        """Relative URL from the page at `src` to the page at `target`, for generated HTML."""
        return self.links.href(src, target)

    def file_href(self, src: str, target: str) -> str:
        """Relative URL from the page at `src` to the file written at `target` as it is (a .md too)."""
        return self.links.file_href(src, target)

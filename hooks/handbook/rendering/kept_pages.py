"""Pages a full build takes from the last one: a page is drawn again only when what it is drawn from changed.

Drawing the report pages, the index pages and the link previews, redirects, incidents.json and feed
was most of planning a warm build (about 5 s of CPU at 2,000 reports), and between two builds most of
them are the same. Each is drawn from its arguments and nothing else, so `KeptPages` keys each by all
of them and keeps what was drawn (`reading.kept`: plain JSON in the checkout's cache folder, one file
per audience):

* a report page (`page`): the report as this audience reads it (`queries.audience.readable_by`), every
  field of it as one fingerprint, so a field added to the model is part of the key without anyone
  remembering it; its body as the site writes it, its address, the external message it links to; the
  similar incidents listed (each one's fingerprint, score, reasons and address); the titles of the
  reports it names or that name it, as this build publishes them;
* the index pages (`listing`) and the other outputs (`answer`): the fingerprint of every report they
  are drawn from, every title the build links by id, and the values the caller names;
* for all: the taxonomy, the day, the site generator's addresses (a `PageLinks` with an `identity`, as
  `handbook_mkdocs.links.MkDocsLinks` has; a generator without one gets nothing kept), the source of
  this package, its templates and the versions of Jinja and MarkupSafe.

A service's page is named when it is first asked for (two services whose names make one slug: the
second gets `-2`), so a kept page records the service pages it asked for and the names they got, and
is used only when asking again, in the same order, gives the same names. Pages that show problems
(`mkdocs serve`) and the author's preview are always drawn; so is a page whose report cannot be
fingerprinted, and, in a build where a report's page failed, every index page.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path, PurePath
from typing import Any

import msgspec

from handbook.core.paths import stable_name
from handbook.queries.similarity import Match
from handbook.reading.kept import key_of, read_kept, write_kept
from handbook.reading.model import Report
from handbook.reading.taxonomy import Taxonomy
from handbook.rendering.markup import portable_lines, restored_lines
from handbook.rendering.page import Page
from handbook.rendering.routes import Routes

TEMPLATES = Path(__file__).resolve().parent / "templates"


@functools.cache
def templates_hash() -> str:
    """A hash of every template's source (the package's hash covers its Python modules only)."""
    digest = hashlib.sha256()
    for path in sorted(TEMPLATES.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(TEMPLATES).as_posix().encode("utf-8", "surrogateescape") + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _plain(value: Any) -> Any:
    """What msgspec does not write itself: a path as its text; anything else cannot be fingerprinted."""
    if isinstance(value, PurePath):
        return str(value)
    raise TypeError(f"no fingerprint for {type(value).__name__}")


_ENCODER = msgspec.json.Encoder(enc_hook=_plain)


class _AskingRoutes(Routes):
    """The build's routes (their state shared), noting each service page asked for and the name it got."""

    __slots__ = ("asked",)

    def __init__(self, routes: Routes) -> None:
        super().__init__(routes.links, routes.known, routes._service_slugs)
        self.asked: list[list[str]] = []

    def service(self, name: str) -> str:
        """The build's page of service `name` (`Routes.service`), noted with the name asked for."""
        found = super().service(name)
        self.asked.append([name, found])
        return found


class KeptPages:
    """The pages of one build, each drawn or taken from the last build's (see the module)."""

    def __init__(self, cache_dir: Path, tax: Taxonomy, routes: Routes, today: dt.date, audience: str,
                 reports: list[Report]) -> None:
        self.cache_dir = cache_dir
        self.routes = routes
        self.name = f"pages-{stable_name(audience)}"  # one file per audience: builds may alternate
        identity = getattr(routes.links, "identity", None)
        self.base: bytes | None = None
        kept: Any = None
        if isinstance(identity, str):
            self.base = key_of(self.name, identity, tax, today.isoformat(), templates_hash(), version("jinja2"),
                               version("markupsafe")).encode("ascii")
            kept = read_kept(cache_dir, self.name, self.base.decode("ascii"))
        kept = kept if isinstance(kept, dict) else {}
        self.kept: dict[str, Any] = kept.get("reports") if isinstance(kept.get("reports"), dict) else {}
        self.kept_listings: dict[str, Any] = kept.get("listings") if isinstance(kept.get("listings"), dict) else {}
        # Every report's fingerprint, before any page is drawn (drawing a page lets go of its body).
        self.prints: dict[int, bytes | None] = {id(r): self._fingerprint(r) for r in reports} if self.base else {}
        self.pages: dict[str, Any] = {}
        self.listings: dict[str, Any] = {}
        self.taken = self.drawn = self.listings_taken = self.listings_drawn = 0
        self.spoiled = False
        self.known: bytes | None = None
        """`Routes.known` encoded for the index pages' keys, once."""

    def page(self, report: Report, src: str, body: str, similar: list[tuple[Match, str]],
             statement: tuple[str, str] | None, draw: Callable[[Routes], Page]) -> Page:
        """The page of `report` at `src`: the one kept when its key is the same, else `draw(routes)`."""
        key = self._key(report, src, body, similar, statement)
        if key is None:
            self.drawn += 1
            return draw(self.routes)
        entry = self.kept.get(src)
        if isinstance(entry, dict) and entry.get("key") == key:
            page = self._kept_page(entry)
            if page is not None:
                self.pages[src] = entry
                self.taken += 1
                return page
        routes = _AskingRoutes(self.routes)
        page = draw(routes)
        self.drawn += 1
        stored = _stored(page)
        if stored is not None:
            self.pages[src] = {"key": key, "services": routes.asked, "page": stored}
        return page

    def spoil(self) -> None:
        """A report's page failed (its report has a problem it had not when fingerprinted): the index
        pages are drawn from now on, and none of them is kept."""
        self.spoiled = True

    def listing(self, name: str, reports: list[Report], inputs: list[Any],
                draw: Callable[[Routes], dict[str, Page]]) -> dict[str, Page]:
        """The index pages `name` (one, or a page per service, severity or year), drawn by `draw` from `reports`
        (the ones they list, as this audience reads them) and `inputs` (plain data: whatever else they
        show): the kept ones when every input is the same, else `draw(routes)`."""
        key = None if self.spoiled else self._listing_key(name, reports, inputs)
        if key is None:
            pages = draw(self.routes)
            self.listings_drawn += len(pages)
            return pages
        entry = self.kept_listings.get(name)
        if isinstance(entry, dict) and entry.get("key") == key and isinstance(entry.get("pages"), dict):
            kept = {src: _restored(stored) for src, stored in entry["pages"].items()}
            if self._asked_again(entry) and all(page is not None for page in kept.values()):
                self.listings[name] = entry
                self.listings_taken += len(kept)
                return {src: page for src, page in kept.items() if page is not None}
        routes = _AskingRoutes(self.routes)
        pages = draw(routes)
        self.listings_drawn += len(pages)
        stored = {src: _stored(page) for src, page in pages.items()}
        if all(value is not None for value in stored.values()):
            self.listings[name] = {"key": key, "services": routes.asked, "pages": stored}
        return pages

    def keep(self) -> None:
        """Keep this build's pages for the next build (when any was drawn, or one kept is gone), then let go
        of them: the site holds each page's text until it is turned into Markdown, and no longer."""
        if self.base is not None and (self.drawn or self.listings_drawn or self.pages.keys() != self.kept.keys()
                                      or self.listings.keys() != self.kept_listings.keys()):
            write_kept(self.cache_dir, self.name, self.base.decode("ascii"),
                       {"reports": self.pages, "listings": self.listings})
        for held in (self.kept, self.kept_listings, self.pages, self.listings):
            held.clear()

    def answer(self, name: str, reports: list[Report], inputs: list[Any], draw: Callable[[], Any],
               usable: Callable[[Any], bool]) -> tuple[Any, bool]:
        """What `draw()` gives (plain JSON values) from `reports` and `inputs`, as `listing` keys it: the
        value kept in a file of its own when every input is the same and `usable` accepts it, else drawn
        and kept; and whether it was the kept one."""
        key = None if self.spoiled else self._listing_key(name, reports, inputs)
        if key is None or self.base is None:
            return draw(), False
        file = f"{self.name}-{name}"
        kept = read_kept(self.cache_dir, file, self.base.decode("ascii"))
        if isinstance(kept, dict) and kept.get("key") == key and usable(kept.get("value")):
            return kept["value"], True
        value = draw()
        write_kept(self.cache_dir, file, self.base.decode("ascii"), {"key": key, "value": value})
        return value, False

    def _fingerprint(self, report: Report) -> bytes | None:
        """The SHA-256 of every field of `report`; None when one holds a value that has no plain form."""
        try:
            return hashlib.sha256(_ENCODER.encode(report)).digest()
        except (TypeError, ValueError, UnicodeEncodeError, OverflowError):
            return None

    def _key(self, report: Report, src: str, body: str, similar: list[tuple[Match, str]],
             statement: tuple[str, str] | None) -> str | None:
        """Everything the page of `report` at `src` is drawn from (the rest is in `base`); None when it
        cannot be told: no kept pages here, or a report without a fingerprint."""
        if self.base is None:
            return None
        own = self.prints.get(id(report))
        others = [self.prints.get(id(m.report)) for m, _ in similar]
        if own is None or None in others:
            return None
        named = dict.fromkeys([*report.related, *report.referenced_by])
        inputs = [src, body, statement, own.hex(), [[rid, self.routes.known.get(rid)] for rid in named],
                  [[print_.hex() if print_ else None, m.score, m.services, m.layers, m.tags, m.words, target]
                   for print_, (m, target) in zip(others, similar)]]
        try:
            encoded = _ENCODER.encode(inputs)
        except (TypeError, ValueError, UnicodeEncodeError, OverflowError):
            return None
        return hashlib.sha256(self.base + b"\0" + encoded).hexdigest()

    def _listing_key(self, name: str, reports: list[Report], inputs: list[Any]) -> str | None:
        """Everything the index pages `name` are drawn from (the rest is in `base`), with every report title
        the build links by id (`Routes.known`); None when it cannot be told."""
        prints = [self.prints.get(id(r)) for r in reports]
        if self.base is None or None in prints:
            return None
        try:
            encoded = _ENCODER.encode([name, inputs])
            if self.known is None:  # the same for every group: filled before any page is drawn
                self.known = _ENCODER.encode(self.routes.known)
        except (TypeError, ValueError, UnicodeEncodeError, OverflowError):
            return None
        return hashlib.sha256(b"\0".join([self.base, b"".join(p for p in prints if p), encoded, self.known])
                              ).hexdigest()

    def _asked_again(self, entry: dict[str, Any]) -> bool:
        """Whether asking again for the service pages a kept entry asked for gives the names it got (asked in
        the same order, so the build's names are as drawing would have left them); False when malformed."""
        try:
            return all(self.routes.service(name) == found for name, found in entry["services"])
        except (KeyError, TypeError, ValueError):
            return False

    def _kept_page(self, entry: dict[str, Any]) -> Page | None:
        """The page of a kept entry, once asking for its service pages gives the names it got; None when
        not (or when the entry is malformed)."""
        return _restored(entry.get("page")) if self._asked_again(entry) else None


def _restored(stored: Any) -> Page | None:
    """The page `_stored` kept; None when it is not one (a damaged or foreign entry)."""
    try:
        data, lines = stored["data"], stored["lines"]
        if not (isinstance(data, dict) and all(type(v) is str for v in data.values())
                and isinstance(lines, list) and all(type(line) is str or (type(line) is int and line in (0, 1, 2))
                                                for line in lines)
                and type(stored["title"]) is str and type(stored["description"]) is str
                and type(stored["listing"]) is bool and type(stored["searchable"]) is bool):
            return None
        return Page(stored["title"], stored["description"], restored_lines(lines), stored["listing"],
                    stored["searchable"], dict(data))
    except (KeyError, TypeError, ValueError):
        return None


def _stored(page: Page) -> dict[str, Any] | None:
    """A page as kept: only one made of plain text comes back exactly as it was (None for any other)."""
    if not (type(page.title) is str and type(page.description) is str and all(type(line) is str for line in page.lines)
            and all(type(key) is str and type(value) is str for key, value in page.data.items())):
        return None
    return {"title": page.title, "description": page.description, "lines": portable_lines(page.lines),
            "listing": page.listing, "searchable": page.searchable, "data": page.data}

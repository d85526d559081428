"""Report pages kept from one build for the next (`rendering.kept_pages`): each input of a page, changed
on its own, makes the pages it shows on drawn again, and the site is the one a build from nothing makes.

Each case builds a copy of the examples once (which keeps its pages), changes one thing, builds again
with the same user cache folder, then builds from an empty one: the two sites must be the same byte for
byte, and the log line says how many report pages were drawn and how many taken as kept.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from handbook.reading.settings import Settings
from handbook.rendering.site import plan_site
from handbook_mkdocs.links import MkDocsLinks

from .conftest import ROOT, copy_project, mkdocs
from .test_warm_builds import REUSE_LINE, _files

PAGES = 8
"""The example report pages an internal build draws (the restricted one is not among them)."""
TITLE_001 = "Checkout and public API outage after an edge-proxy configuration push tightened circuit breakers"
CHECKOUT_PAGES = ["INC-2025-001", "INC-2026-001", "INC-2026-006"]
"""The examples that name the service checkout-api."""


def _build(project: Path, cache: Path, name: str,
           env: dict[str, str] | None = None) -> tuple[Path, tuple[int, int], tuple[int, int, bool]]:
    """A strict build with the user cache folder `cache`: the site, then report pages as (drawn, kept) and
    index pages as (drawn, kept, whether the link previews, redirects, incidents.json and feed were kept)."""
    result = mkdocs(project, "build", "--strict", "-d", name, env={"XDG_CACHE_HOME": str(cache), **(env or {})})
    assert result.code == 0, result.output
    line = REUSE_LINE.search(result.output)
    assert line is not None, result.output
    return project / name, (int(line[3]), int(line[4])), (int(line[5]), int(line[6]), line[7] != "written")


def _kept_file(cache: Path) -> Path:
    [found] = cache.rglob("pages-internal.json")
    return found


def _rewrite_kept(cache: Path, change: Callable[[dict], None]) -> None:
    """Change the kept pages in place, under their own key (as a damaged or stale file would be)."""
    path = _kept_file(cache)
    document = json.loads(path.read_text(encoding="ascii"))
    change(document["answer"])
    path.write_text(json.dumps(document, ensure_ascii=True), encoding="ascii")


def _damaged_listing(project: Path, cache: Path) -> None:
    def change(answer: dict) -> None:
        [(src, page)] = answer["listings"]["review"]["pages"].items()
        page["title"] = 7  # a title is text
    _rewrite_kept(cache, change)


def _issue_states(project: Path, cache: Path) -> None:
    """The issue states pulled from GitHub: one item's issue is closed (the action items page says so)."""
    ticket = "https://linear.example.com/larkspur/issue/REL-403"
    (project / "tracker").mkdir(exist_ok=True)
    (project / "tracker" / "github.json").write_text(json.dumps({"repository": "larkspur/postmortems", "issues": {
        ticket: {"number": 403, "state": "closed", "item": "INC-2026-001/AI-1"}}}), encoding="utf-8")


def _edit(project: Path, rel: str, old: str, new: str) -> None:
    path = project / "postmortems" / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _retitle(project: Path, cache: Path) -> None:
    _edit(project, "2026/2026-02-09-edge-proxy-circuit-breaker-outage.md", TITLE_001,
          "Edge proxy pushed a tighter breaker")


def _same_slug(valid_text: str) -> Callable[[Path, Path], None]:
    def change(project: Path, cache: Path) -> None:
        # first in file order, so its page asks for the service first and takes the slug `checkout-api`
        text = re.sub(r"^services: .*$", "services: [Checkout API]", valid_text, count=1, flags=re.M)
        (project / "postmortems" / "2000").mkdir()
        (project / "postmortems" / "2000" / "first.md").write_text(text.replace("INC-2026-101", "INC-2000-001"),
                                                                     encoding="utf-8")
    return change


def _damaged_entry(project: Path, cache: Path) -> None:
    def change(pages: dict) -> None:
        pages["reports"]["incidents/INC-2026-003.md"]["page"]["lines"].append(7)  # text or a fragment mark
    _rewrite_kept(cache, change)


def _wrong_service_name(project: Path, cache: Path) -> None:
    def change(pages: dict) -> None:
        asked = pages["reports"]["incidents/INC-2026-005.md"]["services"]
        assert asked, "the page asked for its services' pages"
        asked[0][1] = "services/somewhere-else.md"
    _rewrite_kept(cache, change)


def _unreadable(project: Path, cache: Path) -> None:
    _kept_file(cache).write_bytes(b"\x00{not json")


def _taxonomy(project: Path, cache: Path) -> None:
    path = project / "handbook.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("name: Technical trigger", "name: Technical cause", 1), encoding="utf-8")


def _addresses(project: Path, cache: Path) -> None:
    path = project / "mkdocs.yml"
    path.write_text(path.read_text(encoding="utf-8") + "\nuse_directory_urls: false\n", encoding="utf-8")


CASES: dict[str, tuple[Callable[..., Callable[[Path, Path], None] | None], dict[str, str] | None]] = {
    "nothing": (lambda text: None, None),
    "the day": (lambda text: None, {"HANDBOOK_TODAY": "2026-11-21"}),
    "a named report's title": (lambda text: _retitle, None),
    "a service taking a slug": (_same_slug, None),
    "a report page's entry damaged": (lambda text: _damaged_entry, None),
    "a service named otherwise": (lambda text: _wrong_service_name, None),
    "an index page's entry damaged": (lambda text: _damaged_listing, None),
    "the issue states": (lambda text: _issue_states, None),
    "the file unreadable": (lambda text: _unreadable, None),
    "the taxonomy": (lambda text: _taxonomy, None),
    "the addresses": (lambda text: _addresses, None),
}
"""Each case: what it changes between the two builds (given the valid report's text), and the environment
of the second build."""


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_a_warm_build_draws_again_what_changed_and_equals_a_cold_one(tmp_path, valid_text, case):
    make_change, env = CASES[case]
    change = make_change(valid_text)
    project = copy_project(tmp_path / "project")
    cache = tmp_path / "cache"
    _, reports, indexes = _build(project, cache, "site-1")
    count = indexes[0]  # the index pages: incidents, actions, review, metrics, themes, library, each service...
    assert reports == (PAGES, 0) and indexes == (count, 0, False) and count > 20
    if change is not None:
        change(project, cache)
    site, reports, indexes = _build(project, cache, "site-2", env)
    cold, cold_reports, cold_indexes = _build(project, tmp_path / "empty-cache", "site-cold", env)
    everything = ((PAGES, 0), (count, 0, False))
    expected = {
        "nothing": ((0, PAGES), (0, count, True)),
        # every page counts days overdue from the day; the taxonomy and the addresses are in every page
        "the day": everything, "the taxonomy": everything, "the addresses": everything,
        "the file unreadable": ((PAGES, 0), (count, 0, True)),  # the pages' file; the outputs have their own
        "a report page's entry damaged": ((1, PAGES - 1), (0, count, True)),
        "a service named otherwise": ((1, PAGES - 1), (0, count, True)),
        "an index page's entry damaged": ((0, PAGES), (1, count - 1, True)),  # the review queue
        "the issue states": ((0, PAGES), (1, count - 1, True)),  # the action items page shows them
    }
    if case in expected:
        assert (reports, indexes) == expected[case]
    elif case == "a named report's title":
        # its own page, the page that names it (INC-2026-003), and those listing it as similar; every index
        # page lists it or links its id
        assert 2 <= reports[0] < PAGES and sum(reports) == PAGES and indexes == (count, 0, False)
        page = (site / "incidents" / "INC-2026-003" / "index.html").read_text(encoding="utf-8")
        assert "Edge proxy pushed a tighter breaker" in page and TITLE_001 not in page
    else:
        # the new report's page, and the three pages that asked for `checkout-api`, which is now the new
        # service's: each links to `checkout-api-2`
        assert reports[0] >= 1 + len(CHECKOUT_PAGES) and sum(reports) == PAGES + 1 and indexes[1:] == (0, False)
        for rid in CHECKOUT_PAGES:
            page = (site / "incidents" / rid / "index.html").read_text(encoding="utf-8")
            assert 'href="../../services/checkout-api-2/"' in page, rid
    assert cold_reports == (sum(reports), 0) and cold_indexes == (sum(indexes[:2]), 0, False)
    files, cold_files = _files(site), _files(cold)
    assert files.keys() == cold_files.keys(), files.keys() ^ cold_files.keys()
    differ = [name for name in files if files[name] != cold_files[name]]
    assert not differ, f"{case}: the warm build differs from a cold one in {differ}"


def test_pages_that_show_problems_are_always_drawn_and_the_counts_say_so(tmp_path, valid_text, taxonomy):
    """Under `mkdocs serve` (problems shown on the pages) nothing is kept or taken: every page is drawn, and
    the counts the log prints say so; full builds of the same files then keep and take them."""
    (tmp_path / "postmortems").mkdir()
    for rid in ("INC-2026-101", "INC-2026-102"):
        (tmp_path / "postmortems" / f"{rid}.md").write_text(valid_text.replace("INC-2026-101", rid), encoding="utf-8")
    settings = Settings(root=tmp_path, config=ROOT / "handbook.yml", postmortems=tmp_path / "postmortems",
                        audience="internal", today=dt.date(2026, 11, 20), site_url="", repo_url="")

    def counts(show_problems: bool) -> tuple[int, int, int, int]:
        reuse = plan_site(settings, taxonomy, MkDocsLinks(use_directory_urls=True), show_problems=show_problems,
                          site_name="Handbook").reuse
        assert reuse is not None
        return reuse.pages_drawn, reuse.pages_kept, reuse.listings_drawn, reuse.listings_kept

    served = counts(True)
    assert served[:2] == (2, 0) and served[2] > 5 and served[3] == 0
    assert counts(True) == served  # nothing was kept for the next one either
    assert counts(False) == served  # a full build: nothing to take yet, everything kept
    assert counts(False) == (0, 2, 0, served[2])

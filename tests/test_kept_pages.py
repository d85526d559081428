"""Report pages kept from one build for the next (`rendering.kept_pages`): each input of a page, changed
on its own, makes the pages it shows on drawn again, and the site is the one a build from nothing makes.

Each case builds a copy of the examples once (which keeps its pages), changes one thing, builds again
with the same user cache folder, then builds from an empty one: the two sites must be the same byte for
byte, and the log line says how many report pages were drawn and how many taken as kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import copy_project, mkdocs
from .test_warm_builds import REUSE_LINE, _files

PAGES = 8
"""The example report pages an internal build draws (the restricted one is not among them)."""
TITLE_001 = "Checkout and public API outage after an edge-proxy configuration push tightened circuit breakers"
CHECKOUT_PAGES = ["INC-2025-001", "INC-2026-001", "INC-2026-006"]
"""The examples that name the service checkout-api."""


def _build(project: Path, cache: Path, name: str, env: dict[str, str] | None = None) -> tuple[Path, int, int]:
    """A strict build with the user cache folder `cache`: the site, report pages drawn and pages kept."""
    result = mkdocs(project, "build", "--strict", "-d", name, env={"XDG_CACHE_HOME": str(cache), **(env or {})})
    assert result.code == 0, result.output
    line = REUSE_LINE.search(result.output)
    assert line is not None, result.output
    return project / name, int(line[3]), int(line[4])


def _kept_file(cache: Path) -> Path:
    [found] = cache.rglob("report-pages-internal.json")
    return found


def _rewrite_kept(cache: Path, change: Callable[[dict], None]) -> None:
    """Change the kept pages in place, under their own key (as a damaged or stale file would be)."""
    path = _kept_file(cache)
    document = json.loads(path.read_text(encoding="ascii"))
    change(document["answer"])
    path.write_text(json.dumps(document, ensure_ascii=True), encoding="ascii")


def _edit(project: Path, rel: str, old: str, new: str) -> None:
    path = project / "postmortems" / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _retitle(project: Path, cache: Path) -> None:
    _edit(project, "2026/2026-02-09-edge-proxy-circuit-breaker-outage.md", TITLE_001, "Edge proxy pushed a tighter breaker")


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
        pages["incidents/INC-2026-003.md"]["page"]["lines"].append(7)  # a line is text or a fragment mark
    _rewrite_kept(cache, change)


def _wrong_service_name(project: Path, cache: Path) -> None:
    def change(pages: dict) -> None:
        asked = pages["incidents/INC-2026-005.md"]["services"]
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


@pytest.mark.slow
@pytest.mark.parametrize("case", ["nothing", "the day", "a named report's title", "a service taking a slug",
                                  "an entry damaged", "a service named otherwise", "the file unreadable",
                                  "the taxonomy", "the addresses"])
def test_a_warm_build_draws_again_what_changed_and_equals_a_cold_one(tmp_path, valid_text, case):
    changes: dict[str, tuple[Callable[[Path, Path], None] | None, dict[str, str] | None]] = {
        "nothing": (None, None),
        "the day": (None, {"HANDBOOK_TODAY": "2026-11-21"}),
        "a named report's title": (_retitle, None),
        "a service taking a slug": (_same_slug(valid_text), None),
        "an entry damaged": (_damaged_entry, None),
        "a service named otherwise": (_wrong_service_name, None),
        "the file unreadable": (_unreadable, None),
        "the taxonomy": (_taxonomy, None),
        "the addresses": (_addresses, None),
    }
    change, env = changes[case]
    project = copy_project(tmp_path / "project")
    cache = tmp_path / "cache"
    _, drawn, kept = _build(project, cache, "site-1")
    assert (drawn, kept) == (PAGES, 0)
    if change is not None:
        change(project, cache)
    site, drawn, kept = _build(project, cache, "site-2", env)
    cold, cold_drawn, _ = _build(project, tmp_path / "empty-cache", "site-cold", env)
    expected = {
        "nothing": (0, PAGES),
        # every page counts days overdue from the day; the taxonomy and the addresses are in every page
        "the day": (PAGES, 0), "the taxonomy": (PAGES, 0), "the addresses": (PAGES, 0),
        "the file unreadable": (PAGES, 0),
        "an entry damaged": (1, PAGES - 1), "a service named otherwise": (1, PAGES - 1),
    }
    if case in expected:
        assert (drawn, kept) == expected[case]
    elif case == "a named report's title":
        # its own page, the page that names it (INC-2026-003), and those listing it as similar
        assert 2 <= drawn < PAGES and drawn + kept == PAGES
        page = (site / "incidents" / "INC-2026-003" / "index.html").read_text(encoding="utf-8")
        assert "Edge proxy pushed a tighter breaker" in page and TITLE_001 not in page
    else:
        # the new report's page, and the three pages that asked for `checkout-api`, which is now the new
        # service's: each links to `checkout-api-2`
        assert drawn >= 1 + len(CHECKOUT_PAGES) and drawn + kept == PAGES + 1
        for rid in CHECKOUT_PAGES:
            page = (site / "incidents" / rid / "index.html").read_text(encoding="utf-8")
            assert 'href="../../services/checkout-api-2/"' in page, rid
    assert cold_drawn == drawn + kept
    files, cold_files = _files(site), _files(cold)
    assert files.keys() == cold_files.keys(), files.keys() ^ cold_files.keys()
    differ = [name for name in files if files[name] != cold_files[name]]
    assert not differ, f"{case}: the warm build differs from a cold one in {differ}"

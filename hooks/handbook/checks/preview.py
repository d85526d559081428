"""The author's fast path: preview one report among thousands in a couple of seconds.

`mkdocs serve` rebuilds the whole site on every save; with 2,000 reports that takes tens of
seconds. In preview mode (`handbook preview PATH`, or `HANDBOOK_PREVIEW=PATH`), a build reads
fully only the report being written; every other report comes from a cache of what was read
before (kept while its file's size and modification time stay the same), and only the report
being written gets a page. The handbook and every index page are still built, from all reports.

The cache is kept in memory between the builds of one `mkdocs serve`, and on disk between
processes as JSON outside the repository (see `report_cache`): nothing a pull request can
commit is ever read as a cache.
"""

from __future__ import annotations

from pathlib import Path

from handbook.checks.collection import Collection, check_files, cross_check, relative
from handbook.checks.links import check_links, resolver_for
from handbook.core.problems import Problem
from handbook.reading.links import Layout
from handbook.reading.model import Report
from handbook.reading.parts import has_marks
from handbook.reading.report_cache import CACHE_FILE, Entry, Stamp, cache_key, read_entries, write_entries
from handbook.reading.taxonomy import Taxonomy

# Serving is one long process that rebuilds on every save: the cache is kept in memory between
# builds (and on disk between processes). An entry is used only while its file is unchanged.
_memory: dict[Path, tuple[str, dict[str, Entry]]] = {}


def cache_path(cache_dir: Path) -> Path:
    """The JSON file of the cache kept in `cache_dir`."""
    return cache_dir / CACHE_FILE


def _read_cache(path: Path, key: str) -> dict[str, Entry]:
    remembered = _memory.get(path)
    if remembered is not None and remembered[0] == key:
        return remembered[1]
    return read_entries(path, key)


def _write_cache(path: Path, key: str, entries: dict[str, Entry]) -> None:
    _memory[path] = (key, entries)
    write_entries(path, key, entries)


def _stamp(path: Path) -> Stamp:
    try:
        stat = path.stat()
    except OSError:
        return (0, 0)
    return (stat.st_mtime_ns, stat.st_size)


def _fresh(entry: Entry | None, path: Path) -> bool:
    """Whether a cached entry still stands for the file at `path`."""
    return entry is not None and entry[1].path == path and entry[0] == _stamp(path)


def load_for_preview(files: list[Path], tax: Taxonomy, layout: Layout, target: Path, cache_dir: Path) -> Collection:
    """All reports, `target` read in full and the rest from the cache where it is still fresh.

    `cache_dir` is the cache's folder; `Settings.cache_dir` puts it outside the repository. Links are
    checked again on every build, from the cached list of each report's links: the files they point at
    may have changed."""
    root = layout.root
    key = cache_key(tax, root)
    path_on_disk = cache_path(cache_dir)
    cached = _read_cache(path_on_disk, key)
    entries: dict[str, Entry] = {}
    reports: list[Report] = []
    stale: list[Path] = []
    for path in files:
        rel = relative(path, root)
        entry = cached.get(rel)
        if path == target or entry is None or not _fresh(entry, path):
            stale.append(path)
            continue
        report, problems = entry[1], entry[2]
        report.problems = list(problems)  # without the checks between reports of the last build
        report.referenced_by = []
        entries[rel] = entry
        reports.append(report)
    changed = False
    for report in check_files(stale, tax, root, slim=False):
        reports.append(report)
        if report.path == target or has_marks(report):
            # read in full every time: the one being written, and one with parts kept for a narrower
            # audience (a view of it needs its body, which a cached report no longer has)
            continue
        report.release_content()
        entries[report.rel] = (_stamp(report.path), report, list(report.problems))
        changed = True
    if changed or len(entries) != len(cached) or cached is not _memory.get(path_on_disk, ("", None))[1]:
        _write_cache(path_on_disk, key, entries)
    reports.sort(key=lambda r: r.rel)
    known = cross_check(reports, set())
    check_links(reports, resolver_for(layout, tax, known))
    problems = sorted((p for r in reports for p in r.problems), key=Problem.sort_key)
    return Collection(reports, problems)

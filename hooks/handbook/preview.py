"""The author's fast path: preview one report among thousands in a couple of seconds.

`mkdocs serve` rebuilds the whole site on every save; with 2,000 reports that takes tens of
seconds. In preview mode (`handbook preview PATH`, or `HANDBOOK_PREVIEW=PATH`), a build reads
fully only the report being written; every other report comes from a cache of what was read
before (kept while its file's size and modification time stay the same), and only the report
being written gets a page. The handbook and every index page are still built, from all reports.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

from .collection import Collection, check_files, cross_check, relative
from .model import Report
from .problems import Problem
from .taxonomy import Taxonomy

CACHE_VERSION = 1


def _cache_key(tax: Taxonomy) -> str:
    """Reports read under another taxonomy (or another version of this code) are read again."""
    digest = hashlib.sha256(repr(sorted(tax.raw.items())).encode("utf-8"))
    digest.update(str(CACHE_VERSION).encode())
    digest.update(Path(__file__).parent.joinpath("rules.py").read_bytes())
    return digest.hexdigest()


Entry = tuple[tuple[int, int], Report, list[Problem]]
# Serving is one long process that rebuilds on every save: the cache is kept in memory between
# builds (and on disk between processes). An entry is used only while its file is unchanged.
_memory: dict[Path, tuple[str, dict[str, Entry]]] = {}


def _read_cache(path: Path, key: str) -> dict[str, Entry]:
    if path in _memory and _memory[path][0] == key:
        return _memory[path][1]
    try:
        with path.open("rb") as stream:
            stored_key, entries = pickle.load(stream)  # a local file this code wrote
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError):
        return {}
    return entries if stored_key == key else {}


def _write_cache(path: Path, key: str, entries: dict[str, Entry]) -> None:
    _memory[path] = (key, entries)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        with temporary.open("wb") as stream:
            pickle.dump((key, entries), stream, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(path)
    except OSError:
        pass  # a cache that cannot be written only makes the next preview slower


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (0, 0)
    return (stat.st_mtime_ns, stat.st_size)


def load_for_preview(files: list[Path], tax: Taxonomy, root: Path, target: Path, cache_file: Path) -> Collection:
    """All reports, `target` read in full and the rest from the cache where it is still fresh."""
    key = _cache_key(tax)
    cached = _read_cache(cache_file, key)
    entries: dict[str, Entry] = {}
    reports: list[Report] = []
    stale: list[Path] = []
    for path in files:
        rel = relative(path, root)
        entry = cached.get(rel)
        if path == target or entry is None or entry[0] != _stamp(path):
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
        if report.path == target:
            continue  # read in full every time: it is the one being written
        report.release_content()
        entries[report.rel] = (_stamp(report.path), report, list(report.problems))
        changed = True
    if changed or len(entries) != len(cached):
        _write_cache(cache_file, key, entries)
    reports.sort(key=lambda r: r.rel)
    cross_check(reports, set())
    problems = sorted((p for r in reports for p in r.problems), key=Problem.sort_key)
    return Collection(reports, problems)

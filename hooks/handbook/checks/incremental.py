"""A full build reads and checks again only the reports whose files changed since the last build.

Reading and checking every report is the largest part of planning a site (a third of it at 2,000
reports), and between two builds most files are the same. Each report is stored as its checks left it,
with the problems they found, under the SHA-256 of its file's bytes (`report_cache.read_checked`: in
the user's cache folder, outside the checkout, as plain JSON, under a key that covers the taxonomy,
the source of this package and the libraries the checks read with). A build reads every file's bytes,
as it always did, and takes the stored report of each file whose bytes hash the same; only the others
are parsed and checked. The checks between reports (duplicate ids, related ids, the body's links
against the repository's files) depend on other files and run on every build, as
`collection.load_collection` runs them. No check of one report reads the date, the issue states file
or the build's audience, so none of them is part of the key.

A stored report is the same as one read again, for everything after the checks: its front matter, body,
action items, factors and problems, and what is read from its body (its sections, links, summary
and timeline, read again from the body as a view reads its own: `reading.parts.assemble_body`, a
fifteenth of the checks' cost). So the views each audience reads (`reading.parts.view_for`) and the
external messages (`queries.statements`) are made from it exactly as from a report just read. It
lacks only the lines of front matter keys no problem between reports can point at; `plan_site`
drops those anyway.
The file is written before anything after the checks sees the reports, and holds only the files
read by this build. A file that cannot be read as a regular file is never stored: it is checked again
every time, so its problem says what the file system says now.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from handbook.checks.collection import INTERNAL_ERROR, Collection, check_files, check_read, cross_check, relative
from handbook.checks.links import check_links, resolver_for
from handbook.checks.rules import ReportChecker
from handbook.core.memory import collector_paused
from handbook.core.problems import Problem, ProblemSink
from handbook.reading.links import Layout
from handbook.reading.model import Report
from handbook.reading.parts import assemble_body
from handbook.reading.report_cache import CHECKED_FILE, cache_key, decode_checked, encode_checked, read_checked, \
    write_checked
from handbook.reading.source import read_regular
from handbook.reading.taxonomy import Taxonomy


def checked_path(cache_dir: Path) -> Path:
    """The file of the checked reports stored in `cache_dir` (`Settings.cache_dir`)."""
    return cache_dir / CHECKED_FILE


def load_incrementally(files: list[Path], taxonomy: Taxonomy, layout: Layout, cache_dir: Path,
                       fresh: frozenset[Path] = frozenset()) -> tuple[Collection, int]:
    """What `collection.load_collection(files, taxonomy, layout)` returns, the same reports in the same
    order with the same problems, reading again only the files changed since the last build (and those of
    `fresh`, always: the report an author is writing), and how many files were read and checked again;
    the stored reports are then replaced by this build's."""
    root = layout.root
    key = cache_key(taxonomy, root)
    store = checked_path(cache_dir)
    stored = read_checked(store, key)
    entries: dict[str, Any] = {}
    reports: list[Report] = []
    checker: ReportChecker | None = None
    checked = 0
    with collector_paused():
        for path in files:
            rel = relative(path, root)
            sink = ProblemSink(rel)
            try:
                raw = read_regular(path, sink, taxonomy.limits.max_file_bytes, root)
            except Exception:  # noqa: BLE001 - a bug of ours: read it the usual way, which reports it
                reports += check_files([path], taxonomy, root, slim=False)
                checked += 1
                continue
            digest = hashlib.sha256(raw).hexdigest() if raw is not None else ""
            report = _stored(stored.get(rel), digest, path, taxonomy) if digest and path not in fresh else None
            if report is not None:
                entries[rel] = stored[rel]
            else:
                checker = checker or ReportChecker(taxonomy)
                report = check_read(checker, taxonomy, path, rel, raw, sink)
                checked += 1
                entry = _entry(digest, report) if digest else None
                if entry is not None:
                    entries[rel] = entry
            reports.append(report)
    # Written now, before the checks between reports or the site change any report: the file holds
    # the reports as their own checks left them, and only the files of this build.
    if entries.keys() != stored.keys() or any(entries[rel] is not stored[rel] for rel in entries):
        write_checked(store, key, entries)
    known, referenced_by = cross_check(reports, set())
    check_links(reports, resolver_for(layout, taxonomy, known))
    problems = sorted((p for r in reports for p in r.problems), key=Problem.sort_key)
    return Collection(reports, problems, referenced_by), checked


def _stored(value: Any, digest: str, path: Path, taxonomy: Taxonomy) -> Report | None:
    """The stored report of the file at `path` whose bytes hash to `digest`, with its own problems and what
    is read from its body; None when there is none, or the one stored is of other bytes or cannot be
    rebuilt."""
    if value is None:
        return None
    try:
        stored_digest, report, problems = decode_checked(value)
        if stored_digest != digest or report.path != path:
            return None
        if report.parsed:  # the checks read the body of every report whose front matter they could read
            assemble_body(report, taxonomy)
    except Exception:  # noqa: BLE001 - a stored report that cannot be rebuilt is read again
        return None
    report.problems = problems
    return report


def _entry(digest: str, report: Report) -> dict[str, Any] | None:
    """What is stored of a report just checked (before anything after the checks changes it); None for a
    report our own code failed on (`internal-error`), which is checked again on every build, so the
    failure ends when its cause does (a fix, or memory that ran out once) and never outlives it."""
    if any(p.rule == INTERNAL_ERROR for p in report.problems):
        return None
    try:
        return encode_checked(digest, report, list(report.problems))
    except Exception:  # noqa: BLE001 - a report that cannot be stored is read again next time
        return None

"""All reports of a repository: found, read, checked, and checked against each other."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from handbook.checks.links import check_links, resolver_for
from handbook.checks.rules import ReportChecker
from handbook.checks.tracker import check_tracker
from handbook.core.files import Refused, read_head
from handbook.core.memory import collector_paused
from handbook.core.problems import Level, Problem, ProblemSink
from handbook.reading.links import Layout
from handbook.reading.model import Report
from handbook.reading.source import Source, parse_source, read_source
from handbook.reading.taxonomy import Taxonomy
from handbook.reading.tracker import TrackerFile


@dataclass(slots=True)
class Collection:
    reports: list[Report]
    problems: list[Problem] = field(default_factory=list)
    referenced_by: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Id -> the ids of the reports that list it under `related` (found between reports, never written
    onto one)."""

    @property
    def errors(self) -> list[Problem]:
        """The problems that are errors."""
        return [p for p in self.problems if p.level is Level.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        """The problems that are warnings."""
        return [p for p in self.problems if p.level is Level.WARNING]

    def by_id(self) -> dict[str, Report]:
        """Reports by id (of duplicates, the last one read)."""
        return {r.id: r for r in self.reports if r.id}


def find_reports(paths: list[Path]) -> list[Path]:
    """Markdown files under the given files or folders, sorted; README.md files are not reports."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            # Not `is_file()`: a broken link must be reported as unreadable, never skipped.
            found.update(p for p in path.rglob("*.md") if p.name.lower() != "readme.md" and not p.is_dir()
                         and not any(part.startswith(".") for part in p.relative_to(path).parts))
        else:
            found.add(path)
    return sorted(found)


_ID_LINE = re.compile(r"^id:\s*['\"]?([^'\"#\s]+)", re.M)


def existing_ids(folder: Path, *, skip: set[Path] | None = None) -> set[str]:
    """Ids used by the reports under `folder` (except `skip`): a cheap read of each file's head,
    for when only some files are checked or a new id is chosen."""
    ids: set[str] = set()
    for path in find_reports([folder]) if folder.is_dir() else []:
        if skip and path.resolve() in skip:
            continue
        try:
            head = read_head(path, 4096, root=folder).decode("utf-8-sig", errors="replace")
        except Refused:
            continue  # reported where the file is checked
        match = _ID_LINE.search(head)
        if match:
            ids.add(match.group(1))
    return ids


INTERNAL_ERROR = "internal-error"
"""The rule of a problem that stands for a bug in this tool (`internal_error`)."""

PARALLEL_FROM = 300  # below this, starting processes costs more than it saves
MAX_JOBS = 4


def load_collection(files: list[Path], taxonomy: Taxonomy, layout: Layout, *,
                    all_ids: set[str] | None = None, problems_only: bool = False,
                    tracker: TrackerFile | None = None) -> Collection:
    """Read and check every file, then check them against each other and their links against the
    repository's files (`layout`: where the repository, the reports and the handbook's pages are).

    `all_ids` are ids known to exist outside `files` (when only some files are validated),
    so `related` and links may name them. With `problems_only` (the `validate` command), large sets are
    checked in parallel processes and the reports come back without their content: only what
    the problems and the checks between reports need. With `tracker` (the issue states
    `handbook sync github --pull` recorded), each item is also compared with its issue.
    """
    root = layout.root
    jobs = min(os.cpu_count() or 1, MAX_JOBS) if problems_only and len(files) >= PARALLEL_FROM else 1
    if jobs > 1:
        import multiprocessing as mp  # only for large sets

        if "fork" not in mp.get_all_start_methods():
            jobs = 1
    if jobs > 1:
        # The other processes take their shares while this one checks its own.
        chunks = [files[i::jobs] for i in range(jobs)]
        with mp.get_context("fork").Pool(jobs - 1) as pool:
            others = pool.starmap_async(check_files, [(chunk, taxonomy, root, True, tracker)
                                                         for chunk in chunks[1:]])
            parts = [check_files(chunks[0], taxonomy, root, True, tracker), *others.get()]
        reports = sorted((r for part in parts for r in part), key=lambda r: r.rel)
    else:
        reports = check_files(files, taxonomy, root, problems_only, tracker)
    known, referenced_by = cross_check(reports, all_ids or set())
    check_links(reports, resolver_for(layout, taxonomy, known))
    problems = sorted((p for r in reports for p in r.problems), key=Problem.sort_key)
    return Collection(reports, problems, referenced_by)


def check_files(files: list[Path], taxonomy: Taxonomy, root: Path, slim: bool,
                tracker: TrackerFile | None = None) -> list[Report]:
    """Read and check each file in `files` (one report each); `slim` keeps only what the checks between reports
    need; `tracker` adds the comparison of each item with its issue."""
    checker = ReportChecker(taxonomy)
    reports: list[Report] = []
    with collector_paused():
        for path in files:
            rel = relative(path, root)
            report = _check_one(checker, taxonomy, path, rel, root, tracker)
            reports.append(report.slim() if slim else report)
    return reports


def _check_one(checker: ReportChecker, taxonomy: Taxonomy, path: Path, rel: str, root: Path,
               tracker: TrackerFile | None = None) -> Report:
    """Read and check one report. A bug of ours met on it is that report's problem, never the end of
    the run: the other reports are still checked and built."""
    sink = ProblemSink(rel)
    return _checked(checker, sink, path, rel, lambda: read_source(
        path, rel, sink, max_bytes=taxonomy.limits.max_file_bytes, max_lines=taxonomy.limits.max_front_matter_lines,
        limits=taxonomy.limits, root=root), taxonomy, tracker)


def check_read(checker: ReportChecker, taxonomy: Taxonomy, path: Path, rel: str, raw: bytes | None,
               sink: ProblemSink) -> Report:
    """`_check_one` for a file already read (`source.read_regular`): `raw` is its bytes, or None when it
    could not be read (the problem is in `sink` already)."""
    return _checked(checker, sink, path, rel, lambda: Source(path=path, rel=rel) if raw is None else parse_source(
        raw, path, rel, sink, max_lines=taxonomy.limits.max_front_matter_lines, limits=taxonomy.limits), taxonomy)


def _checked(checker: ReportChecker, sink: ProblemSink, path: Path, rel: str, read: Callable[[], Source],
             taxonomy: Taxonomy, tracker: TrackerFile | None = None) -> Report:
    """Check the report `read()` gives, behind the guard that makes a bug of ours that report's problem."""
    try:
        source = read()
        report = checker.check(source, sink)
        if tracker is not None:
            check_tracker(report, tracker, sink)
    except Exception as exc:  # noqa: BLE001 - the guard: whatever it is, it must not end the build
        sink.problems.append(internal_error(rel, exc))
        report = Report(path=path, rel=rel, data={}, body="", body_line=1, parsed=False,
                        visibility=taxonomy.most_restricted)  # unread: the most restricted
    report.problems = sink.problems
    return report


def internal_error(rel: str, exc: BaseException) -> Problem:
    """The problem that stands for a bug in this tool met while handling the file `rel`."""
    return Problem(rel, 1, INTERNAL_ERROR, Level.ERROR,
                   f"The handbook's code failed on this file ({type(exc).__name__}); this is a bug in the "
                   "handbook, not in the report.",
                   "Please report it with the file attached (or a copy with its text replaced); until it is "
                   "fixed, changing the part of the file you edited last usually avoids it.")


def relative(path: Path, root: Path) -> str:
    """`path` relative to `root`, with forward slashes (as given when it is outside `root`)."""
    prefix = str(root).rstrip(os.sep) + os.sep
    text = str(path)
    if text.startswith(prefix):  # the usual case, without pathlib's slower arithmetic
        return text[len(prefix):].replace(os.sep, "/")
    resolved = path.resolve()
    if resolved.is_relative_to(root.resolve()):
        return resolved.relative_to(root.resolve()).as_posix()
    return path.as_posix()


def shared_file_names(reports: list[Report]) -> dict[str, list[Report]]:
    """Group the reports whose file names are one address, `incidents/<file name>/` (in any case, as a
    file system that ignores case sees them), when more than one report has it."""
    by_name: dict[str, list[Report]] = {}
    for report in reports:
        by_name.setdefault(report.path.stem.lower(), []).append(report)
    return {name: group for name, group in by_name.items() if len(group) > 1}


def cross_check(reports: list[Report], outside_ids: set[str]) -> tuple[set[str], dict[str, tuple[str, ...]]]:
    """Run the checks between reports: duplicate ids, one file name in two folders, and `related` ids that
    exist nowhere (`outside_ids` are known elsewhere). Return every id known, and for each id the ids
    of the reports that list it under `related`."""
    first: dict[str, Report] = {}
    for report in reports:
        if not report.id:
            continue
        other = first.get(report.id)
        if other is None:
            first[report.id] = report
            continue
        for mine, theirs in ((report, other), (other, report)):
            mine.problems.append(Problem(mine.rel, mine.line_of(("id",)), "duplicate-id", Level.ERROR,
                                         f"The id `{report.id}` is also used by {theirs.rel}.",
                                         "Give one of the two reports the next free id (`handbook next-id`).",
                                         names=(theirs.rel,)))
    for name, group in shared_file_names(reports).items():
        for mine in group:
            others = [theirs.rel for theirs in group if theirs is not mine]
            mine.problems.append(Problem(mine.rel, 1, "shared-file-name", Level.WARNING,
                                         f"{', '.join(others)} has this file's name too, so neither has the "
                                         f"address incidents/{mine.path.stem}/ (each keeps incidents/<id>/).",
                                         "Rename one of them (`git mv`), for example with its date in front.",
                                         names=tuple(others)))
    known = set(first) | outside_ids
    referenced_by: dict[str, list[str]] = {}
    for report in reports:
        for index, related in enumerate(report.related):
            if related == report.id:
                continue
            if related not in known:
                level = Level.ERROR if report.enforced else Level.WARNING
                report.problems.append(Problem(report.rel, report.line_of(("related", index)), "unknown-related",
                                               level, f"`related` names `{related}`, but no report has that id.",
                                               "Check the id, or remove it."))
            elif related in first:
                referenced_by.setdefault(related, []).append(report.id)
    return known, {rid: tuple(ids) for rid, ids in referenced_by.items()}


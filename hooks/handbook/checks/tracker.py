"""The issue tracker against the reports: an item and its issue must say the same thing.

`handbook sync github --pull` records each linked issue's state (`reading.tracker`). An open item
whose issue is closed, or a done item whose issue is still open, is a `tracker-disagrees` warning on
the item's `status` line: the report and the tracker disagree about whether the work is finished.
Only `handbook validate` passes the recorded states to the checks. A site build does not: an issue
closed in GitHub changes nothing in the repository, and must not fail a strict build of it.
"""

from __future__ import annotations

from handbook.core.problems import Problem, ProblemSink
from handbook.reading.model import Report
from handbook.reading.settings import Settings
from handbook.reading.taxonomy import Taxonomy
from handbook.reading.tracker import TrackerFile, TrackerFileError, disagreement, load_tracker


def tracker_for(settings: Settings, tax: Taxonomy) -> tuple[TrackerFile | None, list[Problem]]:
    """The recorded issue states of the handbook at `settings` (None when handbook.yml has no `github`
    block or nothing was pulled yet), and the problem of a state file that cannot be read."""
    if tax.github is None:
        return None, []
    path = settings.root / tax.github.state_file
    rel = path.relative_to(settings.root).as_posix() if path.is_relative_to(settings.root) else str(path)
    try:
        return load_tracker(path, rel, settings.root), []
    except TrackerFileError as exc:
        return None, [exc.problem]


def check_tracker(report: Report, tracker: TrackerFile, sink: ProblemSink) -> None:
    """Warn on each action item of `report` whose status and its issue's recorded state disagree."""
    for item in report.actions:
        found = disagreement(item.open, tracker.state_of(item.ticket))
        if found is None:
            continue
        line = report.line_of(("action_items", item.index, "status"))
        sink.warn(line, "tracker-disagrees",
                  f"Action item `{item.id}` is `{item.status}` here, but {found.message} (as of the last "
                  "`handbook sync github --pull`).", found.fix)

"""Answers a full build takes from the last one: similar incidents and calendar.ics.

Each is computed by a pure function (`queries.similarity.similar_reports`, `rendering.calendar.calendar_ics`)
and takes a second or so at 2,000 reports. A full build asks here instead: the answer of the last build
is used again while every input is the same, and computed afresh otherwise, as `reading.kept` keeps
answers (one file per question in the checkout's cache folder, under a key of the inputs and the
package's source).

The inputs are read from the reports as the build's audience reads them (`queries.audience.readable_by`):
another audience reads other reports, or other summaries, factors, services and action items of the
same ones, so its answer is under another key and never used for this one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import icalendar

from handbook.queries.deadlines import Deadline
from handbook.queries.similarity import Match, similar_reports
from handbook.reading.kept import key_of, read_kept, write_kept
from handbook.reading.model import Report
from handbook.reading.taxonomy import Similarity
from handbook.rendering.calendar import calendar_ics


# -- similar incidents ---------------------------------------------------------------------------

def kept_similar_reports(reports: list[Report], settings: Similarity,
                         cache_dir: Path) -> tuple[dict[str, list[Match]], bool]:
    """`similar_reports(reports, settings)`, taken from the answer kept in `cache_dir` when it was computed
    from the same inputs, and kept there otherwise; and whether it was the kept one."""
    key = key_of("similar", settings, [_report_inputs(r) for r in reports])
    kept = read_kept(cache_dir, "similar", key)
    if kept is not None:
        try:
            return _decode(kept, {r.rel: r for r in reports}), True
        except Exception:  # noqa: BLE001 - an answer that cannot be rebuilt is computed again
            pass
    found = similar_reports(reports, settings)
    write_kept(cache_dir, "similar", key, {rel: [[m.report.rel, m.score, m.services, m.layers, m.tags, m.words]
                                                 for m in matches] for rel, matches in found.items()})
    return found, False


def _report_inputs(report: Report) -> list[Any]:
    """Everything of `report` that `similar_reports` reads."""
    return [report.rel, report.id, report.key, report.summary, [[f.layer, f.description] for f in report.factors],
            report.services, report.tags, report.related, report.referenced_by]


def _decode(kept: Any, by_rel: dict[str, Report]) -> dict[str, list[Match]]:
    """The matches of a kept answer, naming the reports of this build; raises on anything malformed."""
    if not isinstance(kept, dict) or not all(rel in by_rel for rel in kept):
        raise ValueError("a kept answer maps this build's reports to their matches")
    return {rel: [_decode_match(entry, by_rel) for entry in matches] for rel, matches in kept.items()}


def _decode_match(entry: Any, by_rel: dict[str, Report]) -> Match:
    other, score, services, layers, tags, words = entry
    if not isinstance(score, float):
        raise ValueError("a score is a number")
    return Match(by_rel[other], score, _texts(services), _texts(layers), _texts(tags), _texts(words))


def _texts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of text")
    return tuple(value)


# -- calendar.ics --------------------------------------------------------------------------------

def kept_calendar_ics(deadlines: list[Deadline], site_url: str, site_name: str, today: dt.date,
                      cache_dir: Path) -> tuple[bytes, bool]:
    """`calendar_ics(deadlines, site_url, site_name, today)`, taken from the file kept in `cache_dir` when
    it was written from the same values (and the same icalendar library), and kept there otherwise; and
    whether it was the kept one."""
    key = key_of("calendar", icalendar.__version__, site_url, site_name, today.isoformat(),
                 [_deadline_inputs(d) for d in deadlines])
    kept = read_kept(cache_dir, "calendar", key)
    if isinstance(kept, str):
        return kept.encode("utf-8", "surrogateescape"), True
    written = calendar_ics(deadlines, site_url, site_name, today)
    write_kept(cache_dir, "calendar", key, written.decode("utf-8", "surrogateescape"))
    return written, False


def _deadline_inputs(deadline: Deadline) -> list[Any]:
    """Everything of `deadline` that `calendar_ics` writes."""
    item = deadline.item
    return [deadline.kind, deadline.label, deadline.date.isoformat(), deadline.report.id, deadline.report.key,
            deadline.report.title, deadline.owner, item.id if item is not None else None,
            item.description if item is not None else None]

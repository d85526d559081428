"""Parts of a report kept for a narrower audience than the report, and the report as one audience reads it.

A report is public, internal or restricted as a whole (`visibility:`); a part of it can be kept for
readers of a narrower level:

- a stretch of the body (a section, a paragraph, a timeline entry), between a line `::: internal`
  and a line `:::`, each at the start of a line and outside code;
- an action item or a contributing factor, with `visibility: internal` among its keys;
- a front matter field, named in `field_visibility:` by its path (`impact.users_affected`,
  `links.slack`, `roles.scribe`) or, for a list of names, by an entry (`services.ledger-db`).

`view_for` gives the report as one audience reads it: the parts that audience may not read are gone,
with the marks that named them, so every page, index, JSON file, feed and message made from the view
holds no trace of them. The checks (checks/rules.py) refuse marks that would not do what they say.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, replace
from typing import Any

from handbook.core.text import plain_text
from handbook.reading.links import find_links
from handbook.reading.model import ActionItem, Report, text
from handbook.reading.sections import literal_flags, parse_body
from handbook.reading.taxonomy import Taxonomy
from handbook.reading.timeline import parse_timeline

MARK = re.compile(r"^[ \t]*:::[ \t]*(?P<level>\S*)[ \t]*$")
"""A line that opens (`::: internal`) or closes (`:::`) a marked stretch of the body."""
_CONTAINERS = r"(?:[ \t]*(?:>|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t])))*[ \t]*"
"""What may stand before a mistaken mark: spaces, and the markers of quotes and list items (`> `, `- `, `1. `)."""
_MARK_LINE = re.compile(_CONTAINERS + ":::")
_MARK_START = re.compile("^" + _CONTAINERS + ":::", re.M)


def is_mark_line(line: str) -> bool:
    """Tell whether `line` starts with `:::` (after spaces, or inside a quote or a list item): a mark, or a
    mistaken one; never shown."""
    return _MARK_LINE.match(line) is not None


def body_has_marks(body: str) -> bool:
    """Tell whether any line of `body` is a mark line (cheap: most bodies have none)."""
    return _MARK_START.search(body) is not None


def _mark_text(line: str) -> str:
    """Return the mark of a mark line without the quote or list markers before it."""
    found = _MARK_LINE.match(line)
    return line[found.end() - 3:] if found else line


FIELD_MARKS = "field_visibility"
"""The front matter key that keeps fields for a narrower audience."""
PART_KEY = "visibility"
"""The key of an action item or a contributing factor that keeps it for a narrower audience."""
MARKED_LISTS = ("action_items", "contributing_factors")
"""The front matter lists whose entries take `visibility:` of their own."""
UNMARKABLE = ("id", "title", "severity", "status", "visibility", "kind", "owner", "started", "detected",
              "mitigated", "impact_ended", "resolved", "review_meeting", "contributing_factors", "action_items",
              FIELD_MARKS, "external_title")
"""Fields every reader of a report needs (what it is, how bad, when, where it stands) or that are marked
another way (items and factors by their own `visibility:`): `field_visibility` refuses them and any
part of them."""
WHOLE_ONLY = ("services", "effectiveness_review", "effectiveness_review.held", "effectiveness_review.outcome")
"""Fields every reader needs though parts of them may be kept: one service of `services`, what an
effectiveness review measured (not whether it was held, nor its outcome, or it would read as late)."""


@dataclass(frozen=True, slots=True)
class Stretch:
    """A marked stretch of the body: lines `first` (the `::: level` line) to `last` (the `:::` line),
    as indexes into the body's lines."""

    level: str
    first: int
    last: int


@dataclass(slots=True)
class BodyMarks:
    stretches: list[Stretch] = field(default_factory=list)
    problems: list[tuple[int, str, str]] = field(default_factory=list)
    """(file line, what is wrong, the fix) for each mark that is not well formed."""


def find_marks(lines: list[str], levels: tuple[str, ...], first_line: int = 1) -> BodyMarks:
    """The marked stretches of a body's `lines`. A mark of an unknown level, an opening mark inside an
    open stretch and a stretch never closed are problems; each is read so that it hides more, never
    less: an unknown level as the most restricted one, an unclosed stretch up to the end of the body.
    `first_line` is the file line of `lines[0]`."""
    found = BodyMarks()
    most = levels[-1]
    opened: tuple[int, str] | None = None
    for index, (line, literal) in enumerate(zip(lines, literal_flags(lines))):
        if literal or not is_mark_line(line):
            continue
        bare = _mark_text(line)
        if bare != line.lstrip(" \t"):  # read as meant, so the part is still kept, but the author is told
            found.problems.append((first_line + index, f"`{line.strip()[:60]}` is inside a quote or a list item; a "
                                                       "mark is a line of its own.",
                                   "Put the `:::` line alone, without `>` or `-` before it, above and below the "
                                   "quote or list: a part kept for a narrower audience is whole lines of the body."))
        elif line[:1] in (" ", "\t"):
            found.problems.append((first_line + index, f"`{line.strip()[:60]}` is indented; a mark starts at the "
                                                       "beginning of its line.",
                                   "Remove the spaces before `:::`, also inside a list: a part kept for a narrower "
                                   "audience is whole lines of the body."))
        mark = MARK.match(bare)
        if mark is None:
            found.problems.append((first_line + index, f"`{line[:60]}` is not a mark this handbook reads.",
                                   "Open a part with a line `::: <level>` (one of: " + ", ".join(levels) +
                                   ") and close it with a line `:::` alone."))
            continue
        level = mark.group("level")
        if level and opened is not None:
            found.problems.append((first_line + index, f"`::: {level}` opens a part inside the `::: {opened[1]}` "
                                                       f"part opened on line {first_line + opened[0]}; parts "
                                                       "cannot be nested.",
                                   f"Close the `::: {opened[1]}` part (a line `:::`) before this one, or "
                                   "mark the whole stretch once with the narrower level."))
            continue
        if level:
            if level not in levels:
                found.problems.append((first_line + index, f"`::: {level}` names no audience.",
                                       "Use one of: " + ", ".join(levels) + "."))
                level = most
            opened = (index, level)
        elif opened is None:
            found.problems.append((first_line + index, "This `:::` closes no part.",
                                   "Remove it, or open the part above it with `::: <level>`."))
        else:
            found.stretches.append(Stretch(opened[1], opened[0], index))
            opened = None
    if opened is not None:
        found.problems.append((first_line + opened[0], f"The `::: {opened[1]}` part is never closed.",
                               "Close it with a line `:::` alone where the part ends."))
        found.stretches.append(Stretch(opened[1], opened[0], len(lines)))
    return found


def message_title_field(data: dict[str, Any]) -> str:
    """Name the field an external message is published under: `external_title`, else the report's `title`."""
    return "external_title" if text(data.get("external_title")).strip() else "title"


def has_marks(report: Report) -> bool:
    """Whether any part of `report` is kept for a narrower audience (cheap: most reports have none)."""
    data = report.data
    if FIELD_MARKS in data:
        return True
    for key in MARKED_LISTS:
        items = data.get(key)
        if isinstance(items, list) and any(isinstance(i, dict) and PART_KEY in i for i in items):
            return True
    return body_has_marks(report.body)


def field_marks(data: dict[str, Any]) -> dict[str, str]:
    """`field_visibility` as path -> level ({} when absent or not a mapping of text)."""
    marks = data.get(FIELD_MARKS)
    if not isinstance(marks, dict):
        return {}
    return {str(k): str(v) for k, v in marks.items() if isinstance(v, str)}


def locate(data: dict[str, Any], path: str) -> list[tuple[Any, Any]]:
    """Find every place of the field `path`: (its container, its key or list index), [] when the report
    has no such field. A part names a key of a mapping or, in a list of names, every entry of that text
    (a name listed twice is withheld twice)."""
    container: Any = data
    parts = path.split(".")
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(container, dict):
            if part not in container:
                return []
            if last:
                return [(container, part)]
            container = container[part]
        elif isinstance(container, list):
            rest = ".".join(parts[depth:])  # an entry may itself hold dots (a host name)
            return [(container, i) for i, v in enumerate(container)
                    if isinstance(v, (str, int, float)) and str(v) == rest]
        else:
            return []
    return []


@dataclass(slots=True)
class Reader:
    """Who reads: a level of the taxonomy and what it may read."""

    tax: Taxonomy
    audience: str

    def may_read(self, level: str) -> bool:
        """Whether this reader may read a part kept for `level`. An unknown level, which the checks
        refuse, reads as the most restricted one, as `find_marks` reads it in the body."""
        levels = self.tax.visibilities.levels
        return min(self.tax.visibility_rank(level), len(levels) - 1) <= self.tax.visibility_rank(self.audience)


def view_for(report: Report, tax: Taxonomy, audience: str) -> Report:
    """`report` as `audience` reads it: every part kept for a narrower audience removed, with its marks.

    The report itself when nothing in it is marked (most reports): no copy. Otherwise a new report
    whose front matter, body, summary, sections, links, timeline, action items and factors are those
    of the view. `withheld` lists the fields taken out, so a page leaves out their rows instead of
    showing them as not known; `shown_parts` are the stretches of the body this reader may read that
    are kept for a narrower audience than the report's, so a page can say so."""
    if not has_marks(report):
        return report
    reader = Reader(tax, audience)
    data = copy.deepcopy(report.data)
    withheld: list[str] = []
    for path, level in field_marks(report.data).items():
        if reader.may_read(level) or not markable(path):
            continue  # an unmarkable field stays: the checks refuse its mark in every status
        places = locate(data, path)
        for container, key in reversed(places):  # from the last, so the list indexes still hold
            del container[key]
        if places:
            withheld.append(path)
    data.pop(FIELD_MARKS, None)
    kept: dict[str, set[int]] = {}
    for key in MARKED_LISTS:
        items = data.get(key)
        if not isinstance(items, list):
            continue
        kept[key] = {i for i, item in enumerate(items)
                     if not (isinstance(item, dict) and PART_KEY in item and not reader.may_read(str(item[PART_KEY])))}
        data[key] = [_unmarked(item) for i, item in enumerate(items) if i in kept[key]]
    body, shown = body_for(report.body, tax, reader, report.visibility)
    view = replace(report, data=data, body=body, withheld=tuple(withheld), shown_parts=tuple(shown))
    items_kept, factors_kept = kept.get("action_items", set()), kept.get("contributing_factors", set())
    view.actions = [ActionItem(a.report_id, a.index, a.line, _unmarked(a.raw), a.open)
                    for a in report.actions if a.index in items_kept]
    view.factors = [f for index, f in enumerate(report.factors) if index in factors_kept]
    if report.parsed_body is not None:
        assemble_body(view, tax)
    return view


def markable(path: str) -> bool:
    """Whether `field_visibility` may keep the field `path` for a narrower audience: any field but
    `UNMARKABLE` ones and their parts, and `WHOLE_ONLY` ones."""
    return path.split(".", 1)[0] not in UNMARKABLE and path not in WHOLE_ONLY


def _unmarked(item: Any) -> Any:
    return {k: v for k, v in item.items() if k != PART_KEY} if isinstance(item, dict) else item


def body_for(body: str, tax: Taxonomy, reader: Reader, report_level: str) -> tuple[str, list[tuple[int, int, str]]]:
    """The body as `reader` reads it, without any mark line, and the stretches it keeps that are marked
    for a level narrower than the report's, as (first line, last line, level) indexes into the new body."""
    if not body_has_marks(body):
        return body, []
    lines = body.split("\n")
    marks = find_marks(lines, tax.visibilities.levels)
    literal = literal_flags(lines)
    drop = {index for index, line in enumerate(lines)  # every mark line goes, well formed or not
            if is_mark_line(line) and not literal[index]}
    kept_ranges: list[tuple[int, int, str]] = []
    for stretch in marks.stretches:
        inside = range(stretch.first + 1, min(stretch.last, len(lines)))
        if reader.may_read(stretch.level):
            if tax.visibility_rank(stretch.level) > tax.visibility_rank(report_level) and len(inside):
                kept_ranges.append((inside.start, inside.stop - 1, stretch.level))
        else:
            drop.update(inside)
    new_index: dict[int, int] = {}
    out: list[str] = []
    for index, line in enumerate(lines):
        if index in drop:
            continue
        new_index[index] = len(out)
        out.append(line)
    shown = []
    for first, last, level in kept_ranges:
        mapped = [new_index[i] for i in range(first, last + 1) if i in new_index]
        if mapped:
            shown.append((mapped[0], mapped[-1], level))
    return "\n".join(out), shown


def assemble_body(report: Report, tax: Taxonomy) -> None:
    """Fill what is read from the body (sections, links, summary, timeline) from `report.body`."""
    report.parsed_body = parse_body(report.body, report.body_line)
    report.body_links = find_links(report.body, report.body_line)
    summary = report.parsed_body.section(section_title(tax, "summary", "Summary"))
    report.summary = plain_text(summary.text()) if summary else ""
    timeline = report.parsed_body.section(section_title(tax, "timeline", "Timeline"))
    report.timeline = parse_timeline([(n, t) for n, t in timeline.lines if n not in report.parsed_body.code_lines],
                                     report.started) if timeline else []


def section_title(tax: Taxonomy, section_id: str, default: str) -> str:
    """The title handbook.yml gives the section `section_id`."""
    return next((s.title for s in tax.sections if s.id == section_id), default)


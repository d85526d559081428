"""Adding drafted entries under a report's Timeline heading, editing the file as text.

The entries go after the section's last line, so they continue its list. The template's own
placeholder entries are removed: the list items of the template's Timeline section, line for line,
with what `handbook new` fills in (`- 2026-11-03 09:12 — TODO: first event (impact begins)`), and no
other line (an author's entry that starts with "TODO" is the author's). A section with no entry
left gets the sentence naming the zone above the entries, unless it already says how times are
given (`Times are ...`, `All times are ...`). Everything else in the file is kept as it was, its
line endings included.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from handbook.reading.sections import code_flags, normalise
from handbook.reading.timeline import Entry, parse_timeline
from handbook.rendering.scaffold import filled_line

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_ZONE_SENTENCE = re.compile(r"^\s*(?:all\s+)?times\s+are\b", re.I)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s")


class MissingSection(Exception):
    """The report has no Timeline section to insert into."""


@dataclass(frozen=True, slots=True)
class Inserted:
    text: str
    """The report's new text."""
    removed: tuple[str, ...]
    """The template's placeholder lines taken out, as they were."""


def placeholders(template: str, title: str) -> tuple[re.Pattern[str], ...]:
    """The template's placeholder entries: a pattern for each list item of its `## title` section, as
    `handbook new` fills it in (none when the template has no such section)."""
    try:
        lines, start, end = _section(_lines(template), title)
    except MissingSection:
        return ()
    return tuple(filled_line(line.rstrip()) for line, in_code in zip(lines[start:end], code_flags(lines[start:end]))
                 if not in_code and _LIST_ITEM.match(line))


def assumed_offset(text: str, title: str, started: dt.datetime | None,
                   template: Sequence[re.Pattern[str]] = ()) -> dt.timedelta | None:
    """The offset a time without a zone is read in after the section's existing entries (the
    template's placeholders left out)."""
    lines, start, end = _section(_lines(text), title)
    entries = [e for e in _entries(lines, start, end, started) if not _placeholder(lines[e.line - 1], template)]
    zone = next((e.when.tzinfo for e in reversed(entries) if e.when is not None), None)
    zone = zone or (started.tzinfo if started else None)
    return zone.utcoffset(None) if zone is not None else None


def insert(text: str, title: str, entries: list[str], zone_sentence: str, started: dt.datetime | None,
           template: Sequence[re.Pattern[str]] = ()) -> Inserted:
    """`text` with `entries` added at the end of its `## title` section, and the template's
    placeholder entries (`placeholders`) removed from it (raises MissingSection)."""
    eol = "\r\n" if "\r\n" in text else "\r" if "\r" in text else "\n"
    lines = _lines(text)
    _, start, end = _section(lines, title)
    drop = {e.line - 1 for e in _entries(lines, start, end, started) if _placeholder(lines[e.line - 1], template)}
    kept_entries = [e for e in _entries(lines, start, end, started) if e.line - 1 not in drop]
    body = [line for n, line in enumerate(lines[start:end], start) if n not in drop]
    while body and not body[-1].strip():
        body.pop()
    block: list[str] = []
    if not kept_entries:
        if not any(_ZONE_SENTENCE.match(line) for line in body):
            block += ["", zone_sentence]
        block.append("")
    elif not body or not _continues_list(body[-1]):
        block.append("")
    new = lines[:start] + body + block + entries + [""] + lines[end:]
    if end == len(lines):  # the section ran to the end of the file: end it with one line break
        while len(new) > 1 and new[-1] == "" and new[-2] == "":
            new.pop()
    return Inserted(eol.join(new), tuple(lines[n] for n in sorted(drop)))


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _section(lines: list[str], title: str) -> tuple[list[str], int, int]:
    """The lines, and the index of the section's first line after its heading and of its end."""
    first = _body_start(lines)
    wanted = normalise(title)
    start = None
    for n, (line, in_code) in enumerate(zip(lines[first:], code_flags(lines[first:])), first):
        heading = None if in_code else _HEADING.match(line)
        if heading is None or len(heading.group(1)) > 2:
            continue
        if start is not None:
            return lines, start, n
        if len(heading.group(1)) == 2 and normalise(heading.group(2)) == wanted:
            start = n + 1
    if start is None:
        raise MissingSection(title)
    return lines, start, len(lines)


def _body_start(lines: list[str]) -> int:
    if lines and lines[0].strip() == "---":
        for n in range(1, len(lines)):
            if lines[n].strip() in ("---", "..."):
                return n + 1
    return 0


def _entries(lines: list[str], start: int, end: int, started: dt.datetime | None) -> list[Entry]:
    flags = code_flags(lines[start:end])
    return parse_timeline([(n + 1, lines[n]) for n, in_code in zip(range(start, end), flags) if not in_code],
                          started)


def _continues_list(line: str) -> bool:
    """Whether an entry added after `line` continues its list (or the entries after its table)."""
    return re.match(r"^\s*(?:[-*+]|\d{1,3}[.)]|\|)", line) is not None


def _placeholder(line: str, template: Sequence[re.Pattern[str]]) -> bool:
    """Whether `line` is one of the template's placeholder entries, word for word."""
    return any(p.fullmatch(line.rstrip()) for p in template)

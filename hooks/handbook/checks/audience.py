"""The checks on parts kept for a narrower audience, and on words a wider audience must not read.

Both are about what reaches a reader who may not read it, so their problems are errors in every
status, a draft's included: a build publishes what it is given.

- `audience-mark`: a mark that would not do what it says. A `:::` line that is not a mark, a part
  inside another, a part never closed, a level that is not narrower than the report's, a field that
  every reader needs or that the report does not have, a part inside the external message (which is
  published whole), and a mark that leaves the report's own readers without a section they need.
- `internal-word`: text read at one level holds a word handbook.yml keeps for a narrower level
  (`visibilities.words`): an internal host name in a public paragraph, a title, a public service list.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from handbook.core.problems import ProblemSink
from handbook.reading.model import Report
from handbook.reading.parts import (FIELD_MARKS, MARKED_LISTS, PART_KEY, Stretch, body_has_marks, field_marks,
                                    find_marks, is_mark_line, locate, markable, message_title_field,
                                    view_for)
from handbook.reading.sections import normalise
from handbook.reading.source import Source
from handbook.reading.taxonomy import Taxonomy

RULE_MARK = "audience-mark"
RULE_WORD = "internal-word"


def word_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """One expression for `words`: each matched whole, in any case, `*` as any run of letters, digits,
    `.` and `-`."""
    parts = [re.escape(w.strip()).replace(r"\*", r"[\w.-]*") for w in words if w.strip()]
    if not parts:
        return None
    return re.compile(r"(?<![\w-])(?:" + "|".join(sorted(parts, key=len, reverse=True)) + r")(?![\w-])", re.I)


class AudienceCheck:
    """The audience checks of one taxonomy, built once and run on every report."""

    def __init__(self, tax: Taxonomy) -> None:
        self.tax = tax
        self.levels = tax.visibilities.levels
        self.words = {level: pattern for level, words in tax.visibilities.words.items()
                      if level in self.levels and (pattern := word_pattern(words)) is not None}
        self.external_title = normalise(tax.external_message.title)

    def rank(self, level: str) -> int:
        """How restricted `level` is (0: everyone's)."""
        return self.tax.visibility_rank(level)

    def check(self, report: Report, source: Source, sink: ProblemSink) -> None:
        """Every audience check on one report (its body already parsed)."""
        own = report.visibility
        lines = report.body.split("\n")
        stretches: list[Stretch] = []
        if body_has_marks(report.body):
            marks = find_marks(lines, self.levels, report.body_line)
            for line, message, hint in marks.problems:
                sink.add(line, RULE_MARK, message, hint, always_error=True)
            stretches = marks.stretches
            for stretch in stretches:
                self._narrower(stretch.level, own, report.body_line + stretch.first, f"`::: {stretch.level}`",
                               "Remove the `::: " + stretch.level + "` and `:::` lines", sink)
            self._not_in_external(report, stretches, sink)
        self._fields(report, source, sink)
        if stretches or FIELD_MARKS in report.data:
            self._sections_kept(report, stretches, sink)
        if self.words:
            self._body_words(report, lines, stretches, sink)
            self._front_matter_words(report, source, sink)
            self._file_name_words(report, source, sink)

    # -- marks ---------------------------------------------------------------------------
    def _narrower(self, level: str, own: str, line: int, what: str, undo: str, sink: ProblemSink) -> None:
        if level in self.levels and self.rank(level) <= self.rank(own):
            narrower = [lv for lv in self.levels if self.rank(lv) > self.rank(own)]
            sink.add(line, RULE_MARK, f"{what} keeps this part for `{level}` readers, but the whole report is "
                     f"`{own}`: the mark changes nothing.",
                     f"{undo}, or keep it for a narrower level ({', '.join(narrower) or 'there is none'}).",
                     always_error=True)

    def _not_in_external(self, report: Report, stretches: list[Stretch], sink: ProblemSink) -> None:
        if not self.external_title or report.parsed_body is None:
            return
        section = next((s for s in report.parsed_body.sections if s.key == self.external_title), None)
        if section is None:
            return
        first, last = section.line, section.line + len(section.texts)
        for stretch in stretches:
            line = report.body_line + stretch.first
            if first < line <= last:
                sink.add(line, RULE_MARK, f"`::: {stretch.level}` marks a part of `## {section.title}`, which is "
                         "published whole, for every reader.",
                         f"Move this part out of `## {section.title}` into the report's own sections.",
                         always_error=True)

    def _fields(self, report: Report, source: Source, sink: ProblemSink) -> None:
        own = report.visibility
        for path, level in field_marks(report.data).items():
            line = source.line_of((FIELD_MARKS, path))
            if not markable(path):
                top = path.split(".", 1)[0]
                how = {"action_items": "give the item `visibility: <level>`",
                       "contributing_factors": "give the factor `visibility: <level>`",
                       "services": "name one service, as `services.<name>`",
                       "effectiveness_review": "name `effectiveness_review.measured`"}.get(top)
                sink.add(line, RULE_MARK, f"`{path}` cannot be kept from the report's readers: every reader "
                         "needs it to know what the report is, how bad, when and where it stands.",
                         f"Remove `{path}` from `{FIELD_MARKS}`" + (f"; to keep a part of it, {how}." if how else
                                                                     "; if it must not be read, the whole "
                                                                     "report's `visibility` is narrower."),
                         always_error=True)
                continue
            if not locate(report.data, path):
                sink.add(line, RULE_MARK, f"`{FIELD_MARKS}` names `{path}`, which the report does not have.",
                         "Name a field by its keys joined with dots (`impact.users_affected`, `links.slack`), or "
                         "an entry of a list of names by its text (`services.ledger-db`).", always_error=True)
                continue
            self._narrower(level, own, line, f"`{FIELD_MARKS}`", f"Remove `{path}` from `{FIELD_MARKS}`", sink)
        listed = report.data.get("services")  # any type: the schema check reports a wrong one
        services = {f"services.{s}" for s in (listed if isinstance(listed, list) else [])
                    if isinstance(s, (str, int, float))}
        marked = [path for path, level in field_marks(report.data).items()
                  if path in services and self.rank(level) > self.rank(own)]
        if services and len(set(marked)) == len(services):
            sink.add(source.line_of((FIELD_MARKS, marked[-1])), RULE_MARK,
                     f"Every service is kept from `{own}` readers, the report's own: they would not know what "
                     "was affected.", "Leave at least one service for them to read, or name the affected "
                     "service in words they may read and list that.", always_error=True)
        for key in MARKED_LISTS:
            items = report.data.get(key)
            for index, item in enumerate(items if isinstance(items, list) else []):
                if isinstance(item, dict) and isinstance(item.get(PART_KEY), str):
                    self._narrower(item[PART_KEY], own, source.line_of((key, index, PART_KEY)),
                                   f"`{PART_KEY}: {item[PART_KEY]}`", f"Remove `{PART_KEY}:` from the item", sink)

    def _sections_kept(self, report: Report, stretches: list[Stretch], sink: ProblemSink) -> None:
        """The report's own readers still have every section its status requires, with text in it."""
        if report.parsed_body is None:
            return
        status = self.tax.status_rank(report.status)
        view = view_for(report, self.tax, report.visibility)
        if view is report or view.parsed_body is None:
            return
        for section in self.tax.sections:
            if section.generated or self.tax.status_rank(section.required_from) > status:
                continue
            block = report.parsed_body.section(section.title)
            if block is None or block.is_empty():
                continue  # the section checks report it
            seen = view.parsed_body.section(section.title)
            if seen is None or seen.is_empty():
                start, end = block.line, block.line + len(block.texts)
                line = next((report.body_line + s.first for s in stretches
                             if report.body_line + s.first <= end and report.body_line + s.last >= start), block.line)
                sink.add(line, RULE_MARK, f"This mark leaves `{report.visibility}` readers, the report's own, "
                         f"with nothing under `## {section.title}`.",
                         f"Keep the heading and write what `{report.visibility}` readers may read under it; mark "
                         "only the paragraphs they may not.", always_error=True)

    # -- words ---------------------------------------------------------------------------
    def _forbidden(self, level: str) -> Iterator[tuple[str, re.Pattern[str]]]:
        """The words of every level narrower than `level`."""
        rank = self.rank(level)
        for word_level, pattern in self.words.items():
            if self.rank(word_level) > rank:
                yield word_level, pattern

    def _word(self, text: str, level: str) -> tuple[str, str] | None:
        for word_level, pattern in self._forbidden(level):
            found = pattern.search(text)
            if found:
                return found.group(0), word_level
        return None

    def _body_words(self, report: Report, lines: list[str], stretches: list[Stretch], sink: ProblemSink) -> None:
        external = self._external_lines(report)
        widest = self.levels[0]
        # One pass over the whole body first: most bodies hold no word narrower than their widest reader
        # (the report's own level; everyone's in the external message), and then no line is searched.
        if self._word(report.body, widest if external else report.visibility) is None:
            return
        level_of = [report.visibility] * len(lines)
        for stretch in stretches:
            for index in range(stretch.first, min(stretch.last + 1, len(lines))):
                level_of[index] = stretch.level
        for index, line in enumerate(lines):
            if not line.strip() or is_mark_line(line):
                continue
            number = report.body_line + index
            level = widest if number in external else level_of[index]
            hit = self._word(line, level)
            if hit is None:
                continue
            word, word_level = hit
            if number in external:
                hint = "The external message is published for everyone: reword it without the name."
            else:
                hint = (f"Reword it, or keep the paragraph for `{word_level}` readers between a line "
                        f"`::: {word_level}` and a line `:::`.")
            sink.add(number, RULE_WORD, f"`{word}` is kept for `{word_level}` readers (handbook.yml "
                     f"visibilities.words), but `{level}` readers read this line.", hint, always_error=True)

    def _external_lines(self, report: Report) -> set[int]:
        if not self.external_title or report.parsed_body is None:
            return set()
        section = next((s for s in report.parsed_body.sections if s.key == self.external_title), None)
        return set() if section is None else set(range(section.line, section.line + len(section.texts) + 1))

    def _front_matter_words(self, report: Report, source: Source, sink: ProblemSink) -> None:
        widest = self.levels[0]
        values = list(_strings(report.data, ()))
        # A value's readers are everyone or a narrower level, so the words it may not hold are some of the
        # words kept from everyone: when none of those is in any value, no value holds a word it may not.
        # One search over all the values, joined by line breaks (which no word or wildcard matches
        # across), clears most reports.
        if self._word("\n".join(value for _, value in values), widest) is None:
            return
        marks = field_marks(report.data)
        public_title = self._public_title(report)
        for path, value in values:
            if path[0] == FIELD_MARKS or (len(path) > 1 and path[0] in MARKED_LISTS and path[2:] == (PART_KEY,)):
                continue
            level = widest if path == (public_title,) else self._level_of(report, path, marks)
            hit = self._word(value, level)
            if hit is None:
                continue
            word, word_level = hit
            dotted = ".".join(str(p) for p in path)
            if path[0] in MARKED_LISTS:
                hint = f"Reword it, or give the item `{PART_KEY}: {word_level}`."
            elif path == (public_title,) == ("title",):
                hint = ("The report gives no `external_title`, so its external message is published for everyone "
                        "under this title: give it an `external_title:` without the name, or reword the title.")
            elif path[0] == "external_title":
                hint = "The external message is published for everyone: reword the title without the name."
            elif isinstance(path[-1], int) and markable(whole := _mark_path(path[:-1], "")):
                hint = (f"Reword it, or keep the list for `{word_level}` readers: `{FIELD_MARKS}: "
                        f"{{{whole}: {word_level}}}`.")
            elif markable(_mark_path(path, value)):
                hint = (f"Reword it, or keep it for `{word_level}` readers: `{FIELD_MARKS}: "
                        f"{{{_mark_path(path, value)}: {word_level}}}`.")
            else:
                hint = "Reword it: every reader of the report reads this field."
            sink.add(source.line_of(path), RULE_WORD, f"`{word}` is kept for `{word_level}` readers (handbook.yml "
                     f"visibilities.words), but `{level}` readers read `{dotted}`.", hint, always_error=True)

    def _file_name_words(self, report: Report, source: Source, sink: ProblemSink) -> None:
        """Refuse a file name holding a word its report's readers may not read: the site publishes it (the
        address of the file name, the "Edit this page" link)."""
        hit = self._word(source.rel, report.visibility)
        if hit is not None:
            word, word_level = hit
            sink.add(1, RULE_WORD, f"The file name `{source.rel}` holds `{word}`, kept for `{word_level}` readers "
                     f"(handbook.yml visibilities.words), but `{report.visibility}` readers read it in the report's "
                     "addresses and its edit link.", "Rename the file without the word (`git mv`).",
                     always_error=True)

    def _public_title(self, report: Report) -> str:
        """Name the field published as the external message's title: `external_title`, or `title` when
        the report has the message but no title of its own for it ('' when it has no message)."""
        has_message = bool(self.external_title) and report.parsed_body is not None and any(
            s.key == self.external_title for s in report.parsed_body.sections)
        return message_title_field(report.data) if has_message else ""

    def _level_of(self, report: Report, path: tuple, marks: dict[str, str]) -> str:
        """The level that reads the front matter value at `path`."""
        level = report.visibility
        if path[0] in MARKED_LISTS and len(path) > 1:
            items = report.data.get(path[0])
            item = items[path[1]] if isinstance(items, list) and isinstance(path[1], int) else None
            if isinstance(item, dict) and isinstance(item.get(PART_KEY), str):
                level = item[PART_KEY]
        for depth in range(1, len(path) + 1):
            named = ".".join(str(p) for p in path[:depth] if not isinstance(p, int))
            if named in marks and self.rank(marks[named]) > self.rank(level):
                level = marks[named]
        if isinstance(path[-1], int):  # an entry of a list of names, marked by its text
            value = _value_at(report.data, path)
            named = ".".join(str(p) for p in path[:-1]) + f".{value}"
            if named in marks and self.rank(marks[named]) > self.rank(level):
                level = marks[named]
        return level


def _mark_path(path: tuple, value: str) -> str:
    """The `field_visibility` name of the value at `path`: its keys, or its text for an entry of a list."""
    keys = [str(p) for p in path if not isinstance(p, int)]
    return ".".join(keys + [value]) if isinstance(path[-1], int) else ".".join(keys)


def _value_at(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


def _strings(value: Any, path: tuple) -> Iterator[tuple[tuple, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


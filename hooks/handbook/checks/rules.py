"""The rules a report must follow, and the checks that apply them to one report.

`RULES` is the catalogue (`handbook rules` prints it, the README lists it). Each check adds
`Problem`s to the report's sink; the sink makes content problems warnings in a draft and
errors from the first enforced status on.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable
from typing import Any

from handbook.checks.audience import AudienceCheck
from handbook.checks.schema import build_schema
from handbook.core.problems import ProblemSink
from handbook.core.timestamps import BadValue, OutOfRange, add_days, parse_date, parse_timestamp
from handbook.reading.model import TIMESTAMP_FIELDS, TIMESTAMPS_NOT_STATED, ActionItem, Factor, Report, text
from handbook.reading.parts import assemble_body
from handbook.reading.schemacheck import SchemaCheck
from handbook.reading.sections import literal_flags, normalise
from handbook.reading.source import Source
from handbook.reading.taxonomy import ITEM_KEYS, LONG_TERM, NOT_STATED, NOT_STATED_KEYS, Taxonomy, is_not_stated
from handbook.reading.timeline import FORMS, Entry

RULES: dict[str, str] = {
    # reading the file
    "unreadable": "The file cannot be read.",
    "file-too-large": "The file is larger than limits.max_file_bytes.",
    "nul-byte": "The file contains NUL bytes.",
    "encoding": "The file is not UTF-8.",
    "empty-file": "The file is empty.",
    "no-front-matter": "The file has no closed `---` front matter block.",
    "front-matter-too-long": "The front matter is longer than limits.max_front_matter_lines.",
    "yaml-syntax": "The front matter is not valid YAML.",
    "yaml-alias": "The front matter uses YAML anchors, aliases or merge keys.",
    "yaml-tag": "The front matter uses a YAML tag.",
    "duplicate-key": "A front matter key appears twice.",
    "not-a-file": "The path is not a regular file, or is a link leading out of the repository.",
    "too-deep": "The front matter is nested deeper than limits.max_nesting_depth.",
    "too-long-value": "A front matter value is longer than limits.max_scalar_chars.",
    "bad-number": "A number is longer than 30 characters, or not finite (.inf, .nan).",
    "internal-error": "The handbook's own code failed on the file: a bug to report; the other files are still checked.",
    "control-character": "The file holds a control character or Unicode non-character (refused and removed).",
    # front matter
    "missing-key": "A required front matter key is missing.",
    "unknown-key": "A front matter key is not part of the format.",
    "wrong-type": "A value has the wrong type (text, list, number, yes/no).",
    "unknown-value": "A severity, status, priority, category, layer, visibility or action status is not declared.",
    "bad-id": "The report id or an action item id does not match its pattern.",
    "bad-timestamp": "A timestamp is not ISO 8601 with a time zone.",
    "bad-date": "A due date is not YYYY-MM-DD.",
    "impossible-date": "A date or timestamp does not exist (2026-02-30).",
    "bad-url": "A link is not an http or https URL.",
    "empty-value": "A value is empty.",
    "timestamp-order": "started, detected, mitigated and resolved are not in order.",
    "duplicate-id": "Two reports have the same id.",
    "shared-file-name": "Two reports have one file name in different folders: neither gets the file-name address.",
    "unknown-related": "A related id names no report.",
    # body
    "missing-section": "A required section is missing.",
    "empty-section": "A required section is empty.",
    "placeholder": "A template placeholder (TODO, TBD, ...) is left in past draft.",
    "timeline-no-timestamp": "A timeline entry does not start with a timestamp (or gives a date only, inside the "
                             "incident).",
    "timeline-empty": "The timeline has no entries.",
    "timeline-order": "Timeline entries are out of order.",
    "timeline-window": "A timeline entry is after resolved, or every entry is before started (lead-up only).",
    "broken-link": "A relative link or image points to no file the site publishes (a missing file, a folder, a "
                   "file outside the repository or the site, an attachment of a type or size not allowed).",
    "stray-heading": "A body line renders as a heading that is not part of the format: a level-1 heading "
                     "(`#inc-bridge` at the start of a line), or a `##` heading that is not a declared section.",
    "external-message": "The report's external message (external_message in handbook.yml) lacks one of its `###` "
                        "parts, or a part is empty.",
    # follow-through
    "date-order": "A `done:`, `review_meeting:` or effectiveness-review date is before the incident, or the "
                  "effectiveness review is before the last fix it checks.",
    "done-while-open": "An action item has a `done:` date but is still open.",
    "follow-up": "The effectiveness review names a follow-up item the report does not have, or found the fixes "
                 "not (fully) working and names none.",
    # analysis
    "too-few-factors": "Fewer contributing factors than rules.contributing_factors.min_count.",
    "too-few-layers": "Contributing factors span fewer layers than rules.contributing_factors.min_layers.",
    "blame": "A contributing factor blames a person (\"human error\") instead of the system.",
    # action items
    "duplicate-action-id": "Two action items in one report share an id.",
    "due-outside-window": "An action item is due later than its priority's window allows.",
    "refused-action": "An action item asks people to try harder (\"be more careful\").",
    "vague-action": "A vague action item (\"monitor better\") has no observable verification.",
    "unverifiable-action": "An action item's verification signal is not observable.",
    "verification-non-answer": "An action item's verification is a non-answer (\"done\", \"not stated\", "
                               "\"see ticket\"; rules.non_signals).",
    "not-a-person": "An owner or role names a group (\"Infrastructure team\"; rules.group_words), not one person.",
    "unknown-person": "An owner or role is not in rules.people (checked only when that list is given).",
    "open-actions-on-closed": "A closed report still has open action items.",
    "visibility": "A report tagged as a security incident is readable beyond restricted.",
    # parts for a narrower audience (errors in every status: a build publishes what it is given)
    "audience-mark": "A part kept for a narrower audience (`::: internal` … `:::`, an item's or factor's "
                     "`visibility:`, `field_visibility:`) is not well formed, not narrower than the report, "
                     "inside another part or the external message, names a field every reader needs, or leaves "
                     "the report's own readers a required section with nothing in it.",
    "internal-word": "Text a wider audience reads holds a word handbook.yml keeps for a narrower one "
                     "(visibilities.words): an internal host or service name in a public paragraph or field.",
    # the issue tracker (handbook validate only)
    "tracker-disagrees": "An action item is open but its GitHub issue closed, or done but its issue still open "
                         "(the states `handbook sync github --pull` recorded).",
    "tracker-file": "The tracker's state file (github.state_file in handbook.yml) cannot be read.",
    # the handbook's own pages
    "replaces-generated": "A file of docs/ is at the place of a page or file the handbook generates "
                          "(`docs/incidents.json`, `docs/Incidents.json` where case does not count).",
}

_PLACEHOLDER_LINE = re.compile(r"^\s*(?:[-*]\s*)?(?:\.\.\.|…)\s*$")
_CODE_SPAN = re.compile(r"`+[^`]*`+")
_TYPE_NAMES = {"string": "text", "array": "a list", "object": "a set of `key: value` pairs", "integer": "a number",
               "boolean": "true or false", "null": "empty", "number": "a number"}


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a set of `key: value` pairs"
    if value is None:
        return "empty"
    return "text"


def _is_setext(lines: list[str], index: int, literal: list[bool]) -> bool:
    """Tell whether line `index` underlines the line before it into a heading (`===` or `---` under a
    one-line paragraph that is not itself a heading), as Python-Markdown reads it."""
    line, before = lines[index], lines[index - 1] if index else ""
    return (_SETEXT.match(line) is not None and bool(before.strip()) and not literal[index - 1]
            and (index < 2 or not lines[index - 2].strip() or _RENDERED_HEADING.match(lines[index - 2]) is not None)
            and not _RENDERED_HEADING.match(before.lstrip(" \t")))


def _placing(path: tuple) -> bool:
    """Tell whether `path` is under `id` or `status`: without them a report cannot be placed, so a wrong
    value there is an error in every status."""
    return bool(path) and path[0] in ("id", "status")


def _where(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class ReportChecker:
    """Checks one report against the taxonomy. Built once per build and reused for every report."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.tax = taxonomy
        self.schema = build_schema(taxonomy)
        self.schema_check = SchemaCheck(self.schema)
        self.non_signals = {_answer_key(signal) for signal in taxonomy.rules.non_signals}
        rules = taxonomy.rules
        self.group_re = _phrases(rules.group_words)
        self.people = {_person_key(name): name for name in rules.people}
        self.blame_re = _phrases(rules.blame_phrases)
        self.refused_re = _phrases(rules.refused_actions)
        self.vague_re = _phrases(rules.vague_actions)
        # Whole words only, as the template writes them: `TODO-bot` (a name) and `todo.txt` are not placeholders.
        self.placeholder_re = re.compile(r"(?<![\w.-])(?:" + "|".join(map(re.escape, rules.placeholders))
                                         + r")(?![\w-]|\.\w)") \
            if rules.placeholders else None
        self.draft_rank = {s.id: i for i, s in enumerate(taxonomy.statuses)}
        message = taxonomy.external_message
        # The external message's section is optional, but it is one of the format's `##` headings.
        self.section_titles = {normalise(title): title for title in (*(s.title for s in taxonomy.sections),
                                                                      message.title)}
        self.subsection_of = {normalise(sub): (sub, s.title) for s in taxonomy.sections for sub in s.subsections}
        for part in message.parts:
            self.subsection_of.setdefault(normalise(part.title), (part.title, message.title))
        self.draft_status = taxonomy.statuses[0].id
        self.required_roles = [r.id for r in taxonomy.roles if r.required]
        self.not_own_kinds = [k.id for k in taxonomy.kinds if not k.own_response]
        self.audience = AudienceCheck(taxonomy)

    # -- entry point ---------------------------------------------------------------------
    def check(self, source: Source, sink: ProblemSink) -> Report:
        """Every rule on one read report; problems go to `sink`. Returns the report, readable or not."""
        data = source.data if source.data is not None else {}
        report = Report(path=source.path, rel=source.rel, data=data, body=source.body, body_line=source.body_line,
                        parsed=source.data is not None, lines=source.lines)
        if source.data is None:
            # Nothing says who may read it: an unreadable report counts as the most restricted.
            report.visibility = self.tax.most_restricted
            return report
        status = self.tax.status(data.get("status") if isinstance(data.get("status"), str) else None)
        sink.enforced = report.enforced = status.enforced if status else True
        self._schema(source, sink)
        report.visibility = self._visibility(report, source, sink)
        self._timestamps(report, source, sink)
        assemble_body(report, self.tax)  # sections, links, summary and timeline: read by one function
        report.actions = [ActionItem(report.key, i, source.line_of(("action_items", i)),
                                     item if isinstance(item, dict) else {"description": text(item)},
                                     self.tax.is_open_action(item.get("status") if isinstance(item, dict) else None))
                          for i, item in enumerate(_list(data.get("action_items")))]
        report.factors = [Factor(text(f.get("layer")) if isinstance(f, dict) else "",
                                 text(f.get("description")) if isinstance(f, dict) else text(f),
                                 source.line_of(("contributing_factors", i, "description")))
                          for i, f in enumerate(_list(data.get("contributing_factors")))]
        self._sections(report, status, source, sink)
        self._external_message(report, source, sink)
        self._headings(report, sink)
        self._timeline(report, source, sink)
        self._factors(report, source, sink)
        # A kind whose response is not ours (a case study): its items are not our commitments.
        own = self.tax.own_response(report.kind)
        self._actions(report, status, source, sink, own)
        self._people(report, source, sink, own)
        self._effectiveness(report, source, sink)
        self.audience.check(report, source, sink)
        if status is not None and status.enforced:
            self._placeholders(report, source, sink)
        if report.id and report.id in report.related:
            sink.add(source.line_of(("related",)), "unknown-related", "The report lists itself as related.",
                     "Remove its own id from `related`.")
        return report

    # -- front matter --------------------------------------------------------------------
    def _schema(self, source: Source, sink: ProblemSink) -> None:
        """Word each way the front matter does not fit the schema as a problem at its line."""
        for error in self.schema_check.errors(source.data or {}):
            path = tuple(error.absolute_path)
            said = _SCHEMA_PROBLEMS.get(error.validator, ReportChecker._other_schema_error)
            said(self, error, path, source, sink)

    def _missing_key(self, error: Any, path: tuple, source: Source, sink: ProblemSink) -> None:
        """A required key the report does not have."""
        where = _where(path)
        match = re.match(r"^'(.+)' is a required property$", error.message)
        key = match.group(1) if match else "?"
        description = self._described(path, key)
        inside = f" in `{where}`" if where else ""
        hint = f"Add `{key}:`{' — ' + description if description else ''} See templates/postmortem.md."
        if len(path) == 2 and path[0] == "action_items":
            hint = self._action_key_hint(key)
        elif path in ((), ("roles",)) and key in ("roles", *self.required_roles):
            hint += self._not_ours_hint("needs no roles")
        # a report without its id or status cannot be placed; an action item without them can
        sink.add(source.line_of(path), "missing-key", f"The key `{key}` is missing{inside}.", hint,
                 always_error=not path and key in ("id", "status"))

    def _unknown_keys(self, error: Any, path: tuple, source: Source, sink: ProblemSink) -> None:
        """Keys the schema does not declare, each with the known key it is closest to."""
        where = _where(path)
        known = list(error.schema.get("properties", {}))
        for extra in sorted(set(error.instance) - set(known)):
            close = difflib.get_close_matches(extra, known, n=1)
            hint = f"Did you mean `{close[0]}`?" if close else f"Known keys: {', '.join(known)}."
            sink.add(source.line_of(path + (extra,)), "unknown-key",
                     f"Unknown key `{extra}`{' in `' + where + '`' if where else ''}.", hint)

    def _wrong_type(self, error: Any, path: tuple, source: Source, sink: ProblemSink) -> None:
        """A value of another type than the schema's, with how to write it."""
        where = _where(path)
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        wanted = " or ".join(_TYPE_NAMES.get(t, str(t)) for t in expected)
        hint = f"Write `{where}` as {wanted}."
        if path and path[-1] == "due" and isinstance(error.instance, (int, float)):
            hint = "Write dates as YYYY-MM-DD, for example 2026-12-01."
        elif path and path[-1] in TIMESTAMP_FIELDS and isinstance(error.instance, (int, float)):
            hint = "Write timestamps as 2026-03-04T14:02:00Z, with a time zone."
        elif "array" in expected:
            hint = f"Write `{where}` as a list, for example `{where}: [first, second]`."
        sink.add(source.line_of(path), "wrong-type", f"`{where}` is {_type_name(error.instance)}; it should be "
                 f"{wanted}.", hint, always_error=_placing(path))

    def _undeclared(self, error: Any, path: tuple, source: Source, sink: ProblemSink) -> None:
        """A value handbook.yml does not declare, with the declared one it is closest to."""
        allowed = [str(v) for v in error.validator_value]
        close = difflib.get_close_matches(str(error.instance), allowed, n=1)
        hint = (f"Did you mean `{close[0]}`? " if close else "") + f"Use one of: {', '.join(allowed)}."
        sink.add(source.line_of(path), "unknown-value", f"`{_where(path)}` is `{text(error.instance)}`, which "
                 "handbook.yml does not declare.", hint + " (The list is declared in handbook.yml.)",
                 always_error=_placing(path))

    def _any_of(self, error: Any, path: tuple, source: Source, sink: ProblemSink) -> None:
        """A value that is none of its accepted forms: a timestamp or `not stated`, a priority or `not stated`."""
        if path and path[-1] in TIMESTAMPS_NOT_STATED:
            self._pattern(path, _where(path), source.line_of(path), error.instance, sink)
        elif path and path[-1] == "priority":
            allowed = [p.id for p in self.tax.priorities]
            close = difflib.get_close_matches(str(error.instance), allowed, n=1)
            hint = (f"Did you mean `{close[0]}`? " if close else "") + f"Use one of: {', '.join(allowed)}, " \
                f"or `{NOT_STATED}` when no source gives it. (The list is declared in handbook.yml.)"
            sink.add(source.line_of(path), "unknown-value", f"`{_where(path)}` is `{text(error.instance)}`, which "
                     "handbook.yml does not declare.", hint)
        else:
            self._other_schema_error(error, path, source, sink)

    def _not_matching(self, error: Any, path: tuple, source: Source, sink: ProblemSink) -> None:
        """A value that does not match its pattern (`_pattern` words it by field)."""
        self._pattern(path, _where(path), source.line_of(path), error.instance, sink)

    def _empty(self, error: Any, path: tuple, source: Source, sink: ProblemSink) -> None:
        """An empty value where the schema wants one."""
        where = _where(path)
        sink.add(source.line_of(path), "empty-value", f"`{where}` is empty.", f"Fill in `{where}`.",
                 always_error=_placing(path))

    def _other_schema_error(self, error: Any, path: tuple, source: Source, sink: ProblemSink) -> None:
        """Any other way of not fitting the schema, in the validator's words."""
        sink.add(source.line_of(path), "wrong-type", f"`{_where(path)}`: {error.message}.",
                 "See templates/postmortem.md.")

    def _described(self, path: tuple, key: str) -> str:
        """The schema's description of `key` inside the value at `path` ("" when it has none)."""
        node: dict[str, Any] = self.schema
        for part in path:
            node = node.get("items", {}) if isinstance(part, int) else node.get("properties", {}).get(part, {})
        return node.get("properties", {}).get(key, {}).get("description", "")

    def _not_ours_hint(self, what: str) -> str:
        """The end of a hint for a key only the organisation's own reports need."""
        if not self.not_own_kinds:
            return ""
        kinds = " or ".join(f"`kind: {k}`" for k in self.not_own_kinds)
        return f" (A report about another organisation's incident, not ours, takes {kinds}, which {what}.)"

    def _action_key_hint(self, key: str) -> str:
        """How to fix an action item without `key`: what it holds, and from which status it is needed."""
        described = self.schema["properties"]["action_items"]["items"]["properties"].get(key, {})
        description = described.get("description", "")
        since = next((f.required_from for f in self.tax.action_item_fields if f.id == key), "")
        hint = f"Add `{key}:`{' — ' + description if description else ''}"
        if since:
            hint += f" Every action item needs it from status `{since}` on (`action_item_fields` in handbook.yml)."
        if key in NOT_STATED_KEYS:
            hint += f" If no source gives it, write `{key}: {NOT_STATED}`: never invent one."
        if key not in ITEM_KEYS:
            hint += self._not_ours_hint(f"needs only {' and '.join(f'`{k}`' for k in ITEM_KEYS)}")
        return hint

    def _pattern(self, path: tuple, where: str, line: int, value: Any, sink: ProblemSink) -> None:
        last = path[-1] if path else ""
        if last in TIMESTAMP_FIELDS:
            try:
                parse_timestamp(value)
            except BadValue as exc:
                sink.add(line, "bad-timestamp", f"`{where}` is `{value}`: {exc}.",
                         "Write an ISO 8601 timestamp with a time zone, such as 2026-03-04T14:02:00Z "
                         "or 2026-03-04T15:02:00+01:00" + (f"; `{NOT_STATED}` when no source gives it."
                                                           if last in TIMESTAMPS_NOT_STATED else "."))
        elif last == "due":
            sink.add(line, "bad-date", f"`{where}` is `{value}`, which is not a date.",
                     f"Write the due date as YYYY-MM-DD, for example 2026-12-01; `{NOT_STATED}` when no "
                     f"source gives one, `{LONG_TERM}` when the source calls the item long-term.")
        elif last in ("done", "review_meeting", "held"):
            sink.add(line, "bad-date", f"`{where}` is `{value}`, which is not a date.",
                     "Write it as YYYY-MM-DD, for example 2026-12-01; leave it out while it is not known.")
        elif len(path) == 3 and path[:2] == ("effectiveness_review", "follow_up"):
            sink.add(line, "bad-id", f"`{where}` is `{value}`, which is not an action item id "
                     f"(`{self.tax.ids.action_item_pattern}`).", "Use the id of one of this report's action items.")
        elif last in ("slack", "ticket") or (len(path) >= 2 and path[-2] in ("tickets", "dashboards")):
            sink.add(line, "bad-url", f"`{where}` is not an http or https link.",
                     "Use a full address starting with https://.")
        elif last == "id" and len(path) == 3:
            sink.add(line, "bad-id", f"The action item id `{value}` does not match `{self.tax.ids.action_item_pattern}`.",
                     "Number action items AI-1, AI-2, ...")
        else:
            sink.add(line, "bad-id", f"`{where}` is `{value}`, which does not match `{self.tax.ids.pattern}`.",
                     f"Use an id such as {self.tax.ids.example}.", always_error=where == "id")

    def _visibility(self, report: Report, source: Source, sink: ProblemSink) -> str:
        declared = report.data.get("visibility")
        restricted = self.tax.most_restricted
        sensitive = self.tax.restricted_by_tags(report.tags)
        if sensitive:
            if declared is not None and declared != restricted:
                # An error in every status, drafts included: a draft is published to its audience too.
                sink.add(source.line_of(("visibility",)), "visibility",
                         f"The report is tagged {', '.join(sensitive)} but its visibility is `{text(declared)}`.",
                         f"Security incidents are a protected track: set `visibility: {restricted}`.",
                         always_error=True)
            return restricted  # whatever was declared: the tag decides
        if isinstance(declared, str) and declared in self.tax.visibilities.levels:
            return declared
        # Unknown values were reported by the schema; the most restricted level is the safe reading.
        return restricted if declared is not None else self.tax.visibilities.default

    def _timestamps(self, report: Report, source: Source, sink: ProblemSink) -> None:
        data = report.data
        for name in TIMESTAMP_FIELDS:
            value = data.get(name)
            if isinstance(value, str):
                try:
                    parse_timestamp(value)
                except BadValue as exc:
                    if "no such" in str(exc) or isinstance(exc, OutOfRange):
                        sink.add(source.line_of((name,)), "impossible-date", f"`{name}` is `{value}`: {exc}.",
                                 "Check the year, day and month.")
        present = [(name, getattr(report, name)) for name in TIMESTAMP_FIELDS]
        known = [(n, v) for n, v in present if v is not None]
        for (first, a), (second, b) in zip(known, known[1:]):
            if b < a:
                sink.add(source.line_of((second,)), "timestamp-order",
                         f"`{second}` ({data.get(second)}) is before `{first}` ({data.get(first)}).",
                         "The order is started ≤ detected ≤ mitigated ≤ impact_ended (when given) ≤ resolved; "
                         "check the time zones too.")
        for index, item in enumerate(_list(data.get("action_items"))):
            if isinstance(item, dict) and isinstance(item.get("due"), str):
                try:
                    parse_date(item["due"])
                except BadValue as exc:
                    if "no such" in str(exc) or isinstance(exc, OutOfRange):
                        sink.add(source.line_of(("action_items", index, "due")), "impossible-date",
                                 f"`action_items[{index}].due` is `{item['due']}`: {exc}.", "Check the day and month.")

    # -- body ----------------------------------------------------------------------------
    def _sections(self, report: Report, status, source: Source, sink: ProblemSink) -> None:
        body = report.parsed_body
        assert body is not None
        rank = self.draft_rank.get(status.id, len(self.draft_rank)) if status else len(self.draft_rank)
        last_line, last_title = source.body_line, ""
        for section in self.tax.sections:
            block = body.section(section.title)
            if block is not None:
                last_line, last_title = block.line, section.title
            if rank < self.draft_rank.get(section.required_from, 0):
                continue
            if block is None:
                where = f"after `## {last_title}`" if last_title else "at the start of the body"
                sink.add(last_line, "missing-section", f"The section `## {section.title}` is missing.",
                         f"Add a `## {section.title}` heading {where}, as in templates/postmortem.md.")
                continue
            if section.generated:
                continue
            if block.is_empty():
                sink.add(block.line, "empty-section", f"The section `## {section.title}` is empty.",
                         f"Write the {section.title.lower()} under its heading.")
            for title in section.subsections:
                sub = block.child(title)
                if sub is None:
                    sink.add(block.line, "missing-section", f"`## {section.title}` has no `### {title}`.",
                             f"Add `### {title}` under `## {section.title}`.")
                elif sub.is_empty():
                    sink.add(sub.line, "empty-section", f"`### {title}` is empty.", f"Write under `### {title}`.")

    def _external_message(self, report: Report, source: Source, sink: ProblemSink) -> None:
        """The optional external message: once its section is written, every declared part is there and
        says something; `external_title`, when given, is not blank (its type and "" are the schema's)."""
        message = self.tax.external_message
        title = report.data.get("external_title")
        if isinstance(title, str) and title and not title.strip():
            sink.add(source.line_of(("external_title",)), "empty-value", "`external_title` is blank.",
                     "Write the title customers will read above the message, or leave the key out to use the "
                     "report's `title`.")
        assert report.parsed_body is not None
        block = report.parsed_body.section(message.title)
        if block is None:
            return
        order = ", ".join(f"`### {p.title}`" for p in message.parts)
        for part in message.parts:
            sub = block.child(part.title)
            if sub is None:
                sink.add(block.line, "external-message", f"`## {message.title}` has no `### {part.title}`.",
                         f"Add `### {part.title}` under `## {message.title}` and write it for customers; the "
                         f"parts are {order}. Or remove the whole section if no message is to be published.")
            elif sub.is_empty():
                sink.add(sub.line, "external-message", f"`### {part.title}` of `## {message.title}` is empty.",
                         f"Write under `### {part.title}` what customers should read, in plain words: it is "
                         "published as written, for every audience.")

    def _headings(self, report: Report, sink: ProblemSink) -> None:
        # What Python-Markdown, our renderer, shows as a heading: `#` to `######` at the very start of
        # a line (or after `>`, or indented in a list item's paragraph after a blank line), with or
        # without a space after it (`#inc-bridge` is a level-1 heading); and a line that opens a
        # paragraph underlined by `===` (level 1) or `---` (level 2). Code (fenced or indented), HTML
        # comments and table rows (`#7 | ...` after a delimiter row) are not read; `###` and deeper
        # are the author's own structure inside a section and are left alone.
        assert report.parsed_body is not None
        lines = report.body.split("\n")
        literal = literal_flags(lines)
        in_comment = in_table = indented_block = False
        previous = ""
        for index, line in enumerate(lines):
            number = report.body_line + index
            line_before, previous = previous, line
            if not line_before.strip():  # a block starts here: inside a list item when it is indented
                indented_block = line.startswith(("    ", "\t"))
            if literal[index]:
                continue
            if not in_table and not in_comment and _is_setext(lines, index, literal):
                self._setext(line_before, line, number - 1, sink)
                continue
            if not line.strip() or (not in_table and "|" in line_before and _TABLE_DELIMITER.match(line)):
                in_table = bool(line.strip())
            if in_table:
                continue
            if in_comment:
                in_comment = "-->" not in line
                continue
            if line.lstrip().startswith("<!--"):
                in_comment = "-->" not in line[line.index("<!--") + 4:]
                continue
            found = _RENDERED_HEADING.match(line.lstrip(" \t") if indented_block else line)
            if found is not None and len(found["marks"]) <= 2:
                self._stray_heading(found, line, number, sink)

    def _stray_heading(self, found: re.Match[str], line: str, number: int, sink: ProblemSink) -> None:
        """Refuse a `#` or `##` heading the format does not read as one of its sections."""
        rest = found["rest"].rstrip()
        title = re.sub(r"#+$", "", rest).strip()
        key = normalise(title)
        declared = self.section_titles.get(key)
        shown = line.strip()[:60]
        if len(found["marks"]) == 1:
            if rest and not rest[0].isspace():
                word = found["marks"] + rest.split()[0]
                sink.add(number, "stray-heading", f"`{shown}` starts with `#`, so the page shows it as a top-level "
                         "heading: it splits its section in two and cuts the table of contents short.",
                         f"Write it as `\\{word}` or in backticks (`{word}`); a heading inside a report is "
                         "`## ` for a section or `### ` within one.")
            else:
                hint = (f"Write `## {declared}`." if declared else
                        "Use `## ` for one of the format's sections or `### ` for a part of one; the page's "
                        "only top-level heading is the report's `title`.")
                sink.add(number, "stray-heading", f"`{shown}` is a top-level heading inside the body.", hint)
        elif declared and rest and not rest[0].isspace():
            sink.add(number, "stray-heading", f"`{shown}` is shown as a heading but not read as the section "
                     f"`## {declared}`: there is no space after `##`.", f"Write `## {declared}`.")
        elif not declared:
            sink.add(number, "stray-heading", f"`{shown}` is not one of the format's sections.",
                     self._heading_hint(title, key))

    def _setext(self, text: str, underline: str, number: int, sink: ProblemSink) -> None:
        """A one-line paragraph underlined by `===` or `---`: Python-Markdown shows it as a heading."""
        title = text.strip()
        shown, mark = title[:60], underline.strip()[:3]
        declared = self.section_titles.get(normalise(title))
        level = "top-level heading" if mark.startswith("=") else "section heading (`##`)"
        fix = f"Write `## {declared}` instead." if declared else (
            f"For a line across the page, leave a blank line between `{shown}` and `{mark}`; for a part of a "
            f"section, write `### {shown}`.")
        sink.add(number, "stray-heading", f"`{shown}` is underlined by `{mark}` on the next line, so the page shows "
                 f"it as a {level} that is not read as one of the format's sections.", fix)

    def _heading_hint(self, title: str, key: str) -> str:
        part = self.subsection_of.get(key)
        if part:
            return f"`{part[0]}` is a part of `## {part[1]}`: write `### {part[0]}` under that section."
        close = difflib.get_close_matches(key, list(self.section_titles), n=1, cutoff=0.75)
        if close:
            return f"Did you mean `## {self.section_titles[close[0]]}`?"
        return (f"Use `### {title or '...'}` for a part of a section; the sections are: "
                + ", ".join(s.title for s in self.tax.sections)
                + f" (and, optional, {self.tax.external_message.title}).")

    def _timeline(self, report: Report, source: Source, sink: ProblemSink) -> None:
        assert report.parsed_body is not None
        title = next((s.title for s in self.tax.sections if s.id == "timeline"), "Timeline")
        block = report.parsed_body.section(title)
        if block is None:
            return
        if not report.timeline and not block.is_empty():
            sink.add(block.line, "timeline-empty", "The timeline has no entries.",
                     f"Write each event as a list item that starts with its time: `- 2026-03-04 14:02 — what "
                     f"happened`. The forms read: {FORMS}.")
        previous: Entry | None = None
        start, end = report.started, report.resolved
        for entry in report.timeline:
            if entry.when is None:
                sink.add(entry.line, "timeline-no-timestamp", f"This timeline entry has no timestamp: {entry.problem}.",
                         f"Start the entry with its time, then ` — ` and the event: {FORMS}.")
                continue
            if previous is not None and _earlier(entry, previous):
                sink.add(entry.line, "timeline-order", "This entry is earlier than the one before it.",
                         "Put entries in time order; after midnight, write the new date in full "
                         "(`- 2026-03-05 00:10 — ...`).")
            if entry.date_only:
                self._date_only(entry, report, sink)
            elif end is not None and entry.when > end:
                sink.add(entry.line, "timeline-window",
                         f"This entry ({entry.when.isoformat(timespec='minutes')}) is after `resolved` "
                         f"({end.isoformat(timespec='minutes')}).",
                         "Check its date and time zone. An event after the incident, such as the postmortem's "
                         f"publication, takes its date only, on a later day (`- {end.date() + dt.timedelta(days=1)}"
                         " — Postmortem published.`). Move `resolved` only if the incident really ended later.")
            previous = entry
        dated = [e for e in report.timeline if e.when is not None]
        if start is not None and dated and all(_before_start(e, start) for e in dated):
            sink.add(dated[0].line, "timeline-window",
                     f"Every timeline entry is before `started` ({start.isoformat(timespec='minutes')}): "
                     "the timeline has a lead-up but not the incident.",
                     "Check the dates and time zone (an entry with a time only takes the date of the entry "
                     "before it), and add the events from `started` on. Entries before `started` stay as "
                     "the lead-up; they never change the durations.")

    def _date_only(self, entry: Entry, report: Report, sink: ProblemSink) -> None:
        # A day alone cannot be placed among timed entries of the same day: accepted only on a day
        # wholly before `started` (lead-up) or wholly after `resolved` (follow-up).
        assert entry.when is not None
        zone = entry.when.tzinfo
        first = report.started.astimezone(zone).date() if report.started else None
        last = report.resolved.astimezone(zone).date() if report.resolved else None
        if first is None and last is None:
            return
        day = entry.when.date()
        if (first is None or day >= first) and (last is None or day <= last):
            span = f"{first or '?'} to {last or 'not resolved'}"
            sink.add(entry.line, "timeline-no-timestamp",
                     f"This entry gives a date only ({day}), on a day of the incident ({span}), so its "
                     "place among the timed entries cannot be read.",
                     f"Give its time too; an approximate one will do: `- {day} ~14:00 — ...` or "
                     "`- 14:00 (approx.) — ...`. A date alone is read only before the day of `started` "
                     "(lead-up) or after the day of `resolved` (follow-up).")

    def _placeholders(self, report: Report, source: Source, sink: ProblemSink) -> None:
        # One search over the whole text first: most finished reports have no placeholder.
        if self._might_hold_placeholder(report.body):
            self._body_placeholders(report, sink)
        if self._might_hold_placeholder(source.front_matter):
            self._front_matter_placeholders(report, source, sink)

    def _might_hold_placeholder(self, text: str) -> bool:
        # Plain substring tests first (fast); the word-boundary regex only when one matches.
        if "..." in text or "…" in text:
            return True
        return any(word in text for word in self.tax.rules.placeholders) and bool(
            self.placeholder_re and self.placeholder_re.search(text))

    def _body_placeholders(self, report: Report, sink: ProblemSink) -> None:
        code = report.parsed_body.code_lines if report.parsed_body else set()
        for offset, line in enumerate(report.body.split("\n")):
            number = report.body_line + offset
            if number in code:
                continue
            stripped = _CODE_SPAN.sub("", line)
            if _PLACEHOLDER_LINE.match(stripped) or (self.placeholder_re and self.placeholder_re.search(stripped)):
                sink.add(number, "placeholder", f"A template placeholder is left in: `{line.strip()[:60]}`.",
                         "Replace it with the real text, or set the status back to draft.")

    def _front_matter_placeholders(self, report: Report, source: Source, sink: ProblemSink) -> None:
        for path, value in _strings(report.data, ()):
            if self.placeholder_re and self.placeholder_re.search(value) or value.strip() in ("...", "…"):
                sink.add(source.line_of(path), "placeholder", f"`{_where(path)}` still holds a placeholder: "
                         f"`{value[:60]}`.", "Fill in the real value, or set the status back to draft.")

    # -- analysis ------------------------------------------------------------------------
    def _factors(self, report: Report, source: Source, sink: ProblemSink) -> None:
        rules = self.tax.rules
        line = source.line_of(("contributing_factors",))
        factors = report.factors
        if len(factors) < rules.contributing_factors.min_count:
            sink.add(line, "too-few-factors", f"{len(factors)} contributing factor(s); at least {rules.contributing_factors.min_count} "
                     "are needed.", "An incident has more than one cause: name the trigger, and the detection, "
                     "rollout, ownership or organisational gaps that let it become an incident.")
        layers = {f.layer for f in factors if f.layer}
        if factors and len(layers) < rules.contributing_factors.min_layers:
            sink.add(line, "too-few-layers", f"The contributing factors span {len(layers)} layer(s); at least "
                     f"{rules.contributing_factors.min_layers} are needed.",
                     "Add factors from other layers: " + ", ".join(t.id for t in self.tax.contributing_factor_layers) + ".")
        blame_hint = ("A postmortem is blameless: people act sensibly on what the system shows them. Name what "
                      "made the mistake possible or likely (a missing check, a confusing tool, an unsafe default) "
                      "and what let it reach users.")
        for factor in factors:
            found = self.blame_re.search(factor.description) if self.blame_re else None
            if found:
                sink.add(factor.line, "blame", f"The factor concludes with `{found.group(0)}`, which blames a person.",
                         blame_hint)
        assert report.parsed_body is not None
        title = next((s.title for s in self.tax.sections if s.id == "contributing-factors"), "Contributing factors")
        block = report.parsed_body.section(title)
        if block is not None and self.blame_re:
            for number, line_text in block.lines:
                found = self.blame_re.search(line_text)
                if found and number not in report.parsed_body.code_lines:
                    sink.add(number, "blame", f"The analysis concludes with `{found.group(0)}`, which blames a person.",
                             blame_hint)

    def _actions(self, report: Report, status, source: Source, sink: ProblemSink, own: bool) -> None:
        # `own` False: the items are what another organisation did or planned, not commitments of ours,
        # so nothing judges their due window, verification or openness; duplicates and "be more
        # careful" are still refused.
        rules = self.tax.rules
        resolved = report.resolved
        seen: dict[str, int] = {}
        for item in report.actions:
            base = ("action_items", item.index)
            raw_id = item.raw.get("id")
            if isinstance(raw_id, str):
                if raw_id in seen:
                    sink.add(source.line_of(base + ("id",)), "duplicate-action-id",
                             f"The action item id `{raw_id}` is used twice in this report.",
                             "Give every action item its own id.")
                seen[raw_id] = item.index
            priority = self.tax.priority(item.priority)
            due = item.due
            if own and priority and due and resolved:
                limit = add_days(resolved.date(), priority.window_days)
                if limit is not None and due > limit:
                    sink.add(source.line_of(base + ("due",)), "due-outside-window",
                             f"{item.id} is due {due.isoformat()}, after the {priority.id} window of "
                             f"{priority.window_days} days from resolution ({limit.isoformat()}).",
                             f"Bring the due date to {limit.isoformat()} or earlier, or lower the priority.")
            description = item.description
            verification = item.verification
            non_answer = _answer_key(verification) in self.non_signals
            observable = not non_answer and len(verification.split()) >= rules.min_verification_words
            refused = self.refused_re.search(description) if self.refused_re else None
            vague = self.vague_re.search(description) if self.vague_re else None
            line = source.line_of(base + ("description",))
            if refused:
                sink.add(line, "refused-action", f"{item.id} asks people to `{refused.group(0)}`; that is not an action.",
                         "Change the system instead: add a check, a guard rail or an alert that makes the mistake "
                         "impossible or visible, and say how you will see that it works.")
            elif not own:
                continue  # what another organisation planned: its verification is not ours to judge
            elif vague and not observable:
                sink.add(line, "vague-action", f"{item.id} (`{vague.group(0)}`) is vague and has no observable "
                         "verification.", "Say exactly what changes and what we will observe once it is done, for "
                         "example \"an alert pages on-call when checkout p99 > 800 ms for 5 minutes\".")
            elif verification and non_answer:
                first_enforced = next((s.id for s in self.tax.statuses if s.enforced), "")
                sink.add(source.line_of(base + ("verification",)), "verification-non-answer",
                         f"{item.id}'s verification `{verification[:60]}` is a non-answer.",
                         "A verification says how we will tell that the fix works: a test, an alert, a dashboard, a "
                         "drill result. If that is not known yet, the item is not ready: find it out, or keep the "
                         f"report in `{self.draft_status}` until it is (`{first_enforced}` needs a complete report).")
            elif verification and not observable:
                sink.add(source.line_of(base + ("verification",)), "unverifiable-action",
                         f"{item.id}'s verification `{verification[:60]}` is not something we can observe.",
                         f"Describe the signal, in at least {rules.min_verification_words} words: a test, an alert, "
                         "a dashboard, a drill result.")
        if own and status is not None and status.requires_no_open_actions:
            still_open = [a.id for a in report.actions if a.open]
            if still_open:
                sink.add(source.line_of(("status",)), "open-actions-on-closed",
                         f"The report is `{status.id}` but {', '.join(still_open)} "
                         f"{'is' if len(still_open) == 1 else 'are'} still open.",
                         "Finish or drop (status wont-do) every action item before closing the report.")

    # -- follow-through ------------------------------------------------------------------
    def _effectiveness(self, report: Report, source: Source, sink: ProblemSink) -> None:
        """`done:` dates, `review_meeting:` and `effectiveness_review:` against the incident and each other
        (their form is the schema's)."""
        started = report.started.date() if report.started else None
        dated: list[tuple[tuple, str, Any]] = [(("review_meeting",), "review_meeting", report.data.get("review_meeting"))]
        dated += [(("action_items", item.index, "done"), f"{item.id}'s `done`", item.raw.get("done"))
                  for item in report.actions]
        written = report.effectiveness
        dated.append((("effectiveness_review", "held"), "effectiveness_review.held", written.get("held")))
        days: dict[tuple, dt.date] = {}
        for path, name, value in dated:
            if not isinstance(value, str):
                continue
            try:
                days[path] = parse_date(value)
            except BadValue as exc:
                if "no such" in str(exc) or isinstance(exc, OutOfRange):
                    sink.add(source.line_of(path), "impossible-date", f"{name} is `{value}`: {exc}.",
                             "Check the day and month.")
                continue
            if started and days[path] < started:
                sink.add(source.line_of(path), "date-order", f"{name} ({value}) is before the incident started "
                         f"({started.isoformat()}).", "Check the date; it is the day it happened, YYYY-MM-DD.")
        for item in report.actions:
            if ("action_items", item.index, "done") in days and item.open:
                sink.add(source.line_of(("action_items", item.index, "done")), "done-while-open",
                         f"{item.id} has a `done:` date but its status is `{item.status}`.",
                         "Set its status to done, or remove the date until it is done.")
        held = days.get(("effectiveness_review", "held"))
        categories = self.tax.effectiveness_reviews.categories
        last_fix = max((days[("action_items", a.index, "done")] for a in report.actions
                        if a.category in categories and ("action_items", a.index, "done") in days), default=None)
        if held and last_fix and held < last_fix:
            sink.add(source.line_of(("effectiveness_review", "held")), "date-order",
                     f"The effectiveness review ({held.isoformat()}) is before the last fix it checks was done "
                     f"({last_fix.isoformat()}).", "Check both dates: the review looks at fixes already in place.")
        follow_up = written.get("follow_up")
        ids = {text(a.raw.get("id")) for a in report.actions}
        for index, item_id in enumerate(follow_up if isinstance(follow_up, list) else []):
            if isinstance(item_id, str) and item_id not in ids:
                sink.add(source.line_of(("effectiveness_review", "follow_up", index)), "follow-up",
                         f"`effectiveness_review.follow_up` names `{item_id}`, which is not one of this report's "
                         "action items.", "Add the item under `action_items`, or correct the id.")
        outcome = self.tax.outcome(written.get("outcome") if isinstance(written.get("outcome"), str) else None)
        if outcome is not None and not outcome.working and not follow_up:
            sink.warn(source.line_of(("effectiveness_review", "outcome")), "follow-up",
                     f"The effectiveness review found the fixes `{outcome.id}` but names no follow-up item.",
                     "Add the action items it calls for and list their ids under `follow_up`.")

    # -- people --------------------------------------------------------------------------
    def _people(self, report: Report, source: Source, sink: ProblemSink, own: bool) -> None:
        # `own` False: item owners are not ours to judge, and the roles were held elsewhere, so they
        # are not looked up in `rules.people`; a role given must still name one person.
        hints = {
            "owner": "Name one person who drives the report; the team can be named in the summary.",
            "action": "Name one person who answers for it; the team can be in the description.",
            "role": "Name the one person who held the role (several experts go in `subject_matter_experts` "
                    "as a list).",
        }
        for path, value, kind in self._named_people(report):
            if not own and kind == "action":
                continue
            where = _where(path)
            group = self.group_re.search(value) if self.group_re else None
            if group:
                sink.add(source.line_of(path), "not-a-person", f"`{where}` is `{value[:60]}`, which names a group "
                         f"(`{group.group(0)}`), not a person.", hints[kind])
            elif self.people and (own or kind == "owner") and _person_key(value) not in self.people:
                close = difflib.get_close_matches(_person_key(value), list(self.people), n=1)
                hint = f"Did you mean `{self.people[close[0]]}`? " if close else ""
                sink.add(source.line_of(path), "unknown-person", f"`{where}` is `{value[:60]}`, who is not in "
                         "`rules.people` in handbook.yml.",
                         hint + "Use the name as handbook.yml lists it, or add the person there.")

    @staticmethod
    def _named_people(report: Report):
        data = report.data
        owner = data.get("owner")
        if isinstance(owner, str) and owner.strip():
            yield ("owner",), owner, "owner"
        for index, item in enumerate(_list(data.get("action_items"))):
            value = item.get("owner") if isinstance(item, dict) else None
            if isinstance(value, str) and value.strip() and not is_not_stated(value):
                yield ("action_items", index, "owner"), value, "action"
        roles = data.get("roles")
        for role, value in roles.items() if isinstance(roles, dict) else ():
            names = [(("roles", role), value)] if isinstance(value, str) else \
                [(("roles", role, i), v) for i, v in enumerate(_list(value))]
            for path, name in names:
                if isinstance(name, str) and name.strip():
                    yield path, name, "role"


_RENDERED_HEADING = re.compile(r"^(?: {0,3}> ?)*(?P<marks>#{1,6})(?P<rest>.*)$")
_SETEXT = re.compile(r"^[=-]+[ \t]*$")  # Python-Markdown's underline: from the line's start, its first sign decides
_TABLE_DELIMITER = re.compile(r"^ {0,3}\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_ANSWER_EDGES = " \t.,;:!?…\"'`*_()[]-"


def _answer_key(value: str) -> str:
    """A verification as compared with `rules.non_signals`: case, spacing and end punctuation ignored."""
    return normalise(value).strip(_ANSWER_EDGES)


def _person_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _phrases(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    if not phrases:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in phrases) + r")\b", re.I)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _strings(value: Any, path: tuple):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _strings(inner, path + (key,))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _strings(inner, path + (index,))


def _earlier(entry: Entry, previous: Entry) -> bool:
    """True when `entry` is out of order after `previous`; a date-only entry compares by its day."""
    assert entry.when is not None and previous.when is not None
    if entry.date_only or previous.date_only:
        return entry.when.date() < previous.when.astimezone(entry.when.tzinfo).date()
    return entry.when < previous.when


def _before_start(entry: Entry, start: dt.datetime) -> bool:
    """True when `entry` is lead-up: before `started` (a date-only entry: on an earlier day)."""
    assert entry.when is not None
    if entry.date_only:
        return entry.when.date() < start.astimezone(entry.when.tzinfo).date()
    return entry.when < start


_SCHEMA_PROBLEMS: dict[str, Callable[[ReportChecker, Any, tuple, Source, ProblemSink], None]] = {
    "required": ReportChecker._missing_key, "additionalProperties": ReportChecker._unknown_keys,
    "type": ReportChecker._wrong_type, "enum": ReportChecker._undeclared, "anyOf": ReportChecker._any_of,
    "pattern": ReportChecker._not_matching, "minLength": ReportChecker._empty, "minItems": ReportChecker._empty,
}
"""The problem each kind of schema error becomes (by the JSON Schema keyword that failed)."""

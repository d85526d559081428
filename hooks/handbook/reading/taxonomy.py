"""The taxonomy, declared once in `handbook.yml`, read into typed objects.

Severities, priorities, categories, layers, statuses, roles, visibilities, sections and the
rule thresholds all come from that one file. The file itself is checked against
`TAXONOMY_SCHEMA`, so a mistake in it gets a message with its line, like a report would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handbook.core.problems import Level, Problem, ProblemSink
from handbook.reading.schemacheck import SchemaCheck
from handbook.reading.source import Limits, load_yaml


class TaxonomyError(Exception):
    """handbook.yml is missing or invalid; `problems` says where."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.file}:{p.line}: {p.message}" for p in problems))
        self.problems = problems


def _entries(extra: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "required": ["id", *required],
            "properties": {"id": {"type": "string", "minLength": 1}, **extra},
            "additionalProperties": False,
        },
    }


_TEXT = {"type": "string"}
_TEXT_LIST = {"type": "array", "items": {"type": "string"}}
_COUNT = {"type": "integer", "minimum": 0}

TAXONOMY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["organisation", "ids", "severities", "priorities", "action_categories", "action_statuses",
                 "contributing_factor_layers", "statuses", "roles", "visibilities", "sections", "rules", "limits"],
    "additionalProperties": False,
    "properties": {
        "organisation": {"type": "object", "additionalProperties": _TEXT},
        "ids": {
            "type": "object",
            "required": ["pattern", "format", "example", "action_item_pattern"],
            "additionalProperties": False,
            "properties": {"pattern": _TEXT, "format": _TEXT, "example": _TEXT, "action_item_pattern": _TEXT},
        },
        "severities": _entries({"name": _TEXT, "description": _TEXT,
                                "review_deadline_business_days": {"type": ["integer", "null"], "minimum": 0}},
                               ["name", "review_deadline_business_days"]),
        "priorities": _entries({"impact": _TEXT, "effort": _TEXT, "horizon": _TEXT, "window_days": _COUNT},
                               ["window_days"]),
        "action_categories": _entries({"name": _TEXT, "description": _TEXT}, ["name"]),
        "action_statuses": _entries({"open": {"type": "boolean"}}, ["open"]),
        "contributing_factor_layers": _entries({"name": _TEXT, "description": _TEXT}, ["name"]),
        "statuses": _entries({"description": _TEXT, "strict": {"type": "boolean"}, "reviewed": {"type": "boolean"},
                              "requires_no_open_actions": {"type": "boolean"}}, ["strict", "reviewed"]),
        "roles": _entries({"name": _TEXT, "required": {"type": "boolean"}, "many": {"type": "boolean"}}, ["name"]),
        "visibilities": {
            "type": "object",
            "required": ["levels", "default"],
            "additionalProperties": False,
            "properties": {"levels": {**_TEXT_LIST, "minItems": 1}, "default": _TEXT, "restricted_tags": _TEXT_LIST},
        },
        "sections": _entries({"title": _TEXT, "required_from": _TEXT, "generated": {"type": "boolean"},
                              "subsections": _TEXT_LIST}, ["title", "required_from"]),
        "rules": {
            "type": "object",
            "additionalProperties": False,
            "required": ["contributing_factors", "blame_phrases", "refused_actions", "vague_actions",
                         "min_verification_words", "non_signals", "placeholders", "review_warning_business_days"],
            "properties": {
                "contributing_factors": {
                    "type": "object", "additionalProperties": False, "required": ["min_count", "min_layers"],
                    "properties": {"min_count": _COUNT, "min_layers": _COUNT},
                },
                "blame_phrases": _TEXT_LIST,
                "refused_actions": _TEXT_LIST,
                "vague_actions": _TEXT_LIST,
                "min_verification_words": _COUNT,
                "non_signals": _TEXT_LIST,
                "placeholders": _TEXT_LIST,
                "review_warning_business_days": _COUNT,
            },
        },
        "limits": {
            "type": "object", "additionalProperties": False, "required": ["max_file_bytes", "max_front_matter_lines"],
            "properties": {"max_file_bytes": {"type": "integer", "minimum": 1},
                           "max_front_matter_lines": {"type": "integer", "minimum": 1},
                           "max_nesting_depth": {"type": "integer", "minimum": 4, "maximum": 500},
                           "max_scalar_chars": {"type": "integer", "minimum": 100}},
        },
    },
}


@dataclass(frozen=True, slots=True)
class Severity:
    id: str
    name: str
    description: str
    review_deadline_business_days: int | None


@dataclass(frozen=True, slots=True)
class Priority:
    id: str
    window_days: int
    impact: str = ""
    effort: str = ""
    horizon: str = ""


@dataclass(frozen=True, slots=True)
class Term:
    """A named entry of a simple list: a category, a layer or a role."""

    id: str
    name: str
    description: str = ""
    required: bool = False
    many: bool = False


@dataclass(frozen=True, slots=True)
class Status:
    id: str
    description: str
    strict: bool
    reviewed: bool
    requires_no_open_actions: bool = False


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: str
    required_from: str
    generated: bool = False
    subsections: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rules:
    min_factors: int
    min_layers: int
    blame_phrases: tuple[str, ...]
    refused_actions: tuple[str, ...]
    vague_actions: tuple[str, ...]
    min_verification_words: int
    non_signals: tuple[str, ...]
    placeholders: tuple[str, ...]
    review_warning_business_days: int


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """Everything handbook.yml declares. `raw` keeps the file's values for templates."""

    path: Path
    organisation: dict[str, str]
    id_pattern: str
    id_format: str
    id_example: str
    action_id_pattern: str
    severities: tuple[Severity, ...]
    priorities: tuple[Priority, ...]
    categories: tuple[Term, ...]
    action_statuses: dict[str, bool]
    """Action status id -> whether an item in that status is still open."""
    layers: tuple[Term, ...]
    statuses: tuple[Status, ...]
    roles: tuple[Term, ...]
    visibilities: tuple[str, ...]
    default_visibility: str
    restricted_tags: tuple[str, ...]
    sections: tuple[Section, ...]
    rules: Rules
    max_file_bytes: int
    max_front_matter_lines: int
    limits: Limits
    raw: dict[str, Any] = field(compare=False, repr=False)

    def severity(self, sev_id: str | None) -> Severity | None:
        """The severity with id `sev_id`, or None."""
        return next((s for s in self.severities if s.id == sev_id), None)

    def priority(self, prio_id: str | None) -> Priority | None:
        """The priority with id `prio_id`, or None."""
        return next((p for p in self.priorities if p.id == prio_id), None)

    def status(self, status_id: str | None) -> Status | None:
        """The status with id `status_id`, or None."""
        return next((s for s in self.statuses if s.id == status_id), None)

    def status_rank(self, status_id: str) -> int:
        """The status's position in the declared order (unknown statuses first)."""
        return next((i for i, s in enumerate(self.statuses) if s.id == status_id), -1)

    def is_published(self, status_id: str) -> bool:
        """A report is published (in feeds, announcements) from the first strict status on."""
        status = self.status(status_id)
        return bool(status and status.strict)

    def is_open_action(self, status_id: object) -> bool:
        """Unknown or missing statuses count as open: an item is never silently dropped."""
        return self.action_statuses.get(status_id, True) if isinstance(status_id, str) else True

    def restricted_by_tags(self, tags: list[str]) -> list[str]:
        """The tags among `tags` that put a report on the protected track (matched as `tag_key` does)."""
        return [t for t in tags if tag_key(t) in self.restricted_tags]

    def visibility_rank(self, visibility: str) -> int:
        """How restricted `visibility` is (0 public); unknown levels count as the most restricted."""
        return self.visibilities.index(visibility) if visibility in self.visibilities else len(self.visibilities)

    def label(self, kind: str, term_id: str) -> str:
        """Display name of a category, layer or role id (the id itself when unknown)."""
        terms = {"category": self.categories, "layer": self.layers, "role": self.roles}[kind]
        return next((t.name for t in terms if t.id == term_id), term_id)


def tag_key(tag: str) -> str:
    """How tags compare: regardless of case and of blanks around or inside (`Security`, ` SECURITY `)."""
    return " ".join(tag.split()).casefold()


def load_taxonomy(path: Path, rel: str | None = None) -> Taxonomy:
    """Read and check handbook.yml. Raises TaxonomyError with located problems."""
    rel = rel or path.name
    sink = ProblemSink(rel)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise TaxonomyError([Problem(rel, 1, "taxonomy", Level.ERROR, f"Cannot read the taxonomy: {exc}.",
                                     "Check the handbook plugin's `config` option in mkdocs.yml.")]) from None
    parsed = load_yaml(text, sink)
    if parsed is None:
        raise TaxonomyError(sink.problems)
    raw, lines = parsed
    for error in sorted(SchemaCheck(TAXONOMY_SCHEMA).errors(raw or {}), key=lambda e: list(map(str, e.absolute_path))):
        location = tuple(error.absolute_path)
        line = next((lines[location[:i]] for i in range(len(location), 0, -1) if location[:i] in lines), 1)
        where = ".".join(map(str, location)) or "the file"
        sink.add(line, "taxonomy", f"In {where}: {error.message}.", "See the comments in handbook.yml.")
    if sink.problems:
        raise TaxonomyError(sink.problems)
    taxonomy = _build(path, raw)
    _check_references(taxonomy, lines, sink)
    if sink.problems:
        raise TaxonomyError(sink.problems)
    return taxonomy


def _build(path: Path, raw: dict[str, Any]) -> Taxonomy:
    rules = raw["rules"]
    vis = raw["visibilities"]
    return Taxonomy(
        path=path,
        organisation=dict(raw["organisation"]),
        id_pattern=raw["ids"]["pattern"],
        id_format=raw["ids"]["format"],
        id_example=raw["ids"]["example"],
        action_id_pattern=raw["ids"]["action_item_pattern"],
        severities=tuple(Severity(s["id"], s["name"], s.get("description", ""), s["review_deadline_business_days"])
                         for s in raw["severities"]),
        priorities=tuple(Priority(p["id"], p["window_days"], p.get("impact", ""), p.get("effort", ""),
                                  p.get("horizon", "")) for p in raw["priorities"]),
        categories=tuple(Term(c["id"], c["name"], c.get("description", "")) for c in raw["action_categories"]),
        action_statuses={s["id"]: s["open"] for s in raw["action_statuses"]},
        layers=tuple(Term(t["id"], t["name"], t.get("description", "")) for t in raw["contributing_factor_layers"]),
        statuses=tuple(Status(s["id"], s.get("description", ""), s["strict"], s["reviewed"],
                              s.get("requires_no_open_actions", False)) for s in raw["statuses"]),
        roles=tuple(Term(r["id"], r["name"], "", r.get("required", False), r.get("many", False))
                    for r in raw["roles"]),
        visibilities=tuple(vis["levels"]),
        default_visibility=vis["default"],
        restricted_tags=tuple(tag_key(t) for t in vis.get("restricted_tags", [])),
        sections=tuple(Section(s["id"], s["title"], s["required_from"], s.get("generated", False),
                               tuple(s.get("subsections", []))) for s in raw["sections"]),
        rules=Rules(
            min_factors=rules["contributing_factors"]["min_count"],
            min_layers=rules["contributing_factors"]["min_layers"],
            blame_phrases=tuple(rules["blame_phrases"]),
            refused_actions=tuple(rules["refused_actions"]),
            vague_actions=tuple(rules["vague_actions"]),
            min_verification_words=rules["min_verification_words"],
            non_signals=tuple(s.lower() for s in rules["non_signals"]),
            placeholders=tuple(rules["placeholders"]),
            review_warning_business_days=rules["review_warning_business_days"],
        ),
        max_file_bytes=raw["limits"]["max_file_bytes"],
        max_front_matter_lines=raw["limits"]["max_front_matter_lines"],
        limits=Limits(**{k: v for k, v in raw["limits"].items() if k in Limits.__dataclass_fields__}),
        raw=raw,
    )


def _check_references(tax: Taxonomy, lines: dict, sink: ProblemSink) -> None:
    """Cross-checks the schema cannot express: unique ids, known statuses, valid patterns."""
    status_ids = [s.id for s in tax.statuses]
    for index, section in enumerate(tax.sections):
        if section.required_from not in status_ids:
            sink.add(lines.get(("sections", index, "required_from"), 1), "taxonomy",
                     f"Section `{section.title}` is required from unknown status `{section.required_from}`.",
                     f"Use one of: {', '.join(status_ids)}.")
    if tax.default_visibility not in tax.visibilities:
        sink.add(lines.get(("visibilities", "default"), 1), "taxonomy",
                 f"The default visibility `{tax.default_visibility}` is not one of the levels.",
                 f"Use one of: {', '.join(tax.visibilities)}.")
    for key in ("pattern", "action_item_pattern"):
        try:
            re.compile(tax.raw["ids"][key])
        except re.error as exc:
            sink.add(lines.get(("ids", key), 1), "taxonomy", f"ids.{key} is not a valid regular expression: {exc}.",
                     "Fix the expression, for example '^INC-[0-9]{4}-[0-9]{3}$'.")
    listed: tuple[tuple[str, tuple[Any, ...]], ...] = (
        ("severities", tax.severities), ("priorities", tax.priorities), ("action_categories", tax.categories),
        ("contributing_factor_layers", tax.layers), ("statuses", tax.statuses), ("roles", tax.roles),
        ("sections", tax.sections))
    for name, entries in listed:
        seen: set[str] = set()
        for index, entry in enumerate(entries):
            if entry.id in seen:
                sink.add(lines.get((name, index), 1), "taxonomy", f"The id `{entry.id}` appears twice in {name}.",
                         "Give every entry its own id.")
            seen.add(entry.id)
    if not any(s.strict for s in tax.statuses):
        sink.add(lines.get(("statuses",), 1), "taxonomy", "No status is strict, so no report would ever be checked.",
                 "Mark the statuses after the draft as `strict: true`.")

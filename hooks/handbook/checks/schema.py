"""The JSON Schema of a report's front matter, generated from the taxonomy.

The validator checks front matter against this schema, and `handbook schema` writes the same
schema to `schema/postmortem.schema.json` for editors and other tools: one declaration, two uses.
"""

from __future__ import annotations

from typing import Any

from handbook.core.timestamps import DATE_PATTERN, TIMESTAMP_PATTERN
from handbook.reading.taxonomy import LONG_TERM, NOT_STATED, Taxonomy

URL_PATTERN = r"^https?://[^\s<>\"]+$"

# Keys every report must have (a draft gets warnings for the missing ones).
REQUIRED = ["id", "title", "severity", "status", "owner", "roles", "services", "started", "detected",
            "mitigated", "resolved", "impact", "contributing_factors", "action_items"]

NOT_STATED_PATTERN = r"\s*" + r"\s+".join("".join(f"[{c.upper()}{c}]" for c in word) for word in NOT_STATED.split()) + r"\s*"
"""`not stated` in any case and spacing, as a JSON Schema (ECMA-262) pattern can say it."""
LONG_TERM_PATTERN = r"\s*" + "".join(f"[{c.upper()}{c}]" if c.isalpha() else c for c in LONG_TERM) + r"\s*"
DUE_PATTERN = f"^(?:{DATE_PATTERN[1:-1]}|{NOT_STATED_PATTERN}|{LONG_TERM_PATTERN})$"


def action_required(tax: Taxonomy) -> list[str]:
    """The keys every action item needs at the first status (a draft gets warnings for the missing ones);
    the keys needed from a later status are added by `_required_later` for reports in it."""
    return tax.required_action_keys(tax.statuses[0].id)


def _required_later(tax: Taxonomy) -> list[dict[str, Any]]:
    """One `if status is X or later, then every action item needs these keys` per later status."""
    rules = []
    for rank, status in enumerate(tax.statuses[1:], 1):
        keys = [f.id for f in tax.action_item_fields if f.required_from == status.id]
        if keys:
            rules.append({
                "if": {"properties": {"status": {"enum": [s.id for s in tax.statuses[rank:]]}}, "required": ["status"]},
                "then": {"properties": {"action_items": {"items": {"required": keys}}}},
            })
    return rules


def _text(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "description": description, **extra}


def _texts(description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string", "minLength": 1}, "description": description}


def _enum(description: str, values: list[str]) -> dict[str, Any]:
    return {"type": "string", "enum": values, "description": description}


def _url(description: str) -> dict[str, Any]:
    return {"type": "string", "pattern": URL_PATTERN, "description": description,
            "examples": ["https://tracker.example.com/REL-412"]}


def _timestamp(description: str) -> dict[str, Any]:
    return {"type": "string", "pattern": TIMESTAMP_PATTERN, "description": description,
            "examples": ["2026-03-04T14:02:00Z", "2026-03-04T15:02:00+01:00"]}


def build_schema(tax: Taxonomy) -> dict[str, Any]:
    """The front matter schema for this taxonomy (JSON Schema draft 2020-12)."""
    roles: dict[str, Any] = {}
    for role in tax.roles:
        roles[role.id] = _texts(f"{role.name} (names)") if role.many else _text(f"{role.name} (a name)")
    action_item = {
        "type": "object",
        "description": "One follow-up commitment, tracked until it is verified.",
        "required": action_required(tax),
        "additionalProperties": False,
        "properties": {
            "id": _text("Unique within the report, for example AI-1.", pattern=tax.ids.action_item_pattern),
            "description": _text("The concrete change to make."),
            "owner": _text(f"One person who answers for it, or `{NOT_STATED}`."),
            "due": {"type": "string", "pattern": DUE_PATTERN,
                    "description": f"Due date, YYYY-MM-DD; `{NOT_STATED}` when no source gives one, "
                                   f"`{LONG_TERM}` when the source calls it long-term (neither is ever overdue).",
                    "examples": ["2026-12-01", NOT_STATED, LONG_TERM]},
            "priority": {"anyOf": [{"enum": [p.id for p in tax.priorities]},
                                   {"type": "string", "pattern": f"^{NOT_STATED_PATTERN}$"}],
                         "description": f"How urgent it is; sets the latest due date. `{NOT_STATED}` when no "
                                        "source gives one.",
                         "examples": [tax.priorities[0].id, NOT_STATED]},
            "category": _enum("What kind of defence it adds.", [c.id for c in tax.action_categories]),
            "verification": _text("What we will observe once it works."),
            "status": _enum("Where it stands.", [s.id for s in tax.action_statuses]),
            "ticket": _url("Link to the ticket that tracks it."),
        },
    }
    factor = {
        "type": "object",
        "required": ["layer", "description"],
        "additionalProperties": False,
        "properties": {
            "layer": _enum("Which defence layer this factor sits in.", [t.id for t in tax.contributing_factor_layers]),
            "description": _text("What in the system let this happen."),
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "postmortem.schema.json",
        "title": "Postmortem front matter",
        "description": "Generated by `handbook schema` from handbook.yml. Do not edit by hand.",
        "type": "object",
        "required": REQUIRED,
        "allOf": _required_later(tax),
        "additionalProperties": False,
        "properties": {
            "id": _text(f"Unique report id, for example {tax.ids.example}.", pattern=tax.ids.pattern),
            "title": _text("What happened, in a few words a reader outside the team understands."),
            "severity": _enum("Final severity.", [s.id for s in tax.severities]),
            "status": _enum("Where the report is in its lifecycle.", [s.id for s in tax.statuses]),
            "visibility": _enum("Who may read the report.", list(tax.visibilities.levels)),
            "owner": _text("The person who drives the report to completion."),
            "authors": _texts("Everyone who wrote part of it."),
            "roles": {
                "type": "object",
                "description": "Who held each incident role.",
                "required": [r.id for r in tax.roles if r.required],
                "additionalProperties": False,
                "properties": roles,
            },
            "services": {**_texts("Affected services."), "minItems": 1},
            "tags": _texts("Free-form tags."),
            "started": _timestamp("When impact began."),
            "detected": _timestamp("When we knew something was wrong."),
            "mitigated": _timestamp("When the mitigation that stopped the harm took effect."),
            "impact_ended": _timestamp("When customer impact ended, when that is later than `mitigated` "
                                       "(caches refilling, queues draining); optional."),
            "resolved": _timestamp("When the incident was closed."),
            "impact": {
                "type": "object",
                "description": "Who was affected and how.",
                "required": ["customer_facing", "users_affected", "data_impact"],
                "additionalProperties": False,
                "properties": {
                    "customer_facing": {"type": "boolean", "description": "Did customers notice?"},
                    "users_affected": {"type": ["integer", "string"], "minimum": 0,
                                       "description": "A count, or a share such as \"4% of checkouts\"."},
                    "data_impact": _text("`none`, or what was lost, corrupted or exposed."),
                },
            },
            "links": {
                "type": "object",
                "description": "Where to read more.",
                "additionalProperties": False,
                "properties": {
                    "slack": _url("The incident channel."),
                    "tickets": {"type": "array", "items": _url("A ticket.")},
                    "dashboards": {"type": "array", "items": _url("A dashboard.")},
                },
            },
            "related": {"type": "array", "items": _text("Id of a related report.", pattern=tax.ids.pattern)},
            "kind": _enum("What the report is about (default: the first of handbook.yml's `kinds`).",
                          [k.id for k in tax.kinds]),
            "severity_estimated": {"type": "boolean",
                                   "description": "True when the severity is an estimate (the source does not say)."},
            "severity_label": _text("The severity as the source or the team first called it, in its own words "
                                    "(\"P1\", \"Severity 2\"), when that differs from `severity`."),
            "references": {
                "type": "array",
                "description": "What the report draws on: an article, a bug number, a chat channel. Text, "
                               "with an address when there is one.",
                "items": {"oneOf": [
                    _text("A reference as text."),
                    {"type": "object", "required": ["text"], "additionalProperties": False,
                     "properties": {"text": _text("What it is."), "url": _url("Where to read it.")}},
                ]},
            },
            "contributing_factors": {"type": "array", "items": factor,
                                     "description": "What in the system allowed the incident."},
            "action_items": {"type": "array", "items": action_item, "description": "Follow-up commitments."},
        },
    }

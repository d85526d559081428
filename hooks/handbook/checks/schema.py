"""The JSON Schema of a report's front matter, generated from the taxonomy.

The validator checks front matter against this schema, and `handbook schema` writes the same
schema to `schema/postmortem.schema.json` for editors and other tools: one declaration, two uses.
"""

from __future__ import annotations

from typing import Any

from handbook.core.timestamps import DATE_PATTERN, TIMESTAMP_PATTERN
from handbook.reading.model import TIMESTAMPS_NOT_STATED
from handbook.reading.taxonomy import ITEM_KEYS, LONG_TERM, NOT_STATED, Taxonomy

URL_PATTERN = r"^https?://[^\s<>\"]+$"

# Keys every report must have (a draft gets warnings for the missing ones). `roles` is required only
# of the kinds whose response is the organisation's own, when handbook.yml declares one that is not.
REQUIRED = ["id", "title", "severity", "status", "owner", "roles", "services", "started", "detected",
            "mitigated", "resolved", "impact", "contributing_factors", "action_items"]

NOT_STATED_PATTERN = r"\s*" + r"\s+".join("".join(f"[{c.upper()}{c}]" for c in word) for word in NOT_STATED.split()) + r"\s*"
"""`not stated` in any case and spacing, as a JSON Schema (ECMA-262) pattern can say it."""
LONG_TERM_PATTERN = r"\s*" + "".join(f"[{c.upper()}{c}]" if c.isalpha() else c for c in LONG_TERM) + r"\s*"
DUE_PATTERN = f"^(?:{DATE_PATTERN[1:-1]}|{NOT_STATED_PATTERN}|{LONG_TERM_PATTERN})$"


def action_required(tax: Taxonomy) -> list[str]:
    """The keys every action item of every kind needs at the first status (a draft gets warnings for the
    missing ones); the others are added by `_conditions` for the reports that need them."""
    keys = tax.required_action_keys(tax.statuses[0].id)
    return keys if _own_kind(tax) is None else [k for k in keys if k in ITEM_KEYS]


OWN_RESPONSE = "own-response"
"""The name, under `$defs`, of the condition "the report's kind has `own_response: true`"."""


def _own_kind(tax: Taxonomy) -> dict[str, Any] | None:
    """The condition "the report's kind has `own_response: true`", as JSON Schema; None when every
    kind has. A report without `kind` is of the first kind, and so, as in validation, is one whose
    `kind` is not declared (that is refused on its own)."""
    others = [k.id for k in tax.kinds if not k.own_response]
    if not others:
        return None
    description = ("The report's kind has `own_response: true` in handbook.yml: its roles and action items "
                   "are the organisation's own.")
    if tax.kinds[0].own_response:
        return {"description": description,
                "not": {"required": ["kind"], "properties": {"kind": {"enum": others}}}}
    return {"description": description, "required": ["kind"],
            "properties": {"kind": {"enum": [k.id for k in tax.kinds if k.own_response]}}}


def _conditions(tax: Taxonomy) -> list[dict[str, Any]]:
    """The requirements that depend on the report's status or kind, as `if ... then ...` rules: from
    each later status, the action item keys `action_item_fields` requires from it; and, for the kinds
    whose response is the organisation's own, the required roles and the keys that make an item a
    commitment (owner, due, priority...), from their statuses."""
    own = None if _own_kind(tax) is None else {"$ref": f"#/$defs/{OWN_RESPONSE}"}
    rules = []
    if own is not None:
        roles = [r.id for r in tax.roles if r.required]
        rules.append(_rule([own], {"required": ["roles"],
                                   **({"properties": {"roles": {"required": roles}}} if roles else {})}))
    for rank, status in enumerate(tax.statuses):
        keys = [f.id for f in tax.action_item_fields if f.required_from == status.id]
        since: list[dict[str, Any]] = [] if rank == 0 else [
            {"properties": {"status": {"enum": [s.id for s in tax.statuses[rank:]]}}, "required": ["status"]}]
        groups = [(since, keys)] if own is None else [
            (since, [k for k in keys if k in ITEM_KEYS]),  # what the item is: every kind
            ([*since, own], [k for k in keys if k not in ITEM_KEYS])]  # what makes it ours
        for conditions, required in groups:
            if required and conditions:  # the first status's keys for every kind are in the item's own schema
                rules.append(_rule(conditions, {"properties": {"action_items": {"items": {"required": required}}}}))
    return rules


def _rule(conditions: list[dict[str, Any]], then: dict[str, Any]) -> dict[str, Any]:
    return {"if": conditions[0] if len(conditions) == 1 else {"allOf": conditions}, "then": then}


def _text(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "description": description, **extra}


def _texts(description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string", "minLength": 1}, "description": description}


def _enum(description: str, values: list[str]) -> dict[str, Any]:
    return {"type": "string", "enum": values, "description": description}


def _url(description: str) -> dict[str, Any]:
    return {"type": "string", "pattern": URL_PATTERN, "description": description,
            "examples": ["https://tracker.example.com/REL-412"]}


def _date(description: str) -> dict[str, Any]:
    return {"type": "string", "pattern": DATE_PATTERN, "description": description, "examples": ["2026-12-01"]}


def _maybe_not_stated(key: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The timestamp `key`, or `not stated` when it is one a source may not give (`TIMESTAMPS_NOT_STATED`)."""
    if key not in TIMESTAMPS_NOT_STATED:
        return schema
    return {"anyOf": [{k: v for k, v in schema.items() if k != "description"},
                      {"type": "string", "pattern": f"^{NOT_STATED_PATTERN}$"}],
            "description": schema["description"] + f" `{NOT_STATED}` when no source gives it (the durations that "
                                                   "need it then read \"not known\").",
            "examples": [*schema.get("examples", []), NOT_STATED]}


def _timestamp(description: str) -> dict[str, Any]:
    return {"type": "string", "pattern": TIMESTAMP_PATTERN, "description": description,
            "examples": ["2026-03-04T14:02:00Z", "2026-03-04T15:02:00+01:00"]}


def _narrower(tax: Taxonomy, what: str) -> dict[str, Any]:
    return _enum(f"Keeps this {what} for readers of this level (narrower than the report's); left out of "
                 "what wider audiences read.", list(tax.visibilities.levels))


def build_schema(tax: Taxonomy) -> dict[str, Any]:
    """The front matter schema for this taxonomy (JSON Schema draft 2020-12)."""
    own = _own_kind(tax)  # None: every kind's roles and action items are the organisation's own
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
            "done": _date("The day it was done (its fix in place): starts the effectiveness review's clock."),
            "visibility": _narrower(tax, "item"),
        },
    }
    factor = {
        "type": "object",
        "required": ["layer", "description"],
        "additionalProperties": False,
        "properties": {
            "layer": _enum("Which defence layer this factor sits in.", [t.id for t in tax.contributing_factor_layers]),
            "description": _text("What in the system let this happen."),
            "visibility": _narrower(tax, "factor"),
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "postmortem.schema.json",
        "title": "Postmortem front matter",
        "description": "Generated by `handbook schema` from handbook.yml. Do not edit by hand.",
        "type": "object",
        "required": REQUIRED if own is None else [k for k in REQUIRED if k != "roles"],
        "allOf": _conditions(tax),
        **({"$defs": {OWN_RESPONSE: own}} if own is not None else {}),
        "additionalProperties": False,
        "properties": {
            "id": _text(f"Unique report id, for example {tax.ids.example}.", pattern=tax.ids.pattern),
            "title": _text("What happened, in a few words a reader outside the team understands."),
            "external_title": _text("The title of the external message (the report's `## "
                                    f"{tax.external_message.title}` section), published for customers and the "
                                    "status page; the report's `title` when left out. Optional."),
            "severity": _enum("Final severity.", [s.id for s in tax.severities]),
            "status": _enum("Where the report is in its lifecycle.", [s.id for s in tax.statuses]),
            "visibility": _enum("Who may read the report.", list(tax.visibilities.levels)),
            "field_visibility": {
                "type": "object",
                "description": "Fields kept for a narrower audience than the report: the field's keys joined "
                               "with dots (`impact.users_affected`, `links.slack`), or an entry of a list of "
                               "names by its text (`services.ledger-db`) -> the level that may read it.",
                "additionalProperties": _enum("The narrowest level that may read the field.",
                                              list(tax.visibilities.levels)),
                "examples": [{"links.slack": tax.visibilities.levels[-1]}],
            },
            "owner": _text("The person who drives the report to completion."),
            "authors": _texts("Everyone who wrote part of it."),
            "roles": {
                "type": "object",
                "description": "Who held each incident role.",
                **({"required": [r.id for r in tax.roles if r.required]} if own is None else {}),
                "additionalProperties": False,
                "properties": roles,
            },
            "services": {**_texts("Affected services."), "minItems": 1},
            "tags": _texts("Free-form tags."),
            "started": _timestamp("When impact began."),
            "detected": _maybe_not_stated("detected", _timestamp("When we knew something was wrong.")),
            "mitigated": _maybe_not_stated("mitigated", _timestamp("When the mitigation that stopped the harm "
                                                                   "took effect.")),
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
            "review_meeting": _date("The day the review meeting was held."),
            "effectiveness_review": {
                "type": "object",
                "description": "The check, some weeks after the fixes are in, that they work.",
                "additionalProperties": False,
                "required": ["held", "outcome", "measured"],
                "properties": {
                    "held": _date("The day it was held."),
                    "outcome": _enum("What it found.", [o.id for o in tax.effectiveness_reviews.outcomes]),
                    "measured": _text("What was measured or observed, and what it showed."),
                    "follow_up": {"type": "array", "items": _text("Id of an action item of this report.",
                                                                  pattern=tax.ids.action_item_pattern),
                                  "description": "The action items it added."},
                },
            },
            "contributing_factors": {"type": "array", "items": factor,
                                     "description": "What in the system allowed the incident."},
            "action_items": {"type": "array", "items": action_item, "description": "Follow-up commitments."},
        },
    }

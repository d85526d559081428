"""`own_response` in handbook.yml's `kinds`: a case study's roles and action items are another
organisation's, so nothing we would have to make up is required of them; everything a report
teaches is still checked. The validator and the JSON Schema an editor reads must agree.

Each report here is the valid fixture with a few changes.
"""

from __future__ import annotations

import json
import re

import jsonschema
import msgspec
import pytest

from handbook import Level

from .conftest import ROOT, check_text

ROLES = "roles:\n  commander: Ada Moreau\n  scribe: Ben Ito\n  communications: Cleo Vance\n" \
        "  subject_matter_experts: [Dev Patel]\n"
COMMITMENT_KEYS = ("owner", "due", "priority", "category", "verification", "status")
MISSING = re.compile(r"The key `(?P<key>[^`]+)` is missing(?: in `(?P<where>[^`]+)`)?\.")


def _bare(valid_text: str, kind: str | None = "case-study", status: str = "reviewed") -> str:
    """The fixture as the source of a case study gives it: no roles, and each action item with only
    its id and description."""
    text = valid_text.replace(ROLES, "", 1).replace("status: reviewed", f"status: {status}", 1)
    if kind is not None:
        text = text.replace("id: INC-2026-101\n", f"id: INC-2026-101\nkind: {kind}\n", 1)
    items = [line for line in text.split("\n") if line.startswith("    ") and
             line.strip().split(":")[0] in COMMITMENT_KEYS]
    assert len(items) == 2 * len(COMMITMENT_KEYS)
    return "\n".join(line for line in text.split("\n") if line not in items)


def _missing(problems) -> set[tuple[str, str]]:
    found = set()
    for problem in problems:
        assert problem.rule == "missing-key", (problem.rule, problem.message)
        match = MISSING.fullmatch(problem.message)
        assert match, problem.message
        found.add((match["where"] or "", match["key"]))
    return found


def _schema_errors(tmp_path, text: str) -> set[tuple[str, str]]:
    """What the committed schema/postmortem.schema.json, in a generic validator, finds missing in the
    front matter as the package reads it (dates stay text)."""
    from handbook.core.problems import ProblemSink
    from handbook.reading.source import read_source

    path = tmp_path / "for-the-schema.md"
    path.write_text(text, encoding="utf-8")
    data = read_source(path, path.name, ProblemSink(path.name), max_bytes=10**7, max_lines=10**5).data
    schema = json.loads((ROOT / "schema" / "postmortem.schema.json").read_text(encoding="utf-8"))
    found = set()
    for error in jsonschema.Draft202012Validator(schema).iter_errors(data):
        assert error.validator == "required", error.message
        key = re.match(r"^'(.+)' is a required property$", error.message).group(1)
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
        found.add((where, key))
    return found


@pytest.mark.parametrize("status", ["in-review", "reviewed", "closed"])
def test_a_case_study_needs_no_roles_and_only_the_id_and_description_of_each_item(tmp_path, taxonomy,
                                                                                   valid_text, status):
    text = _bare(valid_text, status=status)
    collection, _ = check_text(tmp_path, taxonomy, text)
    assert collection.problems == []
    [report] = collection.reports
    assert [(a.id, a.owner, a.due_text) for a in report.actions] == [("AI-1", "", None), ("AI-2", "", None)]
    assert _schema_errors(tmp_path, text) == set()  # an editor using the schema agrees


@pytest.mark.parametrize("kind", ["incident", None, "drill"], ids=["incident", "no-kind", "drill"])
def test_our_own_reports_still_need_the_roles_and_every_key_of_an_item(tmp_path, taxonomy, valid_text, kind):
    """The same report as our incident (or with no `kind`: the first declared) or as our drill."""
    text = _bare(valid_text, kind=kind)
    collection, _ = check_text(tmp_path, taxonomy, text)
    expected = {("", "roles")} | {(f"action_items[{i}]", key) for i in (0, 1) for key in COMMITMENT_KEYS}
    assert _missing(collection.problems) == expected
    assert all(p.level is Level.ERROR for p in collection.problems)
    assert _schema_errors(tmp_path, text) == expected
    roles = next(p for p in collection.problems if p.message == "The key `roles` is missing.")
    assert "kind: case-study" in roles.hint  # the way out, for a report that is not about us
    owner = next(p for p in collection.problems if p.message.startswith("The key `owner`"))
    assert "from status `reviewed`" in owner.hint and "kind: case-study" in owner.hint


def test_a_missing_commander_is_still_refused_in_our_incident(tmp_path, taxonomy, valid_text):
    text = valid_text.replace("  commander: Ada Moreau\n", "", 1)
    collection, _ = check_text(tmp_path, taxonomy, text)
    [problem] = collection.problems
    assert (problem.rule, problem.message) == ("missing-key", "The key `commander` is missing in `roles`.")
    assert "Incident commander" in problem.hint and "kind: case-study" in problem.hint


def test_what_a_case_study_does_give_is_still_checked_for_its_form(tmp_path, taxonomy, valid_text):
    first = "    description: Route configuration changes through the same canary stage as code.\n"
    text = _bare(valid_text).replace(first, first + "    due: next week\n    priority: P9\n    owner: [Dev Patel]\n"
                                     "    ownr: Dev Patel\n", 1)
    text = text.replace("related: []\n", "related: []\nroles:\n  commander: 42\n", 1)
    collection, _ = check_text(tmp_path, taxonomy, text)
    found = {(p.rule, p.line) for p in collection.problems}
    lines = text.split("\n")

    def line(start: str) -> int:
        return next(n for n, value in enumerate(lines, 1) if value.startswith(start))

    assert found == {("bad-date", line("    due: next week")), ("unknown-value", line("    priority: P9")),
                     ("wrong-type", line("    owner: [Dev Patel]")), ("unknown-key", line("    ownr:")),
                     ("wrong-type", line("  commander: 42"))}


def test_the_checks_of_a_commitment_of_ours_are_left_out_of_a_case_study(tmp_path, taxonomy, valid_text):
    """The source's own words for its items: a far due date, a team as owner, a vague action, a
    verification that is no answer or too short, an item still open on a closed report."""
    people = msgspec.structs.replace(taxonomy, rules=msgspec.structs.replace(taxonomy.rules, people=("Ada Moreau",)))
    study = valid_text.replace("id: INC-2026-101\n", "id: INC-2026-101\nkind: case-study\n", 1)
    study = study.replace("status: reviewed", "status: closed", 1)  # AI-2 is still open
    study = study.replace("due: 2026-10-15", "due: 2027-06-30", 1)  # past P1's window
    study = study.replace("owner: Dev Patel", "owner: Storage team", 1)
    study = study.replace("A pool-size change in staging stops at the canary gate when errors rise.", "done", 1)
    study = study.replace("Alert when the connection pool stays above 90% use for five minutes.", "Improve monitoring.")
    study = study.replace("The alert fires in the monthly game day when the pool is throttled.", "not stated")
    study = study.replace("\n---\n", "\n  - id: AI-3\n    description: Add a second region.\n"
                          "    verification: it is faster\n---\n", 1)
    collection, _ = check_text(tmp_path, people, study)
    # The roles were held elsewhere, so they are not looked up in our people list either.
    assert collection.problems == []
    ours = study.replace("kind: case-study", "kind: incident", 1)
    collection, _ = check_text(tmp_path, people, ours)
    assert {p.rule for p in collection.problems} - {"missing-key"} == {
        "due-outside-window", "not-a-person", "verification-non-answer", "vague-action", "unverifiable-action",
        "unknown-person", "open-actions-on-closed"}
    assert _missing([p for p in collection.problems if p.rule == "missing-key"]) == {
        ("action_items[2]", key) for key in ("owner", "due", "priority", "category", "status")}


def test_a_case_study_names_one_person_per_role_and_its_owner_is_one_of_ours(tmp_path, taxonomy, valid_text):
    people = msgspec.structs.replace(taxonomy, rules=msgspec.structs.replace(taxonomy.rules, people=("Ben Ito",)))
    text = _bare(valid_text).replace("related: []\n", "related: []\nroles:\n  commander: Storage team\n"
                                     "  scribe: Rosa Quint\n", 1)
    collection, _ = check_text(tmp_path, people, text)
    assert sorted((p.rule, p.message.split(" is ")[0]) for p in collection.problems) == [
        ("not-a-person", "`roles.commander`"), ("unknown-person", "`owner`")]


def test_a_case_study_still_refuses_blame_and_missing_sections(tmp_path, taxonomy, valid_text):
    study = _bare(valid_text)
    blamed = study.replace("description: No alert watched pool saturation, so the first signal was the error rate.",
                           "description: Human error by the engineer who typed the command.", 1)
    collection, _ = check_text(tmp_path, taxonomy, blamed)
    assert [(p.rule, p.level) for p in collection.problems] == [("blame", Level.ERROR)]
    no_lessons = study.replace("## Lessons learned\n", "## Lessons\n", 1)
    collection, _ = check_text(tmp_path, taxonomy, no_lessons)
    assert "missing-section" in {p.rule for p in collection.problems}
    few = study.replace("  - layer: rollout-control-gap\n    description: Configuration changes skipped the canary "
                        "stage that code changes go through.\n", "", 1)
    collection, _ = check_text(tmp_path, taxonomy, few)
    assert [p.rule for p in collection.problems] == ["too-few-factors"]
    late = study.replace("- 11:00 — The incident", "- 11:30 — The incident", 1)
    collection, _ = check_text(tmp_path, taxonomy, late)
    assert [p.rule for p in collection.problems] == ["timeline-window"]


def test_own_response_is_true_unless_declared_and_the_first_kind_is_a_report_without_kind(tmp_path, valid_text):
    from handbook import load_taxonomy
    from handbook.checks.schema import build_schema

    text = (ROOT / "handbook.yml").read_text(encoding="utf-8")
    assert text.count("    own_response: true\n") == 2 and text.count("    own_response: false\n") == 1
    (tmp_path / "handbook.yml").write_text(text.replace("    own_response: false\n", ""), encoding="utf-8")
    every_kind_ours = load_taxonomy(tmp_path / "handbook.yml")
    assert all(k.own_response for k in every_kind_ours.kinds)
    schema = build_schema(every_kind_ours)
    assert "$defs" not in schema and "roles" in schema["required"]  # the schema as it was before kinds
    assert schema["properties"]["roles"]["required"] == ["commander"]
    study = _bare(valid_text)
    collection, _ = check_text(tmp_path, every_kind_ours, study)
    assert ("", "roles") in _missing(collection.problems)
    # A handbook whose first kind is a case study: a report that does not say is one.
    studies_first = msgspec.structs.replace(every_kind_ours, kinds=(
        msgspec.structs.replace(every_kind_ours.kinds[1], own_response=False), every_kind_ours.kinds[0]))
    collection, _ = check_text(tmp_path, studies_first, _bare(valid_text, kind=None))
    assert collection.problems == []
    collection, _ = check_text(tmp_path, studies_first, _bare(valid_text, kind="incident"))
    assert ("", "roles") in _missing(collection.problems)

"""Every validation rule: a failing case that names the rule and the line, and a passing case.

Each failing case is the valid fixture with one change. `marker` is text on the line the
problem must point at (None: line 1, the whole file).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import msgspec
import pytest

from handbook.reading.links import Layout
from handbook import RULES, Level, load_collection

from .conftest import check_text


@dataclass(frozen=True)
class Case:
    rule: str
    old: str
    new: str
    marker: str | None
    also: tuple[tuple[str, str], ...] = ()  # further replacements that make up the same defect


CASES = [
    Case("yaml-syntax", "title: Checkout requests", "title: [Checkout requests", "title: [Checkout"),
    Case("yaml-alias", "tags: [database]", "tags: &t [database]\nauthors_copy: *t", "authors_copy"),
    Case("yaml-tag", "tags: [database]", "tags: !shell [database]", "tags: !shell"),
    Case("duplicate-key", "owner: Ada Moreau\n", "owner: Ada Moreau\nowner: Ben Ito\n", "owner: Ben Ito"),
    Case("missing-key", "owner: Ada Moreau\n", "", None),
    Case("unknown-key", "owner: Ada Moreau", "ownr: Ada Moreau", "ownr:"),
    Case("wrong-type", "services: [checkout-api, payments-gateway]", "services: checkout-api", "services:"),
    Case("unknown-value", "severity: SEV2", "severity: SEV9", "severity:"),
    Case("bad-id", "id: INC-2026-101", "id: incident-101", "id: incident"),
    Case("bad-timestamp", "started: 2026-10-05T09:00:00Z", "started: 2026-10-05T09:00:00", "started:"),
    Case("bad-date", "due: 2026-10-15", "due: next week", "due: next week"),
    Case("impossible-date", "due: 2026-10-15", "due: 2026-02-30", "due: 2026-02-30"),
    Case("bad-url", "slack: https://chat.example.com/archives/C01", "slack: javascript:alert(1)", "slack:"),
    Case("empty-value", "owner: Ada Moreau", 'owner: ""', 'owner: ""'),
    Case("timestamp-order", "detected: 2026-10-05T09:07:00Z", "detected: 2026-10-05T08:50:00Z", "detected:"),
    Case("unknown-related", "related: []", "related: [INC-2026-999]", "related:"),
    Case("missing-section", "## Detection\n", "## Detektion\n", "## Timeline"),
    Case("empty-section", "The on-call engineer opened the incident and paged the database team.\n", "",
         "## Response"),
    Case("placeholder", "The rollback took three minutes", "TODO: the rollback took three minutes", "TODO: the"),
    Case("timeline-no-timestamp", "- 09:25 — The change", "- Then the change", "- Then the change"),
    Case("timeline-empty", "- 2026-10-05 09:00 — The pool-size change reaches every checkout-api pod.\n"
         "- 09:07 — The checkout error-rate alert pages the on-call engineer.\n"
         "- 09:25 — The change is identified as the trigger.\n"
         "- 09:40 — The rollback completes and errors return to baseline.\n"
         "- 11:00 — The incident is resolved after an hour of normal traffic.\n",
         "We did not keep a log of events.\n", "## Timeline"),
    Case("timeline-order", "- 09:25 — The change", "- 09:05 — The change", "- 09:05"),
    Case("timeline-window", "- 11:00 — The incident", "- 11:30 — The incident", "- 11:30"),
    Case("too-few-factors", "  - layer: rollout-control-gap\n    description: Configuration changes skipped the "
         "canary stage that code changes go through.\n", "", "contributing_factors:"),
    Case("too-few-layers", "layer: detection-gap", "layer: technical-trigger", "contributing_factors:",
         also=(("layer: rollout-control-gap", "layer: technical-trigger"),)),
    Case("blame", "description: No alert watched pool saturation, so the first signal was the error rate.",
         "description: Human error by the operator who changed the pool.", "Human error"),
    Case("duplicate-action-id", "id: AI-2", "id: AI-1", "id: AI-1\n    description: Alert"),
    Case("due-outside-window", "due: 2026-10-15", "due: 2026-10-30", "due: 2026-10-30"),
    Case("refused-action", "description: Route configuration changes through the same canary stage as code.",
         "description: Be more careful when changing pool sizes.", "Be more careful"),
    Case("vague-action", "description: Alert when the connection pool stays above 90% use for five minutes.\n"
         "    owner: Ben Ito\n    due: 2026-11-01\n    priority: P3\n    category: detect\n"
         "    verification: The alert fires in the monthly game day when the pool is throttled.",
         "description: Monitor better.\n    owner: Ben Ito\n    due: 2026-11-01\n    priority: P3\n"
         "    category: detect\n    verification: done", "Monitor better"),
    Case("unverifiable-action", "verification: The alert fires in the monthly game day when the pool is throttled.",
         "verification: the alert fires", "verification: the alert fires"),
    Case("verification-non-answer", "verification: The alert fires in the monthly game day when the pool is throttled.",
         "verification: Not stated in the source.", "verification: Not stated"),
    Case("not-a-person", "owner: Ada Moreau", "owner: Ops Team", "owner: Ops Team"),
    Case("stray-heading", "## Response\n", "## Response\n\n#inc-bridge was opened at 09:08.\n", "#inc-bridge"),
    Case("external-message", "## Action items\n", "## Action items\n\n## External message\n\n### Summary\n\n"
         "Some checkouts failed for 40 minutes.\n\n### What happened\n\n### What we are doing\n\n"
         "Pool changes now pass a canary first.\n", "### What happened"),
    Case("broken-link", "## Response\n", "## Response\n\n![the graph](missing-graph.png)\n", "missing-graph"),
    Case("date-order", "    status: done\n", "    status: done\n    done: 2026-10-01\n", "done: 2026-10-01"),
    Case("done-while-open", "    status: open\n", "    status: open\n    done: 2026-10-20\n", "done: 2026-10-20"),
    Case("follow-up", "action_items:\n", "effectiveness_review:\n  held: 2026-12-01\n  outcome: working\n  "
         "measured: The alert fired in the December game day.\n  follow_up: [AI-7]\n"
         "action_items:\n", "follow_up: [AI-7]"),
    Case("open-actions-on-closed", "status: reviewed", "status: closed", "status: closed"),
    Case("visibility", "tags: [database]", "tags: [security]", "visibility:"),
    Case("audience-mark", "## Detection\n", "::: internal\nA part kept for internal readers.\n:::\n\n## Detection\n",
         "::: internal"),  # the report is internal already
    Case("control-character", "title: Checkout requests timed out after a connection-pool change",
         'title: "Checkout \\e[2K requests timed out after a connection-pool change"', 'title: "Checkout'),
    Case("too-deep", "tags: [database]", "tags: " + "[" * 70 + "database" + "]" * 70, "tags: [[["),
    Case("too-long-value", "owner: Ada Moreau", "owner: " + "A" * 100_001, "owner: AAA"),
    Case("bad-number", 'users_affected: "7% of checkout attempts"', "users_affected: " + "9" * 5000,
         "users_affected: 999"),
]

FILE_CASES = {
    "nul-byte": b"---\nid: INC-2026-101\n\x00\n---\n",
    "encoding": "---\ntitle: caf\u00e9\n---\n".encode("latin-1"),
    "empty-file": b"   \n\n",
    "no-front-matter": b"# Just a heading\n\nSome text.\n",
}


def _line_of(text: str, marker: str | None) -> int:
    if marker is None:
        return 1
    index = text.index(marker)
    return text.count("\n", 0, index) + 1


def test_the_valid_fixture_passes(tmp_path, taxonomy, valid_text):
    collection, _ = check_text(tmp_path, taxonomy, valid_text)
    assert collection.problems == []
    assert len(collection.reports) == 1 and len(collection.reports[0].actions) == 2


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_rule_fails_on_its_defect(tmp_path, taxonomy, valid_text, case):
    assert case.old in valid_text, f"fixture no longer contains {case.old!r}"
    text = valid_text.replace(case.old, case.new, 1)
    for old, new in case.also:
        text = text.replace(old, new, 1)
    collection, path = check_text(tmp_path, taxonomy, text)
    matching = [p for p in collection.problems if p.rule == case.rule]
    assert matching, f"expected {case.rule}, got {[(p.rule, p.message) for p in collection.problems]}"
    problem = matching[0]
    assert problem.level is Level.ERROR  # the fixture is `reviewed`: strict
    assert problem.file == "report.md"
    assert problem.line == _line_of(text, case.marker), (problem, text.split("\n")[problem.line - 1])
    assert problem.message and problem.hint


@pytest.mark.parametrize("rule", sorted(FILE_CASES))
def test_file_level_rules_are_located_errors(tmp_path, taxonomy, rule):
    collection, _ = check_text(tmp_path, taxonomy, FILE_CASES[rule])
    [problem] = collection.problems
    assert problem.rule == rule and problem.level is Level.ERROR
    assert problem.line == {"nul-byte": 3, "encoding": 2}.get(rule, 1)
    assert len(collection.reports) == 1  # the broken file is still a report: never dropped


def test_duplicate_id_names_both_files(tmp_path, taxonomy, valid_text):
    (tmp_path / "a.md").write_text(valid_text, encoding="utf-8")
    (tmp_path / "b.md").write_text(valid_text, encoding="utf-8")
    collection = load_collection([tmp_path / "a.md", tmp_path / "b.md"], taxonomy, Layout.of(tmp_path))
    dupes = [p for p in collection.problems if p.rule == "duplicate-id"]
    assert {p.file for p in dupes} == {"a.md", "b.md"}
    assert "b.md" in next(p.message for p in dupes if p.file == "a.md")
    assert all(p.line == 2 for p in dupes)


def test_file_too_large_states_the_limit(tmp_path, taxonomy, valid_text):
    text = valid_text + "\n" + ("x" * 100 + "\n") * (taxonomy.limits.max_file_bytes // 100 + 1)
    collection, _ = check_text(tmp_path, taxonomy, text)
    [problem] = collection.problems
    assert problem.rule == "file-too-large" and f"{taxonomy.limits.max_file_bytes:,}" in problem.message


def test_front_matter_too_long(tmp_path, taxonomy, valid_text):
    padding = "# padding\n" * (taxonomy.limits.max_front_matter_lines + 1)
    collection, _ = check_text(tmp_path, taxonomy, valid_text.replace("---\n", "---\n" + padding, 1))
    assert [p.rule for p in collection.problems] == ["front-matter-too-long"]


def test_unreadable_file_is_reported_not_skipped(tmp_path, taxonomy):
    os.symlink(tmp_path / "missing-target.md", tmp_path / "dangling.md")
    from handbook import find_reports

    files = find_reports([tmp_path])
    collection = load_collection(files, taxonomy, Layout.of(tmp_path))
    assert [p.rule for p in collection.problems] == ["unreadable"]


def test_every_rule_has_a_failing_case():
    covered = {c.rule for c in CASES} | set(FILE_CASES) | {"duplicate-id", "file-too-large",
                                                            "front-matter-too-long", "unreadable"}
    covered |= {"not-a-file", "internal-error"}  # tests/test_bounded.py
    covered |= {"unknown-person"}  # needs its own taxonomy: test_unknown_person_when_people_are_listed
    covered |= {"tracker-disagrees", "tracker-file"}  # need the tracker's states: the tests at the end
    covered |= {"internal-word"}  # needs handbook.yml's words: tests/test_parts.py
    covered |= {"replaces-generated"}  # a file of docs/, not a report: tests/test_docs_boundary.py
    covered |= {"shared-file-name"}  # two reports in two folders: tests/test_surfaces.py
    assert covered == set(RULES)


# -- passing variants -------------------------------------------------------------------------

@pytest.mark.parametrize("old,new", [
    # time-only timeline entries, an explicit zone, and a table timeline all count
    ("- 09:25 — The change", "- 2026-10-05 09:25 UTC — The change"),
    ("- 09:25 — The change", "- **09:25** The change"),
    # a vague action is fine when its verification is observable
    ("description: Alert when the connection pool", "description: Improve monitoring with an alert when the pool"),
    # quoting timestamps and dates is fine; so is an offset
    ("started: 2026-10-05T09:00:00Z", "started: '2026-10-05T09:00:00+00:00'"),
    ("due: 2026-10-15", "due: '2026-10-15'"),
    # a security incident that is restricted
    ("tags: [database]\n", "tags: [security]\n"),
    # group words count as whole words only: "Teamwork" is not "team"
    ("owner: Ada Moreau", "owner: Teamwork Lee"),
    # a non-answer is refused only as the whole verification
    ("verification: The alert fires in the monthly game day when the pool is throttled.",
     "verification: Not stated in the alert but visible on the dashboard within 5 minutes."),
    # `#` lines that do not render as headings, and the author's own `###` parts of a section
    ("## Response\n", "## Response\n\n```\n#inc-bridge\n```\n\n\\#inc-bridge and `#inc-bridge` and #inc-bridge.\n"),
    ("## Response\n", "## Response\n\n<!--\n#inc-bridge\n-->\n    #indented\n"),
    ("## Response\n", "## Response\n\n### First hour\n\nThe on-call engineer paged the team.\n\n#### Detail ####\n"),
    ("## Summary\n", "## Summary ##\n"),
    ("## Response\n", "## Response\n\nTicket | State\n--- | ---\n#7 | open\n"),
], ids=["dated-entry", "bold-time", "vague-but-verified", "offset", "quoted-date", "restricted-security",
        "teamwork-lee", "not-stated-but-observable", "hash-not-heading", "hash-in-comment", "own-subheadings",
        "closed-atx-heading", "hash-in-table-row"])
def test_accepted_variants(tmp_path, taxonomy, valid_text, old, new):
    text = valid_text.replace(old, new, 1)
    if "security" in new:
        text = text.replace("visibility: internal", "visibility: restricted")
    collection, _ = check_text(tmp_path, taxonomy, text)
    assert collection.problems == []


def test_bom_and_crlf_are_accepted(tmp_path, taxonomy, valid_text):
    data = b"\xef\xbb\xbf" + valid_text.replace("\n", "\r\n").encode("utf-8")
    collection, _ = check_text(tmp_path, taxonomy, data)
    assert collection.problems == []


def test_table_timeline_is_read(tmp_path, taxonomy, valid_text):
    start = valid_text.index("- 2026-10-05 09:00")
    end = valid_text.index("## Detection")
    table = ("| Time (UTC) | Event |\n|---|---|\n| 2026-10-05 09:00 | Change rolls out |\n"
             "| 09:07 | Alert pages on-call |\n| 09:40 | Rollback completes |\n\n")
    collection, _ = check_text(tmp_path, taxonomy, valid_text[:start] + table + valid_text[end:])
    assert collection.problems == []
    assert len(collection.reports[0].timeline) == 3


def test_draft_problems_are_warnings(tmp_path, taxonomy, valid_text):
    text = valid_text.replace("status: reviewed", "status: draft").replace("## Summary\n", "## Synopsis\n")
    text = text.replace("The rollback took three minutes", "TODO")
    collection, _ = check_text(tmp_path, taxonomy, text)
    # placeholders are allowed in drafts; the unknown heading is named too
    assert [p.rule for p in collection.problems] == ["missing-section", "stray-heading"]
    assert {p.level for p in collection.problems} == {Level.WARNING} and collection.errors == []


def test_draft_still_errors_on_unreadable_front_matter(tmp_path, taxonomy, valid_text):
    text = valid_text.replace("status: reviewed", "status: draft").replace("title: Checkout", "title: [Checkout")
    collection, _ = check_text(tmp_path, taxonomy, text)
    assert [p.level for p in collection.problems] == [Level.ERROR]


def test_unknown_status_is_an_error_even_for_a_draft_like_report(tmp_path, taxonomy, valid_text):
    collection, _ = check_text(tmp_path, taxonomy, valid_text.replace("status: reviewed", "status: drafty"))
    problem = next(p for p in collection.problems if p.rule == "unknown-value")
    assert problem.level is Level.ERROR and "`draft`" in problem.hint


def test_action_items_are_never_dropped_even_when_malformed(tmp_path, taxonomy, valid_text):
    text = valid_text.replace("action_items:\n", "action_items:\n  - just a sentence\n  - id: AI-9\n", 1)
    collection, _ = check_text(tmp_path, taxonomy, text)
    report = collection.reports[0]
    assert len(report.actions) == 4
    assert report.actions[0].description == "just a sentence"
    assert any(p.rule == "wrong-type" for p in collection.problems)


def test_placeholders_in_code_are_not_flagged(tmp_path, taxonomy, valid_text):
    text = valid_text.replace("Rolling back the configuration change restored the pool size.",
                              "Rolling back restored it; the runbook's `TODO` list and this block:\n\n"
                              "```\n# TODO: not ours\n...\n```\n")
    collection, _ = check_text(tmp_path, taxonomy, text)
    assert collection.problems == []


# -- timeline: lead-up, approximate times, date-only entries -----------------------------------

FIRST = "- 2026-10-05 09:00 — The pool-size change reaches every checkout-api pod.\n"
LAST = "- 11:00 — The incident is resolved after an hour of normal traffic.\n"


def _timeline_problems(tmp_path, taxonomy, text):
    collection, _ = check_text(tmp_path, taxonomy, text)
    return collection, [p for p in collection.problems if p.rule.startswith("timeline")]


@pytest.mark.parametrize("before", [
    "- 2026-10-05 08:59 — The pool-size change is merged.\n",  # one minute before `started`
    "- 2026-10-04 — The pool-size change is reviewed and merged.\n",  # a date only, the day before
    "### Lead-up\n\n- 2026-10-01 16:00 — The pool-size change is proposed.\n- ~17:30 — It is merged.\n\n"
    "### The incident\n\n",
], ids=["one-minute-before", "date-only-day-before", "lead-up-heading"])
def test_entries_before_started_are_the_lead_up(tmp_path, taxonomy, valid_text, before):
    collection, problems = _timeline_problems(tmp_path, taxonomy, valid_text.replace(FIRST, before + FIRST, 1))
    assert problems == [] and collection.problems == []
    report = collection.reports[0]
    assert report.started.isoformat() == "2026-10-05T09:00:00+00:00"  # the lead-up never moves `started`
    assert report.timeline[0].when < report.started


def test_an_entry_exactly_at_started_is_the_incident(tmp_path, taxonomy, valid_text):
    collection, problems = _timeline_problems(tmp_path, taxonomy, valid_text)
    assert problems == []
    assert collection.reports[0].timeline[0].when == collection.reports[0].started


@pytest.mark.parametrize("stamp", ["~09:25", "~ 09:25", "≈09:25", "09:25 (approx.)", "09:25 (approx)",
                                   "2026-10-05 ~09:25", "~2026-10-05 09:25", "09:25 UTC (approx.)",
                                   "**~09:25**"])
def test_approximate_times_are_read_and_marked(tmp_path, taxonomy, valid_text, stamp):
    text = valid_text.replace("- 09:25 — The change", f"- {stamp} — The change", 1)
    collection, problems = _timeline_problems(tmp_path, taxonomy, text)
    assert problems == []
    entry = next(e for e in collection.reports[0].timeline if e.text.startswith("The change"))
    assert entry.approximate and not entry.date_only
    assert entry.when.isoformat() == "2026-10-05T09:25:00+00:00"
    assert not any(e.approximate for e in collection.reports[0].timeline if e is not entry)


@pytest.mark.parametrize("stamp", ["about 09:25", "9.25", "~", "09:25ish", "(approx.) 09:25"])
def test_malformed_times_are_refused_naming_the_forms(tmp_path, taxonomy, valid_text, stamp):
    text = valid_text.replace("- 09:25 — The change", f"- {stamp} — The change", 1)
    _, problems = _timeline_problems(tmp_path, taxonomy, text)
    assert [p.rule for p in problems] == ["timeline-no-timestamp"]
    assert problems[0].line == _line_of(text, f"- {stamp} — The change")
    assert "a form the handbook reads" in problems[0].message
    for form in ("`2026-03-04 14:02`", "`14:02`", "`~14:02`", "`14:02 (approx.)`", "`2026-03-04`"):
        assert form in problems[0].hint


def test_a_date_only_entry_after_the_resolution_day_is_a_follow_up(tmp_path, taxonomy, valid_text):
    text = valid_text.replace(LAST, LAST + "- 2026-10-06 — The postmortem is published.\n", 1)
    collection, problems = _timeline_problems(tmp_path, taxonomy, text)
    assert problems == []
    assert collection.reports[0].timeline[-1].date_only


def test_a_date_only_entry_on_the_resolution_day_is_refused(tmp_path, taxonomy, valid_text):
    day = "2026-10-05"  # `resolved` is 11:00 that day: before or after it cannot be read
    text = valid_text.replace(LAST, LAST + f"- {day} — The postmortem is published.\n", 1)
    _, problems = _timeline_problems(tmp_path, taxonomy, text)
    assert [p.rule for p in problems] == ["timeline-no-timestamp"]
    assert problems[0].line == _line_of(text, f"- {day} — The postmortem")
    assert "date only" in problems[0].message and f"`- {day} ~14:00 — ...`" in problems[0].hint


def test_a_timed_entry_after_resolved_is_refused_with_the_date_only_form(tmp_path, taxonomy, valid_text):
    text = valid_text.replace(LAST, LAST + "- 2026-10-06 10:00 — The postmortem is published.\n", 1)
    _, problems = _timeline_problems(tmp_path, taxonomy, text)
    assert [p.rule for p in problems] == ["timeline-window"]
    assert "after `resolved`" in problems[0].message and "(`- 2026-10-06 — Postmortem published.`)" in problems[0].hint
    assert "`started`" not in problems[0].hint


def test_a_timeline_of_lead_up_only_is_refused_without_moving_started(tmp_path, taxonomy, valid_text):
    text = valid_text.replace(FIRST, FIRST.replace("2026-10-05", "2026-10-04"), 1)  # a typo in the date
    _, problems = _timeline_problems(tmp_path, taxonomy, text)
    assert [p.rule for p in problems] == ["timeline-window"]
    assert problems[0].line == _line_of(text, "- 2026-10-04 09:00")
    assert "lead-up" in problems[0].message
    assert "move `started`" not in problems[0].hint.lower()


def test_a_date_only_entry_keeps_its_day_in_the_order(tmp_path, taxonomy, valid_text):
    # a timed entry later on the same day as a date-only entry is in order; an earlier day is not
    lead_up = "- 2026-10-04 — The change is merged.\n- 2026-10-04 17:00 — It is approved for rollout.\n"
    _, problems = _timeline_problems(tmp_path, taxonomy, valid_text.replace(FIRST, lead_up + FIRST, 1))
    assert problems == []
    lead_up = "- 2026-10-04 — The change is merged.\n- 2026-10-03 17:00 — It is approved for rollout.\n"
    text = valid_text.replace(FIRST, lead_up + FIRST, 1)
    _, problems = _timeline_problems(tmp_path, taxonomy, text)
    assert [(p.rule, p.line) for p in problems] == [("timeline-order", _line_of(text, "- 2026-10-03 17:00"))]


# -- people, non-answers and headings at their boundaries ---------------------------------------

@pytest.mark.parametrize("old,new,shown", [
    ("owner: Ada Moreau", "owner: Infrastructure team", "(`team`)"),
    ("    owner: Dev Patel", "    owner: Company-wide initiative", "(`Company`)"),
    ("    owner: Dev Patel", "    owner: Payments-wide rotation", "(`-wide`)"),
    ("  scribe: Ben Ito", "  scribe: SRE on-call", "(`on-call`)"),
    ("subject_matter_experts: [Dev Patel]", "subject_matter_experts: [Dev Patel, All Hands]", "(`All Hands`)"),
], ids=["report-owner", "action-owner", "suffix", "role", "expert-in-list"])
def test_groups_are_not_people(tmp_path, taxonomy, valid_text, old, new, shown):
    text = valid_text.replace(old, new, 1)
    collection, _ = check_text(tmp_path, taxonomy, text)
    [problem] = collection.problems
    assert problem.rule == "not-a-person" and shown in problem.message
    assert problem.line == _line_of(text, new.strip())
    assert "one person" in problem.hint


def test_unknown_person_when_people_are_listed(tmp_path, taxonomy, valid_text):
    import msgspec

    listed = msgspec.structs.replace(taxonomy, rules=msgspec.structs.replace(
        taxonomy.rules, people=("Ada Moreau", "Ben Ito", "Cleo Vance", "Dev Patel")))
    collection, _ = check_text(tmp_path, listed, valid_text)
    assert collection.problems == []  # everyone named in the fixture is listed
    text = valid_text.replace("    owner: Dev Patel", "    owner: Dev Patell", 1)
    collection, _ = check_text(tmp_path, listed, text)
    [problem] = collection.problems
    assert (problem.rule, problem.level) == ("unknown-person", Level.ERROR)
    assert problem.line == _line_of(text, "owner: Dev Patell")
    assert "Did you mean `Dev Patel`?" in problem.hint
    collection, _ = check_text(tmp_path, listed, valid_text.replace("owner: Ada Moreau", "owner: ada  moreau", 1))
    assert collection.problems == []  # case and spacing do not matter


@pytest.mark.parametrize("verification", ["Not stated.", "not stated in the source", "Unknown", "N/A", "see ticket.",
                                          "(not known yet)", "tests pass"])
def test_non_answers_are_refused(tmp_path, taxonomy, valid_text, verification):
    old = "verification: The alert fires in the monthly game day when the pool is throttled."
    collection, _ = check_text(tmp_path, taxonomy, valid_text.replace(old, f'verification: "{verification}"'))
    [problem] = collection.problems
    assert problem.rule == "verification-non-answer" and "not ready" in problem.hint


@pytest.mark.parametrize("new,message,hint", [
    ("## Sumary\n", "`## Sumary` is not one of the format's sections.", "Did you mean `## Summary`?"),
    ("##Summary\n", "there is no space after `##`", "Write `## Summary`."),
    ("# Summary\n", "`# Summary` is a top-level heading inside the body.", "Write `## Summary`."),
    ("#Summary\n", "the page shows it as a top-level heading", "Write it as `\\#Summary`"),
], ids=["misspelt", "no-space", "level-1", "level-1-no-space"])
def test_headings_that_are_not_sections(tmp_path, taxonomy, valid_text, new, message, hint):
    text = valid_text.replace("## Summary\n", new, 1)
    collection, _ = check_text(tmp_path, taxonomy, text)
    stray = [p for p in collection.problems if p.rule == "stray-heading"]
    assert [p.line for p in stray] == [_line_of(text, new)]
    assert message in stray[0].message and hint in stray[0].hint
    # the section is missing too: the heading is not read as `## Summary`
    assert [p.rule for p in collection.problems if p.rule != "stray-heading"] == ["missing-section"]


def test_subsection_as_a_section_names_its_section(tmp_path, taxonomy, valid_text):
    text = valid_text.replace("## Response\n", "## Response\n\n> #inc-bridge\n\n## What went well\n\nx\n", 1)
    collection, _ = check_text(tmp_path, taxonomy, text)
    stray = [p for p in collection.problems if p.rule == "stray-heading"]
    assert [p.line for p in stray] == [_line_of(text, "> #inc"), _line_of(text, "## What went well\n\nx")]
    assert "write `### What went well` under that section" in stray[1].hint


def test_stray_heading_is_a_warning_in_a_draft(tmp_path, taxonomy, valid_text):
    text = valid_text.replace("status: reviewed", "status: draft").replace(
        "## Response\n", "## Response\n\n#inc-bridge was opened.\n", 1)
    collection, _ = check_text(tmp_path, taxonomy, text)
    assert [(p.rule, p.level) for p in collection.problems] == [("stray-heading", Level.WARNING)]


@pytest.mark.parametrize("new,line_of,message,hint", [
    ("## Response\n\nBridge opened\n---\n", "Bridge opened", "underlined by `---`", "leave a blank line"),
    ("## Response\n\nResponse notes\n===\n", "Response notes", "top-level heading", "write `### Response notes`"),
    ("## Response\nRight under the heading\n---\n", "Right under the heading", "underlined by `---`",
     "leave a blank line"),  # a heading ends the block before it: the next line opens one
    ("## Response\n\nSummary\n---\n", "Summary\n---", "underlined by `---`", "Write `## Summary` instead."),
    ("## Response\n\n- Paged the team.\n\n    #inc-bridge opened.\n", "    #inc-bridge",
     "starts with `#`", "in backticks"),
], ids=["setext-2", "setext-1", "setext-after-heading", "setext-section", "in-a-list-item"])
def test_headings_the_page_would_show_whatever_their_form(tmp_path, taxonomy, valid_text, new, line_of, message, hint):
    text = valid_text.replace("## Response\n", new, 1)
    collection, _ = check_text(tmp_path, taxonomy, text)
    stray = [p for p in collection.problems if p.rule == "stray-heading"]
    assert [p.line for p in stray] == [_line_of(text, line_of)], stray
    assert message in stray[0].message and hint in stray[0].hint, (stray[0].message, stray[0].hint)


@pytest.mark.parametrize("new", [
    "## Response\n\nTwo lines of text\nthen a rule\n---\n",     # Python-Markdown: a paragraph, then a rule
    "## Response\n\nText\n\n---\n",                              # a rule after a blank line
    "## Response\n\n    #not-a-heading (indented code)\n",         # indented code outside a list
    "## Response\n\n```\nTitle\n---\n```\n",                     # fenced code
    "## Response\n\n- item\n  #inc-bridge continues the item\n",  # a lazy continuation, not a block
], ids=["two-line-paragraph", "rule", "indented-code", "fenced", "lazy-list-line"])
def test_lines_that_are_not_headings_on_the_page_pass(tmp_path, taxonomy, valid_text, new):
    collection, _ = check_text(tmp_path, taxonomy, valid_text.replace("## Response\n", new, 1))
    assert [p for p in collection.problems if p.rule == "stray-heading"] == []


def test_an_action_item_without_id_or_status_is_a_warning_in_a_draft(tmp_path, taxonomy, valid_text):
    """A report without its id or status cannot be placed, whatever its status; an action item can."""
    text = valid_text.replace("status: reviewed", "status: draft").replace(
        "  - id: AI-1\n    description:", "  - description:", 1).replace("    status: done\n", "", 1)
    collection, _ = check_text(tmp_path, taxonomy, text)
    assert sorted((p.rule, p.level, p.message) for p in collection.problems) == [
        ("missing-key", Level.WARNING, "The key `id` is missing in `action_items[0]`."),
        ("missing-key", Level.WARNING, "The key `status` is missing in `action_items[0]`.")]
    collection, _ = check_text(tmp_path, taxonomy, text.replace("id: INC-2026-101\n", ""))
    assert ("missing-key", Level.ERROR) in {(p.rule, p.level) for p in collection.problems}


# -- impact that outlasts the mitigation ------------------------------------------------------------

@pytest.mark.parametrize("ended,problem", [
    ("2026-10-05T09:40:00Z", None),               # = mitigated: allowed, the same as leaving it out
    ("2026-10-05T10:04:00Z", None),               # after mitigated, before resolved
    ("2026-10-05T11:00:00Z", None),               # = resolved
    ("2026-10-05T09:39:00Z", "timestamp-order"),  # a minute before mitigated
    ("2026-10-05T11:01:00Z", "timestamp-order"),  # a minute after resolved
])
def test_impact_ended_keeps_its_place_between_mitigated_and_resolved(tmp_path, taxonomy, valid_text, ended, problem):
    text = valid_text.replace("resolved: 2026-10-05T11:00:00Z", f"impact_ended: {ended}\nresolved: 2026-10-05T11:00:00Z")
    collection, _ = check_text(tmp_path, taxonomy, text)
    assert [p.rule for p in collection.problems] == ([problem] if problem else [])
    [report] = collection.reports
    minutes = report.impact_duration.total_seconds() / 60 if report.impact_duration else None
    if problem is None:
        assert minutes == (int(ended[11:13]) - 9) * 60 + int(ended[14:16])  # started 09:00
    assert report.time_to_mitigate.total_seconds() / 60 == 33  # detected 09:07 to mitigated 09:40, unchanged


# -- action item fields required per status (handbook.yml `action_item_fields`) ----------------

def _without_priority(text: str) -> str:
    return text.replace("    priority: P3\n", "", 1)


def test_an_item_may_be_proposed_without_priority_in_review(tmp_path, taxonomy, valid_text):
    text = _without_priority(valid_text).replace("status: reviewed", "status: in-review", 1)
    text = text.replace("    owner: Ben Ito\n", "", 1).replace("    due: 2026-11-01\n", "", 1)
    collection, _ = check_text(tmp_path, taxonomy, text)
    assert collection.problems == []


def test_a_missing_priority_is_an_error_at_the_items_line_from_reviewed(tmp_path, taxonomy, valid_text):
    text = _without_priority(valid_text)
    collection, _ = check_text(tmp_path, taxonomy, text)
    [problem] = collection.problems
    assert problem.rule == "missing-key" and problem.level is Level.ERROR
    assert problem.line == _line_of(text, "- id: AI-2")
    assert "`priority`" in problem.message and "action_items[1]" in problem.message
    assert "from status `reviewed`" in problem.hint and "priority: not stated" in problem.hint


def test_a_draft_gets_nothing_for_later_fields_and_a_warning_for_draft_ones(tmp_path, taxonomy, valid_text):
    text = _without_priority(valid_text).replace("status: reviewed", "status: draft", 1)
    text = text.replace("    category: detect\n", "", 1)
    collection, _ = check_text(tmp_path, taxonomy, text)
    assert [(p.rule, p.level, "`category`" in p.message) for p in collection.problems] == [
        ("missing-key", Level.WARNING, True)]


@pytest.mark.parametrize("spelling", ["not stated", "Not Stated", "NOT  STATED"])
def test_not_stated_is_accepted_for_owner_due_and_priority_at_every_status(tmp_path, taxonomy, valid_text,
                                                                           spelling):
    text = valid_text.replace("due: 2026-11-01", f"due: {spelling}", 1).replace("priority: P3", f"priority: {spelling}", 1)
    text = text.replace("owner: Ben Ito\n    due", f"owner: {spelling}\n    due", 1)
    for status in ("reviewed", "closed"):
        body = text.replace("status: reviewed", f"status: {status}", 1).replace("status: open", "status: done", 1)
        collection, _ = check_text(tmp_path, taxonomy, body)
        assert collection.problems == [], status
    [report] = collection.reports
    assert report.actions[1].due is None


def test_a_not_stated_owner_is_not_checked_against_the_people_list(tmp_path, taxonomy, valid_text):
    strict = msgspec.structs.replace(taxonomy, rules=msgspec.structs.replace(taxonomy.rules, people=("Ada Moreau",)))
    text = valid_text.replace("owner: Ben Ito\n    due", "owner: not stated\n    due", 1)
    collection, _ = check_text(tmp_path, strict, text)
    flagged = [p.message for p in collection.problems if p.rule == "unknown-person"]
    assert flagged and not any("action_items[1]" in m for m in flagged)


def test_a_long_term_item_has_no_due_date_and_is_accepted_at_reviewed(tmp_path, taxonomy, valid_text):
    text = valid_text.replace("due: 2026-11-01", "due: Long-Term", 1)
    collection, _ = check_text(tmp_path, taxonomy, text)
    assert collection.problems == []
    item = collection.reports[0].actions[1]
    assert item.due is None and item.long_term and item.due_text == "long-term"


def test_other_words_for_a_missing_due_date_or_priority_are_refused(tmp_path, taxonomy, valid_text):
    text = valid_text.replace("due: 2026-11-01", "due: unknown", 1).replace("priority: P3", "priority: none", 1)
    collection, _ = check_text(tmp_path, taxonomy, text)
    rules = {p.rule: p for p in collection.problems}
    assert set(rules) == {"bad-date", "unknown-value"}
    assert "not stated" in rules["bad-date"].hint and "long-term" in rules["bad-date"].hint
    assert "not stated" in rules["unknown-value"].hint
    assert rules["unknown-value"].line == _line_of(text, "priority: none")


@pytest.mark.parametrize("old,new,expected", [
    ("  - id: priority\n    required_from: reviewed", "  - id: priorty\n    required_from: reviewed",
     "Did you mean `priority`?"),
    ("  - id: owner\n    required_from: reviewed", "  - id: owner\n    required_from: approved", "Use one of: draft"),
])
def test_action_item_fields_are_checked_in_handbook_yml(tmp_path, old, new, expected):
    from handbook import TaxonomyError, load_taxonomy

    from .conftest import ROOT
    text = (ROOT / "handbook.yml").read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    (tmp_path / "handbook.yml").write_text(text, encoding="utf-8")
    with pytest.raises(TaxonomyError) as raised:
        load_taxonomy(tmp_path / "handbook.yml")
    [problem] = raised.value.problems
    assert expected in problem.hint
    assert problem.line in (_line_of(text, new), _line_of(text, new) + 1)


# -- the issue tracker's recorded states ----------------------------------------------------------

ISSUES = "https://github.com/larkspur/postmortems/issues"


def _tracked(valid_text: str) -> str:
    """The fixture with a ticket on each item: AI-1 is done, AI-2 open."""
    text = valid_text.replace("    status: done\n", f"    status: done\n    ticket: {ISSUES}/1\n", 1)
    text = text.replace("    status: open\n", f"    status: open\n    ticket: {ISSUES}/2\n", 1)
    assert text.count("ticket:") == 2
    return text


@pytest.mark.parametrize("first,second,expected", [
    ("closed", "open", []),
    ("open", "closed", ["status: done", "status: open"]),
    ("open", "open", ["status: done"]),
])
def test_an_item_and_its_issue_that_disagree_are_warned_on_its_status(tmp_path, taxonomy, valid_text, first,
                                                                       second, expected):
    from handbook.reading.tracker import IssueState, TrackerFile

    text = _tracked(valid_text)
    path = tmp_path / "report.md"
    path.write_text(text, encoding="utf-8")
    tracker = TrackerFile(repository="larkspur/postmortems", issues={
        f"{ISSUES}/1": IssueState(number=1, state=first), f"{ISSUES}/2": IssueState(number=2, state=second)})
    collection = load_collection([path], taxonomy, Layout.of(tmp_path), tracker=tracker)
    found = [p for p in collection.problems if p.rule == "tracker-disagrees"]
    assert [(p.line, p.level) for p in found] == [(_line_of(text, m), Level.WARNING) for m in expected]
    assert collection.problems == found
    for problem in found:
        assert "issue #" in problem.message and "handbook sync github --pull" in problem.hint
    # Without the states (a site build), nothing is compared.
    assert load_collection([path], taxonomy, Layout.of(tmp_path)).problems == []


def test_a_broken_tracker_file_is_a_located_error(tmp_path):
    from handbook.reading.tracker import TrackerFileError, load_tracker

    path = tmp_path / "github.json"
    assert load_tracker(path, "tracker/github.json") is None  # nothing pulled yet
    path.write_text('{"repository": "larkspur/postmortems",\n "issues": {\n  "x": {"number": 1, "state": "shut"}}}\n',
                    encoding="utf-8")
    with pytest.raises(TrackerFileError) as raised:
        load_tracker(path, "tracker/github.json")
    problem = raised.value.problem
    assert (problem.rule, problem.level, problem.file) == ("tracker-file", Level.ERROR, "tracker/github.json")
    assert "handbook sync github --pull" in problem.hint
    path.write_text('{"repository": "larkspur/postmortems",\n "issues": {,}}\n', encoding="utf-8")
    with pytest.raises(TrackerFileError) as raised:
        load_tracker(path, "tracker/github.json")
    assert raised.value.problem.line == 2

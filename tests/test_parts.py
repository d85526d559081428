"""Parts of a report kept for a narrower audience: the marks, their checks at each boundary, the
words a wider audience must not read, and the report as each audience reads it."""

from __future__ import annotations

import pytest

from handbook.reading.parts import find_marks, view_for

from handbook import load_taxonomy

from .conftest import ROOT, check_text, copy_project, handbook

LEVELS = ("public", "internal", "restricted")


def _public(text: str) -> str:
    return text.replace("visibility: internal\n", "visibility: public\n", 1)


def _problems(tmp_path, taxonomy, text, rule):
    collection, _ = check_text(tmp_path, taxonomy, text)
    return [p for p in collection.problems if p.rule == rule]


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.split("\n"), 1) if needle in line)


def _with_part(text: str, level: str, words: str = "The pool exporter listened on a private port.",
               before: str = "## Detection\n") -> str:
    return text.replace(before, f"::: {level}\n{words}\n:::\n\n{before}", 1)


# -- the marks ------------------------------------------------------------------------------
def test_an_indented_mark_still_keeps_its_part_and_is_refused(tmp_path, taxonomy, valid_text):
    text = _public(valid_text).replace("- 09:25 — The change is identified as the trigger.\n",
                                       "- 09:25 — The change is identified as the trigger.\n  ::: internal\n"
                                       "- 09:26 — A secret step only staff read.\n  :::\n")
    collection, _ = check_text(tmp_path, taxonomy, text)
    found = [p for p in collection.problems if p.rule == "audience-mark"]
    assert [p.line for p in found] == [_line_of(text, "  ::: internal"), _line_of(text, "  ::: internal") + 2]
    assert all("indented" in p.message for p in found)
    view = view_for(collection.reports[0], taxonomy, "public")
    assert "secret step" not in view.body and ":::" not in view.body


def test_marks_are_read_outside_code_and_each_mistake_is_located():
    lines = ["::: internal", "a", ":::", "```", "::: restricted", "```", "", "    ::: internal", "::: nobody", "b",
             ":::", ":::", "::: internal", "::: restricted", "c"]  # fenced and indented code are not read
    marks = find_marks(lines, LEVELS, first_line=10)
    assert [(s.level, s.first, s.last) for s in marks.stretches] == [
        ("internal", 0, 2), ("restricted", 8, 10), ("internal", 12, 15)]  # unknown: the narrowest; unclosed: to the end
    by_line = {line: message for line, message, _ in marks.problems}
    assert "names no audience" in by_line[18]
    assert "closes no part" in by_line[21]
    assert "cannot be nested" in by_line[23] and "line 22" in by_line[23]
    assert "never closed" in by_line[22]
    assert len(marks.problems) == 4


@pytest.mark.parametrize("report_level,part_level,refused", [
    ("public", "public", True), ("public", "internal", False), ("public", "restricted", False),
    ("internal", "internal", True), ("internal", "public", True), ("internal", "restricted", False),
])
def test_a_part_must_be_narrower_than_its_report(tmp_path, taxonomy, valid_text, report_level, part_level, refused):
    text = _with_part(valid_text.replace("visibility: internal\n", f"visibility: {report_level}\n"), part_level)
    found = _problems(tmp_path, taxonomy, text, "audience-mark")
    assert bool(found) is refused, found
    if refused:
        assert found[0].line == _line_of(text, f"::: {part_level}")
        assert found[0].level.value == "error"


def test_mark_problems_are_errors_in_a_draft_too(tmp_path, taxonomy, valid_text):
    text = _with_part(valid_text.replace("status: reviewed", "status: draft"), "nobody")
    found = _problems(tmp_path, taxonomy, text, "audience-mark")
    assert [p.level.value for p in found] == ["error"]
    assert found[0].line == _line_of(text, "::: nobody")


def test_a_mark_that_empties_a_required_section_for_the_reports_own_readers_is_refused(tmp_path, taxonomy,
                                                                                         valid_text):
    text = _public(valid_text)
    summary = text.split("## Summary\n", 1)[1].split("\n## ", 1)[0]
    emptied = text.replace("## Summary\n" + summary, "## Summary\n::: internal\n" + summary.strip() + "\n:::\n")
    found = _problems(tmp_path, taxonomy, emptied, "audience-mark")
    assert len(found) == 1 and "nothing under `## Summary`" in found[0].message
    assert found[0].line == _line_of(emptied, "::: internal")
    # one paragraph of two marked: the public readers keep the other
    kept = text.replace("## Summary\n" + summary, "## Summary\n" + summary.rstrip() +
                        "\n\n::: internal\nThe pool size lives in the vault of the ledger team.\n:::\n")
    assert _problems(tmp_path, taxonomy, kept, "audience-mark") == []


@pytest.mark.parametrize("path,refused", [
    ("links.slack", False), ("impact.users_affected", False), ("roles.scribe", False), ("tags", False),
    ("services.payments-gateway", False), ("links", False),
    ("title", True), ("owner", True), ("started", True), ("services", True), ("action_items", True),
    ("impact_ended", True), ("links.nowhere", True), ("services.no-such-service", True),
])
def test_field_visibility_names_a_field_the_report_has_and_may_keep(tmp_path, taxonomy, valid_text, path, refused):
    text = _public(valid_text).replace("visibility: public\n",
                                       f"visibility: public\nfield_visibility:\n  {path}: internal\n")
    found = _problems(tmp_path, taxonomy, text, "audience-mark")
    assert bool(found) is refused, found
    if refused:
        assert found[0].line == _line_of(text, f"  {path}: internal")


def test_an_items_or_factors_level_must_be_narrower_than_the_report(tmp_path, taxonomy, valid_text):
    text = valid_text.replace("    status: open\n---", "    status: open\n    visibility: internal\n---")
    found = _problems(tmp_path, taxonomy, text, "audience-mark")
    assert len(found) == 1 and found[0].line == _line_of(text, "    visibility: internal")
    assert _problems(tmp_path, taxonomy, _public(text), "audience-mark") == []


# -- words a wider audience must not read ---------------------------------------------------------
WORDS = ("  restricted_tags: [security]\n  words:\n    internal: [pool-exporter, '*.corp.example']\n"
         "    restricted: [vault-east]")


def _with_words(handbook_yml: str) -> str:
    """handbook.yml with its `visibilities.words` replaced by WORDS."""
    start = handbook_yml.index("  restricted_tags: [security]")
    end = handbook_yml.index("\n\n", start)
    return handbook_yml[:start] + WORDS + handbook_yml[end:]


@pytest.fixture(scope="module")
def worded(tmp_path_factory):
    """handbook.yml keeping two words for internal readers and one for restricted, and a folder to check in."""
    folder = tmp_path_factory.mktemp("worded")
    text = _with_words((ROOT / "handbook.yml").read_text(encoding="utf-8"))
    (folder / "handbook.yml").write_text(text, encoding="utf-8")
    return load_taxonomy(folder / "handbook.yml"), folder


def _validate(worded, text):
    taxonomy, folder = worded
    collection, _ = check_text(folder, taxonomy, text)
    return collection


def _words(collection):
    return [p for p in collection.problems if p.rule == "internal-word"]


@pytest.mark.parametrize("sentence,flagged", [
    ("The pool-exporter stopped.", True),
    ("The POOL-EXPORTER stopped.", True),           # any case
    ("It was the pool-exporter.", True),            # a full stop after the word
    ("The pool-exporters stopped.", False),         # another word
    ("The my-pool-exporter stopped.", False),
    ("The db-7.corp.example host stopped.", True),  # `*` stands for a host name's first labels
    ("The corp.example site stopped.", False),
])
def test_an_internal_word_in_a_public_paragraph_is_refused_at_its_line(worded, valid_text, sentence, flagged):
    text = _public(valid_text).replace("## Detection\n", f"{sentence}\n\n## Detection\n")
    found = _words(_validate(worded, text))
    assert bool(found) is flagged, found
    if flagged:
        assert found[0].line == _line_of(text, sentence) and found[0].level.value == "error"
        assert "`internal` readers" in found[0].message and "::: internal" in found[0].hint


def test_the_word_is_allowed_where_only_its_level_reads_it(worded, valid_text):
    public = _public(valid_text)
    assert _words(_validate(worded, _with_part(public, "internal", "The pool-exporter stopped."))) == []
    # a restricted word inside an internal part is still read by internal readers
    found = _words(_validate(worded, _with_part(public, "internal", "The vault-east token was rotated.")))
    assert len(found) == 1 and "`restricted` readers" in found[0].message
    # an internal report's own text may name internal words
    assert _words(_validate(worded, valid_text.replace("## Detection\n", "The pool-exporter stopped.\n\n"
                                                                          "## Detection\n"))) == []


def test_validate_names_the_file_line_and_fix_of_an_internal_word(tmp_path, valid_text):
    project = copy_project(tmp_path, examples=False)
    handbook_yml = project / "handbook.yml"
    handbook_yml.write_text(_with_words(handbook_yml.read_text(encoding="utf-8")), encoding="utf-8")
    text = _public(valid_text).replace("## Detection\n", "The pool-exporter stopped.\n\n## Detection\n")
    (project / "postmortems" / "r.md").write_text(text, encoding="utf-8")
    run = handbook(project, "validate")
    assert run.code == 1 and "Traceback" not in run.output
    assert f"postmortems/r.md:{_line_of(text, 'pool-exporter stopped')}: error [internal-word]" in run.out
    assert "`pool-exporter` is kept for `internal` readers" in run.out and "fix: Reword it" in run.out


def test_an_internal_word_in_a_field_names_the_field_and_how_to_keep_it(worded, valid_text):
    text = _public(valid_text).replace("services: [checkout-api, payments-gateway]",
                                       "services: [checkout-api, pool-exporter]")
    found = _words(_validate(worded, text))
    assert len(found) == 1 and "`services.1`" in found[0].message
    assert found[0].line == _line_of(text, "services: [")
    assert "field_visibility: {services.pool-exporter: internal}" in found[0].hint
    kept = text.replace("visibility: public\n", "visibility: public\nfield_visibility:\n  services.pool-exporter: internal\n")
    assert _words(_validate(worded, kept)) == []
    item = _public(valid_text).replace("    status: open\n---",
                                       "    status: open\n  - id: AI-3\n    description: Restart pool-exporter hourly.\n"
                                       "    owner: Ben Ito\n    due: 2026-10-19\n    priority: P1\n    category: mitigate\n"
                                       "    verification: The exporter's uptime stays under an hour.\n    status: open\n---")
    found = _words(_validate(worded, item))
    assert len(found) == 1 and found[0].line == _line_of(item, "Restart pool-exporter")
    assert "visibility: internal" in found[0].hint
    assert _words(_validate(worded, item.replace("    status: open\n---", "    status: open\n    visibility: internal\n---")
                            )) == []


# -- the report as each audience reads it -------------------------------------------------------------
MARKED = {
    "paragraph": "The restricted paragraph names the vault slot seventeen.",
    "entry": "Ben reads the exporter password hint aloud in the bridge.",
    "item": "Rotate the leaked exporter credential in vault slot nine.",
    "factor": "The exporter dashboard lived on a host only the database team could reach.",
    "section": "Only internal readers read the heading of this fenced part.",
    "field": "https://chat.example.com/archives/CPRIVATE",
    "service": "pool-exporter-internal",
}


def marked_report(valid_text: str) -> str:
    """A public report with a part of each kind kept for internal or restricted readers."""
    text = _public(valid_text)
    text = text.replace("visibility: public\n", "visibility: public\nfield_visibility:\n  links.slack: internal\n"
                        "  services.pool-exporter-internal: restricted\n")
    text = text.replace("https://chat.example.com/archives/C01", MARKED["field"])
    text = text.replace("services: [checkout-api, payments-gateway]",
                        "services: [checkout-api, payments-gateway, pool-exporter-internal]")
    text = text.replace("    status: open\n---", "    status: open\n  - id: AI-3\n    description: " + MARKED["item"] +
                        "\n    owner: Ben Ito\n    due: 2026-10-19\n    priority: P1\n    category: mitigate\n"
                        "    verification: The old credential is refused.\n    status: open\n    visibility: restricted\n---")
    text = text.replace("    description: Configuration changes skipped the canary stage that code changes go through.\n",
                        "    description: Configuration changes skipped the canary stage that code changes go through.\n"
                        "  - layer: detection-gap\n    description: " + MARKED["factor"] + "\n    visibility: internal\n")
    text = text.replace("- 09:25 — The change is identified as the trigger.\n",
                        "- 09:25 — The change is identified as the trigger.\n::: internal\n- 09:30 — " + MARKED["entry"]
                        + "\n:::\n")
    text = text.replace("## Detection\n", "::: restricted\n" + MARKED["paragraph"] + "\n:::\n\n## Detection\n")
    text = text.replace("## Response\n", "## Response\n\n::: internal\n### Who could reach the exporter\n\n" +
                        MARKED["section"] + "\n:::\n")
    return text


READS = {"public": set(), "internal": {"entry", "factor", "section", "field"},
         "restricted": set(MARKED)}


@pytest.mark.parametrize("audience", LEVELS)
def test_a_view_holds_exactly_what_its_audience_may_read(tmp_path, taxonomy, valid_text, audience):
    collection, _ = check_text(tmp_path, taxonomy, marked_report(valid_text))
    assert collection.problems == [], collection.problems
    report = collection.reports[0]
    view = view_for(report, taxonomy, audience)
    everything = repr(view.data) + view.body + view.summary + repr(view.actions) + repr(view.factors) + \
        repr([e.text for e in view.timeline])
    for name, phrase in MARKED.items():
        assert (phrase in everything) is (name in READS[audience]), (audience, name)
    assert "field_visibility" not in view.data and ":::" not in view.body
    assert all("visibility" not in a.raw for a in view.actions)
    assert [a.id for a in view.actions] == ["AI-1", "AI-2"] + (["AI-3"] if audience == "restricted" else [])
    assert len(view.timeline) == 5 + (audience != "public")
    assert report.body.count(":::") == 6 and len(report.actions) == 3  # the report itself is untouched
    assert ("links.slack" in view.withheld) is (audience == "public")


# -- what each audience will see, before the build ---------------------------------------------------
def test_validate_audience_lists_every_part_left_out_located(tmp_path, valid_text):
    project = copy_project(tmp_path, examples=False)
    text = marked_report(valid_text)
    (project / "postmortems" / "marked.md").write_text(text, encoding="utf-8")
    (project / "postmortems" / "whole.md").write_text(valid_text.replace("INC-2026-101", "INC-2026-102"),
                                                      encoding="utf-8")
    run = handbook(project, "validate", "--audience", "public")
    assert run.code == 0, run.output
    lines = text.split("\n")
    restricted = _line_of(text, "::: restricted")
    internal = [n for n, line in enumerate(lines, 1) if line == "::: internal"]
    closing = [n for n, line in enumerate(lines, 1) if line == ":::"]
    assert run.out.split("What `public` readers read:\n", 1)[1] == (
        "  postmortems/marked.md (INC-2026-101): all but\n"
        f"    - lines {internal[0]}-{closing[0]} (`::: internal`)\n"
        f"    - lines {restricted}-{closing[1]} (`::: restricted`)\n"
        f"    - lines {internal[1]}-{closing[2]} (`::: internal`)\n"
        "    - action item AI-3\n"
        f"    - the contributing factor on line {_line_of(text, MARKED['factor'])}\n"
        "    - the field links.slack\n"
        "    - the field services.pool-exporter-internal\n"
        "  postmortems/whole.md (INC-2026-102): none of it (the report is `internal`)\n")
    restricted_run = handbook(project, "validate", "--audience", "restricted", "--format", "json")
    import json
    document = json.loads(restricted_run.out)
    assert document["errors"] == 0 and document["audience"]["level"] == "restricted"
    assert [r["readable"] for r in document["audience"]["reports"]] == [True, True]
    assert all(r["left_out"] == {"body": [], "action_items": [], "factor_lines": [], "fields": []}
               for r in document["audience"]["reports"])
    wrong = handbook(project, "validate", "--audience", "everyone")
    assert wrong.code == 2 and "public, internal, restricted" in wrong.err and "Traceback" not in wrong.output


def test_every_service_kept_from_the_reports_own_readers_is_refused(tmp_path, taxonomy, valid_text):
    one = _public(valid_text).replace("visibility: public\n",
                                      "visibility: public\nfield_visibility:\n  services.payments-gateway: internal\n")
    assert _problems(tmp_path, taxonomy, one, "audience-mark") == []
    both = one.replace("  services.payments-gateway: internal\n",
                       "  services.payments-gateway: internal\n  services.checkout-api: restricted\n")
    found = _problems(tmp_path, taxonomy, both, "audience-mark")
    assert len(found) == 1 and "Every service" in found[0].message
    assert found[0].line == _line_of(both, "services.checkout-api: restricted")


def test_an_unknown_level_hides_the_part_from_all_but_the_narrowest(tmp_path, taxonomy, valid_text):
    text = _public(valid_text).replace("    status: open\n---", "    status: open\n    visibility: nobody\n---")
    collection, _ = check_text(tmp_path, taxonomy, text)
    assert any(p.rule == "wrong-type" or p.rule == "unknown-value" for p in collection.problems)
    report = collection.reports[0]
    assert [a.id for a in view_for(report, taxonomy, "internal").actions] == ["AI-1"]
    assert [a.id for a in view_for(report, taxonomy, "restricted").actions] == ["AI-1", "AI-2"]


# -- the external message is published whole, for everyone ------------------------------------------
EXTERNAL = ("## External message\n\n### Summary\n\nCheckout failed for some customers for 40 minutes.\n\n"
            "### What happened\n\nA configuration change reduced how many requests we could serve.\n\n"
            "### What we are doing\n\nConfiguration changes now go through a canary stage.\n")


def test_a_part_marked_inside_the_external_message_is_refused(tmp_path, taxonomy, valid_text):
    text = _public(valid_text) + "\n" + EXTERNAL
    assert _problems(tmp_path, taxonomy, text, "audience-mark") == []
    marked = text.replace("### What happened\n\n", "### What happened\n\n::: internal\nThe pool lives in vault.\n:::\n\n")
    found = _problems(tmp_path, taxonomy, marked, "audience-mark")
    assert len(found) == 1 and "published whole" in found[0].message
    assert found[0].line == _line_of(marked, "::: internal")


def test_the_external_message_of_an_internal_report_must_not_name_an_internal_word(worded, valid_text):
    text = valid_text + "\n" + EXTERNAL.replace("40 minutes.", "40 minutes while db-7.corp.example was down.")
    found = _words(_validate(worded, text))
    assert len(found) == 1 and "`public` readers" in found[0].message and "published for everyone" in found[0].hint
    assert found[0].line == _line_of(text, "db-7.corp.example")
    titled = valid_text.replace("visibility: internal\n", "visibility: internal\nexternal_title: pool-exporter outage\n", 1)
    found = _words(_validate(worded, titled + "\n" + EXTERNAL))
    assert len(found) == 1 and "`external_title`" in found[0].message


@pytest.mark.parametrize("services", ["5", "checkout-api", "{a: 1}", "[[1, 2], null]"])
def test_a_services_value_of_any_type_is_checked_without_a_crash(tmp_path, taxonomy, valid_text, services):
    text = valid_text.replace("services: [checkout-api, payments-gateway]", f"services: {services}")
    text = text.replace("visibility: internal\n", "visibility: internal\nfield_visibility:\n  services.x: restricted\n", 1)
    collection, _ = check_text(tmp_path, taxonomy, text)
    assert "internal-error" not in {p.rule for p in collection.problems}

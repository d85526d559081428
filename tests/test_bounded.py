"""No input crashes, hangs or exhausts the build: every limit is a located problem, tested at its edge.

Each case below once ended in a segmentation fault, a traceback or a hang (see the README's
"Input limits"). The validator and the build are run for real, in subprocesses, so a crash
shows as a negative exit code and a hang as the subprocess timeout.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from handbook.reading.links import Layout
from handbook import Level, load_collection, load_taxonomy
from handbook.core.problems import ProblemSink
from handbook.core.timestamps import MAX_YEAR, MIN_YEAR
from handbook.reading.source import Limits, parse_source

from .conftest import ROOT, check_text, copy_project, handbook, mkdocs, run

LIMITS = Limits()


def _parse(text: str, limits: Limits = LIMITS) -> list:
    sink = ProblemSink("report.md")
    parse_source(text.encode("utf-8"), Path("report.md"), "report.md", sink,
                 max_lines=limits.max_front_matter_lines, limits=limits)
    return sink.problems


def _rules(problems) -> set[str]:
    return {p.rule for p in problems}


def _with(valid_text: str, old: str, new: str) -> str:
    assert old in valid_text
    return valid_text.replace(old, new, 1)


def _assert_located_everywhere(project: Path, located: str) -> None:
    """Validate and the build both end with exit 1 (not a signal such as -11) and name the problem."""
    result = handbook(project, "validate")
    assert result.code == 1, result.output
    assert located in result.output and "Traceback" not in result.output
    rule = located.rsplit("[", 1)[1].rstrip("]")
    build = mkdocs(project, "build", "-d", "site")
    assert build.code == 1 and rule in build.output and "Traceback" not in build.output


# -- nesting depth: checked on the token stream before anything is built --------------------------

def test_nesting_exactly_at_the_limit_is_read_and_one_more_is_refused():
    limit = LIMITS.max_nesting_depth
    # the front matter's own mapping is one level; each `[` adds one
    at_limit = "---\nx: " + "[" * (limit - 1) + "]" * (limit - 1) + "\n---\n"
    past = "---\nx: " + "[" * limit + "]" * limit + "\n---\n"
    assert "too-deep" not in _rules(_parse(at_limit))
    problems = [p for p in _parse(past) if p.rule == "too-deep"]
    assert len(problems) == 1 and problems[0].line == 2 and problems[0].level is Level.ERROR
    assert "max_nesting_depth" in problems[0].hint


def test_block_nesting_past_the_limit_is_refused_on_its_line():
    depth = LIMITS.max_nesting_depth + 1
    lines = [" " * (2 * level) + f"k{level}:" for level in range(depth)]
    problems = [p for p in _parse("---\n" + "\n".join(lines) + " end\n---\n") if p.rule == "too-deep"]
    assert len(problems) == 1 and problems[0].line == 1 + LIMITS.max_nesting_depth + 1


def test_a_smaller_limit_from_handbook_yml_is_used(tmp_path):
    taxonomy = (ROOT / "handbook.yml").read_text(encoding="utf-8")
    assert "max_nesting_depth: 64" in taxonomy
    (tmp_path / "handbook.yml").write_text(taxonomy.replace("max_nesting_depth: 64", "max_nesting_depth: 4"),
                                           encoding="utf-8")
    tax = load_taxonomy(tmp_path / "handbook.yml")
    assert tax.limits.max_nesting_depth == 4
    (tmp_path / "r.md").write_text("---\nx: [[[[1]]]]\n---\n", encoding="utf-8")
    collection = load_collection([tmp_path / "r.md"], tax, Layout.of(tmp_path))
    assert "too-deep" in _rules(collection.problems)


@pytest.mark.parametrize("opener, closer", [("[", "]"), ("{", "}"), ("[{a: ", "}]")])
def test_tens_of_thousands_of_flow_brackets_never_crash_validate_or_the_build(tmp_path, valid_text, opener, closer):
    project = copy_project(tmp_path, examples=False)
    deep = "title: " + opener * 50_000 + closer * 50_000
    (project / "postmortems" / "deep.md").write_text(
        _with(valid_text, "title: Checkout requests timed out after a connection-pool change", deep),
        encoding="utf-8")
    _assert_located_everywhere(project, "postmortems/deep.md:3: error [too-deep]")


def test_two_thousand_levels_of_block_nesting_are_a_problem_not_a_recursion_error(tmp_path, valid_text):
    tax = load_taxonomy(ROOT / "handbook.yml")
    for nested in ["extra:\n  " + "- " * 2_000 + "x",              # compact lists on one line
                   "extra:\n" + "\n".join(" " * (level + 1) + f"- k{level}:"
                                           for level in range(900)) + " end",
                   "extra:\n  " + "? " * 2_000 + "x"]:                 # complex keys
        text = _with(valid_text, "tags: [database]", "tags: [database]\n" + nested)
        collection, _ = check_text(tmp_path, tax, text)
        assert "too-deep" in _rules(collection.problems), nested[:40]


# -- value length ----------------------------------------------------------------------------------

def test_a_value_exactly_at_the_length_limit_is_read_and_one_more_is_refused():
    limits = Limits(max_scalar_chars=1_000)
    at_limit = "---\nx: " + "a" * 1_000 + "\n---\n"
    past = "---\nx: " + "a" * 1_001 + "\n---\n"
    assert "too-long-value" not in _rules(_parse(at_limit, limits))
    problems = [p for p in _parse(past, limits) if p.rule == "too-long-value"]
    assert len(problems) == 1 and problems[0].line == 2 and "1,001" in problems[0].message


# -- numbers ---------------------------------------------------------------------------------------

def test_numbers_of_thirty_characters_are_read_and_longer_ones_are_kept_as_text(tmp_path, valid_text):
    tax = load_taxonomy(ROOT / "handbook.yml")
    thirty = _with(valid_text, 'users_affected: "7% of checkout attempts"', "users_affected: " + "9" * 30)
    collection, _ = check_text(tmp_path, tax, thirty)
    assert "bad-number" not in _rules(collection.problems)
    longer = _with(valid_text, 'users_affected: "7% of checkout attempts"', "users_affected: " + "9" * 31)
    collection, _ = check_text(tmp_path, tax, longer)
    problems = [p for p in collection.problems if p.rule == "bad-number"]
    assert len(problems) == 1 and problems[0].line == 22


@pytest.mark.parametrize("number", ["9" * 5_000, "-" + "1" * 4_400, "1" + "0" * 400 + ".5", ".inf", "-.inf", ".nan",
                                    "1.0e+400", "0x" + "f" * 5_000])
def test_a_huge_or_impossible_number_is_located_in_validate_and_the_build(tmp_path, valid_text, number):
    project = copy_project(tmp_path, examples=False)
    (project / "postmortems" / "number.md").write_text(
        _with(valid_text, 'users_affected: "7% of checkout attempts"', f"users_affected: {number}"), encoding="utf-8")
    _assert_located_everywhere(project, "postmortems/number.md:22: error [bad-number]")


# -- dates at the ends of the calendar -------------------------------------------------------------

def test_years_inside_the_range_are_read_and_outside_it_are_impossible_dates(tmp_path, valid_text):
    tax = load_taxonomy(ROOT / "handbook.yml")
    inside = _with(valid_text, "due: 2026-10-15", f"due: {MAX_YEAR}-12-31")
    collection, _ = check_text(tmp_path, tax, inside)
    assert "impossible-date" not in _rules(collection.problems)
    for year in (MAX_YEAR + 1, MIN_YEAR - 1, 9999):
        outside = _with(valid_text, "due: 2026-10-15", f"due: {year}-12-31")
        collection, _ = check_text(tmp_path, tax, outside)
        assert "impossible-date" in _rules(collection.problems), year


def test_year_9999_everywhere_with_a_priority_window_never_overflows(tmp_path, valid_text):
    text = valid_text
    for old, new in [("started: 2026-10-05T09:00:00Z", "started: 9999-12-31T23:00:00Z"),
                     ("detected: 2026-10-05T09:07:00Z", "detected: 9999-12-31T23:30:00Z"),
                     ("mitigated: 2026-10-05T09:40:00Z", "mitigated: 9999-12-31T23:59:00Z"),
                     ("due: 2026-10-15", "due: 9999-12-31")]:
        text = _with(text, old, new)
    project = copy_project(tmp_path, examples=False)
    (project / "postmortems" / "late.md").write_text(text, encoding="utf-8")
    result = handbook(project, "validate")
    assert result.code == 1 and "impossible-date" in result.output and "Traceback" not in result.output
    # the way `mkdocs serve` builds: the report still gets a page, which shows the problem
    from .test_injection import serve_build
    site = serve_build(project)
    page = (site / "incidents" / "INC-2026-101" / "index.html").read_text(encoding="utf-8")
    assert "impossible-date" in page


# -- only regular files, inside the repository -----------------------------------------------------

@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom", "fifo", "outside"])
def test_a_report_that_is_not_a_regular_file_in_the_repository_is_refused_at_once(tmp_path, valid_text, target):
    project = copy_project(tmp_path / "repo", examples=False)
    (project / "postmortems" / "good.md").write_text(valid_text, encoding="utf-8")
    link = project / "postmortems" / "bad.md"
    if target == "fifo":
        os.mkfifo(link)  # nobody ever writes to it: reading it would wait for ever
    elif target == "outside":
        secret = tmp_path / "secret.md"
        secret.write_text(valid_text.replace("INC-2026-101", "INC-2026-999"), encoding="utf-8")
        link.symlink_to(secret)
    else:
        link.symlink_to(target)
    result = handbook(project, "validate")  # the subprocess timeout is the hang detector
    assert result.code == 1, result.output
    assert "postmortems/bad.md:1: error [not-a-file]" in result.output
    assert "postmortems/good.md" not in result.output  # the good report is still checked: no problem
    build = mkdocs(project, "build", "-d", "site")
    assert build.code == 1 and "not-a-file" in build.output
    assert not (project / "site" / "incidents" / "INC-2026-999").exists()


# -- one report that crashes the checker does not hide the others ---------------------------------

CRASHING = """
import sys
from handbook.checks import rules
from handbook.cli import main
original = rules.ReportChecker.check
def check(self, source, sink):
    if source.rel.endswith("crash.md"):
        raise RecursionError("a bug met on this file")
    return original(self, source, sink)
rules.ReportChecker.check = check
sys.argv = ["handbook", *sys.argv[1:]]
main()
"""


def test_a_bug_met_on_one_report_is_that_reports_problem_and_the_rest_are_checked(tmp_path, valid_text):
    project = copy_project(tmp_path, examples=False)
    for number in range(1, 4):
        (project / "postmortems" / f"ok-{number}.md").write_text(
            valid_text.replace("INC-2026-101", f"INC-2026-10{number}").replace("INC-2026-101", "x"), encoding="utf-8")
    (project / "postmortems" / "ok-2.md").write_text(
        valid_text.replace("INC-2026-101", "INC-2026-102").replace("severity: SEV2", "severity: SEV9"), encoding="utf-8")
    (project / "postmortems" / "crash.md").write_text(valid_text.replace("INC-2026-101", "INC-2026-104"),
                                                      encoding="utf-8")
    result = run([sys.executable, "-c", CRASHING, "validate"], project)
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    assert "postmortems/crash.md:1: error [internal-error]" in result.output
    assert "postmortems/ok-2.md:4: error [unknown-value]" in result.output  # still checked
    assert "4 reports checked" in result.output


# -- names too long for a file system --------------------------------------------------------------

def test_a_three_hundred_character_service_name_builds(tmp_path, valid_text):
    service = "checkout-" + "very-long-service-name-" * 13
    assert len(service) >= 300
    project = copy_project(tmp_path, examples=False)
    (project / "postmortems" / "long.md").write_text(
        _with(valid_text, "services: [checkout-api, payments-gateway]", f"services: [{service}]"), encoding="utf-8")
    result = mkdocs(project, "build", "--strict", "-d", "site")
    assert result.code == 0, result.output
    pages = [p for p in (project / "site").rglob("index.html") if "services" in p.parts]
    assert pages and all(len(part.encode()) <= 255 for page in pages for part in page.parts)
    assert any(service in p.read_text(encoding="utf-8") for p in pages)

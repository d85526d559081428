"""The `handbook` command: exit codes, the three output formats (golden files), located errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .conftest import FIXTURES, ROOT, check_text, copy_project, handbook

GOLDEN = Path(__file__).resolve().parent / "golden"


def broken_project(tmp_path: Path, valid_text: str) -> Path:
    """A project whose postmortems folder holds one report per kind of defect, plus a clean one."""
    project = copy_project(tmp_path, examples=False)
    folder = project / "postmortems"
    (folder / "clean.md").write_text(valid_text, encoding="utf-8")
    broken = valid_text.replace("id: INC-2026-101", "id: INC-2026-102").replace("severity: SEV2", "severity: SEV7")
    broken = broken.replace("## Detection\n", "## Detektion\n").replace("verification: The alert fires in the "
                                                                         "monthly game day when the pool is throttled.",
                                                                         "verification: done")
    (folder / "defects.md").write_text(broken, encoding="utf-8")
    (folder / "yaml-error.md").write_text(valid_text.replace("title: Checkout", "title: [Checkout"), encoding="utf-8")
    (folder / "empty.md").write_text("", encoding="utf-8")
    (folder / "latin1.md").write_bytes("---\nid: INC-2026-103\ntitle: caf\u00e9\n---\n".encode("latin-1"))
    draft = valid_text.replace("id: INC-2026-101", "id: INC-2026-104").replace("status: reviewed", "status: draft")
    (folder / "draft.md").write_text(draft.replace("## Summary\n", "## Overview\n"), encoding="utf-8")
    return project


@pytest.mark.parametrize("fmt", ["text", "github", "json"])
def test_output_formats_match_golden_files(tmp_path, valid_text, fmt):
    project = broken_project(tmp_path, valid_text)
    result = handbook(project, "validate", "--format", fmt)
    assert result.code == 1
    assert "Traceback" not in result.output
    golden = GOLDEN / f"validate.{fmt}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(result.out, encoding="utf-8")
    assert result.out == golden.read_text(encoding="utf-8")


def test_json_output_is_data(tmp_path, valid_text):
    result = handbook(broken_project(tmp_path, valid_text), "validate", "--format", "json")
    document = json.loads(result.out)
    assert document["reports"] == 6
    assert document["errors"] == sum(1 for p in document["problems"] if p["level"] == "error")
    rules = {(p["file"], p["rule"]) for p in document["problems"]}
    assert ("postmortems/yaml-error.md", "yaml-syntax") in rules
    assert ("postmortems/empty.md", "empty-file") in rules
    assert ("postmortems/latin1.md", "encoding") in rules
    assert ("postmortems/defects.md", "unknown-value") in rules
    assert ("postmortems/draft.md", "missing-section") in rules
    assert not any(p["file"] == "postmortems/clean.md" for p in document["problems"])


def test_github_format_annotates_file_and_line(tmp_path, valid_text):
    result = handbook(broken_project(tmp_path, valid_text), "validate", "--format", "github")
    line = next(l for l in result.out.splitlines() if "yaml-error.md" in l)
    assert line.startswith("::error file=postmortems/yaml-error.md,line=3,title=yaml-syntax::")
    assert any(l.startswith("::warning file=postmortems/draft.md") for l in result.out.splitlines())


@pytest.mark.parametrize("name,content,rule,line", [
    ("syntax.md", "---\nid: INC-2026-001\ntitle: a: b: c\n---\n", "yaml-syntax", 3),
    ("latin1.md", "---\nid: INC-2026-001\ntitle: caf\u00e9\n---\n".encode("latin-1"), "encoding", 3),
    ("empty.md", b"", "empty-file", 1),
])
def test_broken_files_give_located_messages_without_traceback(tmp_path, name, content, rule, line):
    project = copy_project(tmp_path, examples=False)
    path = project / "postmortems" / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    result = handbook(project, "validate")
    assert result.code == 1
    assert f"postmortems/{name}:{line}: error [{rule}]" in result.out
    assert "fix:" in result.out
    assert "Traceback" not in result.output


def test_examples_validate_cleanly():
    result = handbook(ROOT, "validate")
    assert result.code == 0, result.output
    assert "no problems" in result.out


def test_validating_one_file_still_knows_the_other_ids(tmp_path, valid_text):
    project = copy_project(tmp_path, examples=False)
    (project / "postmortems" / "a.md").write_text(valid_text, encoding="utf-8")
    other = valid_text.replace("id: INC-2026-101", "id: INC-2026-105").replace("related: []", "related: [INC-2026-101]")
    (project / "postmortems" / "b.md").write_text(other, encoding="utf-8")
    assert handbook(project, "validate", "postmortems/b.md").code == 0
    (project / "postmortems" / "a.md").unlink()
    result = handbook(project, "validate", "postmortems/b.md")
    assert result.code == 1 and "[unknown-related]" in result.out


def test_draft_warnings_pass_unless_strict(tmp_path, valid_text):
    project = copy_project(tmp_path, examples=False)
    draft = valid_text.replace("status: reviewed", "status: draft").replace("## Summary\n", "## Overview\n")
    (project / "postmortems" / "draft.md").write_text(draft, encoding="utf-8")
    assert handbook(project, "validate").code == 0
    assert handbook(project, "validate", "--strict").code == 1


def test_missing_path_is_a_usage_error(tmp_path):
    project = copy_project(tmp_path, examples=False)
    result = handbook(project, "validate", "postmortems/nope.md")
    assert result.code == 2 and "does not exist" in result.err


def test_broken_taxonomy_is_reported_with_its_line(tmp_path):
    project = copy_project(tmp_path, examples=False)
    taxonomy = project / "handbook.yml"
    taxonomy.write_text(taxonomy.read_text().replace("window_days: 7", "window_days: seven"), encoding="utf-8")
    result = handbook(project, "validate")
    assert result.code == 2
    assert "handbook.yml:" in result.err and "window_days" in result.err
    assert "Traceback" not in result.output


def test_committed_schema_matches_the_taxonomy():
    result = handbook(ROOT, "schema", "--check")
    assert result.code == 0, result.output


def test_schema_follows_the_taxonomy(tmp_path):
    project = copy_project(tmp_path, examples=False)
    taxonomy = project / "handbook.yml"
    taxonomy.write_text(taxonomy.read_text().replace("- id: SEV4", "- id: SEV5"), encoding="utf-8")
    assert handbook(project, "schema", "--check").code == 1
    result = handbook(project, "schema", "-o", "-")
    schema = json.loads(result.out)
    assert "SEV5" in schema["properties"]["severity"]["enum"]
    assert "SEV4" not in schema["properties"]["severity"]["enum"]


def test_the_taxonomy_schema_is_the_declaration(tmp_path):
    """schema/handbook.schema.json (for editors) accepts handbook.yml and refuses what the loader refuses."""
    import jsonschema
    import yaml

    schema = json.loads((ROOT / "schema" / "handbook.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    taxonomy = yaml.safe_load((ROOT / "handbook.yml").read_text())
    assert list(validator.iter_errors(taxonomy)) == []
    taxonomy["visibilities"]["defualt"] = "internal"
    assert [e.validator for e in validator.iter_errors(taxonomy)] == ["additionalProperties"]
    project = copy_project(tmp_path, examples=False)
    path = project / "handbook.yml"
    path.write_text(path.read_text().replace("  default: internal", "  defualt: internal"), encoding="utf-8")
    result = handbook(project, "validate")
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "defualt" in text)
    assert result.code == 2
    assert f"handbook.yml:{line}:" in result.err and "Did you mean `default`?" in result.err


def test_schema_validates_the_examples_with_a_generic_validator():
    import jsonschema

    from handbook.reading.source import Source  # noqa: F401  (the package's own loader keeps dates as text)
    from handbook import find_reports
    from handbook.core.problems import ProblemSink
    from handbook.reading.source import read_source

    schema = json.loads((ROOT / "schema" / "postmortem.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for path in find_reports([ROOT / "postmortems"]):
        source = read_source(path, path.name, ProblemSink(path.name), max_bytes=10**7, max_lines=10**5)
        assert list(validator.iter_errors(source.data)) == [], path


def test_rules_lists_every_rule():
    from handbook import RULES

    result = handbook(ROOT, "rules")
    assert result.code == 0
    for rule in RULES:
        assert rule in result.out


def test_fixture_is_the_valid_report(tmp_path, taxonomy):
    """The fixture the suite mutates is valid as it is: no error and no warning of any rule."""
    collection, _ = check_text(tmp_path, taxonomy, (FIXTURES / "valid.md").read_bytes())
    assert collection.problems == [] and len(collection.reports) == 1
    assert collection.reports[0].id == "INC-2026-101" and collection.reports[0].status == "reviewed"


def test_large_sets_are_checked_in_parallel_with_the_same_result(tmp_path, valid_text):
    project = copy_project(tmp_path, examples=False)
    folder = project / "postmortems"
    for number in range(1, 321):  # above the size where `validate` uses several processes
        text = valid_text.replace("id: INC-2026-101", f"id: INC-2026-{number:03d}")
        (folder / f"r{number:03d}.md").write_text(text, encoding="utf-8")
    broken = valid_text.replace("id: INC-2026-101", "id: INC-2026-999").replace("severity: SEV2", "severity: SEV9")
    (folder / "zz-broken.md").write_text(broken, encoding="utf-8")
    (folder / "zz-dup.md").write_text(valid_text.replace("id: INC-2026-101", "id: INC-2026-007"), encoding="utf-8")
    result = handbook(project, "validate", "--format", "json")
    document = json.loads(result.out)
    assert result.code == 1 and document["reports"] == 322
    found = {(p["file"], p["rule"], p["line"]) for p in document["problems"]}
    assert found == {("postmortems/zz-broken.md", "unknown-value", 4),
                     ("postmortems/zz-dup.md", "duplicate-id", 2), ("postmortems/r007.md", "duplicate-id", 2)}

"""docs/ holds as the reports do (issue 24, cases 7 and 11): no file of docs/ takes the place of a page or
file the handbook generates, and only the pages mkdocs.yml lists are templates (their `{{ … }}` is code)."""

from __future__ import annotations

import json

from mkdocs.utils.yaml import yaml_load

from .conftest import ROOT, copy_project, handbook, mkdocs
from .test_injection import serve_build

# -- 7. a file of docs/ never replaces a generated one --------------------------------------------
PLACED = {  # a file of docs/ -> the generated file it would replace, for valid.md at postmortems/report.md
    "incidents.json": "incidents.json",
    "Feed.xml": "feed.xml",  # where case does not count (macOS, Windows)
    "calendar.ics": "calendar.ics",
    "themes/repeats.json": "themes/repeats.json",
    "statements/index.json": "statements/index.json",
    "assets/cards/INC-2026-101.png": "assets/cards/INC-2026-101.png",  # the report's link-preview card
    "incidents/report/index.html": "incidents/report/index.html",  # the redirect from the report's file name
    "incidents/INC-2026-101/index.md": "incidents/INC-2026-101/index.html",  # the report's page
    "services.md": "services/index.html",  # an index page, as MkDocs' directory URLs write services.md
}
KNOWN = {"incidents.json", "Feed.xml", "calendar.ics", "themes/repeats.json", "statements/index.json", "services.md"}
"""The ones `handbook validate` names: those whatever the reports are (the build names every one)."""


def _placed(tmp_path, valid_text):
    """A project with one report and a file of docs/ at each place of PLACED."""
    project = copy_project(tmp_path, examples=False)
    (project / "postmortems" / "report.md").write_text(valid_text, encoding="utf-8")
    for name in PLACED:
        path = project / "docs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("# Put here by a pull request\n" if name.endswith(".md") else "{}\n", encoding="utf-8")
    return project


def test_a_docs_file_at_a_generated_files_place_fails_the_build_naming_both(tmp_path, valid_text):
    project = _placed(tmp_path, valid_text)
    for flags in (["--strict"], []):  # an error, not a warning: a build that is not strict fails too
        result = mkdocs(project, "build", *flags, "-d", "site")
        assert result.code == 1, result.output
        for name, generated in PLACED.items():
            assert f"docs/{name} would replace the generated {generated}" in result.output, (flags, name)
        assert "[replaces-generated]" in result.output and "Remove or rename it" in result.output
    checked = handbook(project, "validate", "--format", "json")
    assert checked.code == 1, checked.output
    named = {p["file"] for p in json.loads(checked.out)["problems"] if p["rule"] == "replaces-generated"}
    assert named == {f"docs/{name}" for name in KNOWN}
    # the files of one report are the build's to name: validating that report alone names no file of docs/
    assert handbook(project, "validate", "postmortems/report.md").code == 0


def test_under_serve_a_docs_file_at_a_generated_place_is_a_warning_and_the_generated_file_is_served(
        tmp_path, valid_text):
    site = serve_build(_placed(tmp_path, valid_text))
    assert json.loads((site / "incidents.json").read_text(encoding="utf-8"))["count"] == 1
    assert "BEGIN:VCALENDAR" in (site / "calendar.ics").read_text(encoding="utf-8")
    assert "Put here by a pull request" not in (site / "incidents" / "INC-2026-101" / "index.html").read_text(
        encoding="utf-8")
    assert "http-equiv=\"refresh\"" in (site / "incidents" / "report" / "index.html").read_text(encoding="utf-8")


# -- 11. only the pages mkdocs.yml lists run as templates -----------------------------------------
RAN = "Seven sevens: 49"


def _macros_pages() -> list[str]:
    """`macros_pages` of the handbook plugin in the repository's mkdocs.yml."""
    with (ROOT / "mkdocs.yml").open("rb") as stream:
        plugins = yaml_load(stream)["plugins"]
    return next(p["handbook"] for p in plugins if isinstance(p, dict) and "handbook" in p)["macros_pages"]


def test_a_new_docs_page_is_text_even_when_its_front_matter_asks_for_macros(tmp_path):
    project = copy_project(tmp_path, examples=False)
    (project / "docs" / "handbook" / "x.md").write_text(
        "---\nrender_macros: true\n---\n# A new page\n\nSeven sevens: {{ 7*7 }}.\n", encoding="utf-8")
    (project / "docs" / "notes.md").write_text("# Notes\n\nSeven sevens: {{ 7*7 }}.\n", encoding="utf-8")
    result = mkdocs(project, "build", "-d", "site")
    assert result.code == 0, result.output
    site = project / "site"
    for page in ("handbook/x/index.html", "notes/index.html"):
        html = (site / page).read_text(encoding="utf-8")
        assert "Seven sevens: {{ 7*7 }}." in html and RAN not in html, page
    # the page that asked is named, with where the list is; a strict build (CI) fails on it
    assert "docs/handbook/x.md says `render_macros: True`" in result.output
    assert "plugins.handbook.macros_pages" in result.output
    strict = mkdocs(project, "build", "--strict", "-d", "strict")
    assert strict.code == 1 and "docs/handbook/x.md" in strict.output
    assert RAN not in (project / "strict" / "handbook" / "x" / "index.html").read_text(encoding="utf-8")
    # every page the list names still renders its macros, and the list is every page that uses them
    listed = _macros_pages()
    assert sorted(listed) == sorted(p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")
                                    if "{{" in p.read_text(encoding="utf-8"))
    for src in listed:
        html = (site / src.removesuffix(".md").removesuffix("index")).joinpath("index.html")
        assert "{{" not in html.read_text(encoding="utf-8"), src
    assert "<table data-pm-cards>" in (site / "handbook" / "severity" / "index.html").read_text(encoding="utf-8")


def test_the_example_code_owners_give_every_page_that_runs_macros_to_the_maintainers_too():
    rules = [line.split() for line in (ROOT / ".github" / "CODEOWNERS.example").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    for src in _macros_pages():
        path = f"/docs/{src}"
        *_, (pattern, *owners) = [r for r in rules if r[0] == path or (r[0].endswith("/") and path.startswith(r[0]))]
        assert "@larkspur/handbook-maintainers" in owners, (src, pattern)  # the last matching line wins

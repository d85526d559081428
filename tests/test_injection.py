"""Author text never becomes code: not a template, not script, not a path outside the site.

Anyone who can open a pull request writes a report, and the pull-request workflow builds the
site. These tests put attacks in every field and the body, build real sites (strictly, and the
way `mkdocs serve` builds, which shows reports that have errors), and search every output file.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from handbook.reading.links import Layout
from handbook import Level
from handbook_mkdocs.links import MkDocsLinks
from handbook_mkdocs.options import load_settings
from handbook.rendering.site import plan_site

from .conftest import check_text, copy_project, handbook, mkdocs, run

# Each evaluates to a marker that appears in no report: finding the marker means a template ran.
TEMPLATES = {
    "{{ 'MATH' ~ 7 * 191 ~ 'RAN' }}": "MATH1337RAN",
    "{% set x = 'TPL' ~ 'RAN' %}{{ x }}": "TPLRAN",
    "{{ cycler.__init__.__globals__.os.popen('echo SHELL$((6*7))RAN').read() }}": "SHELL42RAN",
    "{{ config.site_name }}": "Larkspur incident handbook",
}
# Characters that broke the generated page's front matter (written as YAML escapes).
CONTROLS = ["\\x7f", "\\x80", "\\x9b", "\\uFFFE", "\\0", "\\e[31m"]
PAYLOAD = " ".join(TEMPLATES)


def _yaml_quoted(text: str) -> str:
    """`text` as a double-quoted YAML scalar in which backslash escapes stay escapes."""
    return '"' + text.replace('"', '\\"') + '"'


def _templated(valid_text: str, *, controls: bool) -> str:
    """The valid report with a template payload in every text field and in the body; with
    `controls`, control characters too (as YAML escapes) in the fields the attack used."""
    extra = "".join(CONTROLS) if controls else ""
    data = yaml.safe_load(valid_text.split("---\n")[1])
    fields = {
        "title": f"Checkout {extra}{PAYLOAD}",
        "owner": f"Ada {PAYLOAD}",
        "services": [f"checkout {extra}{PAYLOAD}"],
        "tags": [PAYLOAD],
        "authors": [f"Ben {PAYLOAD}"],
        "roles": {"commander": f"Cleo {PAYLOAD}", "scribe": PAYLOAD},
        "impact": {"customer_facing": True, "users_affected": PAYLOAD, "data_impact": PAYLOAD},
        "links": {"slack": "https://chat.example.com/{{7*191}}"},
    }
    lines = ["---"]
    for key, value in data.items():
        value = fields.get(key, value)
        if key in ("title", "owner"):
            lines.append(f"{key}: {_yaml_quoted(value)}")
        elif key == "services":
            lines.append(f"services: [{_yaml_quoted(value[0])}]")
        else:
            dumped = yaml.safe_dump({key: value}, allow_unicode=True, default_flow_style=False, sort_keys=False,
                                    width=10_000).rstrip("\n")
            lines.append(dumped)
    for index in range(len(data["action_items"])):
        for field in ("description", "verification"):
            value = data["action_items"][index][field]
            old = f"    {field}: {value}"
            lines = [line.replace(old, f"    {field}: {_yaml_quoted(value + ' ' + PAYLOAD)}") for line in lines]
    for index in range(len(data["contributing_factors"])):
        value = data["contributing_factors"][index]["description"]
        lines = [line.replace(f"  description: {value}", f"  description: {_yaml_quoted(value + ' ' + PAYLOAD)}")
                 for line in lines]
    body = valid_text.split("---\n", 2)[2]
    body = body.replace("## Summary\n\n", f"## Summary\n\n{PAYLOAD}\n\n{{{{ 'MATH' ~ 7 * 191 ~ 'RAN' }}}} at the start of a line.\n\n")
    body = body.replace("## Response\n", f"## Response\n\n```\n{PAYLOAD}\n```\n\n`{PAYLOAD}`\n")
    if controls:
        body = body.replace("## Impact\n", "## Impact\n\nA log line \x1b[31mred\x1b[0m and a DEL \x7f here.\n")
    return "\n".join(lines) + "\n---\n" + body


SERVE_BUILD = """
import sys
from mkdocs.commands.build import build
from mkdocs.config import load_config
config = load_config(sys.argv[1], site_dir=sys.argv[2])
config.plugins.on_startup(command="serve", dirty=False)
build(config, serve_url="http://127.0.0.1:8000/")
"""


def serve_build(project: Path, env: dict[str, str] | None = None) -> Path:
    """Build the site the way `mkdocs serve` does (reports with errors still get a page, showing them)."""
    site = project / "served"
    result = run([sys.executable, "-c", SERVE_BUILD, str(project / "mkdocs.yml"), str(site)], project, env)
    assert result.code == 0, result.output
    return site


def _all_text(site: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in site.rglob("*") if p.is_file()
                     and p.suffix in (".html", ".json", ".xml", ".txt", ".md"))


def _assert_no_template_ran(site: Path) -> None:
    everything = _all_text(site)
    for payload, marker in TEMPLATES.items():
        if marker == "Larkspur incident handbook":
            continue  # the site's name is on every page anyway: checked on the report below
        assert marker not in everything, (payload, marker)


def test_no_author_text_is_ever_evaluated_as_a_template_in_a_strict_build(tmp_path, valid_text):
    project = copy_project(tmp_path, examples=False)
    (project / "postmortems" / "report.md").write_text(_templated(valid_text, controls=False), encoding="utf-8")
    assert handbook(project, "validate", "--strict").code == 0
    result = mkdocs(project, "build", "--strict", "-d", "site")
    assert result.code == 0, result.output
    site = project / "site"
    _assert_no_template_ran(site)
    article = BeautifulSoup((site / "incidents" / "INC-2026-101" / "index.html").read_text(encoding="utf-8"),
                            "html.parser").select_one("article").get_text(" ")
    assert "{{ 'MATH' ~ 7 * 191 ~ 'RAN' }}" in article and "{{ config.site_name }}" in article  # as written
    # the handbook's own pages still render their macros
    assert "{{" not in (site / "handbook" / "severity" / "index.html").read_text(encoding="utf-8")


def test_control_characters_are_refused_and_no_template_runs_in_the_live_preview(tmp_path, valid_text):
    project = copy_project(tmp_path, examples=False)
    report = project / "postmortems" / "report.md"
    report.write_text(_templated(valid_text, controls=True), encoding="utf-8")
    result = handbook(project, "validate", "--format", "json")
    assert result.code == 1
    found = [p for p in json.loads(result.out)["problems"] if p["rule"] == "control-character"]
    lines = report.read_text(encoding="utf-8").split("\n")
    title_line = next(n for n, line in enumerate(lines, 1) if line.startswith("title:"))
    service_line = next(n for n, line in enumerate(lines, 1) if line.startswith("services:"))
    log_line = next(n for n, line in enumerate(lines, 1) if "A log line" in line)
    assert {p["line"] for p in found} == {title_line, service_line, log_line}
    assert all(p["level"] == "error" and "U+" in p["message"] for p in found)
    assert mkdocs(project, "build", "-d", "site").code == 1  # refused by the build too
    site = serve_build(project)  # the live preview still draws the page, with the problems
    _assert_no_template_ran(site)
    page = (site / "incidents" / "INC-2026-101" / "index.html").read_text(encoding="utf-8")
    assert "control-character" in page
    for path in site.rglob("*"):
        if path.suffix in (".html", ".json", ".xml"):
            text = path.read_text(encoding="utf-8")
            for char in ("\x7f", "\x80", "\x9b", "\ufffe", "\x00", "\x1b"):
                assert char not in text, (path, repr(char))
    ET.parse(site / "feed.xml")  # well-formed
    document = json.loads((site / "incidents.json").read_text(encoding="utf-8"))
    assert document["incidents"][0]["title"].startswith("Checkout [31m{{ 'MATH' ~ 7 * 191 ~ 'RAN' }}")


def test_a_file_name_never_becomes_markup(tmp_path, valid_text):
    project = copy_project(tmp_path, examples=False)
    name = 'x"><svg onload=alert(document.domain)>.md'
    (project / "postmortems" / name).write_text(valid_text, encoding="utf-8")
    assert handbook(project, "validate").code == 0
    result = mkdocs(project, "build", "--strict", "-d", "site")
    assert result.code == 0, result.output
    for page in (project / "site").rglob("*.html"):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        assert not soup.find_all("svg", onload=True), page
        assert not [tag for tag in soup.find_all(True) if any(a.startswith("on") for a in tag.attrs)], page
    soup = BeautifulSoup((project / "site" / "incidents" / "INC-2026-101" / "index.html").read_text(encoding="utf-8"),
                         "html.parser")
    edit = soup.select_one('a[title="Edit this page"]')
    assert edit is not None and edit["href"].endswith('postmortems/x%22%3E%3Csvg%20onload%3Dalert%28document.domain%29%3E.md')


# Body Markdown that slipped raw HTML, event handlers, styles or script links past the checks made
# before Markdown; the sanitiser after Markdown stops every one of them.
BODY_ATTACKS = [
    "A paragraph with attributes.\n{: onclick=\"alert(1)\" style=\"position:fixed;inset:0\" }",
    "## Heading with attributes { onmouseover=alert(2) }",
    "[entity scheme](&#106;avascript:alert(3)) and [hex](&#x6A;avascript:alert(4))",
    "[tab scheme](java\tscript:alert(5)) and [upper](JAVASCRIPT:alert(6))",
    "- item\n\n    <img src=x onerror=alert(7)>",
    "> [ref]\n>\n> [ref]: javascript:alert(8)",
    "- [listed ref]\n\n    [listed ref]: &#x6A;avascript:alert(9)",
    "<https://example.com/<svg/onload=alert(10)>>",
    "``` \n<script>alert(11)</script>\n~~~\n",
    "<div markdown=\"1\" onclick=\"alert(12)\">inside</div>",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxMyk8L3NjcmlwdD4=)",
    "![pic](x.png){: onerror=\"alert(14)\" }",
]


def test_report_bodies_are_sanitised_after_markdown_whatever_the_extension(tmp_path, valid_text):
    project = copy_project(tmp_path, examples=False)
    attacks = "\n\n".join(BODY_ATTACKS)
    text = valid_text.replace("## Detection\n", f"## Detection\n\n{attacks}\n\n")
    (project / "postmortems" / "report.md").write_text(text, encoding="utf-8")
    site = serve_build(project)
    html = (site / "incidents" / "INC-2026-101" / "index.html").read_text(encoding="utf-8")
    article = BeautifulSoup(html, "html.parser").select_one("article")
    for tag in article.find_all(True):
        for name, value in tag.attrs.items():
            assert not name.lower().startswith("on"), (tag.name, name)
            if name == "style":
                assert value.replace(" ", "").rstrip(";").startswith("text-align:"), (tag.name, value)
            if name in ("href", "src"):  # read as a browser does (WHATWG URL: trim, drop tab and newlines)
                scheme = str(value).strip("".join(map(chr, range(33)))).translate(
                    {9: None, 10: None, 13: None}).lower()
                assert not scheme.startswith(("javascript:", "data:", "vbscript:")), (tag.name, value)
    assert not article.find_all(["script", "iframe", "object", "embed", "style", "form"])
    assert not [svg for svg in article.find_all("svg") if not svg.find_parent(class_="md-content__button")]
    assert "alert(" not in "".join(s.get_text() for s in BeautifulSoup(html, "html.parser").find_all("script"))


def test_security_tags_match_however_they_are_written(tmp_path, taxonomy, valid_text):
    for tag in ("Security", "SECURITY", " security "):
        text = valid_text.replace("tags: [database]", f"tags: [database, '{tag}']").replace(
            "visibility: internal\n", "")
        collection, _ = check_text(tmp_path, taxonomy, text)
        assert collection.reports[0].visibility == "restricted", tag
        assert not collection.problems, tag
    for status in ("draft", "in-review", "reviewed"):
        text = valid_text.replace("tags: [database]", "tags: [Security]").replace(
            "visibility: internal", "visibility: public").replace("status: reviewed", f"status: {status}")
        collection, _ = check_text(tmp_path, taxonomy, text)
        found = [p for p in collection.problems if p.rule == "visibility"]
        assert found and found[0].level is Level.ERROR, status
        assert collection.reports[0].visibility == "restricted", status  # the tag decides


def test_a_security_report_tagged_in_capitals_is_left_out_of_a_public_build(tmp_path, valid_text):
    project = copy_project(tmp_path, examples=False)
    text = valid_text.replace("tags: [database]", "tags: [SECURITY]").replace("visibility: internal\n", "")
    (project / "postmortems" / "report.md").write_text(text, encoding="utf-8")
    result = mkdocs(project, "build", "--strict", "-d", "site", env={"HANDBOOK_AUDIENCE": "internal"})
    assert result.code == 0, result.output
    assert not (project / "site" / "incidents" / "INC-2026-101").exists()
    assert "INC-2026-101" not in _all_text(project / "site")


def test_ids_are_compared_exactly_after_dropping_surrounding_blanks(tmp_path, taxonomy, valid_text):
    first = tmp_path / "a.md"
    second = tmp_path / "b.md"
    first.write_text(valid_text, encoding="utf-8")
    second.write_text(valid_text.replace("id: INC-2026-101", 'id: "INC-2026-101\\n"').replace(
        "  - id: AI-2", '  - id: "AI-1\\n"'), encoding="utf-8")
    from handbook import load_collection

    collection = load_collection([first, second], taxonomy, Layout.of(tmp_path))
    rules = sorted((p.file, p.rule) for p in collection.problems)
    assert ("a.md", "duplicate-id") in rules and ("b.md", "duplicate-id") in rules
    assert ("b.md", "duplicate-action-id") in rules
    assert collection.reports[1].id == "INC-2026-101"


def test_a_problem_shown_to_an_audience_never_names_a_report_it_may_not_read(tmp_path, valid_text):
    project = copy_project(tmp_path, examples=False)
    folder = project / "postmortems"
    (folder / "public-report.md").write_text(valid_text.replace("visibility: internal", "visibility: public"),
                                             encoding="utf-8")
    secret = valid_text.replace("visibility: internal", "visibility: restricted")
    (folder / "secret-breach-of-vault.md").write_text(secret, encoding="utf-8")
    settings = load_settings(project / "mkdocs.yml")
    from dataclasses import replace

    for audience in ("public", "internal"):
        plan = plan_site(replace(settings, audience=audience), settings.load_taxonomy(), MkDocsLinks(True),
                         show_problems=True)
        markdown = _drawn(plan)
        assert "duplicate-id" in markdown, audience  # the author still learns of the clash
        assert "secret-breach-of-vault" not in markdown, audience
    plan = plan_site(replace(settings, audience="restricted"), settings.load_taxonomy(), MkDocsLinks(True),
                     show_problems=True)
    assert "secret-breach-of-vault" in _drawn(plan)


def _drawn(plan) -> str:
    """Everything the plan puts on its pages: their Markdown and the generated HTML set apart from it."""
    return "\n".join([*plan.pages.values(), *(html for found in plan.fragments.values() for html in found.values())])


@pytest.mark.parametrize("bad_id", ["../../../escaped-page", "..", "a/b", "/tmp/absolute-page", "x" * 400])
def test_no_id_writes_a_page_outside_the_site(tmp_path, valid_text, bad_id):
    project = copy_project(tmp_path, examples=False)
    (project / "postmortems" / "report.md").write_text(
        valid_text.replace("id: INC-2026-101", f"id: '{bad_id}'"), encoding="utf-8")
    before = {p for p in tmp_path.rglob("*")}
    site = serve_build(project)
    after = {p for p in tmp_path.rglob("*") if not p.is_relative_to(site)}
    assert after - before == set()
    assert not Path("/tmp/absolute-page.html").exists() and not Path("/tmp/absolute-page").exists()
    page = site / "incidents" / "report" / "index.html"  # the file's name stands in for the id
    assert "bad-id" in page.read_text(encoding="utf-8")


def test_a_very_long_service_name_builds_under_a_shortened_stable_name(tmp_path, valid_text):
    project = copy_project(tmp_path, examples=False)
    long_name = "checkout-" + "very-long-" * 30 + "service"
    (project / "postmortems" / "report.md").write_text(
        valid_text.replace("services: [checkout-api, payments-gateway]", f"services: [{long_name}, Zahlungsdienst-Über]"),
        encoding="utf-8")
    result = mkdocs(project, "build", "--strict", "-d", "site")
    assert result.code == 0, result.output
    names = sorted(p.name for p in (project / "site" / "services").iterdir() if p.is_dir())
    assert "zahlungsdienst-über" in names  # readable, not `unnamed-N`
    shortened = [n for n in names if n.startswith("checkout-very-long")]
    assert len(shortened) == 1 and len(shortened[0]) <= 100
    page = (project / "site" / "services" / shortened[0] / "index.html").read_text(encoding="utf-8")
    assert long_name in page

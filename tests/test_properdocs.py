"""The site also builds with ProperDocs, the maintained MkDocs 1.x fork (`properdocs` on PyPI, pinned
in requirements.lock beside mkdocs).

ProperDocs reads plugins from the `mkdocs.plugins` entry points as well as its own, and redirects every
`mkdocs.*` import to `properdocs.*`, so our plugin, mkdocs-macros and Material run unchanged under it.
These tests run its real command-line tool on a copy of the repository's site, with the same
environment as the MkDocs builds, and read what it wrote. Nothing is mocked.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from .conftest import BIN, FIXTURES, ROOT, TODAY, Run, copy_project, counted_examples, run, visible_examples

GENERATOR = re.compile(r'<meta name="generator" content="[^"]*">')


def properdocs(project: Path, *args: str) -> Run:
    return run([str(BIN / "properdocs"), *args], project)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Path]:
    """The example project built once, strictly, by `properdocs build --strict` into a folder of its own."""
    project = copy_project(tmp_path_factory.mktemp("properdocs-project"))
    site = tmp_path_factory.mktemp("properdocs-site")
    result = properdocs(project, "build", "--strict", "-d", str(site))
    assert result.code == 0, result.output
    return result, site


@pytest.fixture(scope="module")
def site(built) -> Path:
    return built[1]


def _article(site: Path, page: str):
    return BeautifulSoup((site / page).read_text(encoding="utf-8"), "html.parser").select_one("article")


def test_the_pinned_properdocs_builds_the_site_with_no_warning(built):
    result, site = built
    version = properdocs(ROOT, "--version")
    assert version.code == 0 and version.out.startswith("properdocs, version 1.6.7 "), version.output
    assert "Traceback" not in result.output
    assert not re.search(r"^(WARNING|ERROR)\b", result.output, re.M), result.output
    # ProperDocs, not MkDocs, wrote the pages (Material names the generator in every page).
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'content="mkdocs-ProperDocs 1.6.7, mkdocs-material-' in home


def test_the_incidents_index_lists_every_published_report(site):
    article = _article(site, "incidents/index.html")
    rows = article.select(".pm-filterable table tbody tr")
    visible = counted_examples()  # a case study or a drill is on the library page instead
    assert len(visible) >= 6
    assert len(rows) == len(visible)
    assert {a["href"] for a in article.select(".pm-filterable a")} == {f"{r['id']}/" for r in visible}


def test_every_published_report_has_its_page_with_its_title(site):
    for report in visible_examples():
        page = Path("incidents") / report["id"] / "index.html"
        assert (site / page).exists(), page
        heading = _article(site, str(page)).h1.get_text()
        assert report["id"] in heading and report["title"] in heading


def test_incidents_json_has_the_published_reports(site):
    document = json.loads((site / "incidents.json").read_text(encoding="utf-8"))
    pages = sorted(p.parent.name for p in (site / "incidents").glob("INC-*/index.html"))
    assert sorted(r["id"] for r in document["incidents"]) == pages == sorted(r["id"] for r in visible_examples())
    assert document["count"] == len(pages)
    assert document["generated_for"] == TODAY
    assert all(r["url"].endswith(f"/incidents/{r['id']}/") for r in document["incidents"])


def test_handbook_pages_rendered_their_macros_and_reports_were_left_alone(site):
    taxonomy = yaml.safe_load((ROOT / "handbook.yml").read_text(encoding="utf-8"))
    pages = sorted((site / "handbook").rglob("index.html")) + [site / "index.html"]
    assert len(pages) >= 9
    for page in pages:
        text = _article(site, str(page.relative_to(site))).get_text(" ", strip=True)
        assert "{{" not in text and "{%" not in text, page
    action_items = _article(site, "handbook/action-items/index.html").get_text(" ", strip=True)
    assert taxonomy["organisation"]["tracker"] in action_items
    for category in taxonomy["action_categories"]:
        assert category["name"] in action_items
    # A report's own text is never a template: its literal braces are printed as written.
    braces = [r for r in visible_examples() if "{{" in r["_body"]]
    assert braces
    for report in braces:
        literal = re.search(r"\{\{[^}]*\}\}", report["_body"]).group(0)
        assert literal in _article(site, f"incidents/{report['id']}/index.html").get_text()


def _content(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    if path.suffix == ".html":
        data = GENERATOR.sub("", data.decode("utf-8")).encode("utf-8")
    return data


def test_the_site_is_the_one_mkdocs_builds_but_for_the_generator_tag(site, example_site):
    """Byte for byte, once each page's `<meta name="generator">` is set aside: a difference here is a
    behaviour of ProperDocs our plugin or templates meet that MkDocs does not have."""
    files = sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(example_site) for p in example_site.rglob("*") if p.is_file())
    different = [str(f) for f in files if _content(site / f) != _content(example_site / f)]
    assert different == []


def _draft(valid: str) -> str:
    return valid.replace("status: reviewed", "status: draft").replace("## Summary\n", "## Overview\n")


def _broken(valid: str) -> str:
    return valid.replace("## Detection\n", "## Detektion\n").replace("severity: SEV2", "severity: SEV9")


@pytest.mark.parametrize("change,expected", [
    (_draft, ["postmortems/report.md:", "warning [missing-section]", "0 error(s) and 2 warning(s)"]),
    (_broken, ["postmortems/report.md:4: error [unknown-value]", "[missing-section]", "3 error(s)"]),
], ids=["draft-warning", "broken-report"])
def test_a_strict_properdocs_build_stops_on_the_postmortems_problems(tmp_path, change, expected):
    """Our plugin logs on `mkdocs.plugins.handbook`; ProperDocs must count those warnings for --strict."""
    project = copy_project(tmp_path / "project")
    valid = (FIXTURES / "valid.md").read_text(encoding="utf-8")
    (project / "postmortems" / "report.md").write_text(change(valid), encoding="utf-8")
    result = properdocs(project, "build", "--strict", "-d", str(tmp_path / "site"))
    assert result.code == 1, result.output
    for text in expected:
        assert text in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "site" / "incidents" / "INC-2026-101").exists()

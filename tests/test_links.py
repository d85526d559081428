"""Relative links and images in a report: found at their lines, checked against the repository's
files, rewritten to the site's addresses, and attachments published with the reports that link them."""

from __future__ import annotations

import posixpath
import struct
import zlib
from pathlib import Path
from urllib.parse import unquote

import msgspec
import pytest
from bs4 import BeautifulSoup

from .conftest import copy_project, handbook, mkdocs
from handbook.checks.collection import load_collection
from handbook.reading.links import Layout, find_links


def _png(width: int = 2, height: int = 2) -> bytes:
    """A real PNG file (grey pixels), so the browser and MkDocs see an image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


# -- finding links ---------------------------------------------------------------------------------
def _targets(body: str) -> list[tuple[int, str, bool]]:
    return [(link.line, link.target, link.image) for link in find_links(body, 10)]


def test_links_and_images_are_found_with_their_lines():
    body = ("See ![p99](graph.png \"p99 latency\") and [the last one](../2025/old.md#timeline).\n"
            "[a page](<../../docs/handbook/severity.md>) and [nested ![icon](icon.png)](page.md)\n"
            "[ref]: notes/log.txt \"title\"\n"
            "[parens](a_(b).md)")
    assert _targets(body) == [(10, "graph.png", True), (10, "../2025/old.md#timeline", False),
                              (11, "../../docs/handbook/severity.md", False), (11, "icon.png", True),
                              (11, "page.md", False), (12, "notes/log.txt", False), (13, "a_(b).md", False)]


def test_addresses_anchors_and_code_are_not_links_to_files():
    body = ("[web](https://example.com/x.png) [mail](mailto:a@b.c) [here](#timeline) [host](//cdn/x.png)\n"
            "`[in a span](span.md)` and \\[escaped](not.md) and [unclosed](open.md\n"
            "```\n[fenced](fenced.md)\n```\n"
            "\n    [indented code](indented.md)\n    [still code](indented2.md)\nback to text [yes](yes.md)\n"
            "\n- a list item\n\n    [continued item](item.md)\n")
    assert [target for _, target, _ in _targets(body)] == ["yes.md", "item.md"]


# -- checking them ---------------------------------------------------------------------------------
def _repository(tmp_path: Path, valid_text: str, body_extra: str, *, status: str = "reviewed") -> Path:
    """A repository with the report at postmortems/2026/report.md (its Summary followed by `body_extra`)
    and a few files around it; returns the report's path."""
    (tmp_path / "docs" / "handbook").mkdir(parents=True)
    (tmp_path / "docs" / "handbook" / "severity.md").write_text("# Severity\n", encoding="utf-8")
    folder = tmp_path / "postmortems" / "2026"
    folder.mkdir(parents=True)
    (folder / "graph.png").write_bytes(_png())
    (folder / "diagram.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    (tmp_path / "postmortems" / "README.md").write_text("# Reports\n", encoding="utf-8")
    (tmp_path / "hooks").mkdir()
    (tmp_path / "hooks" / "code.py").write_text("", encoding="utf-8")
    text = valid_text.replace("status: reviewed", f"status: {status}").replace(
        "until the change was rolled back.\n", "until the change was rolled back.\n" + body_extra + "\n")
    path = folder / "report.md"
    path.write_text(text, encoding="utf-8")
    return path


def _problems(tmp_path: Path, taxonomy, path: Path):
    collection = load_collection([path], taxonomy, Layout.of(tmp_path))
    return [p for p in collection.problems if p.rule == "broken-link"]


def _line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if needle in line)


def test_links_that_resolve_pass(tmp_path, taxonomy, valid_text):
    path = _repository(tmp_path, valid_text, "![graph](graph.png) [sev](../../docs/handbook/severity.md#sev1) "
                       "[root](/docs/handbook/severity.md) [me](report.md#summary) [by id](INC-2026-101)")
    assert _problems(tmp_path, taxonomy, path) == []


@pytest.mark.parametrize(("link", "message", "fix"), [
    ("![graph](grahp.png)", "postmortems/2026/grahp.png, which does not exist", "Did you mean `graph.png`?"),
    ("[old](../2025/old.md)", "postmortems/2025/old.md, which does not exist", "relative to the report's folder"),
    ("[folder](../2026/)", "the folder postmortems/2026", "Link to one file in it."),
    ("[up](../../../secret.txt)", "points outside the repository", "full https:// address"),
    ("![d](diagram.svg)", "is a .svg file", "attachments.types"),
    ("[readme](../README.md)", "is a .md file", "attachments.types"),
    ("[code](../../hooks/code.py)", "hooks/code.py, which is in the repository but not published", "Git host"),
    ("[case](Graph.png)", "does not exist", "Did you mean `graph.png`?"),
])
def test_a_link_that_points_nowhere_is_an_error_at_its_line(tmp_path, taxonomy, valid_text, link, message, fix):
    path = _repository(tmp_path, valid_text, f"Before {link} after.")
    problems = _problems(tmp_path, taxonomy, path)
    assert len(problems) == 1, problems
    problem = problems[0]
    assert (problem.line, problem.level.value) == (_line_of(path, link), "error")
    assert message in problem.message and fix in problem.hint, (problem.message, problem.hint)


def test_an_attachment_larger_than_allowed_is_refused(tmp_path, taxonomy, valid_text):
    path = _repository(tmp_path, valid_text, "![graph](graph.png)")
    size = (path.parent / "graph.png").stat().st_size
    at_size = msgspec.structs.replace(taxonomy, attachments=msgspec.structs.replace(taxonomy.attachments,
                                                                                    max_bytes=size))
    assert _problems(tmp_path, at_size, path) == []  # the boundary: exactly the size allowed
    smaller = msgspec.structs.replace(taxonomy, attachments=msgspec.structs.replace(taxonomy.attachments,
                                                                                   max_bytes=size - 1))
    [problem] = _problems(tmp_path, smaller, path)
    assert f"{size:,} bytes" in problem.message and "attachments.max_bytes" in problem.message


def test_a_broken_link_in_a_draft_is_a_warning(tmp_path, taxonomy, valid_text):
    path = _repository(tmp_path, valid_text, "![graph](missing.png)", status="draft")
    [problem] = _problems(tmp_path, taxonomy, path)
    assert problem.level.value == "warning"


def test_validate_names_the_file_line_and_fix(tmp_path, valid_text):
    project = copy_project(tmp_path, examples=False)
    folder = project / "postmortems" / "2026"
    folder.mkdir()
    text = valid_text.replace("until the change was rolled back.\n",
                              "until the change was rolled back.\n\n![the graph](latency.png)\n")
    (folder / "report.md").write_text(text, encoding="utf-8")
    line = _line_of(folder / "report.md", "latency.png")
    result = handbook(project, "validate")
    assert result.code == 1 and f"postmortems/2026/report.md:{line}" in result.output, result.output
    assert "latency.png" in result.output and "does not exist" in result.output
    (folder / "latency.png").write_bytes(_png())
    result = handbook(project, "validate", "--strict")
    assert result.code == 0, result.output


# -- the site --------------------------------------------------------------------------------------
def _resolves(site: Path, page: str, href: str) -> Path:
    """The file in the built site that the link `href` on the page at `page` (an index.html) opens."""
    path = unquote(href.split("#")[0])  # as the browser asks the server for it
    target = site / posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
    return target / "index.html" if path.endswith("/") else target


def test_the_site_publishes_attachments_and_rewrites_links(tmp_path, valid_text):
    """One report links an image next to it, another report by path (with an anchor) and by id, a
    handbook page, and an internal report; it builds strictly, every link opens a file of the site, and
    in the public build the internal report's link keeps its words only and its attachment is absent."""
    project = copy_project(tmp_path, examples=False)
    folder = project / "postmortems" / "2026"
    folder.mkdir()
    (folder / "p99 latency.png").write_bytes(_png(3, 2))
    (folder / "internal-only.png").write_bytes(_png(4, 2))
    (folder / "not-linked.png").write_bytes(_png(5, 2))
    body = ("![p99 latency](<p99 latency.png>)\n\nSee [the earlier outage](earlier.md#timeline), "
            "[the same by id](INC-2026-102), [severity levels](../../docs/handbook/severity.md) "
            "and [the internal review](internal.md).")
    public = valid_text.replace("visibility: internal", "visibility: public").replace(
        "until the change was rolled back.\n", "until the change was rolled back.\n\n" + body + "\n")
    earlier = valid_text.replace("id: INC-2026-101", "id: INC-2026-102").replace(
        "visibility: internal", "visibility: public")
    internal = valid_text.replace("id: INC-2026-101", "id: INC-2026-103").replace(
        "until the change was rolled back.\n", "until the change was rolled back.\n\n![only](internal-only.png)\n")
    for name, text in (("public.md", public), ("earlier.md", earlier), ("internal.md", internal)):
        (folder / name).write_text(text, encoding="utf-8")
    assert handbook(project, "validate", "--strict").code == 0

    result = mkdocs(project, "build", "--strict", "-d", "site")
    assert result.code == 0, result.output
    site = project / "site"
    page = "incidents/INC-2026-101/index.html"
    article = BeautifulSoup((site / page).read_text(encoding="utf-8"), "html.parser").select_one("article")
    image = article.select_one("img[alt='p99 latency']")
    assert image is not None and _resolves(site, page, image["src"]).read_bytes() == _png(3, 2)
    links = {a.get_text(strip=True): a["href"] for a in article.select("a[href]")}
    assert _resolves(site, page, links["the earlier outage"]) == site / "incidents/INC-2026-102/index.html"
    assert links["the earlier outage"].endswith("#timeline")
    assert _resolves(site, page, links["the same by id"]) == site / "incidents/INC-2026-102/index.html"
    assert _resolves(site, page, links["severity levels"]) == site / "handbook/severity/index.html"
    assert _resolves(site, page, links["the internal review"]) == site / "incidents/INC-2026-103/index.html"
    assert (site / "incidents/files/2026/internal-only.png").is_file()
    assert not (site / "incidents/files/2026/not-linked.png").exists()  # no report shows it

    public_build = mkdocs(project, "build", "--strict", "-d", "public", env={"HANDBOOK_AUDIENCE": "public"})
    assert public_build.code == 0, public_build.output
    site = project / "public"
    html = (site / page).read_text(encoding="utf-8")
    article = BeautifulSoup(html, "html.parser").select_one("article")
    assert "the internal review" in article.get_text() and "internal.md" not in html
    assert not [a for a in article.select("a[href]") if a.get_text(strip=True) == "the internal review"]
    assert not (site / "incidents/files/2026/internal-only.png").exists()
    assert (site / "incidents/files/2026/p99 latency.png").is_file()


def test_a_real_incident_fits_the_format_without_inventing_a_fact(tmp_path, valid_text):
    """The issue's test: a report in review with a lead-up, approximate times, a follow-up date, items
    proposed without owner, priority or due date, one long-term item, a time of detection no source
    gives, an attachment and links to another report and a handbook page: `handbook validate --strict`
    and a strict build accept it as written."""
    project = copy_project(tmp_path)  # with the examples: the link goes to one of them
    folder = project / "postmortems" / "2026"
    (folder / "2026-10-05-pool-saturation.png").write_bytes(_png(6, 4))
    text = valid_text.replace("status: reviewed", "status: in-review").replace(
        "detected: 2026-10-05T09:07:00Z", "detected: not stated").replace(
        "    owner: Dev Patel\n    due: 2026-10-15\n    priority: P1\n", "").replace(
        "    owner: Ben Ito\n    due: 2026-11-01\n    priority: P3\n", "    owner: not stated\n    due: long-term\n")
    text = text.replace("## Timeline\n\n", "## Timeline\n\n### Lead-up\n\n"
                        "- 2026-10-01 16:00 — The pool-size change is proposed in a pull request.\n"
                        "- ~17:30 — It is merged; the deploy waits for the morning window.\n\n### The incident\n\n")
    text = text.replace("- 09:25 — The change", "- 09:25 (approx.) — The change").replace(
        "- 11:00 — The incident is resolved after an hour of normal traffic.\n",
        "- 11:00 — The incident is resolved after an hour of normal traffic.\n"
        "- 2026-10-08 — The review meeting agrees the action items.\n")
    text = text.replace("About 7% of checkout attempts failed between 09:00 and 09:40 UTC. No data was lost.\n",
                        "About 7% of checkout attempts failed between 09:00 and 09:40 UTC. No data was lost.\n\n"
                        "![Pool use at 100% from 09:00](2026-10-05-pool-saturation.png)\n\nSee also "
                        "[the acquirer incident](../2025/2025-07-15-acquirer-client-certificate-"
                        "expiry.md). Classed under the [severity levels](../../docs/handbook/severity.md).\n")
    (folder / "2026-10-05-pool-saturation.md").write_text(text, encoding="utf-8")
    check = handbook(project, "validate", "--strict", "postmortems/2026/2026-10-05-pool-saturation.md")
    assert check.code == 0 and "no problems" in check.output, check.output
    build = mkdocs(project, "build", "--strict", "-d", "site")
    assert build.code == 0, build.output
    page = BeautifulSoup((project / "site/incidents/INC-2026-101/index.html").read_text(encoding="utf-8"),
                         "html.parser")
    assert _resolves(project / "site", "incidents/INC-2026-101/index.html",
                     page.select_one("article img[alt^='Pool use']")["src"]).read_bytes() == _png(6, 4)
    assert "Detected not stated (time to detect: not known )" in " ".join(page.select_one(".pm-clock").get_text(" ").split())


def test_footnotes_wrapped_link_text_and_hidden_folders(tmp_path, taxonomy, valid_text):
    """A footnote (`[^1]: ...`) is not a link definition; a link whose text wraps onto its line is still a
    link (checked, and rewritten on the site); a path through a hidden folder is never published."""
    body = ("Text[^1] and [the earlier\noutage](../2025/missing.md).\n\n[^1]: See the dashboard for details.\n\n"
            "![a secret](.hidden/key.txt)")
    path = _repository(tmp_path, valid_text, body)
    (path.parent / ".hidden").mkdir()
    (path.parent / ".hidden" / "key.txt").write_text("not for the site", encoding="utf-8")
    problems = _problems(tmp_path, taxonomy, path)
    assert [(p.line, p.message.split(" points")[0].split(" leads")[0]) for p in problems] == [
        (_line_of(path, "outage]("), "The link `../2025/missing.md`"),
        (_line_of(path, ".hidden/"), "The image `.hidden/key.txt`")], problems
    assert "hidden file or folder" in problems[1].message


def test_a_path_the_file_system_refuses_is_a_located_error_not_a_crash(tmp_path, taxonomy, valid_text):
    path = _repository(tmp_path, valid_text, f"![long]({'x' * 300}.png) and [loop](loop)")
    (path.parent / "loop").symlink_to(path.parent / "loop")
    problems = _problems(tmp_path, taxonomy, path)
    assert [p.line for p in problems] == [_line_of(path, "xxxx")] * 2, problems
    assert all("not a path the site can follow" in p.message for p in problems)

"""Builds that take what the last build kept: no audience reads another's, and the site is the same.

A full build keeps the checked reports (`checks.incremental`, the same for every audience) and the
link-preview cards in the user cache folder, and nothing drawn for an audience. Here builds for two
audiences share one cache folder, in both orders: each
output of each build is searched for everything its audience may not read (the examples' hidden
reports and marked parts, a report with a part of each kind, handbook.yml's words), and each build
is compared byte for byte with a build of the same audience from an empty cache folder. The log
line says what each build did again.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from .conftest import RANK, ROOT, copy_project, mkdocs
from .test_audience import _marked_phrases, _outputs, _reports, _statement_files, publishes_statement
from .test_parts import MARKED, READS, marked_report

SUMMARY_PART = "The summary's internal part names the quartermaster relay."
"""A paragraph of a public report's summary kept for internal readers: the summary is read after the
checks (incidents.json, the feed, the listings, the similar incidents), so it shows a view made wrong."""
REUSE_LINE = re.compile(r"handbook: reports: (\d+) read and checked, (\d+) as the last build checked them$", re.M)


def _leaks(outputs: dict[str, str], audience: str) -> list[str]:
    """Everything `audience` may not read that is in one of `outputs` (site path -> text), as
    tests/test_audience.py looks for it in every build."""
    found: list[str] = []
    for report in _reports():
        if RANK[report["_visibility"]] > RANK[audience]:
            told = publishes_statement(report)  # its external message may name its id (and title) in its own files
            allowed = _statement_files(report["id"]) if told else set()
            named = {report["id"]} | ({report["title"]} if not report.get("external_title") else set())
            for needle in (report["id"], report["title"], report["_phrase"]):
                found += [f"{needle!r} of {report['id']} in {name}" for name, text in outputs.items()
                          if needle in (text.replace(f"statements/{needle}/", "") if told and "sitemap" in name
                                        else text)
                          and not (needle in named and name in allowed)]
        else:
            for level, phrase in _marked_phrases(report["_body"]):
                if RANK[level] > RANK[audience]:
                    found += [f"{phrase!r} ({level}) of {report['id']} in {name}"
                              for name, text in outputs.items() if phrase in text]
    if audience == "public":
        found += [f"the summary's part in {name}" for name, text in outputs.items() if SUMMARY_PART in text]
    for name, phrase in MARKED.items():
        if name not in READS[audience]:
            found += [f"the marked {name} {phrase!r} in {path}" for path, text in outputs.items() if phrase in text]
    words = yaml.safe_load((ROOT / "handbook.yml").read_text(encoding="utf-8"))["visibilities"]["words"]
    for level, listed in words.items():
        if RANK[level] > RANK[audience]:
            for word in listed:
                needle = word.replace("*", "").strip(".").lower()
                found += [f"the {level} word {word!r} in {name}" for name, text in outputs.items()
                          if needle in text.lower()]
    return found


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def _build(project: Path, audience: str, cache: Path, name: str) -> tuple[Path, tuple[int, int]]:
    """A strict build of `project` for `audience` with the user cache folder `cache`: the site and what
    its log line says (reports read and checked, reports kept)."""
    result = mkdocs(project, "build", "--strict", "-d", name,
                    env={"HANDBOOK_AUDIENCE": audience, "XDG_CACHE_HOME": str(cache)})
    assert result.code == 0, result.output
    line = REUSE_LINE.search(result.output)
    assert line is not None, result.output
    return project / name, (int(line[1]), int(line[2]))


@pytest.mark.slow
@pytest.mark.parametrize("first,second", [("internal", "public"), ("public", "internal")])
def test_audiences_sharing_one_cache_read_nothing_of_each_other(tmp_path, valid_text, first, second):
    project = copy_project(tmp_path / "project")
    (project / "postmortems" / "marked.md").write_text(marked_report(valid_text), encoding="utf-8")
    summary = marked_report(valid_text).replace("INC-2026-101", "INC-2026-102").replace(
        "## Summary\n\n", f"## Summary\n\n::: internal\n{SUMMARY_PART}\n:::\n\n", 1)
    (project / "postmortems" / "summary.md").write_text(summary, encoding="utf-8")
    count = len(list((project / "postmortems").rglob("*.md")))
    shared = tmp_path / "shared-cache"
    builds = [(first, *_build(project, first, shared, "site-1")),
              (second, *_build(project, second, shared, "site-2")),
              (second, *_build(project, second, shared, "site-3")),
              (first, *_build(project, first, shared, "site-4"))]
    pages = {audience: sum(1 for page in (site / "incidents").glob("*/index.html")  # the redirects are not pages
                           if 'http-equiv="refresh"' not in page.read_text(encoding="utf-8"))
             for audience, site, _ in builds}
    assert pages[first] != pages[second]  # each reads reports the other does not
    # what each build did again: the checked reports serve every audience; everything else is drawn
    assert [reuse for _, _, reuse in builds] == [(count, 0), (0, count), (0, count), (0, count)]
    cold = {audience: _files(_build(project, audience, tmp_path / f"cold-{audience}", f"cold-{audience}")[0])
            for audience in (first, second)}
    for audience, site, _ in builds:
        leaks = _leaks(_outputs(site), audience)
        assert not leaks, f"{audience} build {site.name}: {leaks[:5]}"
        files = _files(site)
        assert files.keys() == cold[audience].keys(), (site.name, files.keys() ^ cold[audience].keys())
        differ = [name for name in files if files[name] != cold[audience][name]]
        assert not differ, f"{audience} build {site.name} from a warm cache differs from a cold one in {differ}"
    # the public builds hold none of the marked report's parts kept for internal or restricted readers
    public = next(site for audience, site, _ in builds if audience == "public")
    page = (public / "incidents" / "INC-2026-101" / "index.html").read_text(encoding="utf-8")
    assert "left out of the public version" not in page and MARKED["field"] not in page
    internal = next(site for audience, site, _ in builds if audience == "internal")
    assert SUMMARY_PART in (internal / "incidents.json").read_text(encoding="utf-8")

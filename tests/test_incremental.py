"""A full build reads again only the reports whose bytes changed, and gets the same reports as a full read.

`checks.incremental.load_incrementally` against `checks.collection.load_collection` on the example
reports and on broken ones: cold (nothing kept), warm (everything kept) and after edits; the views
each audience reads and the external messages made from kept reports; what the key covers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from handbook.checks.collection import find_reports, load_collection
from handbook.checks.incremental import checked_path, load_incrementally
from handbook.queries.audience import readable_by
from handbook.queries.statements import statement_of
from handbook.reading.links import Layout
from handbook.reading.report_cache import CHECKED_LINES, cache_key, checkout_cache_dir, library_versions
from handbook.reading.taxonomy import load_taxonomy

from .conftest import ROOT
from .test_parts import marked_report

KEPT_AS_READ = ("path", "rel", "data", "body", "body_line", "parsed_body", "timeline", "actions", "factors",
                "problems", "parsed", "enforced", "visibility", "summary", "body_links")
"""Every field of a report a kept one has as a full read gives it (`lines`: only `CHECKED_LINES`)."""
VIEW_FIELDS = (*KEPT_AS_READ, "withheld", "shown_parts")
"""Every field of a view, which a view of a kept report has as the view of a report just read."""


@pytest.fixture
def checkout(tmp_path: Path, valid_text: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example reports, a report with marked parts and a few broken ones in a checkout, with a
    user cache folder of its own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "postmortems", root / "postmortems")
    broken = root / "postmortems" / "broken"
    broken.mkdir()
    (broken / "draft.md").write_text(valid_text.replace("INC-2026-101", "INC-2026-901")
                                     .replace("status: reviewed", "status: draft"), encoding="utf-8")
    (broken / "duplicate.md").write_text(valid_text, encoding="utf-8")  # the same id as the valid fixture
    (broken / "valid.md").write_text(valid_text, encoding="utf-8")
    (broken / "marked.md").write_text(marked_report(valid_text).replace("INC-2026-101", "INC-2026-904"),
                                      encoding="utf-8")
    (broken / "unrelated.md").write_text(valid_text.replace("INC-2026-101", "INC-2026-902")
                                         .replace("related: []", "related: [INC-1999-001]"), encoding="utf-8")
    (broken / "no-front-matter.md").write_text("# Just a title\n\nNo front matter.\n", encoding="utf-8")
    (broken / "bad-yaml.md").write_text("---\ntitle: [unclosed\n---\n\n## Summary\n", encoding="utf-8")
    (broken / "empty.md").write_text("", encoding="utf-8")
    (broken / "not-utf8.md").write_bytes(b"---\ntitle: caf\xe9\n---\n")
    (broken / "broken-link.md").write_text(valid_text.replace("INC-2026-101", "INC-2026-903")
                                           .replace("## Summary\n", "## Summary\n\nSee [the graph](missing.png).\n",
                                                    1), encoding="utf-8")
    return root


def _files(root: Path) -> list[Path]:
    return find_reports([root / "postmortems"])


def _load_counted(root: Path, taxonomy):
    """The collection and how many reports were read and checked again."""
    return load_incrementally(_files(root), taxonomy, Layout.of(root), checkout_cache_dir(root))


def _load(root: Path, taxonomy):
    return _load_counted(root, taxonomy)[0]


def _slim(lines: dict) -> dict:
    return {p: n for p, n in lines.items() if not p or p[0] in CHECKED_LINES}


def _same(incremental, full) -> None:
    assert [r.rel for r in incremental.reports] == [r.rel for r in full.reports]
    for kept, read in zip(incremental.reports, full.reports):
        for name in KEPT_AS_READ:
            assert getattr(kept, name) == getattr(read, name), (read.rel, name)
        assert _slim(kept.lines) == _slim(read.lines)
        assert (kept.id, kept.key, kept.title, kept.started, kept.date, kept.services, kept.open_actions) == \
            (read.id, read.key, read.title, read.started, read.date, read.services, read.open_actions)
    assert incremental.problems == full.problems
    assert incremental.referenced_by == full.referenced_by and full.referenced_by  # the examples relate


def test_cold_and_warm_loads_give_what_a_full_read_gives(checkout: Path, taxonomy):
    full = load_collection(_files(checkout), taxonomy, Layout.of(checkout))
    assert {p.rule for p in full.problems} >= {"duplicate-id", "unknown-related", "no-front-matter", "yaml-syntax",
                                               "empty-file", "encoding", "broken-link"}
    cold, checked = _load_counted(checkout, taxonomy)
    _same(cold, full)
    assert checked == len(full.reports)
    stored = checked_path(checkout_cache_dir(checkout))
    assert stored.is_file() and not stored.is_relative_to(checkout)
    written = stored.stat().st_mtime_ns
    warm, checked = _load_counted(checkout, taxonomy)
    _same(warm, full)
    assert checked == 0  # nothing changed: nothing read and checked again
    assert all(r.lines == _slim(r.lines) for r in warm.reports)  # kept: the lines the checks between reports use
    assert stored.stat().st_mtime_ns == written  # nothing changed: nothing written


@pytest.mark.parametrize("audience", ["public", "internal", "restricted"])
def test_views_and_external_messages_of_kept_reports_are_those_of_reports_just_read(checkout: Path, taxonomy,
                                                                                      audience):
    """Every audience's view of a kept report is the view of the report read again (parts kept for a
    narrower audience are gone from its body, summary, links and timeline alike), and so are the
    external messages; making them changes nothing that is kept."""
    full = load_collection(_files(checkout), taxonomy, Layout.of(checkout))
    _load(checkout, taxonomy)
    stored = checked_path(checkout_cache_dir(checkout))
    before = stored.read_bytes()
    warm = _load(checkout, taxonomy)
    fresh_views = readable_by(full.reports, taxonomy, audience)
    kept_views = readable_by(warm.reports, taxonomy, audience)
    assert [v.rel for v in kept_views] == [v.rel for v in fresh_views]
    read = {r.rel: r for r in full.reports}
    assert any(v is not read[v.rel] for v in fresh_views)  # reports with marked parts: views of their own
    for kept, fresh in zip(kept_views, fresh_views):
        for name in VIEW_FIELDS:
            assert getattr(kept, name) == getattr(fresh, name), (fresh.rel, name, audience)
    told = [statement_of(r, taxonomy) for r in full.reports]
    assert any(told) and [statement_of(r, taxonomy) for r in warm.reports] == told
    for view in kept_views:  # what the site does to the reports once their pages are drawn
        view.release_content()
        view.problems.append(full.problems[0])
    assert stored.read_bytes() == before
    _same(_load(checkout, taxonomy), full)


def test_a_kept_report_is_used_only_while_its_bytes_are_the_same(checkout: Path, taxonomy):
    _load(checkout, taxonomy)
    edited = checkout / "postmortems" / "broken" / "valid.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1), encoding="utf-8")
    (checkout / "postmortems" / "broken" / "empty.md").unlink()
    again, checked = _load_counted(checkout, taxonomy)
    assert checked == 1
    _same(again, load_collection(_files(checkout), taxonomy, Layout.of(checkout)))
    assert next(r for r in again.reports if r.rel == "postmortems/broken/valid.md").title.startswith("Edited ")
    document = json.loads(checked_path(checkout_cache_dir(checkout)).read_text(encoding="ascii"))
    assert "postmortems/broken/empty.md" not in document["entries"]  # only the files of the last build
    assert sorted(document["entries"]) == sorted(r.rel for r in again.reports)


def test_a_file_that_cannot_be_read_is_never_kept(checkout: Path, taxonomy, tmp_path: Path):
    outside = tmp_path / "outside.md"
    outside.write_text((checkout / "postmortems" / "broken" / "valid.md").read_text(encoding="utf-8"), encoding="utf-8")
    os.symlink(outside, checkout / "postmortems" / "broken" / "link.md")
    first = _load(checkout, taxonomy)
    second, checked = _load_counted(checkout, taxonomy)
    rel = "postmortems/broken/link.md"
    document = json.loads(checked_path(checkout_cache_dir(checkout)).read_text(encoding="ascii"))
    assert rel not in document["entries"] and checked == 1
    for collection in (first, second):
        assert [p.rule for p in collection.problems if p.file == rel] == ["not-a-file"]


def test_a_cache_of_another_taxonomy_or_a_damaged_one_is_not_used(checkout: Path, taxonomy):
    import msgspec

    full = load_collection(_files(checkout), taxonomy, Layout.of(checkout))
    _load(checkout, taxonomy)
    stored = checked_path(checkout_cache_dir(checkout))
    document = json.loads(stored.read_text(encoding="ascii"))
    entry = document["entries"]["postmortems/broken/valid.md"]
    entry["report"]["data"]["title"] = "Tampered"
    stored.write_text(json.dumps(document), encoding="ascii")
    other = load_taxonomy(ROOT / "handbook.yml")
    other = msgspec.structs.replace(other, themes=msgspec.structs.replace(other.themes, years=other.themes.years + 1))
    _same(load_incrementally(_files(checkout), other, Layout.of(checkout), checkout_cache_dir(checkout))[0], full)
    stored.write_text("{not json", encoding="ascii")
    _same(_load(checkout, taxonomy), full)


def test_a_damaged_entry_under_the_right_key_is_checked_again(checkout: Path, taxonomy):
    """Each entry is rebuilt on its own: one that is not a report, one of other bytes and one of another
    file are each read and checked again, and the others are still taken."""
    full = load_collection(_files(checkout), taxonomy, Layout.of(checkout))
    _load(checkout, taxonomy)
    stored = checked_path(checkout_cache_dir(checkout))
    document = json.loads(stored.read_text(encoding="ascii"))
    entries = document["entries"]
    entries["postmortems/broken/duplicate.md"]["report"] = {"not": "a report"}
    entries["postmortems/broken/valid.md"]["digest"] = "0" * 64
    entries["postmortems/broken/marked.md"]["report"]["path"] = str(checkout / "postmortems" / "broken" / "valid.md")
    stored.write_text(json.dumps(document), encoding="ascii")
    again, checked = _load_counted(checkout, taxonomy)
    _same(again, full)
    assert checked == 3
    assert _load_counted(checkout, taxonomy)[1] == 0  # written again whole


def test_a_report_our_code_failed_on_is_never_kept(checkout: Path, taxonomy, monkeypatch: pytest.MonkeyPatch):
    """A failure of the checks on one report (here injected once, as memory running out would) is that
    report's internal-error in the build it happens in, and the next build checks the report again."""
    from handbook.checks.rules import ReportChecker

    target = "postmortems/broken/valid.md"
    check = ReportChecker.check

    def failing_once(self, source, sink):
        if source.rel == target:
            raise MemoryError("injected")
        return check(self, source, sink)

    monkeypatch.setattr(ReportChecker, "check", failing_once)
    first = _load(checkout, taxonomy)
    assert [p.rule for p in first.problems if p.file == target] == ["internal-error"]
    document = json.loads(checked_path(checkout_cache_dir(checkout)).read_text(encoding="ascii"))
    assert target not in document["entries"] and len(document["entries"]) > 1
    monkeypatch.setattr(ReportChecker, "check", check)
    second, checked = _load_counted(checkout, taxonomy)
    assert checked == 1
    _same(second, load_collection(_files(checkout), taxonomy, Layout.of(checkout)))


def test_a_change_of_handbook_yml_checks_every_report_again(checkout: Path, taxonomy, tmp_path: Path):
    """handbook.yml's words for narrower readers are read by the checks of each report: a word added
    there is found in a report kept from before."""
    _load(checkout, taxonomy)
    assert _load_counted(checkout, taxonomy)[1] == 0
    config = tmp_path / "handbook.yml"
    text = (ROOT / "handbook.yml").read_text(encoding="utf-8")
    assert "\n  words:\n    internal:\n" in text
    config.write_text(text.replace("\n  words:\n    internal:\n", "\n  words:\n    internal:\n      - canary stage\n", 1),
                      encoding="utf-8")
    changed = load_taxonomy(config)
    again, checked = _load_counted(checkout, changed)
    assert checked == len(again.reports)
    _same(again, load_collection(_files(checkout), changed, Layout.of(checkout)))
    assert any(p.rule == "internal-word" and "canary stage" in p.message for p in again.problems)
    assert _load_counted(checkout, changed)[1] == 0


_COUNT = """
import sys
from pathlib import Path
from handbook.checks.collection import find_reports
from handbook.checks.incremental import load_incrementally
from handbook.reading.links import Layout
from handbook.reading.report_cache import checkout_cache_dir
from handbook.reading.taxonomy import load_taxonomy
import handbook
root = Path(sys.argv[1])
assert Path(handbook.__file__).is_relative_to(Path(sys.argv[2])), handbook.__file__
collection, checked = load_incrementally(find_reports([root / "postmortems"]), load_taxonomy(Path(sys.argv[3])),
                                         Layout.of(root), checkout_cache_dir(root))
print(checked, len(collection.reports))
"""


def test_a_change_of_the_package_source_checks_every_report_again(checkout: Path, tmp_path: Path):
    """The key covers the source of every module of the package: a build by other code reads again."""
    hooks = tmp_path / "hooks"
    shutil.copytree(ROOT / "hooks", hooks, ignore=shutil.ignore_patterns("__pycache__"))

    def count() -> tuple[int, int]:
        env = {**os.environ, "PYTHONPATH": str(hooks), "XDG_CACHE_HOME": os.environ["XDG_CACHE_HOME"]}
        done = subprocess.run([sys.executable, "-c", _COUNT, str(checkout), str(hooks), str(ROOT / "handbook.yml")],
                              env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        checked, total = map(int, done.stdout.split())
        return checked, total

    first = count()
    assert first[0] == first[1] and count() == (0, first[1])
    rules = hooks / "handbook" / "checks" / "rules.py"
    rules.write_text(rules.read_text(encoding="utf-8") + "\n# a change of code\n", encoding="utf-8")
    assert count() == first
    assert count() == (0, first[1])


def test_the_key_covers_the_libraries_the_checks_read_with(checkout: Path, taxonomy, monkeypatch):
    import importlib.metadata

    import yaml

    from handbook.reading import report_cache

    versions = library_versions()
    for name in ("fastjsonschema", "jsonschema"):
        assert f"{name} {importlib.metadata.version(name)}" in versions
    assert f"PyYAML {yaml.__version__}" in versions and sys.version.split()[0] in versions
    key = cache_key(taxonomy, checkout)
    monkeypatch.setattr(report_cache, "library_versions", lambda: versions.replace("PyYAML ", "PyYAML 0"))
    assert cache_key(taxonomy, checkout) != key

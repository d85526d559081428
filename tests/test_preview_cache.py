"""The store of checked reports is data, kept outside the checkout, and is never trusted blindly.

It used to be a pickle under `.cache/handbook/` in the repository, which a pull request could
commit so that `handbook preview` ran its code. These tests plant such files and tamper with the
real store, then read reports through the same function the preview build uses (a full build uses
the same store: tests/test_incremental.py).
"""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import shutil
from pathlib import Path

import msgspec
import pytest

from handbook.reading.links import Layout
from handbook.checks.preview import load_for_preview
from handbook.reading.model import Report
from handbook.reading.report_cache import CHECKED_FILE, REPORT_FIELDS, cache_key, checkout_cache_dir
from handbook.reading.settings import Settings

from .conftest import ROOT, TODAY


class Planted:
    """Unpickling this runs code: it creates the file named by `marker`."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def checkout(tmp_path: Path, valid_text: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout with three reports, and a user cache folder of its own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    root = tmp_path / "repo"
    folder = root / "postmortems"
    folder.mkdir(parents=True)
    for number in (1, 2, 3):
        (folder / f"report-{number}.md").write_text(
            valid_text.replace("INC-2026-001", f"INC-2026-00{number}"), encoding="utf-8")
    return root


def _load(root: Path, taxonomy, target: str = "report-1.md"):
    files = sorted((root / "postmortems").glob("*.md"))
    return load_for_preview(files, taxonomy, Layout.of(root), root / "postmortems" / target, checkout_cache_dir(root))


def _summary(collection) -> list[tuple]:
    return [(r.rel, r.id, r.title, len(r.actions), len(r.factors), r.visibility) for r in collection.reports] + \
        [(p.file, p.line, p.rule) for p in collection.problems]


def test_the_cache_lives_outside_the_checkout_as_json(checkout: Path, tmp_path: Path, taxonomy):
    settings = Settings(root=checkout, config=ROOT / "handbook.yml", postmortems=checkout / "postmortems",
                        audience="internal", today=__import__("datetime").date.fromisoformat(TODAY),
                        site_url="", repo_url="")
    assert settings.cache_dir == checkout_cache_dir(checkout)
    assert settings.cache_dir.is_relative_to(tmp_path / "user-cache")
    assert not settings.cache_dir.is_relative_to(checkout)
    first = _load(checkout, taxonomy)
    stored = settings.cache_dir / CHECKED_FILE
    document = json.loads(stored.read_text(encoding="ascii"))
    assert sorted(document["entries"]) == [f"postmortems/report-{n}.md" for n in (1, 2, 3)]
    again = _load(checkout, taxonomy)
    assert _summary(again) == _summary(first)
    assert len(first.reports) == 3 and not (checkout / ".cache").exists()


def test_a_planted_pickle_is_never_read(checkout: Path, tmp_path: Path, taxonomy):
    marker = tmp_path / "code-ran"
    payload = pickle.dumps(("key", Planted(str(marker))))
    for folder in (checkout / ".cache" / "handbook", checkout_cache_dir(checkout)):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "reports.pickle").write_bytes(payload)
    # even a pickle under the JSON file's own name is only ever parsed as JSON
    (checkout_cache_dir(checkout) / CHECKED_FILE).write_bytes(payload)
    collection = _load(checkout, taxonomy)
    assert not marker.exists()
    assert len(collection.reports) == 3


@pytest.mark.parametrize("tamper", [
    "truncated", "not-json", "a-list", "other-key", "digest-of-a-number", "report-not-a-dict",
    "negative-index", "index-past-the-items", "problem-level-unknown", "deep-nesting",
])
def test_a_tampered_cache_is_ignored_and_the_reports_read_again(checkout: Path, taxonomy, tamper: str):
    fresh = _summary(_load(checkout, taxonomy))
    stored = checkout_cache_dir(checkout) / CHECKED_FILE
    document = json.loads(stored.read_text(encoding="ascii"))
    entry = document["entries"]["postmortems/report-2.md"]
    text = None
    if tamper == "truncated":
        text = stored.read_text(encoding="ascii")[:200]
    elif tamper == "not-json":
        text = "\x00\x01 not json"
    elif tamper == "a-list":
        document = [document]
    elif tamper == "other-key":
        document["key"] = "0" * 64
    elif tamper == "digest-of-a-number":
        entry["digest"] = 12
    elif tamper == "report-not-a-dict":
        entry["report"] = "report"
    elif tamper == "negative-index":
        entry["report"]["actions"][0]["index"] = -1
    elif tamper == "index-past-the-items":
        entry["report"]["actions"][0]["index"] = 10_000
    elif tamper == "problem-level-unknown":
        entry["problems"] = [{"file": "x", "line": 1, "rule": "r", "level": "fatal", "message": "", "hint": ""}]
    elif tamper == "deep-nesting":
        text = "[" * 100_000 + "]" * 100_000
    stored.write_text(text if text is not None else json.dumps(document), encoding="ascii")
    assert _summary(_load(checkout, taxonomy)) == fresh
    # and the next read writes a good cache again
    assert json.loads(stored.read_text(encoding="ascii"))["key"] == cache_key(taxonomy, checkout)


def test_a_cached_report_is_used_only_for_its_own_unchanged_file(checkout: Path, taxonomy, valid_text: str):
    _load(checkout, taxonomy)
    changed = checkout / "postmortems" / "report-2.md"
    changed.write_text(valid_text.replace("INC-2026-001", "INC-2026-002").replace(
        "title: Checkout requests timed out", "title: Changed since the cache was written"), encoding="utf-8")
    os.utime(changed, ns=(1, 1))  # an old time: the bytes decide, not the time
    titles = {r.rel: r.title for r in _load(checkout, taxonomy).reports}
    assert titles["postmortems/report-2.md"].startswith("Changed since the cache was written")


def test_the_key_covers_the_taxonomy_and_the_checkout(checkout: Path, taxonomy, tmp_path: Path):
    other = tmp_path / "other-checkout"
    shutil.copytree(checkout, other)
    assert cache_key(taxonomy, checkout) != cache_key(taxonomy, other)
    assert checkout_cache_dir(checkout) != checkout_cache_dir(other)
    rules = msgspec.structs.replace(taxonomy.rules, min_verification_words=taxonomy.rules.min_verification_words + 1)
    changed = msgspec.structs.replace(taxonomy, rules=rules)
    assert cache_key(changed, checkout) != cache_key(taxonomy, checkout)


def test_every_field_of_a_report_is_stored_or_rebuilt():
    assert {f.name for f in dataclasses.fields(Report)} == REPORT_FIELDS


def test_the_report_being_written_is_checked_afresh_and_the_others_come_from_the_store(checkout: Path, taxonomy,
                                                                                      monkeypatch):
    """A preview reads every report but the one being written from what the last build checked."""
    from handbook.checks import incremental

    _load(checkout, taxonomy)
    checked: list[str] = []
    original = incremental.check_read

    def counting(checker, tax, path, rel, raw, sink):
        checked.append(rel)
        return original(checker, tax, path, rel, raw, sink)

    monkeypatch.setattr(incremental, "check_read", counting)
    again = _load(checkout, taxonomy, target="report-2.md")
    assert checked == ["postmortems/report-2.md"] and len(again.reports) == 3

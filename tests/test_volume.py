"""Generated reports at volume, seeded so a failure reproduces: nothing raises, nothing is lost.

The same generator and checks as `make fuzz` (see fuzz/), at a size the suite can afford:
2,000 generated reports through the validator, about 500 more through everything a build
computes (pages, indexes, feed, JSON, Slack), and 50 generated sets through real MkDocs builds;
and the other kinds of input a set may carry (hostile external messages, Slack exports, tracker
state files, GitHub API answers), a few dozen of each, through their own checks.
Set HANDBOOK_FUZZ_SEED to run other inputs; a failure names its seed and set.
"""

from __future__ import annotations

import json
import os
import sys

import pytest
from bs4 import BeautifulSoup

from fuzz.check import check_kinds, check_set, line_count
from fuzz.generate import report_set
from handbook.reading.links import Layout
from handbook import load_collection
from handbook.checks.rules import RULES

from .conftest import ROOT, copy_project, run

SEED = int(os.environ.get("HANDBOOK_FUZZ_SEED", "20261123"))


def test_a_thousand_generated_reports_through_the_validator(tmp_path, taxonomy):
    checked = index = 0
    while checked < 1_000:  # `make fuzz` runs 100,000; the suite keeps to its 10-minute budget
        generated = report_set(SEED, index)
        folder = tmp_path / f"set-{index}"
        paths = generated.write(folder)
        collection = load_collection(paths, taxonomy, Layout.of(folder))  # raising here fails the test
        where = f"seed {SEED}, set {index}"
        assert len(collection.reports) == len(paths), where  # never a dropped report
        lines = {p.name: line_count(p.read_bytes().decode("utf-8", "replace")) for p in paths}
        for problem in collection.problems:
            assert problem.rule in RULES and problem.rule != "internal-error", (where, problem)
            assert 1 <= problem.line <= lines[problem.file], (where, problem)
        for report, made in zip(collection.reports, generated.reports):
            items = report.data.get("action_items") if report.parsed else None
            if isinstance(items, list):
                assert len(report.actions) == len(items), where  # never a dropped action item
            if made.valid:
                assert report.parsed and report.id == made.front["id"], where
        checked += len(paths)
        index += 1


def test_generated_sets_through_everything_a_build_computes(tmp_path, taxonomy):
    checked = index = 0
    while checked < 500:
        generated = report_set(SEED + 1, index)
        failures = check_set(generated, tmp_path / "work", taxonomy)
        assert not failures, f"seed {SEED + 1}, set {index}: " + "\n".join(failures)
        checked += len(generated.reports)
        index += 1


def test_generated_messages_exports_and_tracker_answers_hold_their_properties(tmp_path, taxonomy):
    """About 60 Slack exports, 35 state files, 35 GitHub cases and 6 hostile external messages (a few
    seconds): read or refused with the file named, never an exception; no token printed; nothing unsafe
    published."""
    seen = {"statement": 0, "export": 0, "tracker": 0, "github": 0}
    failures: dict[int, list[str]] = {}
    for index in range(120):
        generated = report_set(SEED + 3, index)
        if generated.statement and seen["statement"] < 6:
            found = check_set(generated, tmp_path / "work", taxonomy)  # the message is published by the plan
            seen["statement"] += 1
        else:
            found = check_kinds(generated, tmp_path / "work")
        seen["export"] += generated.export is not None
        seen["tracker"] += generated.tracker is not None
        seen["github"] += generated.github is not None
        if found:
            failures[index] = found
    assert not failures, "\n".join(f"seed {SEED + 3}, set {index}: " + "\n".join(found)
                                   for index, found in failures.items())
    assert min(seen.values()) >= 5, seen  # every kind was exercised, not skipped


BUILD_ALL = """
import sys
from mkdocs.commands.build import build
from mkdocs.config import load_config
for project in sys.argv[1:]:
    config = load_config(project + "/mkdocs.yml", site_dir=project + "/site")
    config.plugins.on_startup(command="serve", dirty=False)  # reports with errors still get a page
    build(config)
"""


def test_generated_sets_through_real_builds_lose_nothing(tmp_path):
    projects, sets = [], []
    for index in range(30):
        generated = report_set(SEED + 2, index)
        project = copy_project(tmp_path / f"build-{index}", examples=False)
        generated.write(project / "postmortems")
        projects.append(project)
        sets.append(generated)
    result = run([sys.executable, "-c", BUILD_ALL, *map(str, projects)], tmp_path, timeout=600)
    assert result.code == 0, result.output
    assert "Traceback" not in result.output and "internal-error" not in result.output
    reports_in = items_in = 0
    for index, (project, generated) in enumerate(zip(projects, sets)):
        where = f"seed {SEED + 2}, set {index}"
        site = project / "site"
        published = {r["id"]: r for r in json.loads((site / "incidents.json").read_text(encoding="utf-8"))["incidents"]}
        valid = [made for made in generated.reports if made.valid]
        ids = [made.front["id"] for made in valid]
        for made in valid:
            if ids.count(made.front["id"]) > 1:
                continue
            report_id = made.front["id"]
            assert report_id in published, where
            page = BeautifulSoup((site / "incidents" / report_id / "index.html").read_text(encoding="utf-8"),
                                 "html.parser")
            rows = page.select("#action-items ~ ol.pm-actions li.pm-action")
            assert [r.select_one(".pm-action__id").get_text() for r in rows] == \
                [a["id"] for a in made.front["action_items"]], where
            reports_in += 1
            items_in += len(rows)
    assert reports_in >= 10 and items_in >= 20  # the property was exercised, not skipped


@pytest.mark.parametrize("index", [0, 1, 2])
def test_a_set_is_the_same_on_every_run(index):
    """Another process, with another hash seed, generates the same sets (reports, external message, export,
    state file, GitHub answers): a failure reproduces from its seed and index on any machine."""
    import hashlib
    import subprocess

    def digest(sets) -> str:
        return hashlib.sha256(repr(list(sets)).encode("utf-8", "surrogatepass")).hexdigest()

    first = index * 5  # five sets each: every kind of input comes up in the fifteen
    code = ("import hashlib, sys; from fuzz.generate import report_set; "
            f"s = [report_set({SEED}, n) for n in range({first}, {first + 5})]; "
            "print(hashlib.sha256(repr(s).encode('utf-8', 'surrogatepass')).hexdigest())")
    other = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": str(1000 + index)})
    assert other.stdout.strip() == digest(report_set(SEED, n) for n in range(first, first + 5))

"""Property-based tests: generated front matter and bodies never crash the validator, every
problem is located, and a build of valid input keeps every report and every action item."""

from __future__ import annotations

import json
import re
import shutil
import string

import yaml
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fuzz.check import line_count
from handbook.reading.links import Layout
from handbook import load_collection

from .conftest import FIXTURES, copy_project, mkdocs

VALID = (FIXTURES / "valid.md").read_text(encoding="utf-8")
KEYS = ["id", "title", "severity", "status", "visibility", "owner", "authors", "roles", "services", "tags",
        "started", "detected", "mitigated", "resolved", "impact", "links", "related", "contributing_factors",
        "action_items", "unknown_key"]
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False), TEXT,
                    st.sampled_from(["SEV1", "reviewed", "2026-02-30", "2026-10-05T09:00:00Z", "P1", "AI-1",
                                     "https://example.com", "javascript:alert(1)", "TODO", "..."]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.sampled_from(KEYS + ["id", "due", "layer"]),
                                                                       inner, max_size=4)), max_leaves=12)
FRONT = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=len(KEYS))
BODY_LINES = st.lists(st.one_of(TEXT, st.sampled_from(["## Summary", "## Timeline", "## Action items", "```",
                                                       "- 09:00 — start", "- 2026-10-05 25:99 x", "| a | b |",
                                                       "|---|---|", "### What went well", "<script>x</script>"])),
                      max_size=25)


def _check(tmp_path, taxonomy, text: str):
    path = tmp_path / "generated.md"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return load_collection([path], taxonomy, Layout.of(tmp_path)), text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(front=FRONT, body=BODY_LINES)
def test_generated_reports_never_crash_and_every_problem_is_located(tmp_path, taxonomy, front, body):
    text = "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + "\n".join(body) + "\n"
    collection, text = _check(tmp_path, taxonomy, text)
    assert len(collection.reports) == 1
    lines = line_count(text)
    for problem in collection.problems:
        assert problem.file == "generated.md"
        assert 1 <= problem.line <= lines, problem
        assert problem.rule and problem.message and problem.hint
    items = front.get("action_items")
    if isinstance(items, list) and collection.reports[0].parsed:
        assert len(collection.reports[0].actions) == len(items)  # never a dropped action item


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.text(max_size=400))
def test_arbitrary_text_never_crashes(tmp_path, taxonomy, raw):
    collection, text = _check(tmp_path, taxonomy, raw if raw.startswith("---") else "---\n" + raw)
    assert len(collection.reports) == 1
    assert all(1 <= p.line <= line_count(text) for p in collection.problems)


# -- valid input: count in = count out ----------------------------------------------------------

FORBIDDEN = re.compile(r"todo|tbd|fixme|xxx|\.\.\.|…|error|careless|negligence|should have known|pay attention"
                       r"|careful|harder|vigilant|remind|monitor|test|alert|document", re.I)
NAME = st.text(alphabet=string.ascii_letters + string.digits + " <>|*_`[]()&'\"#!:;,-éß漢", min_size=1,
               max_size=30).map(str.strip).filter(lambda s: s and not FORBIDDEN.search(s))


@st.composite
def valid_report(draw, number: int):
    title = draw(NAME)
    services = draw(st.lists(NAME, min_size=1, max_size=3, unique=True))
    statuses = draw(st.lists(st.sampled_from(["open", "in-progress", "done", "wont-do"]), min_size=1, max_size=5))
    items = []
    for index, status in enumerate(statuses, 1):
        items.append({"id": f"AI-{index}", "description": f"Add a canary gate {draw(NAME)}", "owner": draw(NAME),
                      "due": f"2026-10-{draw(st.integers(6, 15)):02d}", "priority": "P1", "category": "prevent",
                      "verification": "A canary run stops the rollout when errors rise.", "status": status})
    front = yaml.safe_load(VALID.split("---\n")[1])
    front.update({"id": f"INC-2026-{number:03d}", "title": title, "services": services, "action_items": items,
                  "status": "reviewed"})
    body = VALID.split("---\n", 2)[2]
    return "---\n" + json.dumps(front, ensure_ascii=False, indent=1, default=str) + "\n---\n" + body, front


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.data())
def test_a_valid_build_keeps_every_report_and_action_item(tmp_path_factory, data):
    count = data.draw(st.integers(1, 4))
    reports = [data.draw(valid_report(n)) for n in range(1, count + 1)]
    ids = [front["id"] for _, front in reports]
    assume(len(set(ids)) == len(ids))
    project = copy_project(tmp_path_factory.mktemp("prop"), examples=False)
    for text, front in reports:
        (project / "postmortems" / f"{front['id']}.md").write_text(text, encoding="utf-8")
    result = mkdocs(project, "build", "--strict", "-d", "site")
    assert result.code == 0, result.output
    site = project / "site"
    index = BeautifulSoup((site / "incidents" / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert len(index.select(".pm-filterable tbody tr")) == count
    open_total = 0
    for _, front in reports:
        page = BeautifulSoup((site / "incidents" / front["id"] / "index.html").read_text(encoding="utf-8"),
                             "html.parser")
        assert front["title"] in page.select_one("h1").get_text()
        rows = page.select("#action-items ~ ol.pm-actions > li.pm-action")
        assert [r.select_one(".pm-action__id").get_text() for r in rows] == [a["id"] for a in front["action_items"]]
        # a name is shown with its runs of white space as one space, as HTML would show it anyway
        assert [" ".join(r.select_one(".pm-action__owner").get_text().split()) for r in rows] == \
            [" ".join(a["owner"].split()) for a in front["action_items"]]
        open_total += sum(a["status"] in ("open", "in-progress") for a in front["action_items"])
    actions = BeautifulSoup((site / "actions" / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert sum(len(actions.select(f"#{group} + table tbody tr")) for group in ("overdue", "soon", "later", "undated")) \
        == open_total  # each open item in exactly one due group
    document = json.loads((site / "incidents.json").read_text(encoding="utf-8"))
    assert sorted(r["id"] for r in document["incidents"]) == sorted(ids)
    assert sum(len(r["open_action_items"]) for r in document["incidents"]) == open_total
    shutil.rmtree(project)

"""Similar incidents: the scores at their boundaries, ties, declared related reports, the reasons shown,
and an audience build that never names a report it may not read."""

from __future__ import annotations

import json

import re
from pathlib import Path

import msgspec
from bs4 import BeautifulSoup

from handbook import Report, load_collection
from handbook.queries.similarity import similar_reports
from handbook.reading.links import Layout
from handbook.reading.taxonomy import Similarity, SimilarityWeights
from handbook.rendering.report_page import similar_reason

from .conftest import copy_project, mkdocs

SERVICES_ONLY = SimilarityWeights(text=0, services=1, layers=0, tags=0)


def variant(text: str, report_id: str, *, services: str = "[checkout-api, payments-gateway]",
            tags: str = "[database]", related: str = "[]", visibility: str = "internal",
            title: str | None = None, summary: str | None = None) -> str:
    """The valid report with another id and the given front matter values (and summary)."""
    for key, value in (("id", report_id), ("services", services), ("tags", tags), ("related", related),
                       ("visibility", visibility), ("title", title)):
        if value is not None:
            text = re.sub(rf"(?m)^{key}: .*$", f"{key}: {value}", text, count=1)
    if summary is not None:
        head, _, rest = text.partition("## Summary\n\n")
        text = head + "## Summary\n\n" + summary + "\n\n## Impact" + rest.partition("\n\n## Impact")[2]
    return text


def load(tmp_path: Path, taxonomy, texts: dict[str, str]) -> list[Report]:
    folder = tmp_path / "postmortems"
    folder.mkdir(exist_ok=True)
    for name, text in texts.items():
        (folder / f"{name}.md").write_text(text, encoding="utf-8")
    collection = load_collection(sorted(folder.glob("*.md")), taxonomy, Layout.of(tmp_path))
    return collection.reports


def listed(found: dict, reports: list[Report], report_id: str) -> list[str]:
    report = next(r for r in reports if r.id == report_id)
    return [m.report.id for m in found.get(report.rel, [])]


def settings(**changes) -> Similarity:
    return msgspec.structs.replace(Similarity(), **changes)


def test_a_pair_at_the_threshold_is_listed_and_just_below_it_is_not(tmp_path, taxonomy, valid_text):
    """Services only: {a, b} and {a} share half of what either names (0.5); {a, b} and {a, c, d} a
    quarter. At min_score 0.5 the first pair is listed (the threshold is inclusive), the second not;
    a hair above 0.5 neither is."""
    reports = load(tmp_path, taxonomy, {
        "a": variant(valid_text, "INC-2026-101", services="[svc-a, svc-b]"),
        "b": variant(valid_text, "INC-2026-102", services="[svc-a]"),
        "c": variant(valid_text, "INC-2026-103", services="[svc-a, svc-c, svc-d]"),
    })
    at = similar_reports(reports, settings(weights=SERVICES_ONLY, min_score=0.5, top=5))
    assert listed(at, reports, "INC-2026-101") == ["INC-2026-102"]
    assert [m.score for m in at[reports[0].rel]] == [0.5]
    above = similar_reports(reports, settings(weights=SERVICES_ONLY, min_score=0.500001, top=5))
    assert listed(above, reports, "INC-2026-101") == []
    lower = similar_reports(reports, settings(weights=SERVICES_ONLY, min_score=0.25, top=5))
    assert listed(lower, reports, "INC-2026-101") == ["INC-2026-102", "INC-2026-103"]


def test_equal_scores_are_ordered_by_id_and_top_cuts_after_the_order(tmp_path, taxonomy, valid_text):
    reports = load(tmp_path, taxonomy, {  # file names in the opposite order of the ids
        "1": variant(valid_text, "INC-2026-109"),
        "2": variant(valid_text, "INC-2026-105"),
        "3": variant(valid_text, "INC-2026-101"),
        "4": variant(valid_text, "INC-2026-107"),
    })
    found = similar_reports(reports, settings(top=5))
    assert listed(found, reports, "INC-2026-109") == ["INC-2026-101", "INC-2026-105", "INC-2026-107"]
    assert len({m.score for m in found[reports[0].rel]}) == 1
    assert listed(similar_reports(reports, settings(top=1)), reports, "INC-2026-109") == ["INC-2026-101"]
    assert similar_reports(reports, settings(top=0)) == {}


def test_a_declared_related_report_is_never_listed_as_similar_either_way(tmp_path, taxonomy, valid_text):
    folder = tmp_path / "postmortems"
    folder.mkdir()
    for name, text in {"a": variant(valid_text, "INC-2026-101", related="[INC-2026-102]"),
                       "b": variant(valid_text, "INC-2026-102"), "c": variant(valid_text, "INC-2026-103")}.items():
        (folder / f"{name}.md").write_text(text, encoding="utf-8")
    collection = load_collection(sorted(folder.glob("*.md")), taxonomy, Layout.of(tmp_path))
    reports = collection.reports
    assert collection.referenced_by == {"INC-2026-102": ("INC-2026-101",)}
    found = similar_reports(reports, settings(top=5), referenced_by=collection.referenced_by)
    assert listed(found, reports, "INC-2026-101") == ["INC-2026-103"]
    assert listed(found, reports, "INC-2026-102") == ["INC-2026-103"]  # it is listed by 101: related both ways
    assert listed(found, reports, "INC-2026-103") == ["INC-2026-101", "INC-2026-102"]


def test_the_reasons_name_the_services_layers_tags_and_words_in_common(tmp_path, taxonomy, valid_text):
    reports = load(tmp_path, taxonomy, {
        "a": variant(valid_text, "INC-2026-101", services="[checkout-api, ledger]", tags="[database, capacity]"),
        "b": variant(valid_text, "INC-2026-102", services="[search, checkout-api]", tags="[Database]",
                     summary="The connection pool of the search cluster ran dry during a canary, and queries "
                             "failed for an hour."),
    })
    match = similar_reports(reports, settings(top=5))[reports[0].rel][0]
    assert match.services == ("checkout-api",) and match.tags == ("database",)
    assert match.layers == ("technical-trigger", "detection-gap", "rollout-control-gap")
    reason = similar_reason(match, taxonomy)
    assert reason.startswith("shares checkout-api; both have technical trigger, detection gap and rollout or "
                             "control gap factors; both tagged database; words: ")
    assert "connection pool" in reason.split("words: ")[1]
    assert "checkout-api" not in reason.split("words: ")[1]  # the service is named once, as a service


def _similar_section(site: Path, report_id: str) -> str:
    soup = BeautifulSoup((site / "incidents" / report_id / "index.html").read_text(encoding="utf-8"), "html.parser")
    heading = soup.find(id="similar-incidents")
    return heading.find_next("ul").get_text(" ", strip=True) if heading else ""


def test_a_public_build_never_names_a_similar_report_it_may_not_read(tmp_path, valid_text):
    project = copy_project(tmp_path, examples=False)
    secret_title = "Checkout requests timed out after a hidden pool change"
    texts = {
        "public": variant(valid_text, "INC-2026-101", visibility="public"),
        "internal": variant(valid_text, "INC-2026-102", visibility="internal", title=secret_title),
        "other": variant(valid_text, "INC-2026-103", visibility="public",
                         title="Checkout requests timed out after another pool change"),
    }
    for name, text in texts.items():
        (project / "postmortems" / f"{name}.md").write_text(text, encoding="utf-8")
    internal = mkdocs(project, "build", "--strict", "-d", "internal", env={"HANDBOOK_AUDIENCE": "internal"})
    assert internal.code == 0, internal.output
    assert "INC-2026-102" in _similar_section(project / "internal", "INC-2026-101")  # similar when readable
    public = mkdocs(project, "build", "--strict", "-d", "public", env={"HANDBOOK_AUDIENCE": "public"})
    assert public.code == 0, public.output
    assert "INC-2026-103" in _similar_section(project / "public", "INC-2026-101")
    # The section stays out of the search index: a search for the other report's title finds its own page
    # only, and no report has an empty "Similar incidents" entry (its heading is out too).
    index = json.loads((project / "public" / "search" / "search_index.json").read_text(encoding="utf-8"))
    holding = {d["location"] for d in index["docs"] if "another pool change" in d["title"] + d["text"]}
    assert holding and all(place.startswith("incidents/INC-2026-103/") for place in holding), holding
    assert not [d["location"] for d in index["docs"] if "similar" in (d["location"] + d["title"]).lower()]
    # ...and it is still on the page, in its table of contents, with no attribute left for the browser
    page = BeautifulSoup((project / "public" / "incidents" / "INC-2026-101" / "index.html").read_text(encoding="utf-8"),
                         "html.parser")
    assert page.select_one('nav.md-nav--secondary a[href="#similar-incidents"]') is not None
    assert page.select("h2#similar-incidents + p.pm-similar__lead + ul.pm-similar > li")
    assert "data-search" not in str(page.select_one("article")) and "<!--pm-" not in str(page)
    for page in (project / "public").rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "INC-2026-102" not in html and secret_title not in html, page


def test_the_heading_is_kept_out_of_search_without_attr_list_in_mkdocs_yml(tmp_path, valid_text):
    """The plugin adds the attribute-list extension its headings need when mkdocs.yml does not list it."""
    project = copy_project(tmp_path, examples=False)
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "  - attr_list\n" in text
    config.write_text(text.replace("  - attr_list\n", "", 1), encoding="utf-8")
    for rid in ("INC-2026-101", "INC-2026-102"):
        (project / "postmortems" / f"{rid}.md").write_text(variant(valid_text, rid), encoding="utf-8")
    result = mkdocs(project, "build", "--strict", "-d", "site")
    assert result.code == 0, result.output
    heading = BeautifulSoup((project / "site" / "incidents" / "INC-2026-101" / "index.html").read_text(encoding="utf-8"),
                            "html.parser").find(id="similar-incidents")
    assert heading is not None and heading.get_text(strip=True).rstrip("¶") == "Similar incidents"
    index = json.loads((project / "site" / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert not [d for d in index["docs"] if "similar" in d["location"]]

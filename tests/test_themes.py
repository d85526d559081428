"""The themes page: built from the example reports, with the repeats worked out here from their front
matter; the repeat window at its edge; repeated action items."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

import yaml
from bs4 import BeautifulSoup

from handbook.queries.themes import repeated_actions, repeats

from .conftest import ROOT, copy_project, counted_examples, mkdocs
from .test_similar import load, variant


def _window() -> int:
    return yaml.safe_load((ROOT / "handbook.yml").read_text(encoding="utf-8"))["themes"]["repeat_window_days"]


def repeats_by_service(reports: list[dict], window: int) -> dict[str, set[tuple[str, str, int]]]:
    """Service -> (later id, earlier id, days apart): for each service and layer, each incident and the one
    before it (by the instant it started) when they started at most `window` days apart (by their own dates)."""
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in reports:
        services = r.get("services") or []
        layers = {f["layer"] for f in r.get("contributing_factors") or []}
        for key in {(s, layer) for s in services for layer in layers}:
            groups[key].append(r)
    found: dict[str, set[tuple[str, str, int]]] = defaultdict(set)
    for (service, _), group in groups.items():
        group.sort(key=lambda r: (dt.datetime.fromisoformat(r["started"]), r["id"]))
        for earlier, later in zip(group, group[1:]):
            days = (dt.date.fromisoformat(later["started"][:10]) - dt.date.fromisoformat(earlier["started"][:10])).days
            if days <= window:
                found[service].add((later["id"], earlier["id"], days))
    return found


def expected_repeats(reports: list[dict], window: int) -> set[tuple[str, str, int]]:
    """Every repeat of `reports`, whatever its service (see `repeats_by_service`)."""
    return {pair for pairs in repeats_by_service(reports, window).values() for pair in pairs}


def _json_repeats(site: Path) -> list[tuple[str, str, int]]:
    document = json.loads((site / "themes" / "repeats.json").read_text(encoding="utf-8"))
    assert document["count"] == len(document["repeats"])
    return [(r["incident"]["id"], r["repeats"]["id"], r["days_apart"]) for r in document["repeats"]]


def _listed(site: Path) -> list[tuple[str, str, int]]:
    table = _article(site).find(id="repeats").find_next("table").find_next("table")  # after the one per service
    shown = []
    for row in table.select("tbody tr"):
        later, earlier, days = (row.select_one(f'td[data-label="{label}"]') for label in ("Incident", "Repeats",
                                                                                         "Days apart"))
        shown.append((later.a.get_text(strip=True), earlier.a.get_text(strip=True), int(days.get_text(strip=True))))
    return shown


def _article(site: Path) -> BeautifulSoup:
    soup = BeautifulSoup((site / "themes" / "index.html").read_text(encoding="utf-8"), "html.parser")
    return soup.select_one("article")


def test_the_themes_page_lists_the_repeats_of_the_examples(example_site):
    expected = expected_repeats(counted_examples(), _window())
    assert expected, "the examples should hold a repeat"
    shown = _listed(example_site)
    assert set(shown) == expected and len(shown) == len(expected)
    assert _json_repeats(example_site) == shown  # every one, in the page's order
    # All listed (handbook.yml lists up to 50): the page says nothing of a longer list.
    assert "repeats.json" not in _article(example_site).find(id="repeats").find_next("p").get_text()
    by_service = repeats_by_service(counted_examples(), _window())
    table = _article(example_site).find(id="repeats").find_next("table")  # per service, before the list
    counted = [(row.select_one('td[data-label="Service"]').get_text(strip=True),
                int(row.select_one('td[data-label="Repeats"]').get_text(strip=True))) for row in table.select("tbody tr")]
    assert counted == sorted(((s, len(pairs)) for s, pairs in by_service.items() if pairs),
                             key=lambda sc: (-sc[1], sc[0].casefold(), sc[0]))


def test_the_page_lists_the_latest_repeats_up_to_the_setting_and_the_json_holds_every_one(tmp_path, example_site):
    everyone = _json_repeats(example_site)
    assert len(everyone) >= 2, "the examples should hold two repeats"
    project = copy_project(tmp_path)
    config = project / "handbook.yml"
    text = config.read_text(encoding="utf-8")
    assert "  repeats_listed: 50" in text
    config.write_text(text.replace("  repeats_listed: 50", f"  repeats_listed: {len(everyone) - 1}"), encoding="utf-8")
    built = mkdocs(project, "build", "--strict", "-d", "site", env={"HANDBOOK_TODAY": "2026-11-20"})
    assert built.code == 0, built.output
    site = project / "site"
    assert _listed(site) == everyone[:-1]  # one fewer than there are: the latest, the earliest left off the page
    assert _json_repeats(site) == everyone
    lead = _article(site).find(id="repeats").find_next("p")
    assert f"These are the {len(everyone) - 1} latest of {len(everyone)} repeats" in lead.get_text(" ", strip=True)
    assert lead.find("a", string="repeats.json")["href"] == "repeats.json"


def test_the_themes_page_counts_our_own_incidents_in_responsive_tables(example_site):
    article = _article(example_site)
    own = counted_examples()
    assert f"from {len(own)} incidents of our own" in article.get_text(" ", strip=True)
    tables = article.select("table")
    assert len(tables) >= 4 and all(t.has_attr("data-pm-cards") for t in tables)
    assert len(article.select("figure.pm-chart")) == 2
    services = {row.select_one('td[data-label="Service"]').get_text(strip=True): int(
        row.select_one('td[data-label="All years"]').get_text(strip=True))
        for row in article.find(id="services").find_next("table").select("tbody tr")}
    expected: dict[str, int] = defaultdict(int)
    for r in own:
        for s in set(r.get("services") or []):
            expected[s] += 1
    assert services == expected  # the case study's services are not counted
    home = BeautifulSoup((example_site / "metrics" / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert "../themes/" in {a["href"] for a in home.select("nav.md-nav--primary a[href]")}


def _at(text: str, day: str) -> str:
    return text.replace("2026-10-05", day)


def test_a_repeat_just_inside_the_window_counts_and_just_outside_does_not(tmp_path, taxonomy, valid_text):
    window = taxonomy.themes.repeat_window_days
    first = dt.date(2026, 1, 5)
    inside, outside = first + dt.timedelta(days=window), first + dt.timedelta(days=window + 1)
    reports = load(tmp_path, taxonomy, {
        "a": _at(variant(valid_text, "INC-2026-101", services="[checkout-api]"), first.isoformat()),
        "b": _at(variant(valid_text, "INC-2026-102", services="[checkout-api]"), inside.isoformat()),
    })
    found = repeats(reports, window)
    assert [(r.later.id, r.earlier.id, r.days) for r in found] == [("INC-2026-102", "INC-2026-101", window)]
    assert found[0].services == ("checkout-api",)
    assert found[0].layers == ("technical-trigger", "detection-gap", "rollout-control-gap")
    (tmp_path / "postmortems" / "b.md").write_text(
        _at(variant(valid_text, "INC-2026-102", services="[checkout-api]"), outside.isoformat()), encoding="utf-8")
    reports = load(tmp_path, taxonomy, {})
    assert repeats(reports, window) == []


def test_action_items_repeated_across_reports_are_grouped(tmp_path, taxonomy, valid_text):
    other = variant(valid_text, "INC-2026-102").replace(
        "Alert when the connection pool stays above 90% use for five minutes.",
        "Publish the on-call rota for the payments team in the wiki.")
    reports = load(tmp_path, taxonomy, {"a": variant(valid_text, "INC-2026-101"), "b": other})
    groups = repeated_actions(reports, taxonomy.themes.action_min_overlap, taxonomy.similarity.max_postings)
    assert [[(r.id, item.id) for r, item in g.items] for g in groups] == [[("INC-2026-102", "AI-1"),
                                                                           ("INC-2026-101", "AI-1")]]
    one_report = load(tmp_path / "one", taxonomy, {"a": variant(valid_text, "INC-2026-101")}) \
        if (tmp_path / "one").mkdir() is None else []
    assert repeated_actions(one_report, 0.1, 100) == []  # items of one report never repeat each other

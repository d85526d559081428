"""The published example site: report pages and generated indexes, checked in the built HTML.

Expected values are computed here straight from the example files' YAML (not through the
handbook package), so the test does not grade our code with our code.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from .conftest import ROOT, TODAY, copy_project, counted_examples, handbook, is_counted, mkdocs, visible_examples

OPEN = {"open", "in-progress"}


def _soup(site: Path, page: str) -> BeautifulSoup:
    return BeautifulSoup((site / page).read_text(encoding="utf-8"), "html.parser")


def _article(site: Path, page: str):
    return _soup(site, page).select_one("article")


def test_every_published_report_has_its_page(example_site):
    visible = visible_examples()
    assert len(visible) >= 6
    for report in visible:
        page = example_site / "incidents" / report["id"] / "index.html"
        assert page.exists(), report["id"]
        article = _article(example_site, f"incidents/{report['id']}/index.html")
        assert report["id"] in article.h1.get_text()
        assert report["title"] in article.h1.get_text()


def test_incidents_table_has_one_row_per_report_newest_first(example_site):
    article = _article(example_site, "incidents/index.html")
    rows = article.select(".pm-filterable table tbody tr")
    visible = counted_examples()  # a case study or a drill is on the library page instead
    assert len(rows) == len(visible)
    ids = [row.select("td")[1].get_text(strip=True) for row in rows]
    expected = [r["id"] for r in sorted(visible, key=lambda r: r["started"], reverse=True)]
    assert ids == expected
    links = {a["href"] for a in article.select(".pm-filterable a")}
    assert links == {f"{r['id']}/" for r in visible}


def _open_items(reports: list[dict]) -> list[tuple[str, str, dt.date]]:
    return [(r["id"], a["id"], dt.date.fromisoformat(a["due"]))
            for r in reports for a in r.get("action_items", []) if a["status"] in OPEN]


def test_open_action_items_page_lists_exactly_the_open_items_by_due_group(example_site):
    today = dt.date.fromisoformat(TODAY)
    items = _open_items(counted_examples())
    assert any(due < today for _, _, due in items), "the examples need overdue items"
    article = _article(example_site, "actions/index.html")
    sections = {}
    for h2 in article.find_all("h2"):
        table = h2.find_next_sibling()
        rows = table.select("tbody tr") if table and table.name == "table" else []
        sections[h2.get_text(strip=True).rstrip("¶").strip()] = {
            (row.select("td")[1].get_text(strip=True), row.select("td")[2].get_text(strip=True)) for row in rows}
    horizon = today + dt.timedelta(days=14)
    assert sections["Overdue"] == {(r, a) for r, a, due in items if due < today}
    assert sections["Due in the next 14 days"] == {(r, a) for r, a, due in items if today <= due <= horizon}
    assert sections["Later"] == {(r, a) for r, a, due in items if due > horizon}
    by_owner_rows = article.select("h3 ~ table tbody tr")
    assert len(by_owner_rows) == len(items)
    overdue_badges = article.select("h2 + table .pm-overdue")
    assert len(overdue_badges) == len(sections["Overdue"])


def test_each_service_page_holds_the_reports_of_that_service(example_site):
    visible = counted_examples()
    services = {s for r in visible for s in r["services"]}
    for service in services:
        slug = re.sub(r"[^a-z0-9]+", "-", service.lower()).strip("-")
        article = _article(example_site, f"services/{slug}/index.html")
        ids = {row.select("td")[1].get_text(strip=True) for row in article.select("table")[0].select("tbody tr")}
        assert ids == {r["id"] for r in visible if service in r["services"]}, service


def test_severity_and_year_pages(example_site):
    visible = counted_examples()
    for severity in {r["severity"] for r in visible}:
        article = _article(example_site, f"severities/{severity.lower()}/index.html")
        ids = {row.select("td")[1].get_text(strip=True) for row in article.select("tbody tr")}
        assert ids == {r["id"] for r in visible if r["severity"] == severity}
    for year in {r["started"][:4] for r in visible}:
        article = _article(example_site, f"archive/{year}/index.html")
        ids = {row.select("td")[1].get_text(strip=True) for row in article.select("tbody tr")}
        assert ids == {r["id"] for r in visible if r["started"].startswith(year)}


def test_report_page_card_actions_related_and_edit_link(example_site):
    visible = {r["id"]: r for r in visible_examples()}
    linked = next(r for r in visible.values() if r.get("related"))
    target = linked["related"][0]
    soup = _soup(example_site, f"incidents/{linked['id']}/index.html")
    card = soup.select_one(".pm-card").get_text(" ", strip=True)
    for label in ("Severity", "Status", "Services", "Owner", "Incident commander", "Started", "Detected",
                  "Mitigated", "Resolved", "Time to detect", "Time to mitigate", "Time to resolve",
                  "Customer impact", "Visibility"):
        assert label.lower() in card.lower(), label
    assert linked["severity"] in card and linked["owner"] in card
    # related both ways
    assert soup.select_one(f'a[href="../{target}/"]') is not None
    back = _soup(example_site, f"incidents/{target}/index.html")
    assert back.select_one(f'a[href="../{linked["id"]}/"]') is not None
    # the edit button opens the file under postmortems/
    edit = soup.select_one("a.md-content__button[href*='edit']")
    rel = linked["_path"].relative_to(ROOT).as_posix()
    assert edit["href"].endswith("/edit/main/" + rel)
    # the action items come from the front matter, each with its verification in view
    ids = [span.get_text(strip=True) for span in soup.select("#action-items ~ ol.pm-actions .pm-action__id")]
    assert ids == [a["id"] for a in linked["action_items"]]


def test_overdue_items_are_marked_on_report_pages(example_site):
    today = dt.date.fromisoformat(TODAY)
    for report in visible_examples():
        soup = _soup(example_site, f"incidents/{report['id']}/index.html")
        marked = {li.select_one(".pm-action__id").get_text(strip=True) for li in soup.select("li.pm-action")
                  if li.select_one(".pm-overdue")}
        expected = {a["id"] for a in report.get("action_items", [])
                    if a["status"] in OPEN and "due" in a and dt.date.fromisoformat(a["due"]) < today}
        assert marked == expected, report["id"]


def test_drafts_are_marked_and_incident_logs_are_not_jinja(example_site):
    drafts = [r for r in visible_examples() if r["status"] == "draft"]
    assert drafts
    for report in drafts:
        assert "This report is a draft" in _article(example_site, f"incidents/{report['id']}/index.html").get_text()
    braces = [r for r in visible_examples() if "{{" in r["_body"]]
    assert braces, "an example keeps a literal {{ ... }} in its log"
    for report in braces:
        text = _article(example_site, f"incidents/{report['id']}/index.html").get_text()
        literal = re.search(r"\{\{[^}]*\}\}", report["_body"]).group(0)
        assert literal in text


def test_review_queue_lists_late_unreviewed_reports(example_site):
    listed = {row.select_one("td").get_text(strip=True) for row in _meetings(example_site)}
    expected = _expected_queue(counted_examples(), {"SEV1": 1, "SEV2": 3, "SEV3": 5, "SEV4": None})
    assert listed == expected


def _meetings(site: Path) -> list:
    """The rows of the review queue's table of review meetings (the effectiveness reviews follow it)."""
    return [row for table in _article(site, "review/index.html").select("table")
            if table.find_previous("h2").get("id") == "review-meetings" for row in table.select("tbody tr")]


def _business_days_after(day: dt.date, n: int) -> dt.date:
    while n:
        day += dt.timedelta(days=1)
        n -= day.weekday() < 5
    return day


def _expected_queue(reports: list[dict], deadlines: dict[str, int | None]) -> set[str]:
    today = dt.date.fromisoformat(TODAY)
    warn_until = _business_days_after(today, 1)
    queue = set()
    for r in reports:
        days = deadlines[r["severity"]]
        if r["status"] not in ("draft", "in-review") or days is None:
            continue
        resolved = dt.datetime.fromisoformat(r["resolved"].replace("Z", "+00:00")).date()
        if _business_days_after(resolved, days) <= warn_until:
            queue.add(r["id"])
    return queue


def test_review_deadline_change_reaches_queue_and_handbook(tmp_path):
    project = copy_project(tmp_path)
    config = project / "handbook.yml"
    text = config.read_text(encoding="utf-8")
    # SEV3 and SEV4 get a 0-day deadline: every unreviewed SEV3/SEV4 report is late.
    text = text.replace("review_deadline_business_days: 5", "review_deadline_business_days: 0")
    text = text.replace("review_deadline_business_days: null", "review_deadline_business_days: 0")
    config.write_text(text, encoding="utf-8")
    result = mkdocs(project, "build", "--strict", "-d", "site")
    assert result.code == 0, result.output
    site = project / "site"
    listed = {row.select_one("td").get_text(strip=True) for row in _meetings(site)}
    expected = _expected_queue(counted_examples(), {"SEV1": 1, "SEV2": 3, "SEV3": 0, "SEV4": 0})
    assert listed == expected
    assert any(r["severity"] in ("SEV3", "SEV4") for r in counted_examples() if r["id"] in expected)
    table = _article(site, "handbook/severity/index.html").select_one("table")
    rows = {tr.select("td")[0].get_text(strip=True): tr.get_text(" ", strip=True) for tr in table.select("tbody tr")}
    assert "within 0 business days" in rows["SEV3"] and "within 0 business days" in rows["SEV4"]
    assert "within 1 business day " in rows["SEV1"] + " "


def test_metrics_are_static_svg(example_site):
    html = (example_site / "metrics" / "index.html").read_text(encoding="utf-8")
    article = BeautifulSoup(html, "html.parser").select_one("article")
    figures = article.select("figure.pm-chart")
    assert len(figures) == 4
    for figure in figures:
        svgs = figure.select("svg")  # the chart for a column, then for a phone
        assert [svg["class"] for svg in svgs] == [["handbook-chart", f"handbook-chart--{name}"]
                                                  for name in ("wide", "narrow")]
        assert [svg.parent["class"] for svg in svgs] == [["pm-chart__wide"], ["pm-chart__narrow"]]
        assert [svg.parent.get("tabindex") for svg in svgs] == [None, "0"]  # the one that may scroll
        for svg in svgs:
            assert svg.get("role") == "img" and svg.find("title") is not None
            assert svg.find("script") is None and not svg.select("[href]")
            assert svg.find("title").get_text() == figure.figcaption.get_text()
    text = article.get_text(" ", strip=True)
    assert f"from {len(counted_examples())} reports" in text


def _metrics_figures(site: Path) -> dict[str, BeautifulSoup]:
    article = _article(site, "metrics/index.html")
    return {next(figure.find_previous("h2").stripped_strings): figure for figure in article.select("figure.pm-chart")}


def test_metrics_captions_give_n(example_site):
    visible = counted_examples()
    today = dt.date.fromisoformat(TODAY)
    first_month = (today.year * 12 + today.month - 1) - 23  # the 24 months up to today's
    in_window = [r for r in visible
                 if (int(r["started"][:4]) * 12 + int(r["started"][5:7]) - 1) >= first_month]
    factors = [f for r in visible for f in r.get("contributing_factors", [])]
    with_factors = [r for r in visible if r.get("contributing_factors")]
    captions = {h2: figure.figcaption.get_text(" ", strip=True) for h2, figure in _metrics_figures(example_site).items()}
    assert captions["Incidents per month"] == (
        f"Incidents per month by severity, last 24 months (n = {len(in_window)} incidents)")
    assert captions["Contributing-factor layers"] == (
        f"Contributing factors by layer (n = {len(factors)} factors in {len(with_factors)} reports)")


def test_metrics_layer_bars_and_table_are_largest_first(example_site):
    names = {layer["id"]: layer["name"]
             for layer in yaml.safe_load((ROOT / "handbook.yml").read_text(encoding="utf-8"))["contributing_factor_layers"]}
    counts = {name: 0 for name in names.values()}
    for report in counted_examples():
        for factor in report.get("contributing_factors", []):
            counts[names[factor["layer"]]] += 1
    expected = sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold()))
    figure = _metrics_figures(example_site)["Contributing-factor layers"]
    bars = [rect.title.get_text().rsplit(": ", 1) for rect in figure.select("svg.handbook-chart--wide rect")]
    assert [(name, int(n)) for name, n in bars] == [item for item in expected if item[1]]
    table = figure.find_next("table")
    rows = [[td.get_text(strip=True) for td in tr.select("td")] for tr in table.select("tbody tr")]
    assert [(name, int(n)) for name, n in rows] == expected


def test_metrics_severity_bars_use_the_severity_scale(example_site):
    figure = _metrics_figures(example_site)["Incidents per month"]
    severities = [s["id"] for s in yaml.safe_load((ROOT / "handbook.yml").read_text(encoding="utf-8"))["severities"]]
    rects = figure.select("svg rect")
    assert rects
    for rect in rects:
        severity = rect.title.get_text().split(" — ")[1].split(":")[0]
        rank = severities.index(severity) + 1
        assert rect["style"].startswith(f"fill:var(--pm-sev-{rank},")


def test_search_index_finds_reports_by_id_title_and_service(example_site):
    index = json.loads((example_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    docs = [d for d in index["docs"] if d["location"].startswith("incidents/INC-")]
    for report in visible_examples():
        mine = [d for d in docs if d["location"].startswith(f"incidents/{report['id']}/")]
        assert mine, report["id"]
        blob = " ".join(d["title"] + " " + d["text"] for d in mine)
        assert report["id"] in blob and report["services"][0] in blob


def test_reports_are_not_in_the_navigation_but_two_clicks_from_home(example_site):
    home = _soup(example_site, "index.html")
    nav = home.select_one("nav.md-nav--primary")
    assert not nav.select('a[href*="INC-"]')
    tabs = [a.get_text(strip=True) for a in home.select(".md-tabs__link")]
    for tab in ("Handbook", "Incidents", "Action items", "Metrics"):
        assert tab in tabs
    hrefs = {a["href"] for a in home.select("article a[href]")}
    assert {"incidents/", "actions/", "metrics/"} <= hrefs
    incidents = _soup(example_site, "incidents/index.html")
    library = _soup(example_site, "library/index.html")  # in the Incidents tab, beside the incident list
    assert "../library/" in {a["href"] for a in incidents.select("nav.md-nav--primary a[href]")}
    assert not all(is_counted(r) for r in visible_examples()), "the examples need a case study"
    for report in visible_examples():
        listing, href = (incidents, f"{report['id']}/") if is_counted(report) else \
            (library, f"../incidents/{report['id']}/")
        assert listing.select_one(f'article a[href="{href}"]'), report["id"]


@pytest.mark.parametrize("page", ["handbook/severity/index.html", "handbook/action-items/index.html",
                                  "handbook/writing-a-postmortem/index.html"])
def test_handbook_tables_come_from_the_taxonomy(example_site, page):
    text = _article(example_site, page).get_text(" ", strip=True)
    assert "{{" not in text and "{%" not in text
    taxonomy = yaml.safe_load((ROOT / "handbook.yml").read_text(encoding="utf-8"))
    if "severity" in page:
        for sev in taxonomy["severities"]:
            assert sev["id"] in text and sev["name"] in text
    if "action-items" in page:
        for prio in taxonomy["priorities"]:
            assert prio["id"] in text
        for cat in taxonomy["action_categories"]:
            assert cat["name"] in text


# -- one fence scanner: the validator, the sanitiser and the page agree on what is code ---------------

@pytest.mark.parametrize("lines, flags", [
    (["```", "~~~", "## in code", "```", "## out"], [True, True, True, True, False]),
    (["~~~~", "```", "~~~", "~~~~", "out"], [True, True, True, True, False]),     # a shorter fence does not close
    (["```a`b", "## out"], [False, False]),                                       # not a fence: a backtick in its info
    (["    ```", "## out"], [False, False]),                                     # four spaces: indented code, not a fence
    (["   ```", "x", "```  ", "out"], [True, True, True, False]),                # three spaces open; trailing blanks close
    (["```", "``` x", "```"], [True, True, True]),                                # a closing fence has nothing after it
    (["```", "never closed"], [True, True]),
])
def test_code_flags_follow_commonmark_at_each_edge(lines, flags):
    from handbook.reading.sections import code_flags
    assert code_flags(lines) == flags


def test_a_tilde_line_inside_a_backtick_block_neither_hides_nor_doubles_a_section(tmp_path, valid_text):
    text = valid_text.replace("## Contributing factors\n",
                              "```text\n~~~\n## Not a heading\n```\n\n## Contributing factors\n", 1)
    project = copy_project(tmp_path, examples=False)
    (project / "postmortems" / "fenced.md").write_text(text, encoding="utf-8")
    result = mkdocs(project, "build", "--strict", "-d", "site")
    assert result.code == 0, result.output
    page = BeautifulSoup((project / "site" / "incidents" / "INC-2026-101" / "index.html").read_text(encoding="utf-8"),
                         "html.parser")
    headings = [h.get_text(strip=True).rstrip("¶") for h in page.select("article h2")]
    assert headings.count("Contributing factors") == 1, headings
    assert "Not a heading" not in headings
    assert len(page.select("#contributing-factors ~ table")) >= 1


# -- every link the site holds leads somewhere, with or without directory URLs ----------------------

def _broken_links(site: Path) -> list[str]:
    """Every relative link of every page whose target is not in the site."""
    from urllib.parse import unquote, urlsplit

    broken = []
    for page in site.rglob("*.html"):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for anchor in soup.select("a[href]"):
            href = anchor["href"]
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path:
                continue  # another site, mailto:, or a fragment of this page
            base = site if parts.path.startswith("/") else page.parent  # 404.html links from the root
            target = (base / unquote(parts.path).lstrip("/")).resolve()
            if not (target.is_file() or (target / "index.html").is_file()):
                broken.append(f"{page.relative_to(site)} -> {href}")
    return broken


def test_every_link_resolves_with_directory_urls(example_site):
    assert _broken_links(example_site) == []


def test_every_link_resolves_without_directory_urls(tmp_path):
    project = copy_project(tmp_path)
    config = (project / "mkdocs.yml").read_text(encoding="utf-8")
    (project / "mkdocs.yml").write_text(config + "\nuse_directory_urls: false\n", encoding="utf-8")
    result = mkdocs(project, "build", "--strict", "-d", "site")
    assert result.code == 0, result.output
    site = project / "site"
    assert (site / "incidents" / "INC-2026-004.html").is_file()
    assert _broken_links(site) == []
    # the permanent address used in Slack, feeds and incidents.json still leads to the report
    redirect = (site / "incidents" / "INC-2026-004" / "index.html").read_text(encoding="utf-8")
    assert "../INC-2026-004.html" in redirect
    # and unfurls as the report does, with its card
    tags = ("og:title", "og:description", "og:image", "twitter:card", "twitter:image", "twitter:data1")
    heads = [{m.get("property") or m.get("name"): m["content"] for m in BeautifulSoup(html, "html.parser").select(
             "meta[content]") if (m.get("property") or m.get("name")) in tags} for html in
             (redirect, (site / "incidents" / "INC-2026-004.html").read_text(encoding="utf-8"))]
    assert heads[0] == heads[1] and len(heads[0]) == len(tags)
    assert heads[0]["og:image"].endswith("/assets/cards/INC-2026-004.png")
    assert (site / "assets" / "cards" / "INC-2026-004.png").is_file()


def test_report_header_shows_what_is_not_known_and_what_is_overdue(tmp_path, valid_text):
    project = copy_project(tmp_path, examples=False)
    # a draft may leave out a fact it does not have yet (a warning, so not --strict)
    text = valid_text.replace('  users_affected: "7% of checkout attempts"\n', "").replace("status: reviewed", "status: draft")
    assert text.count("users_affected") == 0 and "status: draft" in text
    (project / "postmortems" / "report.md").write_text(text, encoding="utf-8")
    result = mkdocs(project, "build", "-d", "site")
    assert result.code == 0, result.output
    soup = BeautifulSoup((project / "site" / "incidents" / "INC-2026-101" / "index.html").read_text(), "html.parser")
    header = soup.select_one("section.pm-card")
    numbers = {d.dt.get_text(strip=True): d.dd.get_text(" ", strip=True) for d in header.select(".pm-numbers > div")}
    assert numbers == {"Customer impact": "40 min", "Time to resolve": "1 h 53 min", "Users affected": "not known"}
    # AI-2 is open and was due on 2026-11-01; the build's today is 2026-11-20
    assert header.select_one(".pm-overdue-line").get_text(" ", strip=True) == \
        "overdue 1 action item overdue (oldest 19 days)"
    assert header.select_one("a.pm-sev")["href"] == "../../severities/sev2/"
    assert [a.get_text(strip=True) for a in header.select("a.pm-chip")] == ["checkout-api", "payments-gateway"]
    # the title is written once, above the header, and the summary follows the header
    assert len(soup.select("article h1")) == 1
    assert header.find_next("h2").get_text(strip=True).startswith("Summary")


def test_a_channel_name_at_the_start_of_a_line_is_text_not_a_heading(example_site):
    article = _article(example_site, "index.html")
    assert len(article.select("h1")) == 1
    assert "#inc-bridge and declared in" in " ".join(article.get_text(" ").split())


def test_searching_a_service_name_offers_its_page_without_repeating_the_reports(example_site):
    index = json.loads((example_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    services = {s for r in counted_examples() for s in r["services"]}  # the service pages list our own
    pages = {d["location"]: d for d in index["docs"] if d["location"].startswith("services/")}
    for service in services:
        assert any(d["title"] == f"Service: {service}" for d in pages.values()), service
    titles = [r["title"] for r in visible_examples()]
    for entry in pages.values():  # the tables of incidents and items are left to the reports' own entries
        assert not any(title in entry["text"] for title in titles), entry["location"]
    # the other listings stay out of the index: their rows are the reports
    assert not {"incidents/", "actions/", "review/"} & {d["location"] for d in index["docs"]}


def test_a_reports_search_entry_reads_its_summary(example_site):
    """The page's own entry (what a search result shows under the title) is the summary, not the
    draft notice or the header's labels run together; the summary is not shown twice on the page."""
    index = json.loads((example_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    entries = {d["location"]: d for d in index["docs"]}
    for report in visible_examples():
        summary = re.search(r"^## Summary\n+(.+?)(?:\n\n|$)", report["_body"], re.M | re.S).group(1)
        words = " ".join(re.sub(r"[`*_\[\]]", "", summary).split()[:8])
        snippet = BeautifulSoup(entries[f"incidents/{report['id']}/"]["text"], "html.parser").get_text()
        assert " ".join(snippet.split()).startswith(words), report["id"]
        assert "draft" not in snippet.lower() or "draft" in summary.lower(), report["id"]
        article = _article(example_site, f"incidents/{report['id']}/index.html")
        lead = article.select_one("p.pm-search-lead")
        assert lead is not None and lead.has_attr("hidden"), report["id"]


def test_open_items_lead_with_the_most_overdue_and_owners_with_the_most_behind(tmp_path, valid_text):
    """Overdue items by days late, ties by priority; an item due today is not overdue; the owner
    summary puts whoever holds the most overdue items first, then the oldest."""
    front = yaml.safe_load(valid_text.split("---\n")[1])
    item = {"category": "prevent", "verification": "The alert fires in a game day.", "status": "open"}
    front["action_items"] = [
        {**item, "id": "AI-1", "description": "Lower priority, 19 days late", "owner": "Ana Ruiz",
         "due": "2026-11-01", "priority": "P5"},
        {**item, "id": "AI-2", "description": "Higher priority, 19 days late", "owner": "Ben Ito",
         "due": "2026-11-01", "priority": "P4"},
        {**item, "id": "AI-3", "description": "Due yesterday", "owner": "Ana Ruiz", "due": "2026-11-19",
         "priority": "P4"},
        {**item, "id": "AI-4", "description": "Due today", "owner": "Cy Obi", "due": TODAY, "priority": "P4"},
    ]
    front["status"] = "in-review"
    project = copy_project(tmp_path, examples=False)
    text = "---\n" + json.dumps(front, default=str) + "\n---\n" + valid_text.split("---\n", 2)[2]
    (project / "postmortems" / "report.md").write_text(text, encoding="utf-8")
    result = mkdocs(project, "build", "--strict", "-d", "site")
    assert result.code == 0, result.output
    article = _article(project / "site", "actions/index.html")

    def rows(selector: str) -> list[list[str]]:
        return [[" ".join(td.get_text(" ", strip=True).split()) for td in tr.select("td")]
                for tr in article.select(f"{selector} + table tbody tr")]

    overdue = rows("#overdue")
    assert [r[2] for r in overdue] == ["AI-2", "AI-1", "AI-3"]
    assert [r[0] for r in overdue] == ["2026-11-01 19 days overdue", "2026-11-01 19 days overdue",
                                       "2026-11-19 1 day overdue"]
    assert [r[2] for r in rows("#soon")] == ["AI-4"] and "overdue" not in rows("#soon")[0][0]
    assert rows("#owners") == [["Ana Ruiz", "2", "2", "19 days"], ["Ben Ito", "1", "1", "19 days"],
                               ["Cy Obi", "1", "0", "—"]]
    # each owner's line leads to their own list; each item to its block on the report's page
    for link in article.select("#owners + table a"):
        assert article.select_one(link["href"]).name == "h3"
    report = _soup(project / "site", "incidents/INC-2026-101/index.html")
    for link in article.select("#overdue + table td[data-label=Item] a"):
        page, anchor = link["href"].split("#")
        assert page == "../incidents/INC-2026-101/" and report.select_one(f"li#{anchor}") is not None


def test_pages_outside_the_navigation_sit_under_their_listing(example_site):
    """Reports, services, severities and years are not in mkdocs.yml's nav, yet each shows its tab
    as active, its section in the sidebar and a breadcrumb back; the nav still lists no report."""
    report = counted_examples()[0]["id"]
    service = re.sub(r"[^a-z0-9]+", "-", counted_examples()[0]["services"][0].lower()).strip("-")
    for page, trail in ((f"incidents/{report}/index.html", ["Home", "Incidents"]),
                        (f"services/{service}/index.html", ["Home", "Incidents"]),
                        ("severities/sev1/index.html", ["Home", "Incidents"]),
                        ("archive/2026/index.html", ["Home", "Incidents"])):
        soup = _soup(example_site, page)
        assert soup.select_one(".md-tabs__item--active").get_text(strip=True) == "Incidents", page
        assert [a.get_text(strip=True) for a in soup.select("nav.md-path .md-path__link")] == trail, page
        sidebar = [a.get_text(strip=True) for a in soup.select("nav.md-nav--primary .md-nav__link")]
        assert "Services" in sidebar and "Review queue" in sidebar, page
        assert not soup.select('nav.md-nav--primary a[href*="INC-"]'), page


def test_impact_ended_is_the_customer_impact_everywhere(tmp_path, valid_text):
    """Mitigated at 09:40, customers affected until 10:04: every output says 1 h 04 min of customer
    impact, and the handbook's metrics page defines it from the one declaration of durations."""
    project = copy_project(tmp_path, examples=False)
    text = valid_text.replace("resolved: 2026-10-05T11:00:00Z",
                              "impact_ended: 2026-10-05T10:04:00Z\nresolved: 2026-10-05T11:00:00Z")
    (project / "postmortems" / "report.md").write_text(text, encoding="utf-8")
    result = mkdocs(project, "build", "--strict", "-d", "site")
    assert result.code == 0, result.output
    site = project / "site"
    header = _soup(site, "incidents/INC-2026-101/index.html").select_one(".pm-card")
    numbers = {d.select_one("dt").get_text(strip=True): d.select_one("dd").get_text(strip=True)
               for d in header.select(".pm-numbers > div")}
    assert numbers["Customer impact"] == "1 h 04 min"
    assert "Impact ended 10:04" in " ".join(header.select_one(".pm-clock").get_text(" ", strip=True).split())
    record = json.loads((site / "incidents.json").read_text(encoding="utf-8"))["incidents"][0]
    assert record["impact_ended"] == "2026-10-05T10:04:00+00:00"
    assert record["durations_seconds"]["customer_impact"] == 64 * 60
    assert record["durations_seconds"]["time_to_mitigate"] == 33 * 60
    announce = handbook(project, "announce", "INC-2026-101")
    assert announce.code == 0 and "1 h 04 min" in announce.out, announce.output
    table = _article(site, "handbook/metrics/index.html").get_text(" ", strip=True)
    assert "Customer impact started impact_ended or else mitigated" in " ".join(table.split())


def test_severity_estimate_source_label_and_references_are_recorded_not_invented(tmp_path, valid_text, taxonomy):
    """A severity the author had to estimate says so; the source's own label and references that
    are not web addresses (a bug number, a chat channel) have a place, shown as written."""
    extra = ("severity_estimated: true\nseverity_label: Severity 1 (the source's scale)\nreferences:\n"
             "  - text: The company's public write-up\n    url: https://status.example.com/incidents/42\n"
             "  - Bug 1234567\n  - text: '#ops-incident channel <script>'\n")
    project = copy_project(tmp_path, examples=False)
    (project / "postmortems" / "report.md").write_text(valid_text.replace("related: []\n", "related: []\n" + extra),
                                                      encoding="utf-8")
    result = mkdocs(project, "build", "--strict", "-d", "site")
    assert result.code == 0, result.output
    site = project / "site"
    header = _soup(site, "incidents/INC-2026-101/index.html").select_one(".pm-card")
    assert header.select_one(".pm-sev").get_text(" ", strip=True).endswith("(estimated)")
    facts = " ".join(header.get_text(" ", strip=True).split())
    assert "Source's severity Severity 1 (the source's scale)" in facts
    assert "References The company's public write-up · Bug 1234567 · #ops-incident channel <script>" in facts
    assert [a["href"] for a in header.select(".pm-facts a") if "status.example" in a["href"]] == \
        ["https://status.example.com/incidents/42"]
    record = json.loads((site / "incidents.json").read_text(encoding="utf-8"))["incidents"][0]
    assert record["severity_estimated"] is True and record["severity_label"] == "Severity 1 (the source's scale)"
    assert record["references"][1] == {"text": "Bug 1234567", "url": None}
    # an address that is not http(s) is refused where it is written
    bad = valid_text.replace("related: []\n", "related: []\nreferences:\n  - text: x\n    url: javascript:alert(1)\n")
    (project / "postmortems" / "report.md").write_text(bad, encoding="utf-8")
    check = handbook(project, "validate")
    assert check.code == 1 and "report.md:" in check.output and "references" in check.output, check.output


def test_a_case_study_is_kept_for_learning_not_counted_as_ours(tmp_path, valid_text):
    """`kind: case-study` (not counted in handbook.yml): its page and the library list it; the
    incident lists, the metrics, the action items, the review queue and the digest do not. Written
    as its source gives it (`own_response: false`: no roles, items of an id and a description), it
    builds strictly, and its page shows what is not given as not known, never as a value of ours."""
    project = copy_project(tmp_path, examples=False)
    ours = valid_text.replace("status: reviewed", "status: in-review")  # late for review, items open
    study = ours.replace("id: INC-2026-101", "id: INC-2026-102\nkind: case-study").replace(
        "title: Checkout requests timed out after a connection-pool change", "title: Another company's outage")
    # As its source gives it: no roles, and items with only an id and a description (own_response: false).
    not_given = ("roles:", "  commander:", "  scribe:", "  communications:", "  subject_matter_experts:",
                 *(f"    {key}:" for key in ("owner", "due", "priority", "category", "verification", "status")))
    study = "\n".join(line for line in study.split("\n") if not line.startswith(not_given))
    (project / "postmortems" / "ours.md").write_text(ours, encoding="utf-8")
    (project / "postmortems" / "study.md").write_text(study, encoding="utf-8")
    result = mkdocs(project, "build", "--strict", "-d", "site")
    assert result.code == 0, result.output
    site = project / "site"

    def ids(page: str) -> set[str]:
        return {a.get_text(strip=True) for a in _article(site, page).select("td a") if "INC-" in a.get_text()}

    assert ids("incidents/index.html") == {"INC-2026-101"}
    assert ids("library/index.html") == {"INC-2026-102"}
    assert ids("actions/index.html") == {"INC-2026-101"} and ids("review/index.html") == {"INC-2026-101"}
    assert "from 1 report," in _article(site, "metrics/index.html").get_text(" ")
    page = _soup(site, "incidents/INC-2026-102/index.html")
    card = page.select_one(".pm-card")
    assert "Case study" in card.get_text() and "Incident commander" not in card.get_text()
    # its services are not ours: named, not linked to service pages that list our incidents only
    assert [c.name for c in card.select(".pm-chip")] == ["span", "span"]
    items = [" ".join(li.get_text(" ", strip=True).split()) for li in page.select("li.pm-action")]
    assert len(items) == 2 and all("Owner: not known" in i and "Due: not known" in i for i in items)
    assert [li.select_one(".pm-action__status").get_text() for li in page.select("li.pm-action")] == \
        ["not known", "not known"]  # the source gives no status: not shown as open
    records = {r["id"]: r for r in json.loads((site / "incidents.json").read_text(encoding="utf-8"))["incidents"]}
    assert (records["INC-2026-101"]["kind"], records["INC-2026-102"]["kind"]) == ("incident", "case-study")
    assert records["INC-2026-102"]["counted"] is False
    digest = handbook(project, "digest")
    assert digest.code == 0 and "INC-2026-101" in digest.out and "INC-2026-102" not in digest.out, digest.output
    (project / "postmortems" / "study.md").write_text(study.replace("kind: case-study", "kind: casestudy"),
                                                      encoding="utf-8")
    check = handbook(project, "validate")
    assert check.code == 1 and "study.md:3" in check.output and "kind" in check.output, check.output


def test_a_services_page_address_depends_on_the_names_alone():
    """Two names with one slug get `-2` by the sorted names, whichever page asks first."""
    from handbook.rendering.routes import Routes
    from handbook_mkdocs.links import MkDocsLinks

    names = ["checkout-api", "Checkout API", "ledger"]
    first, second = Routes(MkDocsLinks(True)), Routes(MkDocsLinks(True))
    first.name_services(names)
    second.name_services(list(reversed(names)))
    asked = [first.service(n) for n in names]
    assert asked == [second.service(n) for n in reversed(names)][::-1]
    assert asked == ["services/checkout-api-2.md", "services/checkout-api.md", "services/ledger.md"]

"""`not stated`: an action item whose owner, due date or priority no source gives.

One project, one report: AI-2 states none of the three, AI-3 has a real due date in the past. AI-2 is
accepted at `reviewed`, shows as "not stated" everywhere, is never overdue and stays out of the
closure rate; AI-3 is overdue as before. AI-4 is due `long-term`: the same, with its own label.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from .conftest import FIXTURES, copy_project, handbook, mkdocs

AI_3 = """  - id: AI-3
    description: Page the database owner when the pool is resized outside a change window.
    owner: Cleo Vance
    due: 2026-10-20
    priority: P3
    category: detect
    verification: A resize outside the window in staging pages the database owner within a minute.
    status: open
  - id: AI-4
    description: Move the pool settings into the service's own repository, reviewed like code.
    owner: Dev Patel
    due: Long-Term
    priority: P5
    category: prevent
    verification: A pool-size change appears as a pull request on the checkout-api repository.
    status: open
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("not-stated"), examples=False)
    text = (FIXTURES / "valid.md").read_text(encoding="utf-8")
    changed = (text.replace("    owner: Ben Ito\n    due: 2026-11-01\n    priority: P3\n",
                            "    owner: not stated\n    due: Not Stated\n    priority: not stated\n", 1)
               .replace("    status: open\n---\n", "    status: open\n" + AI_3 + "---\n", 1))
    assert changed.count("not stated") + changed.count("Not Stated") == 3 and "AI-3" in changed
    (project / "postmortems" / "report.md").write_text(changed, encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def site(project: Path) -> Path:
    result = mkdocs(project, "build", "--strict", "-d", "site")
    assert result.code == 0, result.output
    return project / "site"


def _article(site: Path, page: str):
    return BeautifulSoup((site / page).read_text(encoding="utf-8"), "html.parser").select_one("article")


def _text(node) -> str:
    return " ".join(node.get_text(" ", strip=True).split())


def test_the_report_is_valid_at_reviewed(project):
    result = handbook(project, "validate", "--strict")
    assert result.code == 0, result.output


def test_the_report_page_shows_not_stated_and_no_overdue_badge(site):
    article = _article(site, "incidents/INC-2026-101/index.html")
    ai4 = article.select_one("#action-ai-4")
    assert "Due: long-term" in _text(ai4) and not ai4.select(".pm-overdue")
    ai2, ai3 = article.select_one("#action-ai-2"), article.select_one("#action-ai-3")
    assert "pm-action--overdue" not in ai2["class"] and not ai2.select(".pm-overdue")
    facts = _text(ai2.select_one(".pm-action__facts"))
    assert "Owner: not stated" in facts and "Priority: not stated" in facts and "Due: not stated" in facts
    assert "pm-action--overdue" in ai3["class"] and "by 31 days" in _text(ai3)


def test_the_actions_page_lists_it_without_a_due_date(site):
    article = _article(site, "actions/index.html")

    def rows(anchor: str) -> list[list[str]]:
        return [[_text(td) for td in tr.select("td")] for tr in article.select(f"#{anchor} + table tbody tr")]

    assert [(r[2], r[0]) for r in rows("overdue")] == [("AI-3", "2026-10-20 31 days overdue")]
    undated = rows("undated")
    assert [(r[2], r[0]) for r in undated] == [("AI-4", "long-term"), ("AI-2", "not stated")]
    assert "overdue" not in str(undated)
    assert "1 overdue" in _text(article.select_one("p")) and "2 without a due date" in _text(article.select_one("p"))


def test_incidents_json_gives_null_with_the_keys_not_stated(site):
    document = json.loads((site / "incidents.json").read_text(encoding="utf-8"))
    [record] = document["incidents"]
    items = {a["id"]: a for a in record["open_action_items"]}
    assert items["AI-2"]["due"] is None and items["AI-2"]["overdue"] is False
    assert items["AI-2"]["not_stated"] == ["owner", "due", "priority"]
    assert items["AI-2"]["owner"] == "not stated" and items["AI-2"]["priority"] == "not stated"
    assert items["AI-3"]["overdue"] is True and items["AI-3"]["not_stated"] == []
    assert items["AI-4"]["due"] is None and items["AI-4"]["long_term"] is True and items["AI-4"]["overdue"] is False
    assert items["AI-2"]["long_term"] is False


def test_the_closure_rate_leaves_it_out_and_says_so(site):
    article = _article(site, "metrics/index.html")
    text = _text(article)
    assert "1 item whose due date is not stated left out; 1 long-term item left out" in text
    assert "n = 2 items due;" in text  # AI-1 and AI-3; AI-2 and AI-4 have no quarter


def test_slack_counts_only_real_dates_as_overdue(project):
    announce = handbook(project, "announce", "INC-2026-101")
    assert announce.code == 0, announce.output
    assert "3 (1 overdue, 1 due date not stated, 1 long-term)" in announce.out
    digest = handbook(project, "digest")
    assert digest.code == 0, digest.output
    assert "Overdue action items (1)" in digest.out and "AI-3" in digest.out
    assert "AI-2" not in digest.out and "AI-4" not in digest.out


# -- a timestamp no source gives ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def undetected(tmp_path_factory) -> Path:
    """A reviewed report whose source does not say when the problem was detected, built as a site."""
    project = copy_project(tmp_path_factory.mktemp("undetected"), examples=False)
    text = (FIXTURES / "valid.md").read_text(encoding="utf-8")
    (project / "postmortems" / "report.md").write_text(
        text.replace("detected: 2026-10-05T09:07:00Z", "detected: Not Stated"), encoding="utf-8")
    result = mkdocs(project, "build", "--strict", "-d", "site")
    assert result.code == 0, result.output
    return project


def test_detected_not_stated_is_valid_and_its_durations_read_not_known(undetected):
    assert handbook(undetected, "validate", "--strict").code == 0
    page = BeautifulSoup((undetected / "site/incidents/INC-2026-101/index.html").read_text(encoding="utf-8"),
                         "html.parser")
    clock = " ".join(page.select_one(".pm-clock").get_text(" ").split())
    assert "Detected not stated (time to detect: not known )" in clock  # as handbook.yml spells it, whatever the case
    assert "Mitigated 09:40 (time to mitigate: not known )" in clock  # it is measured from detection
    record = json.loads((undetected / "site/incidents.json").read_text(encoding="utf-8"))["incidents"][0]
    assert (record["detected"], record["not_stated"], record["durations_seconds"]["time_to_detect"]) == \
        (None, ["detected"], None)
    metrics = " ".join(BeautifulSoup((undetected / "site/metrics/index.html").read_text(encoding="utf-8"),
                                     "html.parser").get_text(" ").split())
    assert "Median time to detect — n = 0 incidents" in metrics


@pytest.mark.parametrize(("key", "value", "words"), [
    ("detected", "unknown", "`not stated` when no source gives it"),   # the one word for it, as for items
    ("started", "not stated", "with a time zone"),                      # the start makes it an incident
    ("resolved", "not stated", "with a time zone"),
])
def test_other_words_and_other_timestamps_are_refused(tmp_path, key, value, words):
    project = copy_project(tmp_path, examples=False)
    text = (FIXTURES / "valid.md").read_text(encoding="utf-8")
    old = next(line for line in text.split("\n") if line.startswith(f"{key}:"))
    (project / "postmortems" / "report.md").write_text(text.replace(old, f"{key}: {value}"), encoding="utf-8")
    result = handbook(project, "validate")
    assert result.code == 1 and f"report.md:{text.split(chr(10)).index(old) + 1}" in result.output, result.output
    assert "bad-timestamp" in result.output and words in result.output and "Traceback" not in result.output

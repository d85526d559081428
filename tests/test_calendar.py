"""calendar.ics: review meetings due and open action items' due dates, one all-day event each.

Every site here is built by MkDocs and its calendar read back with the icalendar library. The events
expected are computed straight from the example files' YAML and handbook.yml (not through the
handbook package), so the test does not grade our code with our code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from icalendar import Calendar

from .conftest import FIXTURES, RANK, ROOT, TODAY, copy_project, example_reports, mkdocs, visible_examples

HOST = "handbook.larkspur.example"  # mkdocs.yml's site_url
SITE = f"https://{HOST}"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _taxonomy() -> dict:
    return yaml.safe_load((ROOT / "handbook.yml").read_text(encoding="utf-8"))


def _business_days_after(day: dt.date, n: int) -> dt.date:
    while n:
        day += dt.timedelta(days=1)
        n -= day.weekday() < 5
    return day


def _expected(reports: list[dict]) -> dict[str, tuple[dt.date, dict, dict | None]]:
    """UID -> (date, report, action item or None) of every event the reports call for."""
    tax = _taxonomy()
    open_statuses = {s["id"] for s in tax["action_statuses"] if s["open"]}
    reviewed = {s["id"]: s["reviewed"] for s in tax["statuses"]}
    deadlines = {s["id"]: s["review_deadline_business_days"] for s in tax["severities"]}
    counted = {k["id"]: k["counted"] for k in tax["kinds"]}
    first_kind = tax["kinds"][0]["id"]
    events = {}
    for report in reports:
        if not counted[report.get("kind", first_kind)]:
            continue
        rid = report["id"]
        for item in report.get("action_items", []):
            if item.get("status", "open") in open_statuses and DATE.match(str(item.get("due", ""))):
                uid = f"{rid.lower()}.{item['id'].lower()}.due@{HOST}"
                events[uid] = (dt.date.fromisoformat(item["due"]), report, item)
        days = deadlines[report["severity"]]
        if not reviewed[report["status"]] and days is not None and report.get("resolved"):
            resolved = dt.datetime.fromisoformat(report["resolved"].replace("Z", "+00:00")).date()
            events[f"{rid.lower()}.review@{HOST}"] = (_business_days_after(resolved, days), report, None)
        window = _effectiveness_window(report, tax, open_statuses) if reviewed[report["status"]] else None
        if window is not None:
            events[f"{rid.lower()}.effectiveness@{HOST}"] = (window[0], report, {"effectiveness_by": window[1]})
    return events


def _effectiveness_window(report: dict, tax: dict, open_statuses: set[str]) -> tuple[dt.date, dt.date] | None:
    """The effectiveness review's [from, by] as the handbook's verification page defines it, read from the
    front matter: from the last prevent/detect fix done (its `done:`), or the review meeting without one;
    None once held, while a fix is open, when a day is not given, or for a severity without a window."""
    window = next(s.get("effectiveness_review_days") for s in tax["severities"] if s["id"] == report["severity"])
    rules = tax.get("effectiveness_reviews", {})
    categories, done = rules.get("categories", ["prevent", "detect"]), rules.get("done_statuses", ["done"])
    if window is None or "effectiveness_review" in report:
        return None
    fixes = [i for i in report.get("action_items", []) if i.get("category") in categories
             and (i.get("status", "open") in open_statuses or i.get("status") in done)]
    if any(i.get("status", "open") in open_statuses for i in fixes):
        return None
    days = [str(i.get("done", "")) for i in fixes] if fixes else [str(report.get("review_meeting", ""))]
    if not all(DATE.match(d) for d in days):
        return None
    start = max(dt.date.fromisoformat(d) for d in days)
    return start + dt.timedelta(days=window[0]), start + dt.timedelta(days=window[1])


def _events(raw: bytes) -> dict[str, dict]:
    """UID -> the event's properties, from the file as a calendar app reads it; UIDs are unique."""
    calendar = Calendar.from_ical(raw)
    events: dict[str, dict] = {}
    for event in calendar.walk("VEVENT"):
        uid = str(event["UID"])
        assert uid not in events, f"two events with the UID {uid}"
        events[uid] = {"start": event["DTSTART"].dt, "end": event["DTEND"].dt, "stamp": event["DTSTAMP"].dt,
                       "summary": str(event["SUMMARY"]), "description": str(event["DESCRIPTION"]),
                       "url": str(event["URL"]) if "URL" in event else None}
    return events


def _plain(raw: bytes) -> str:
    """The whole file as text, and again unfolded and unescaped: a name cut by a folded line or
    written with `\\,` is still found by a search."""
    text = raw.decode("utf-8")
    unfolded = re.sub(r"\r\n[ \t]", "", text)
    unescaped = re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), unfolded)
    return "\n".join((text, unfolded, unescaped))


def _build(project: Path, dest: str, env: dict[str, str] | None = None) -> bytes:
    result = mkdocs(project, "build", "--strict", "-d", dest, env=env)
    assert result.code == 0, result.output
    return (project / dest / "calendar.ics").read_bytes()


def _check_events(events: dict[str, dict], expected: dict[str, tuple[dt.date, dict, dict | None]]) -> None:
    """Exactly the expected events, each on its day, all day, saying what, whose and where."""
    assert set(events) == set(expected)
    for uid, (day, report, item) in expected.items():
        event = events[uid]
        assert event["start"] == day and type(event["start"]) is dt.date, uid  # a DATE, not a DATE-TIME
        assert event["end"] == day + dt.timedelta(days=1), uid
        assert event["stamp"] == dt.datetime.combine(dt.date.fromisoformat(TODAY), dt.time(0), dt.timezone.utc)
        page = f"{SITE}/incidents/{report['id']}/"
        if item is None or "effectiveness_by" in item:
            what = "review meeting due" if item is None else \
                f"effectiveness review due (by {item['effectiveness_by'].isoformat()})"
            assert event["summary"] == f"{report['id']} {what}", uid
            owner, link = report["owner"], page
        else:
            assert event["summary"].startswith(f"{report['id']} {item['id']} due: ")
            words = event["summary"].split(": ", 1)[1].rstrip("…").split()
            assert item["description"].split()[:len(words) - 1] == words[:-1], uid  # the action, clipped
            assert f"{item['id']}: {item['description']}" in event["description"]
            owner, link = item["owner"], f"{page}#action-{item['id'].lower()}"
        assert f"Owner: {owner}" in event["description"] and link in event["description"], uid
        assert f"Report: {report['id']}: {report['title']}" in event["description"], uid
        assert event["url"] == link, uid


@pytest.fixture(scope="module")
def example_calendar(example_site: Path) -> bytes:
    return (example_site / "calendar.ics").read_bytes()


def test_the_calendar_is_valid_icalendar(example_calendar):
    raw = example_calendar
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    lines = raw.split(b"\r\n")[:-1]
    assert not [line for line in lines if b"\n" in line or b"\r" in line], "every line ends with CRLF"
    assert max(len(line) for line in lines) <= 75  # folded, as RFC 5545 asks
    calendar = Calendar.from_ical(raw)
    assert str(calendar["VERSION"]) == "2.0" and str(calendar["PRODID"])
    events = calendar.walk("VEVENT")
    assert events and all("UID" in e and "DTSTAMP" in e for e in events)
    assert raw.count(b"DTSTART;VALUE=DATE:") == len(events)


def test_each_open_item_with_a_due_date_and_each_review_due_has_one_event(example_calendar):
    expected = _expected(visible_examples())
    kinds = {uid.split("@")[0].rsplit(".", 1)[1] for uid in expected}
    assert kinds == {"due", "review", "effectiveness"}, "the examples need every kind of event"
    today = dt.date.fromisoformat(TODAY)
    assert any(day < today for day, _, _ in expected.values()) and any(day > today for day, _, _ in expected.values())
    _check_events(_events(example_calendar), expected)


def test_the_same_reports_make_the_same_file_and_an_edited_date_moves_its_event(tmp_path, example_calendar):
    project = copy_project(tmp_path)
    assert _build(project, "site") == example_calendar  # reproducible: no wall clock, no random UID
    report = next(r for r in visible_examples() if r["id"] == "INC-2026-005")
    text = report["_path"].read_text(encoding="utf-8")
    assert text.count("due: 2026-11-25\n") == 1
    copy = project / report["_path"].relative_to(ROOT)
    copy.write_text(text.replace("due: 2026-11-25\n", "due: 2026-11-24\n"), encoding="utf-8")
    before, after = _events(example_calendar), _events(_build(project, "site2"))
    uid = f"inc-2026-005.ai-2.due@{HOST}"
    assert before[uid]["start"] == dt.date(2026, 11, 25) and after[uid]["start"] == dt.date(2026, 11, 24)
    assert set(after) == set(before)  # updated in place, not a second event
    assert {k: v for k, v in after.items() if k != uid} == {k: v for k, v in before.items() if k != uid}


def test_a_public_calendar_holds_nothing_of_a_report_the_public_may_not_read(tmp_path):
    project = copy_project(tmp_path)
    raw = _build(project, "site", env={"HANDBOOK_AUDIENCE": "public"})
    public = visible_examples("public")
    _check_events(_events(raw), _expected(public))
    hidden = [r for r in example_reports() if RANK[r["_visibility"]] > RANK["public"]]
    assert hidden and any(r["_visibility"] == "internal" for r in hidden)
    assert _expected(hidden), "the hidden reports need deadlines that could leak"
    text = _plain(raw)
    for report in hidden:
        for needle in (report["id"], report["id"].lower(), report["title"]):
            assert needle not in text, f"{needle!r} of {report['id']} is in the public calendar"


def test_no_event_without_a_date_or_for_a_case_study_and_no_url_without_site_url(tmp_path):
    """An item due `not stated` or `long-term` has no day; a case study is not ours to keep; without
    site_url the notes give the report's path and the UIDs a host of their own."""
    project = copy_project(tmp_path, examples=False)
    text = (FIXTURES / "valid.md").read_text(encoding="utf-8").replace("status: reviewed", "status: in-review")
    more = """  - id: AI-3
    description: Page the database owner when the pool is resized outside a change window.
    owner: Cleo Vance
    due: 2026-11-03
    priority: P3
    category: detect
    verification: A resize outside the window in staging pages the database owner within a minute.
    status: in-progress
  - id: AI-4
    description: Move the pool settings into the service's own repository, reviewed like code.
    owner: Dev Patel
    due: long-term
    priority: P5
    category: prevent
    verification: A pool-size change appears as a pull request on the checkout-api repository.
    status: open
"""
    ours = (text.replace("    owner: Ben Ito\n    due: 2026-11-01\n", "    owner: Ben Ito\n    due: not stated\n", 1)
            .replace("    status: open\n---\n", "    status: open\n" + more + "---\n", 1))
    assert "due: not stated" in ours and "AI-4" in ours
    study = text.replace("id: INC-2026-101", "id: INC-2026-102\nkind: case-study").replace(
        "title: Checkout requests timed out after a connection-pool change", "title: Another company's outage")
    (project / "postmortems" / "ours.md").write_text(ours, encoding="utf-8")
    (project / "postmortems" / "study.md").write_text(study, encoding="utf-8")
    raw = _build(project, "site", env={"HANDBOOK_SITE_URL": ""})
    events = _events(raw)
    assert set(events) == {"inc-2026-101.ai-3.due@postmortem-handbook", "inc-2026-101.review@postmortem-handbook"}
    assert events["inc-2026-101.ai-3.due@postmortem-handbook"]["start"] == dt.date(2026, 11, 3)
    # resolved on Monday 2026-10-05, SEV2: three business days
    assert events["inc-2026-101.review@postmortem-handbook"]["start"] == dt.date(2026, 10, 8)
    assert all(e["url"] is None for e in events.values())
    assert "incidents/INC-2026-101/#action-ai-3" in events["inc-2026-101.ai-3.due@postmortem-handbook"]["description"]
    assert "INC-2026-102" not in _plain(raw)
    link = _subscribe_link(project / "site")
    assert link.get_text() == "calendar.ics"
    assert (project / "site" / "actions" / link["href"]).resolve() == (project / "site" / "calendar.ics").resolve()


def _subscribe_link(site: Path):
    soup = BeautifulSoup((site / "actions" / "index.html").read_text(encoding="utf-8"), "html.parser")
    [link] = soup.select("article p.pm-subscribe a")
    return link


def test_the_action_items_page_gives_the_calendar_address(example_site):
    link = _subscribe_link(example_site)
    assert link["href"] == link.get_text() == f"{SITE}/calendar.ics"
    text = " ".join(link.parent.get_text(" ").split())
    assert "From URL" in text and "Subscribe from web" in text and "New Calendar Subscription" in text


def test_text_that_looks_like_icalendar_stays_text(tmp_path):
    """A title or an action written with iCalendar's own syntax (line breaks, `END:VEVENT`, `;`, `,`
    and backslashes) is escaped by the library: it reads back as written, and adds no event."""
    project = copy_project(tmp_path, examples=False)
    text = (FIXTURES / "valid.md").read_text(encoding="utf-8").replace("status: reviewed", "status: in-review")
    title = r"Checkout; timed out, again \n END:VEVENT"
    action = "Alert on the pool.\nEND:VEVENT\nBEGIN:VEVENT\nUID:evil@example.com\nSUMMARY:forged"
    hostile = (text.replace("title: Checkout requests timed out after a connection-pool change",
                            f"title: '{title}'")
               .replace("    description: Alert when the connection pool stays above 90% use for five minutes.\n",
                        "    description: " + json.dumps(action) + "\n"))
    assert title in hostile and "UID:evil" in hostile
    (project / "postmortems" / "report.md").write_text(hostile, encoding="utf-8")
    raw = _build(project, "site")
    events = _events(raw)
    assert set(events) == {f"inc-2026-101.ai-2.due@{HOST}", f"inc-2026-101.review@{HOST}"}
    item = events[f"inc-2026-101.ai-2.due@{HOST}"]
    assert f"AI-2: {action}" in item["description"] and f"Report: INC-2026-101: {title}" in item["description"]
    assert b"\r\nUID:evil" not in raw and b"\r\nSUMMARY:forged" not in raw


def test_every_line_separator_and_a_literal_backslash_n_stay_text(tmp_path):
    """A title holding U+2028 (a line break to any reader that splits lines as Python does) and an action
    holding a literal `\\N` (icalendar's own escaping reads it as a line break): no reader sees a line
    that starts a property, and each value reads back with the author's characters."""
    project = copy_project(tmp_path, examples=False)
    text = (FIXTURES / "valid.md").read_text(encoding="utf-8").replace("status: reviewed", "status: in-review")
    action = r"Alert on C:\New\Nodes and C:\N"
    hostile = (text.replace("title: Checkout requests timed out after a connection-pool change",
                            'title: "Checkout timed out\\u2028UID:evil@example.com\\u2029SUMMARY:forged"')
               .replace("    description: Alert when the connection pool stays above 90% use for five minutes.\n",
                        "    description: " + json.dumps(action) + "\n"))
    (project / "postmortems" / "report.md").write_text(hostile, encoding="utf-8")
    raw = _build(project, "site")
    lines = raw.decode("utf-8").splitlines()  # splits on U+2028, U+2029 and U+0085 too
    assert not [line for line in lines if line.startswith(("UID:evil", "SUMMARY:forged"))], lines
    events = _events(raw)
    item = events[f"inc-2026-101.ai-2.due@{HOST}"]
    assert f"AI-2: {action}\n" in item["description"]
    assert item["summary"].startswith("INC-2026-101 AI-2 due: Alert on C:\\New\\Nodes")
    assert "Report: INC-2026-101: Checkout timed out\nUID:evil@example.com\nSUMMARY:forged\n" in item["description"]

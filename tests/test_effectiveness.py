"""Effectiveness reviews: when each is due, where it stands, the checks on its dates, and where the
site and the digest show it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from bs4 import BeautifulSoup

from handbook.core.problems import Level
from handbook.queries.effectiveness import State, effectiveness

from .conftest import check_text, copy_project, handbook

D = dt.date


def _fixed(valid_text: str, *, ai1: str = "    done: 2026-10-10\n", ai2_status: str = "done",
           ai2: str = "    done: 2026-10-20\n", extra: str = "") -> str:
    """The valid report (SEV2, reviewed; AI-1 prevent, AI-2 detect) with its fixes done on the days given."""
    text = valid_text.replace("    status: done\n", "    status: done\n" + ai1, 1)
    text = text.replace("    status: open\n", f"    status: {ai2_status}\n" + ai2, 1)
    return text.replace("action_items:\n", extra + "action_items:\n", 1)


def _state(tmp_path, taxonomy, text: str, today: dt.date):
    collection, _ = check_text(tmp_path, taxonomy, text)
    assert collection.errors == [], collection.errors
    return effectiveness(collection.reports[0], taxonomy, today)


@pytest.mark.parametrize(("today", "state", "late"), [
    (D(2026, 11, 18), State.SCHEDULED, 0),   # the day before the window opens (30 days after 2026-10-20)
    (D(2026, 11, 19), State.DUE, 0),         # the window's first day
    (D(2027, 1, 18), State.DUE, 0),          # its last day (90 days)
    (D(2027, 1, 19), State.LATE, 1),         # the day after
])
def test_the_window_counts_from_the_last_fix_done(tmp_path, taxonomy, valid_text, today, state, late):
    found = _state(tmp_path, taxonomy, _fixed(valid_text), today)
    assert (found.state, found.started, found.due_from, found.due_by) == \
        (state, D(2026, 10, 20), D(2026, 11, 19), D(2027, 1, 18))
    assert found.days_late(today) == late


def test_it_waits_for_open_fixes_and_never_guesses_a_start(tmp_path, taxonomy, valid_text):
    today = D(2026, 11, 20)
    waiting = _state(tmp_path, taxonomy, _fixed(valid_text, ai2_status="in-progress", ai2=""), today)
    assert (waiting.state, waiting.waiting_for) == (State.WAITING, ["AI-2"])
    undated = _state(tmp_path, taxonomy, _fixed(valid_text, ai2=""), today)
    assert (undated.state, undated.waiting_for, undated.due_from) == (State.START_UNKNOWN, ["AI-2"], None)
    dropped = _state(tmp_path, taxonomy, _fixed(valid_text, ai2_status="wont-do", ai2=""), today)
    assert (dropped.state, dropped.started) == (State.DUE, D(2026, 10, 10))  # a dropped fix is not waited for


def test_without_prevent_or_detect_items_it_counts_from_the_review_meeting(tmp_path, taxonomy, valid_text):
    text = valid_text.replace("category: prevent", "category: mitigate").replace("category: detect", "category: learn")
    unknown = _state(tmp_path, taxonomy, text, D(2026, 11, 20))
    assert (unknown.state, unknown.waiting_for) == (State.START_UNKNOWN, [])
    met = _state(tmp_path, taxonomy, text.replace("action_items:\n", "review_meeting: 2026-10-08\naction_items:\n"),
                 D(2026, 11, 20))
    assert (met.state, met.started, met.due_from) == (State.DUE, D(2026, 10, 8), D(2026, 11, 7))


@pytest.mark.parametrize("change", [
    ("status: reviewed", "status: in-review"),                    # not reviewed yet
    ("id: INC-2026-101\n", "id: INC-2026-101\nkind: case-study\n"),  # not ours
    ("severity: SEV2", "severity: SEV4"),                         # a severity without a window
], ids=["in-review", "case-study", "no-window"])
def test_some_reports_have_no_effectiveness_review(tmp_path, taxonomy, valid_text, change):
    text = _fixed(valid_text).replace(*change, 1)
    collection, _ = check_text(tmp_path, taxonomy, text)
    assert effectiveness(collection.reports[0], taxonomy, D(2026, 12, 1)) is None


def test_a_review_held_gives_its_outcome(tmp_path, taxonomy, valid_text):
    held = ("effectiveness_review:\n  held: 2026-12-01\n  outcome: partly\n  measured: The alert fired in the "
            "December game day, the canary gate did not.\n  follow_up: [AI-2]\n")
    found = _state(tmp_path, taxonomy, _fixed(valid_text, extra=held), D(2027, 3, 1))
    assert (found.state, found.held, found.outcome.id, found.follow_up) == (State.HELD, D(2026, 12, 1), "partly",
                                                                            ["AI-2"])


# -- the checks ------------------------------------------------------------------------------------
def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.split("\n"), 1) if needle in line)


@pytest.mark.parametrize(("ai1", "extra", "rule", "level", "needle", "words"), [
    ("    done: 2026-10-04\n", "", "date-order", Level.ERROR, "done: 2026-10-04", "before the incident started"),
    ("    done: 2026-02-30\n", "", "impossible-date", Level.ERROR, "done: 2026-02-30", "no such date"),
    ("    done: soon\n", "", "bad-date", Level.ERROR, "done: soon", "not a date"),
    ("    done: 2026-10-10\n", "review_meeting: 2026-10-04\n", "date-order", Level.ERROR, "review_meeting",
     "before the incident started"),
    ("    done: 2026-10-10\n", "effectiveness_review:\n  held: 2026-10-15\n  outcome: working\n  measured: The "
     "alert fired in the game day.\n", "date-order", Level.ERROR, "held: 2026-10-15", "before the last fix"),
    ("    done: 2026-10-10\n", "effectiveness_review:\n  held: 2026-12-01\n  outcome: working\n  measured: The "
     "alert fired in the game day.\n  follow_up: [AI-9]\n", "follow-up", Level.ERROR, "follow_up", "`AI-9`"),
    ("    done: 2026-10-10\n", "effectiveness_review:\n  held: 2026-12-01\n  outcome: not-working\n  measured: The "
     "alert did not fire in the game day.\n", "follow-up", Level.WARNING, "outcome: not-working", "names no follow-up"),
])
def test_each_date_and_the_follow_up_are_checked(tmp_path, taxonomy, valid_text, ai1, extra, rule, level, needle,
                                                 words):
    text = _fixed(valid_text, ai1=ai1, extra=extra)
    collection, _ = check_text(tmp_path, taxonomy, text)
    found = [(p.rule, p.level, p.line) for p in collection.problems]
    assert found == [(rule, level, _line(text, needle))], collection.problems
    assert words in collection.problems[0].message


def test_a_done_date_on_an_open_item_is_refused(tmp_path, taxonomy, valid_text):
    text = _fixed(valid_text, ai2_status="open")
    collection, _ = check_text(tmp_path, taxonomy, text)
    assert [(p.rule, p.level, p.line) for p in collection.problems] == \
        [("done-while-open", Level.ERROR, _line(text, "done: 2026-10-20"))]


def test_an_effectiveness_review_needs_its_outcome_and_what_was_measured(tmp_path, taxonomy, valid_text):
    text = _fixed(valid_text, extra="effectiveness_review:\n  held: 2026-12-01\n")
    collection, _ = check_text(tmp_path, taxonomy, text)
    assert sorted(p.message for p in collection.problems) == [
        "The key `measured` is missing in `effectiveness_review`.",
        "The key `outcome` is missing in `effectiveness_review`."]


# -- where it shows --------------------------------------------------------------------------------
def _text(site, page: str) -> str:
    article = BeautifulSoup((site / page).read_text(encoding="utf-8"), "html.parser").select_one("article")
    return " ".join(article.get_text(" ").split())


def test_the_site_shows_each_state_where_people_look(example_site):
    """The examples (built as of 2026-11-20): INC-2025-001 held and working, INC-2026-003 due, INC-2026-001
    late, INC-2025-002 with done items but no `done:` dates."""
    assert "Working Effectiveness review held 2025-10-01. Measured: In September" in \
        _text(example_site, "incidents/INC-2025-001/index.html")
    assert "due Effectiveness review due by 2026-12-28." in \
        _text(example_site, "incidents/INC-2026-003/index.html")
    assert "late Effectiveness review 199 days late." in \
        _text(example_site, "incidents/INC-2026-001/index.html")
    assert "when it is due is not known; the report does not give the day AI-1 and AI-2 were done" in \
        _text(example_site, "incidents/INC-2025-002/index.html")
    review = BeautifulSoup((example_site / "review/index.html").read_text(encoding="utf-8"), "html.parser")
    table = review.select_one("#effectiveness-reviews ~ table")
    rows = [[td.get_text(" ", strip=True) for td in tr.select("td")] for tr in table.select("tbody tr")]
    assert [(r[0], r[4], r[5], r[6]) for r in rows] == [
        ("INC-2026-001", "2026-03-06", "2026-04-05 to 2026-05-05", "199 days late"),
        ("INC-2026-003", "2026-09-29", "2026-10-29 to 2026-12-28", "due")]
    metrics = _text(example_site, "metrics/index.html")
    assert re.search(r"Fixes verified as working 100% 1 of 1 review held; 2 due or late", metrics), metrics


def test_a_public_build_and_the_digest_list_only_what_their_audience_reads(tmp_path):
    project = copy_project(tmp_path)
    digest = handbook(project, "digest")
    assert digest.code == 0, digest.output
    assert "Effectiveness reviews due (2)" in digest.out and "(199 days late)" in digest.out
    public = handbook(project, "digest", "--audience", "public")
    assert public.code == 0, public.output
    assert "Effectiveness reviews due (1)" in public.out and "INC-2026-003" not in public.out  # internal

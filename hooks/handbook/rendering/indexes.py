"""Generated index pages: incidents, open action items, services, severities, years, review queue.

Each function takes the reports one build publishes and returns a page: its heading, then one
fragment of HTML from an autoescaped template (templates/*.html). The functions here only gather
plain data (text, numbers, addresses); no value is escaped or formatted into markup by hand. They
run after every report has been read ("collect, then fill in"), so no listing depends on the order
pages are rendered in. All are linear in the number of reports (plus sorting).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from handbook.core.paths import stable_name
from handbook.core.timestamps import format_duration
from handbook.queries.worklists import (SOON_DAYS, OpenItem, by_owner, days_overdue, group_by_due, newest_first,
                                        open_items, review_queue)
from handbook.queries.effectiveness import reviews_due
from handbook.reading.model import ActionItem, Report
from handbook.reading.taxonomy import Taxonomy
from handbook.reading.tracker import TrackerFile, disagreement
from handbook.rendering.follow_through import effectiveness_view
from handbook.rendering.markup import safe_url
from handbook.rendering.page import Page
from handbook.rendering.report_page import action_anchor
from handbook.rendering.routes import Routes
from handbook.rendering.templating import render_fragment

GROUP_TITLES = {"overdue": "Overdue", "soon": f"Due in the next {SOON_DAYS} days", "later": "Later",
                "undated": "Without a due date"}


def _page(title: str, description: str, template: str, **context: Any) -> Page:
    """A generated index page: `title` as its heading, then `template` rendered with `context`."""
    page = Page.start(title, description)
    page.lines += render_fragment(template, **context)
    return page


def _severity(report: Report, tax: Taxonomy) -> dict[str, Any]:
    return {"id": report.severity or None, "rank": tax.severity_rank(report.severity)}


def incident_rows(reports: list[Report], tax: Taxonomy, routes: Routes, src: str) -> list[dict[str, Any]]:
    """One row per report, newest first, for `listings.html`'s incident table on the page at `src`."""
    return [{"date": r.date.isoformat() if r.date else None, "href": routes.href(src, routes.report(r.key)),
             "id": r.key, "title": r.title, "severity": _severity(r, tax), "status": r.status or None,
             "services": r.services,
             "time_to_resolve": format_duration(r.time_to_resolve) if r.time_to_resolve is not None else None}
            for r in newest_first(reports)]


def item_rows(items: list[OpenItem], routes: Routes, src: str, today: dt.date,
              tracker: TrackerFile | None = None) -> list[dict[str, Any]]:
    """One row per open item for `listings.html`'s item table on the page at `src` (with `tracker`, each
    with its issue's recorded state)."""
    rows = []
    for o in items:
        report_href = routes.href(src, routes.report(o.report.key))
        item = o.item
        rows.append({"due": item.due_text,
                     "overdue_days": days_overdue(item, today), "report": o.report.key, "report_href": report_href,
                     "id": item.id, "href": f"{report_href}#{action_anchor(item.id)}",
                     "description": item.description, "owner": item.owner or None,
                     "priority": item.priority or None, "status": item.status or None,
                     "issue": _issue(item, tracker)})
    return rows


def _issue(item: ActionItem, tracker: TrackerFile | None) -> dict[str, Any] | None:
    """An item's issue as the pages show it: number, recorded state, address and whether they disagree."""
    state = tracker.state_of(item.ticket) if tracker is not None else None
    if state is None:
        return None
    return {"number": state.number, "state": state.state, "href": safe_url(item.ticket),
            "disagrees": disagreement(item.open, state) is not None}


def _disagreements(reports: list[Report], routes: Routes, src: str, tracker: TrackerFile) -> list[dict[str, Any]]:
    """Every item, open or not, whose status and its issue's recorded state disagree, in report order."""
    rows = []
    for report in sorted(reports, key=lambda r: r.key):
        report_href = routes.href(src, routes.report(report.key))
        for item in report.actions:
            issue = _issue(item, tracker)
            if issue is None or not issue["disagrees"]:
                continue
            rows.append({"report": report.key, "report_href": report_href, "id": item.id,
                         "href": f"{report_href}#{action_anchor(item.id)}", "description": item.description,
                         "status": item.status or None, "issue": issue, "item_open": item.open})
    return rows


def incidents_page(reports: list[Report], tax: Taxonomy, routes: Routes, services: list[str]) -> Page:
    """All incidents, newest first, with filters by severity, status, service and year."""
    src = routes.INCIDENTS
    years = sorted({r.date.year for r in reports if r.date}, reverse=True)
    present = {r.severity for r in reports}
    return _page("Incidents", "Every incident report, newest first.", "incidents.html",
                 count=len(reports), rows=incident_rows(reports, tax, routes, src),
                 years=[{"year": y, "href": routes.href(src, routes.year(y))} for y in years],
                 severities=[{"id": s.id, "href": routes.href(src, routes.severity(s.id))}
                             for s in tax.severities if s.id in present],
                 services_href=routes.href(src, routes.SERVICES) if services else None)


def actions_page(reports: list[Report], tax: Taxonomy, routes: Routes, today: dt.date,
                 tracker: TrackerFile | None = None, site_url: str = "") -> Page:
    """Every open action item: who holds what, then the items by due group, most overdue first,
    then each owner's list; and where to subscribe to their due dates (calendar.ics, whose absolute
    address a calendar app needs: shown when the site has a `site_url`). With `tracker` (the issue
    states `handbook sync github --pull` recorded), each item shows its issue, and the items whose
    issue says otherwise are listed first."""
    src = routes.ACTIONS
    address = f"{site_url.rstrip('/')}/{routes.CALENDAR}" if site_url else None
    calendar = {"href": address or routes.href(src, routes.CALENDAR), "address": address}
    items = open_items(reports, tax)
    groups = group_by_due(items, today)
    owners = [{"name": w.name, "anchor": "owner-" + stable_name(w.name or "not-known"), "open": len(w.items),
               "overdue": w.overdue, "oldest_days": w.oldest_days,
               "rows": item_rows(w.items, routes, src, today, tracker)}
              for w in by_owner(items, today)]
    shown = [key for key in GROUP_TITLES if key != "undated" or groups[key]]
    return _page("Open action items", "Every open action item across all incident reports.", "actions.html",
                 total=len(items), today=today.isoformat(), soon_days=SOON_DAYS, calendar=calendar,
                 counts={key: len(value) for key, value in groups.items()}, owners=owners,
                 groups=[{"anchor": key, "title": GROUP_TITLES[key],
                          "rows": item_rows(groups[key], routes, src, today, tracker)} for key in shown],
                 tracked=tracker is not None,
                 disagreements=_disagreements(reports, routes, src, tracker) if tracker is not None else [])


def services_pages(reports: list[Report], tax: Taxonomy, routes: Routes, today: dt.date) -> dict[str, Page]:
    """A page per service (its incidents and open action items), and the index of services."""
    by_service: dict[str, list[Report]] = defaultdict(list)
    for r in reports:
        for s in r.services:
            by_service[s].append(r)
    pages: dict[str, Page] = {}
    rows = []
    for name in sorted(by_service, key=str.lower):
        own = by_service[name]
        src = routes.service(name)
        latest = max((r.date for r in own if r.date), default=None)
        rows.append({"name": name, "href": routes.href(routes.SERVICES, src), "incidents": len(own),
                     "latest": latest.isoformat() if latest else None,
                     "open": sum(len(r.open_actions) for r in own)})
        page = _page(f"Service: {name}", f"Incidents that affected {name}.", "service.html",
                     rows=incident_rows(own, tax, routes, src),
                     items=item_rows(open_items(own, tax), routes, src, today),
                     services_href=routes.href(src, routes.SERVICES))
        page.searchable = True  # found by the service's name; its rows are the reports' own entries
        pages[src] = page
    pages[routes.SERVICES] = _page("Services", "Incident history per service.", "services.html", rows=rows)
    return pages


def severity_pages(reports: list[Report], tax: Taxonomy, routes: Routes) -> dict[str, Page]:
    """A page per severity level with its incidents."""
    pages = {}
    for sev in tax.severities:
        src = routes.severity(sev.id)
        own = [r for r in reports if r.severity == sev.id]
        pages[src] = _page(f"{sev.id}: {sev.name}", f"Incidents of severity {sev.id}.", "severity.html",
                           meaning=sev.description, deadline_days=sev.review_deadline_business_days,
                           rows=incident_rows(own, tax, routes, src))
    return pages


def year_pages(reports: list[Report], tax: Taxonomy, routes: Routes) -> dict[str, Page]:
    """A page per year with its incidents."""
    by_year: dict[int, list[Report]] = defaultdict(list)
    for r in reports:
        if r.date:
            by_year[r.date.year].append(r)
    pages = {}
    for year, own in by_year.items():
        src = routes.year(year)
        pages[src] = _page(f"Incidents in {year}", f"Every incident report of {year}.", "year.html",
                           rows=incident_rows(own, tax, routes, src),
                           counts=[(s.id, sum(1 for r in own if r.severity == s.id)) for s in tax.severities],
                           incidents_href=routes.href(src, routes.INCIDENTS))
    return pages


def review_page(reports: list[Report], tax: Taxonomy, routes: Routes, today: dt.date) -> Page:
    """Reports due or late for their review meeting, the latest first, with their owners."""
    src = routes.REVIEW
    rows = []
    for due in review_queue(reports, tax, today):
        r = due.report
        rows.append({"id": r.key, "href": routes.href(src, routes.report(r.key)), "title": r.title,
                     "owner": r.owner or None, "severity": _severity(r, tax), "status": r.status or None,
                     "resolved": r.resolved.date().isoformat() if r.resolved else None,
                     "deadline": due.deadline.isoformat(), "days_late": max(0, -due.business_days_left),
                     "due_today": due.business_days_left == 0 and due.deadline <= today,
                     "days_left": due.business_days_left})
    checks = [{"id": e.report.key, "href": routes.href(src, routes.report(e.report.key)), "title": e.report.title,
               "owner": e.report.owner or None, "severity": _severity(e.report, tax),
               "started": e.started.isoformat() if e.started else None,
               "due_from": e.due_from.isoformat() if e.due_from else None,
               "due_by": e.due_by.isoformat() if e.due_by else None, "view": effectiveness_view(e, today),
               "days_late": e.days_late(today)} for e in reviews_due(reports, tax, today)]
    return _page("Review queue", "Reports whose review meeting or effectiveness review is due or late.",
                 "review.html", rows=rows, checks=checks, today=today.isoformat(),
                 categories=" or ".join(tax.label("category", c).lower() for c in tax.effectiveness_reviews.categories),
                 warning_days=tax.rules.review_warning_business_days,
                 deadlines=[(s.id, s.review_deadline_business_days) for s in tax.severities
                            if s.review_deadline_business_days is not None],
                 windows=[(s.id, *s.effectiveness_review_days) for s in tax.severities
                          if s.effectiveness_review_days is not None])


def library_page(reports: list[Report], tax: Taxonomy, routes: Routes) -> Page:
    """Reports kept for learning (the kinds handbook.yml does not count), by kind, newest first."""
    src = routes.LIBRARY
    kinds = [{"name": k.name, "description": k.description,
              "rows": incident_rows([r for r in reports if tax.kind(r.kind).id == k.id], tax, routes, src)}
             for k in tax.kinds if not k.counted]
    return _page("Library", "Case studies and drills: incidents kept to learn from, not counted as our own.",
                 "library.html", kinds=kinds, count=len(reports))

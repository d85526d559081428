"""Generated index pages: incidents, open action items, services, severities, years, review queue.

Each function takes the reports one build publishes and returns a page's Markdown. They run
after every report has been read ("collect, then fill in"), so no listing depends on the
order pages are rendered in. All are linear in the number of reports.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from handbook.core.timestamps import format_duration
from handbook.queries.worklists import SOON_DAYS, OpenItem, group_by_due, newest_first, open_items, review_queue
from handbook.reading.model import Report, text
from handbook.reading.taxonomy import Taxonomy
from handbook.rendering.markup import attr, fragment, html_table, md
from handbook.rendering.page import Page
from handbook.rendering.report_page import action_status
from handbook.rendering.routes import Routes

def _unsearched(lines: list[str]) -> list[str]:
    """Generated tables kept out of the search index (Material skips `data-search-exclude`): their
    rows repeat what the reports' own entries say."""
    return [line.replace("<table", "<table data-search-exclude", 1) if line.startswith("<table") else line
            for line in lines]


def _front(title: str, description: str) -> Page:
    """A generated index page, starting with its heading; `title` and `description` are plain text."""
    return Page.start(title, description)





def incident_table(reports: list[Report], routes: Routes, src: str, *, filterable: bool = False) -> list[str]:
    """One row per report, newest first."""
    if not reports:
        return ["*No incidents.*", ""]
    rows = []
    for r in newest_first(reports):
        rows.append([r.date.isoformat() if r.date else "—",
                     f'<a href="{routes.href(src, routes.report(r.key))}">{attr(r.key)}</a>', attr(r.title),
                     attr(r.severity), attr(r.status), attr(", ".join(r.services)),
                     format_duration(r.time_to_resolve)])
    table = html_table(["Date", "Id", "Title", "Severity", "Status", "Services", "Time to resolve"], rows)
    if filterable:
        return fragment(['<div class="pm-filterable" data-filters="Severity,Status,Services,Year">', *table, "</div>"])
    return fragment(table)


def incidents_page(reports: list[Report], tax: Taxonomy, routes: Routes, services: list[str]) -> Page:
    """All incidents, newest first, with filters by severity, status and service."""
    src = routes.INCIDENTS
    page = _front("Incidents", "Every incident report, newest first.")
    lines = page.lines
    lines += [f"{len(reports)} report{'s' if len(reports) != 1 else ''}. Newest first; with JavaScript on, "
              "the filters above the table narrow it down.", ""]
    years = sorted({r.date.year for r in reports if r.date}, reverse=True)
    if years:
        lines += ["By year: " + " · ".join(f"[{y}]({routes.rel(src, routes.year(y))})" for y in years), ""]
    sevs = [s for s in tax.severities if any(r.severity == s.id for r in reports)]
    if sevs:
        lines += ["By severity: " + " · ".join(f"[{md(s.id)}]({routes.rel(src, routes.severity(s.id))})"
                                               for s in sevs), ""]
    if services:
        lines += [f"By service: [all services]({routes.rel(src, routes.SERVICES)})", ""]
    lines += incident_table(reports, routes, src, filterable=True)
    return page


def _item_rows(items: list[OpenItem], tax: Taxonomy, routes: Routes, src: str, today: dt.date,
               *, owner: bool = True) -> list[str]:
    head = ["Due", "Report", "Id", "Action"] + (["Owner"] if owner else []) + ["Priority", "Status"]
    rows = []
    for o in items:
        due = o.item.due.isoformat() if o.item.due else (attr(text(o.item.raw.get("due"))) or "no date")
        link = f'<a href="{routes.href(src, routes.report(o.report.key))}">{attr(o.report.key)}</a>'
        rows.append([due, link, attr(o.item.id), attr(o.item.description)]
                    + ([attr(o.item.owner) or "—"] if owner else [])
                    + [attr(o.item.priority), action_status(o.item, today)])
    return fragment(html_table(head, rows))


def actions_page(reports: list[Report], tax: Taxonomy, routes: Routes, today: dt.date) -> Page:
    """Every open action item, grouped as overdue, due soon, later and undated."""
    src = routes.ACTIONS
    items = open_items(reports)
    groups = group_by_due(items, today)
    page = _front("Open action items", "Every open action item across all incident reports.")
    lines = page.lines
    lines += [f"{len(items)} open item{'s' if len(items) != 1 else ''} as of {today.isoformat()}: "
              f"**{len(groups['overdue'])} overdue**, {len(groups['soon'])} due in the next {SOON_DAYS} days, "
              f"{len(groups['later'])} later" + (f", {len(groups['undated'])} without a due date" if
                                                  groups["undated"] else "") + ".", ""]
    titles = {"overdue": "Overdue", "soon": f"Due in the next {SOON_DAYS} days", "later": "Later",
              "undated": "Without a due date"}
    for key, title in titles.items():
        if key == "undated" and not groups[key]:
            continue
        lines += [f"## {title}", ""]
        lines += _item_rows(groups[key], tax, routes, src, today) if groups[key] else ["*None.*", ""]
    lines += ["## By owner", ""]
    by_owner: dict[str, list[OpenItem]] = defaultdict(list)
    for o in items:
        by_owner[o.item.owner or "(no owner)"].append(o)
    if not by_owner:
        lines += ["*No open action items.*", ""]
    for owner in sorted(by_owner, key=str.lower):
        owned = by_owner[owner]
        overdue = sum(1 for o in owned if o.item.due and o.item.due < today)
        lines += [f"### {md(owner)}", "", f"{len(owned)} open" + (f", {overdue} overdue" if overdue else "") + ".",
                  ""]
        lines += _item_rows(owned, tax, routes, src, today, owner=False)
    return page


def services_pages(reports: list[Report], tax: Taxonomy, routes: Routes, today: dt.date) -> dict[str, Page]:
    """A page per service: its incidents and its open action items."""
    by_service: dict[str, list[Report]] = defaultdict(list)
    for r in reports:
        for s in r.services:
            by_service[s].append(r)
    pages: dict[str, Page] = {}
    index_page = _front("Services", "Incident history per service.")
    index = index_page.lines
    service_rows = []
    for name in sorted(by_service, key=str.lower):
        own = by_service[name]
        src = routes.service(name)
        latest = max((r.date for r in own if r.date), default=None)
        open_count = sum(len(r.open_actions) for r in own)
        service_rows.append([f'<a href="{routes.href(routes.SERVICES, src)}">{attr(name)}</a>', str(len(own)),
                             latest.isoformat() if latest else "—", str(open_count)])
        page = _front(f"Service: {name}", f"Incidents that affected {name}.")
        lines = page.lines
        lines += [f"{len(own)} incident{'s' if len(own) != 1 else ''} affected this service. "
                  f"[All services]({routes.rel(src, routes.SERVICES)})", ""]
        lines += _unsearched(incident_table(own, routes, src))
        items = open_items(own)
        lines += ["## Open action items", ""]
        lines += _unsearched(_item_rows(items, tax, routes, src, today)) if items else ["*None.*", ""]
        page.searchable = True  # found by the service's name; its rows are the reports' own entries
        pages[src] = page
    index += fragment(html_table(["Service", "Incidents", "Latest", "Open action items"], service_rows)) \
        if service_rows \
        else ["*No incidents yet.*"]
    pages[routes.SERVICES] = index_page
    return pages


def severity_pages(reports: list[Report], tax: Taxonomy, routes: Routes) -> dict[str, Page]:
    """A page per severity level with its incidents."""
    pages = {}
    for sev in tax.severities:
        src = routes.severity(sev.id)
        own = [r for r in reports if r.severity == sev.id]
        deadline = (f"reviewed within {sev.review_deadline_business_days} business day"
                    f"{'s' if sev.review_deadline_business_days != 1 else ''} of resolution"
                    if sev.review_deadline_business_days is not None else "reviewed when the commander asks for it")
        page = _front(f"{sev.id}: {sev.name}", f"Incidents of severity {sev.id}.")
        lines = page.lines
        lines += [f"{md(sev.description)} Reports of this severity are {deadline}.", "",
                  f"{len(own)} incident{'s' if len(own) != 1 else ''}.", ""]
        lines += incident_table(own, routes, src)
        pages[src] = page
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
        counts = ", ".join(f"{sum(1 for r in own if r.severity == s.id)} {md(s.id)}" for s in tax.severities)
        page = _front(f"Incidents in {year}", f"Every incident report of {year}.")
        lines = page.lines
        lines += [f"{len(own)} incident{'s' if len(own) != 1 else ''}: {counts}. "
                  f"[All incidents]({routes.rel(src, routes.INCIDENTS)})", ""]
        lines += incident_table(own, routes, src)
        pages[src] = page
    return pages


def review_page(reports: list[Report], tax: Taxonomy, routes: Routes, today: dt.date) -> Page:
    """Reports due or late for their review meeting."""
    src = routes.REVIEW
    queue = review_queue(reports, tax, today)
    page = _front("Review queue", "Reports whose review meeting is due or late.")
    lines = page.lines
    deadlines = ", ".join(f"{md(s.id)} within {s.review_deadline_business_days}" for s in tax.severities
                          if s.review_deadline_business_days is not None)
    lines += [f"Reports not yet reviewed whose deadline has passed or falls within "
              f"{tax.rules.review_warning_business_days} business day(s), as of {today.isoformat()}. "
              f"Deadlines count business days from resolution: {deadlines}.", ""]
    if not queue:
        lines += ["*Nothing is waiting for review.*", ""]
        return page
    rows = []
    for due in queue:
        r = due.report
        if due.business_days_left < 0:
            state = f'<span class="pm-badge pm-overdue">late by {-due.business_days_left} business day(s)</span>'
        elif due.business_days_left == 0 and due.deadline <= today:
            state = "due today"
        else:
            state = f"due in {due.business_days_left} business day(s)"
        resolved = r.resolved.date().isoformat() if r.resolved else "—"
        rows.append([f'<a href="{routes.href(src, routes.report(r.key))}">{attr(r.key)}</a>', attr(r.title),
                     attr(r.severity), attr(r.status), resolved, due.deadline.isoformat(), state])
    lines += fragment(html_table(["Report", "Title", "Severity", "Status", "Resolved", "Review due", "State"], rows))
    lines.append("")
    return page

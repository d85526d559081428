"""Machine-readable outputs and link previews: incidents.json, the Atom feed, OpenGraph tags,
and redirect pages from other addresses to a report's permanent one.

Every value a report author wrote is escaped for where it goes (HTML attributes, XML text,
JSON strings), and all of it is built from the reports one build publishes: a report left out
of a build leaves nothing here either.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

from handbook.core.text import drop_bad
from handbook.core.timestamps import format_duration
from handbook.reading.model import Report
from handbook.reading.taxonomy import Taxonomy
from handbook.rendering.markup import attr, safe_url
from handbook.rendering.report_page import report_description
from handbook.rendering.routes import report_url

CARD_IMAGE = "assets/images/incident-card.png"


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _seconds(delta: dt.timedelta | None) -> int | None:
    return int(delta.total_seconds()) if delta is not None else None


def report_record(report: Report, tax: Taxonomy, site_url: str, today: dt.date) -> dict:
    """One report as plain data: fields, durations, action items and its address."""
    return {
        "id": report.id,
        "title": report.title,
        "url": report_url(site_url, report.id),
        "severity": report.severity,
        "status": report.status,
        "published": tax.is_published(report.status),
        "visibility": report.visibility,
        "services": report.services,
        "tags": report.tags,
        "owner": report.owner,
        "started": _iso(report.started),
        "detected": _iso(report.detected),
        "mitigated": _iso(report.mitigated),
        "resolved": _iso(report.resolved),
        "durations_seconds": {
            "time_to_detect": _seconds(report.time_to_detect),
            "time_to_mitigate": _seconds(report.time_to_mitigate),
            "time_to_resolve": _seconds(report.time_to_resolve),
            "customer_impact": _seconds(report.impact_duration),
        },
        "impact": {k: report.impact.get(k) for k in ("customer_facing", "users_affected", "data_impact")},
        "summary": report_description(report, 500),
        "related": list(report.related),
        "action_items": {"total": len(report.actions), "open": len(report.open_actions)},
        "open_action_items": [
            {"id": a.id, "description": a.description, "owner": a.owner,
             "due": a.due.isoformat() if a.due else None, "priority": a.priority, "category": a.category,
             "status": a.status, "overdue": bool(a.due and a.due < today),
             "ticket": safe_url(a.ticket) if a.ticket else None}
            for a in report.open_actions
        ],
    }


def incidents_json(reports: list[Report], tax: Taxonomy, site_url: str, today: dt.date) -> str:
    """incidents.json: every report the build includes, as data."""
    known = {r.id for r in reports}
    records = []
    for report in sorted(reports, key=lambda r: r.id):
        if not report.id:
            continue
        record = report_record(report, tax, site_url, today)
        record["related"] = [rid for rid in record["related"] if rid in known]  # never name a hidden report
        records.append(record)
    document = {"generated_for": today.isoformat(), "count": len(records), "incidents": records}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def atom_feed(reports: list[Report], tax: Taxonomy, site_url: str, site_name: str) -> str:
    """An Atom feed of the published reports (past draft), newest first."""
    ns = "http://www.w3.org/2005/Atom"
    ET.register_namespace("", ns)
    published = [r for r in reports if r.id and tax.is_published(r.status)]
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    published.sort(key=lambda r: (r.resolved or r.started or epoch, r.id), reverse=True)
    feed = ET.Element(f"{{{ns}}}feed")
    ET.SubElement(feed, f"{{{ns}}}title").text = f"{site_name}: incident reports"
    ET.SubElement(feed, f"{{{ns}}}id").text = f"{site_url.rstrip('/')}/feed.xml" if site_url else "feed.xml"
    ET.SubElement(feed, f"{{{ns}}}link", href=f"{site_url.rstrip('/')}/incidents/" if site_url else "incidents/")
    updated = max((r.resolved or r.started or epoch for r in published), default=epoch)
    ET.SubElement(feed, f"{{{ns}}}updated").text = updated.isoformat()
    for report in published:
        entry = ET.SubElement(feed, f"{{{ns}}}entry")
        url = report_url(site_url, report.id)
        ET.SubElement(entry, f"{{{ns}}}title").text = f"{report.id}: {report.title}"
        ET.SubElement(entry, f"{{{ns}}}id").text = url
        ET.SubElement(entry, f"{{{ns}}}link", href=url)
        ET.SubElement(entry, f"{{{ns}}}updated").text = (report.resolved or report.started or epoch).isoformat()
        if report.started:
            ET.SubElement(entry, f"{{{ns}}}published").text = report.started.isoformat()
        author = ET.SubElement(entry, f"{{{ns}}}author")
        ET.SubElement(author, f"{{{ns}}}name").text = report.owner or "unknown"
        for term in [report.severity, *report.services]:
            if term:
                ET.SubElement(entry, f"{{{ns}}}category", term=term)
        summary = f"{report.severity} · {report.status}. {report_description(report, 400)}"
        ET.SubElement(entry, f"{{{ns}}}summary").text = summary
    ET.indent(feed)
    # Report text was cleaned at reading; site-wide text (the site name) was not: XML 1.0 has no
    # way to write a control character, so none may reach the feed from anywhere.
    return '<?xml version="1.0" encoding="utf-8"?>\n' + drop_bad(ET.tostring(feed, encoding="unicode")) + "\n"


def open_graph(report: Report, tax: Taxonomy, site_url: str, site_name: str) -> list[tuple[str, str, str]]:
    """The meta tags that make a report's link unfurl in Slack and elsewhere, as data: (attribute,
    key, content) for `<meta {attribute}="{key}" content="{content}">`, which the theme's template
    (overrides/main.html) writes, escaped."""
    severity = tax.severity(report.severity)
    title = f"{report.id}: {report.title}" if report.id else report.title
    description = report_description(report, 200)
    tags = [
        ("property", "og:type", "article"),
        ("property", "og:site_name", site_name),
        ("property", "og:title", title),
        ("property", "og:description", description),
        ("name", "twitter:card", "summary"),
        ("name", "twitter:title", title),
        ("name", "twitter:description", description),
        ("name", "twitter:label1", "Severity"),
        ("name", "twitter:data1", f"{report.severity} · {severity.name}" if severity else report.severity),
    ]
    if report.impact_duration is not None:  # what a reader wants first; else how long it took to resolve
        tags += [("name", "twitter:label2", "Customer impact"),
                 ("name", "twitter:data2", format_duration(report.impact_duration))]
    elif report.time_to_resolve is not None:
        tags += [("name", "twitter:label2", "Time to resolve"),
                 ("name", "twitter:data2", format_duration(report.time_to_resolve))]
    if site_url and report.id:
        url = report_url(site_url, report.id)
        image = f"{site_url.rstrip('/')}/{CARD_IMAGE}"
        tags += [("property", "og:url", url), ("property", "og:image", image), ("name", "twitter:image", image)]
    if report.started:
        tags.append(("property", "article:published_time", report.started.isoformat()))
    return tags


def redirect_page(target: str, canonical: str = "") -> str:
    """A static page that sends the browser on to `target` (a relative or absolute URL)."""
    href = attr(target)
    link = f'<link rel="canonical" href="{attr(canonical)}">' if canonical else ""
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Redirecting…</title>{link}<meta name=\"robots\" content=\"noindex\">"
            f"<meta http-equiv=\"refresh\" content=\"0; url={href}\"></head>"
            f"<body><p>This report has moved to <a href=\"{href}\">{href}</a>.</p></body></html>\n")

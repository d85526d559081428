"""Machine-readable outputs and link previews: incidents.json, the Atom feed, OpenGraph tags and
what each report's preview card shows, and redirect pages from other addresses to a report's
permanent one (with the same preview tags: a link to them unfurls as the report's does).

Every value a report author wrote is escaped for where it goes (HTML attributes, XML text,
JSON strings), and all of it is built from the reports one build publishes: a report left out
of a build leaves nothing here either.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

from handbook.core.text import clip, drop_bad
from handbook.core.timestamps import format_duration
from handbook.reading.model import TIMESTAMPS_NOT_STATED, Report
from handbook.reading.taxonomy import NOT_STATED_KEYS, Taxonomy, is_not_stated
from handbook.rendering.cards import HEIGHT, WIDTH, Card
from handbook.rendering.markup import safe_url
from handbook.rendering.report_page import report_description
from handbook.rendering.routes import report_url
from handbook.rendering.templating import render_html

CARD_IMAGE = "assets/images/incident-card.png"
"""The site's own preview image (1200x630): for a report whose card could not be drawn."""


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
        "kind": tax.kind(report.kind).id,
        "counted": tax.kind(report.kind).counted,
        "severity": report.severity,
        "severity_estimated": report.severity_estimated,
        "severity_label": report.severity_label or None,
        "references": [{"text": r["text"], "url": safe_url(r["url"]) if r["url"] else None}
                       for r in report.references],
        "status": report.status,
        "published": tax.is_published(report.status),
        "visibility": report.visibility,
        "services": report.services,
        "tags": report.tags,
        "owner": report.owner,
        "started": _iso(report.started),
        "detected": _iso(report.detected),
        "mitigated": _iso(report.mitigated),
        "impact_ended": _iso(report.impact_ended),
        "resolved": _iso(report.resolved),
        # the timestamps the report gives as `not stated` (null above, like an unreadable one)
        "not_stated": [key for key in TIMESTAMPS_NOT_STATED if is_not_stated(report.data.get(key))],
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
             "not_stated": [key for key in NOT_STATED_KEYS if a.not_stated(key)],
             "long_term": a.long_term,
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


def _impact(report: Report) -> str | None:
    duration = report.impact_duration
    shown = format_duration(duration) if duration is not None else "—"
    return None if shown == "—" else shown


def report_card(report: Report, tax: Taxonomy, site_name: str) -> Card:
    """What the report's link-preview card shows (`rendering.cards` draws it)."""
    severity = tax.severity(report.severity)
    rank = [s.id for s in tax.severities].index(severity.id) + 1 if severity else 0
    return Card(id=report.id, title=report.title, severity=report.severity,
                severity_name=severity.name if severity else "", rank=rank, status=report.status,
                impact=_impact(report) or "not known", site=site_name)


def open_graph(report: Report, tax: Taxonomy, site_url: str, site_name: str,
               card: str | None = None) -> list[tuple[str, str, str]]:
    """The meta tags that make a report's link unfurl in Slack and elsewhere, as data: (attribute,
    key, content) for `<meta {attribute}="{key}" content="{content}">`, which the theme's template
    (overrides/main.html) and `redirect_page` write, escaped. `card` is the site path of the
    report's own preview card (`assets/cards/<id>.png`); without it, the site's image is shown."""
    severity = tax.severity(report.severity)
    title = f"{report.id}: {report.title}" if report.id else report.title
    status = report.status or "not known"
    description = clip(f"Status: {status}. {report_description(report, 0)}".rstrip(), 200)
    sev_label = f"{report.severity} · {severity.name}" if severity else (report.severity or "not known")
    tags = [
        ("property", "og:type", "article"),
        ("property", "og:site_name", site_name),
        ("property", "og:title", title),
        ("property", "og:description", description),
        ("name", "twitter:card", "summary_large_image"),
        ("name", "twitter:title", title),
        ("name", "twitter:description", description),
        ("name", "twitter:label1", "Severity"),
        ("name", "twitter:data1", sev_label),
    ]
    if (impact := _impact(report)) is not None:  # what a reader wants first; else how long it took to resolve
        tags += [("name", "twitter:label2", "Customer impact"), ("name", "twitter:data2", impact)]
    elif report.time_to_resolve is not None:
        tags += [("name", "twitter:label2", "Time to resolve"),
                 ("name", "twitter:data2", format_duration(report.time_to_resolve))]
    if site_url and report.id:
        url = report_url(site_url, report.id)
        image = f"{site_url.rstrip('/')}/{card or CARD_IMAGE}"
        alt = (f"{report.id}: {clip(report.title, 200)}. Severity {sev_label}; status {status}; "
               f"customer impact {_impact(report) or 'not known'}.") if card else site_name
        tags += [("property", "og:url", url), ("property", "og:image", image),
                 ("property", "og:image:type", "image/png"), ("property", "og:image:width", str(WIDTH)),
                 ("property", "og:image:height", str(HEIGHT)), ("property", "og:image:alt", alt),
                 ("name", "twitter:image", image), ("name", "twitter:image:alt", alt)]
    if report.started:
        tags.append(("property", "article:published_time", report.started.isoformat()))
    return tags


def redirect_page(target: str, canonical: str = "", head: list[tuple[str, str, str]] | None = None) -> str:
    """A static page that sends the browser on to `target` (a relative or absolute URL). `head` is
    the report's preview tags (`open_graph`): Slack and other unfurlers do not follow a refresh, so
    the page itself says what the link is (templates/redirect.html, every value escaped)."""
    return render_html("redirect.html", target=target, canonical=canonical, head=head or [])

"""The head of a report's page, as data: what a reader opening it from a Slack link looks for first.

Severity and status, the key numbers, the services, how many action items are overdue, then the
roles, times and the rest. Every value is plain text or a checked address; the template
(templates/report-header.html, rendered with autoescaping on) lays it out. A value the report
does not give is None, and the template shows it as not known.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from handbook.core.timestamps import format_duration
from handbook.queries.effectiveness import effectiveness
from handbook.queries.worklists import days_overdue
from handbook.reading.durations import BY_KEY
from handbook.reading.model import Report, text
from handbook.reading.taxonomy import NOT_STATED, Taxonomy, is_not_stated
from handbook.rendering.follow_through import effectiveness_view
from handbook.rendering.markup import safe_url, url_label
from handbook.rendering.routes import Routes

LINK_LABELS = (("slack", "Slack channel"), ("tickets", "Ticket"), ("dashboards", "Dashboard"))


def report_header(report: Report, tax: Taxonomy, routes: Routes, src: str, today: dt.date) -> dict[str, Any]:
    """The header of the report page at `src`, as plain data for the template."""
    severity = tax.severity(report.severity)
    impact = report.impact
    facing = impact.get("customer_facing")
    roles = report.roles  # a property that reads the front matter: once
    kind = tax.kind(report.kind)
    # The service pages list our own incidents: a case study's or a drill's services are named, not linked.
    linked = kind.counted
    overdue = [days for days in (days_overdue(item, today) for item in report.actions) if days is not None]
    kept = _Kept(report.withheld)  # fields this build's audience may not read: left out, not "not known"
    return {
        "severity": None if severity is None else {
            "id": severity.id, "name": severity.name, "href": routes.href(src, routes.severity(severity.id)),
            "rank": tax.severity_rank(severity.id)},
        "severity_text": report.severity or None,
        "severity_estimated": report.severity_estimated,
        "severity_label": report.severity_label or None,
        "references": [{"text": r["text"], "href": safe_url(r["url"]) if r["url"] else None}
                       for r in report.references],
        "status": report.status or None,
        "kind": None if kind.counted else kind.name,
        "draft": report.status == "draft",
        "numbers": [("Customer impact", _duration(report.impact_duration)),
                    ("Time to resolve", _duration(report.time_to_resolve)),
                    *kept.row("impact.users_affected", "Users affected", text(impact.get("users_affected")) or None)],
        "services": [{"name": name, "href": routes.href(src, routes.service(name)) if linked else None}
                     for name in report.services],
        "overdue": {"count": len(overdue), "oldest_days": max(overdue)} if overdue else None,
        "people": [("Owner", report.owner or None), *kept.row("authors", "Authors", ", ".join(report.authors) or None),
                   *[(role.name, ", ".join(roles[role.id])) for role in tax.roles if roles.get(role.id)]],
        "clock": _clock(report),
        # after the clock; only for a report past its review meeting (None: the report does not say when)
        "review_meeting": {"when": _day(report.review_meeting)} if _reviewed(report, tax) else None,
        "visibility": report.visibility or None,
        "facts": [*kept.row("impact.customer_facing", "Customer-facing",
                            "yes" if facing is True else "no" if facing is False else None),
                  *kept.row("impact.data_impact", "Data impact", text(impact.get("data_impact")) or None),
                  *kept.row("tags", "Tags", ", ".join(report.tags) or None)],
        "links": _links(report.links),
        "effectiveness": effectiveness_view(found, today) if (found := effectiveness(report, tax, today)) else None,
    }


class _Kept:
    """The header's rows for fields a view may have taken out (`Report.withheld`)."""

    def __init__(self, withheld: tuple[str, ...]) -> None:
        self.withheld = withheld

    def row(self, path: str, label: str, value: Any) -> list[tuple[str, Any]]:
        """[(label, value)], or [] when this build's audience may not read the field or what holds it."""
        if any(path == w or path.startswith(w + ".") for w in self.withheld):
            return []
        return [(label, value)]


def _reviewed(report: Report, tax: Taxonomy) -> bool:
    status = tax.status(report.status)
    return bool(status and status.reviewed and tax.kind(report.kind).counted)


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _duration(value: dt.timedelta | None) -> str | None:
    return format_duration(value) if value is not None else None


def _clock(report: Report) -> list[dict[str, str | None]]:
    """Started, detected, mitigated, impact ended (when the report gives it apart from mitigation)
    and resolved as one line: each later time without the date (and zone) it shares with the start,
    detection and mitigation with how long they took (durations.DURATIONS)."""
    start = report.started
    marks = [("Started", "started", None), ("Detected", "detected", "time_to_detect"),
             ("Mitigated", "mitigated", "time_to_mitigate"),
             *([("Impact ended", "impact_ended", None)] if report.impact_ended else []),
             ("Resolved", "resolved", None)]  # time to resolve and customer impact: key numbers
    clock = []
    for label, field, since in marks:
        parsed = getattr(report, field)
        when = _when(parsed, report.data.get(field))
        if parsed is not None and start is not None and field != "started" and \
                parsed.date() == start.date() and parsed.utcoffset() == start.utcoffset():
            when = parsed.strftime("%H:%M")
        clock.append({"label": label, "when": when, "since_label": BY_KEY[since].label.lower() if since else None,
                      "since": _duration(report.duration(since)) if since else None})
    return clock


def _when(parsed: dt.datetime | None, raw: object) -> str | None:
    """A timestamp as the report's readers read it: in its own offset, or UTC."""
    if parsed is None:
        return None if raw is None else NOT_STATED if is_not_stated(raw) else str(raw)
    offset = parsed.strftime("%z")
    zone = f"{offset[:3]}:{offset[3:]}" if parsed.utcoffset() else "UTC"
    return parsed.strftime("%Y-%m-%d %H:%M ") + zone


def _links(links: dict[str, Any]) -> list[dict[str, str]]:
    """The report's outside links that are http(s) addresses, each labelled by its kind and its last
    path part (a ticket's key, a dashboard's name), so two tickets read differently."""
    found: list[dict[str, str]] = []
    for key, label in LINK_LABELS:
        values = links.get(key)
        for value in values if isinstance(values, list) else [values]:
            if not value:
                continue
            href = safe_url(value)
            if href is None:  # the validator reports it; the reader still sees that there is one
                found.append({"label": label, "href": ""})
                continue
            last = url_label(href)
            found.append({"label": f"{label} {last}" if last and key != "slack" else label, "href": href})
    return found

"""The page of one report: header card, the author's sections, generated tables, related reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from handbook.core.problems import Level, Problem
from handbook.core.paths import stable_name
from handbook.core.text import clip
from handbook.queries.similarity import Match
from handbook.reading.model import ActionItem, Report, text
from handbook.queries.worklists import days_overdue
from handbook.reading.sections import code_flags, normalise
from handbook.reading.taxonomy import Taxonomy
from handbook.rendering.markup import safe_markdown, safe_url, url_label
from handbook.rendering.page import Page
from handbook.rendering.report_header import report_header
from handbook.rendering.routes import Routes
from handbook.rendering.templating import render_fragment, render_html


def report_description(report: Report, limit: int = 200) -> str:
    """Plain-text summary for search results, link previews and feeds."""
    return clip(report.summary, limit)


def render_report_page(report: Report, tax: Taxonomy, routes: Routes, today: dt.date, *, src: str,
                       problems: list[Problem] | None = None, body: str | None = None,
                       similar: list[tuple[Match, str]] | None = None,
                       statement: tuple[str, str] | None = None, referenced_by: Sequence[str] = ()) -> Page:
    """The report's page at `src`. `problems` are shown in a box at the top (live preview); `body` is the
    report's Markdown with its links made the site's (`report_links`), the report's own otherwise;
    `similar` are the reports most like it (`queries.similarity`), each with its page's source path;
    `statement` is the title and page source path of the external message it publishes;
    `referenced_by` the ids of the reports that list it as related."""
    title = f"{report.id}: {report.title}" if report.id else report.title
    # The theme writes the title, then this header (overrides/partials/content.html): outside the
    # page's Markdown, so the search index is not made of it, and as one string, not a structure
    # (thousands of pages wait in memory for the theme).
    page = Page.start(title, report_description(report), listing=False, heading=False)
    page.data["handbook_header"] = render_html("report-header.html", r=report_header(report, tax, routes, src, today))
    parts = page.lines
    if problems:
        errors = sum(1 for p in problems if p.level is Level.ERROR)
        parts += render_fragment("problem-box.html", problems=problems, errors=errors, warnings=len(problems) - errors)
    # Before the first heading, so Material's search shows the summary as the page's own snippet;
    # `hidden`: on the page the summary is read once, in its section.
    parts += render_fragment("search-lead.html", summary=report_description(report, 300))
    told = {"title": statement[0], "href": routes.href(src, statement[1])} if statement else None
    parts += _body(report, report.body if body is None else body, tax, today, told)
    parts += _related(report, routes, src, referenced_by)
    parts += _similar(similar or [], tax, routes, src)
    return page


def _body(report: Report, body: str, tax: Taxonomy, today: dt.date, statement: dict[str, str] | None) -> list[str]:
    """The author's Markdown, with the factors and action-item tables put under their headings, and under
    the external message's the link to where it is published (`statement`: its title and address)."""
    factors_title = normalise(next((s.title for s in tax.sections if s.id == "contributing-factors"), ""))
    actions_title = normalise(next((s.title for s in tax.sections if s.id == "action-items"), ""))
    message_title = normalise(tax.external_message.title)
    out: list[str] = []
    placed = {"factors": False, "actions": False, "message": statement is None}
    lines = safe_markdown(body).split("\n")  # line for line the author's, so fences are where they were
    opens, closes = _part_marks(report, lines)
    for index, (line, in_code) in enumerate(zip(lines, code_flags(lines))):
        if index in opens:
            out += ["", *render_fragment("part-open.html", level=opens[index], own=report.visibility)]
        out.append(line)
        if index in closes:
            out += ["", *render_fragment("part-close.html")]
        if in_code or not line.startswith("## "):
            continue
        heading = normalise(line[3:].strip().rstrip("#").strip())
        if heading == factors_title and not placed["factors"]:
            out += ["", *_factor_table(report, tax)]
            placed["factors"] = True
        elif heading == actions_title and not placed["actions"]:
            out += ["", *_action_table(report.actions, tax, today)]
            placed["actions"] = True
        elif heading == message_title and not placed["message"]:
            out += ["", *render_fragment("statement-link.html", statement=statement)]
            placed["message"] = True
    # A report without the headings still shows its data: nothing is dropped.
    if not placed["factors"] and report.factors:
        out += ["", "## Contributing factors", "", *_factor_table(report, tax)]
    if not placed["actions"] and report.actions:
        out += ["", "## Action items", "", *_action_table(report.actions, tax, today)]
    return out + [""]


def _part_marks(report: Report, lines: list[str]) -> tuple[dict[int, str], set[int]]:
    """Where the stretches kept for a narrower audience start (line index -> level) and end. None when
    the body's lines are not the view's (a rewritten link took a line break): the parts stay unlabelled
    rather than labelled in the wrong place."""
    if not report.shown_parts or len(lines) != report.body.count("\n") + 1:
        return {}, set()
    return {first: level for first, _, level in report.shown_parts}, {last for _, last, _ in report.shown_parts}


def _factor_table(report: Report, tax: Taxonomy) -> list[str]:
    if not report.factors:
        return ["*No contributing factors recorded yet.*", ""]
    return render_fragment("factors.html", factors=[{"layer": tax.label("layer", f.layer), "description": f.description}
                                                    for f in report.factors])


def action_anchor(item_id: str) -> str:
    """The id of an action item's block on its report's page: worklists link to it."""
    return "action-" + stable_name(item_id)


def action_view(item: ActionItem, tax: Taxonomy, today: dt.date) -> dict[str, Any]:
    """One action item as plain data for the templates (None where the report does not say)."""
    ticket = safe_url(item.ticket) if item.ticket else None
    return {
        "id": item.id, "anchor": action_anchor(item.id), "description": item.description,
        # The status as written: an item without one (a case study's, whose source may not say) is not
        # shown as open, though the worklists count it open so that none of ours is dropped.
        "status": text(item.raw.get("status")) or None, "verification": item.verification or None,
        "owner": item.owner or None,
        "priority": item.priority or None, "category": tax.label("category", item.category) if item.category else None,
        "due": item.due_text,
        "overdue_days": days_overdue(item, today),
        "ticket_text": item.ticket or None, "ticket": ticket,
        "ticket_label": (url_label(ticket) or "ticket") if ticket else None,
    }


def _action_table(actions: list[ActionItem], tax: Taxonomy, today: dt.date) -> list[str]:
    if not actions:
        return ["*No action items recorded yet.*", ""]
    return render_fragment("action-items.html", items=[action_view(item, tax, today) for item in actions])


def _related(report: Report, routes: Routes, src: str, referenced_by: Sequence[str]) -> list[str]:
    mentioned = [r for r in report.related if r in routes.known] + \
                [r for r in referenced_by if r in routes.known and r not in report.related]
    if not mentioned:
        return []
    related = [{"id": rid, "title": routes.known[rid], "href": routes.href(src, routes.report(rid)),
                "listed_here": rid in report.related} for rid in mentioned]
    return ["## Related incidents", "", *render_fragment("related.html", related=related)]


def similar_reason(match: Match, tax: Taxonomy) -> str:
    """Why a report is similar, in a line: "shares checkout-api; both have a detection gap factor;
    words: connection pool, canary"."""
    parts = []
    if match.services:
        parts.append("shares " + _and(list(match.services)))
    if match.layers:
        names = [tax.label("layer", layer).lower() for layer in match.layers]
        parts.append(f"both have a{'n' if names[0][:1] in 'aeiou' else ''} {names[0]} factor" if len(names) == 1
                     else f"both have {_and(names)} factors")
    if match.tags:
        parts.append("both tagged " + _and(list(match.tags)))
    if match.words:
        parts.append("words: " + ", ".join(match.words))
    return "; ".join(parts) or "close in score only"


def _and(names: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _similar(similar: list[tuple[Match, str]], tax: Taxonomy, routes: Routes, src: str) -> list[str]:
    if not similar:
        return []
    rows = [{"id": m.report.id or m.report.key, "title": m.report.title, "href": routes.href(src, target),
             "date": m.report.date.isoformat() if m.report.date else None,
             "kind": None if tax.kind(m.report.kind).counted else tax.kind(m.report.kind).name.lower(),
             "score": f"{m.score:.2f}", "why": similar_reason(m, tax)} for m, target in similar]
    # Out of the search index, heading and all: its titles are other reports', each found on its own page.
    return ["## Similar incidents { data-search-exclude }", "", *render_fragment("similar.html", searched=False,
                                                                                similar=rows)]

"""External messages published: for a status page, a script and a reader of the site.

Each report's external message (`queries.statements`) becomes, on every build and for every audience:

* `statements/<id>.md`: Markdown ready for a status page (title, impact window, the parts as `##`);
* `statements/<id>.json`: the same as data; `statements/index.json`: all of them, newest first;
* `statements/<id>/`: a page of the site, and `statements/`: the page listing them.

A message is written to be public, so a build publishes the message of a report its audience may not
read too; then it carries the message's own words, the report's id and the impact window, and nothing
else of the report (no link to it, no services, severity or visibility). The title is the report's own
only when the author gave no `external_title`.

The author's Markdown reaches every output through `portable.portable`: rendered once, cut down to the
site's allowlist and written back by us, so the .md, the JSON's `markdown` and the page hold only the
syntax it writes (paragraphs, headings, lists, quotes, code, emphasis, links to http(s) and mailto
addresses), whatever renders them; raw HTML the author typed shows as text. The JSON's `html` is the
same as HTML, and its `text` as plain text, characters as typed: its reader escapes it like any text.
The page's HTML is also cut down to the allowlist after Markdown (the plugin sanitises every generated
page). The files hold no build time, so the same reports give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from handbook.core.text import clip
from handbook.core.timestamps import format_duration
from handbook.queries.statements import Statement, StatementPart, newest_first
from handbook.rendering.markup import md
from handbook.rendering.page import Page
from handbook.rendering.portable import markdown_text, portable
from handbook.rendering.routes import Routes
from handbook.rendering.templating import render_fragment


def _iso(value: dt.datetime | None) -> str | None:
    """A time as ISO 8601 in UTC (`2026-02-09T14:02:00+00:00`), or None when it is not known."""
    return value.astimezone(dt.timezone.utc).isoformat() if value else None


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.timezone.utc)


def impact_window(statement: Statement) -> str:
    """The impact window as a line a customer reads, in UTC: `2026-02-09 14:02 to 14:49 UTC (47 min)`."""
    start, end = statement.started, statement.ended
    if start is None:
        return "not known"
    begun = _utc(start)
    if end is None or end < start:
        return f"from {begun:%Y-%m-%d %H:%M} UTC; when it ended is not known"
    ended = _utc(end)
    until = f"{ended:%H:%M}" if ended.date() == begun.date() else f"{ended:%Y-%m-%d %H:%M}"
    return f"{begun:%Y-%m-%d %H:%M} to {until} UTC ({format_duration(end - start)})"


def resolved_at(statement: Statement) -> str | None:
    """When the incident was resolved, in UTC (None: not known)."""
    return f"{_utc(statement.resolved):%Y-%m-%d %H:%M} UTC" if statement.resolved else None


def statement_record(statement: Statement) -> dict[str, Any]:
    """The statement as JSON-ready data, keys in this order: id, title, impact, parts (each: id, title,
    markdown, html, text)."""
    return {
        "id": statement.report_id,
        "title": statement.title,
        "impact": {"started": _iso(statement.started), "ended": _iso(statement.ended),
                   "resolved": _iso(statement.resolved)},
        "parts": [_part_record(part) for part in statement.parts],
    }


def _part_record(part: StatementPart) -> dict[str, str]:
    """One part as JSON-ready data: its Markdown as `portable` writes it, the same as HTML and as text."""
    published = portable(part.markdown)
    return {"id": part.id, "title": part.title, "markdown": published.markdown, "html": published.html,
            "text": published.text}


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def statement_markdown(statement: Statement) -> str:
    """`statements/<id>.md`: the message as Markdown for a status page."""
    resolved = resolved_at(statement) or "not known"
    lines = [f"# {markdown_text(statement.title)}", "",
             f"**Impact:** {impact_window(statement)}. **Resolved:** {resolved}.", ""]
    for part in statement.parts:
        lines += [f"## {markdown_text(part.title)}", "", portable(part.markdown).markdown, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def statement_files(statements: list[Statement]) -> dict[str, str]:
    """Site path -> content of every statement's .md and .json, and of `statements/index.json`."""
    files: dict[str, str] = {}
    ordered = newest_first(statements)
    for statement in ordered:
        files[Routes.statement_file(statement.report_id, "md")] = statement_markdown(statement)
        files[Routes.statement_file(statement.report_id, "json")] = _json(statement_record(statement))
    files[Routes.STATEMENTS_JSON] = _json([statement_record(s) for s in ordered])
    return files


def statement_page(statement: Statement, routes: Routes, report: tuple[str, str] | None) -> Page:
    """The page of one statement. `report` is (link text, source path) of the report's page when this
    build's audience may read the report, None when it may not: then the page names nothing of it but
    its id."""
    src = routes.statement(statement.report_id)
    first = statement.parts[0]
    page = Page.start(statement.title, clip(" ".join(portable(first.markdown).text.split()), 200))
    page.lines += render_fragment(
        "statement.html", id=statement.report_id, impact=impact_window(statement), resolved=resolved_at(statement),
        markdown=routes.file_href(src, routes.statement_file(statement.report_id, "md")),
        json=routes.file_href(src, routes.statement_file(statement.report_id, "json")),
        index=routes.href(src, routes.STATEMENTS),
        report={"text": report[0], "href": routes.href(src, report[1])} if report else None)
    for part in statement.parts:
        # the Markdown the .md publishes: the page shows what a status page shows
        page.lines += [f"## {md(part.title)}", "", portable(part.markdown).markdown, ""]
    return page


def statements_page(statements: list[Statement], routes: Routes, published_from: str) -> Page:
    """`statements/`: every external message this build publishes, newest first, with its files."""
    src = routes.STATEMENTS
    rows = [{"date": _utc(s.started).date().isoformat() if s.started else None, "id": s.report_id,
             "title": s.title, "href": routes.href(src, routes.statement(s.report_id)),
             "impact": impact_window(s),
             "markdown": routes.file_href(src, routes.statement_file(s.report_id, "md")),
             "json": routes.file_href(src, routes.statement_file(s.report_id, "json"))}
            for s in newest_first(statements)]
    page = Page.start("External messages", "What we told customers and the status page about each incident.")
    page.lines += render_fragment("statements.html", rows=rows, published_from=published_from,
                                  index=routes.file_href(src, routes.STATEMENTS_JSON))
    return page

"""External messages published: for a status page, a script and a reader of the site.

Each report's external message (`queries.statements`) becomes, on every build and for every audience:

* `statements/<id>.md`: Markdown ready for a status page (title, impact window, the parts as `##`);
* `statements/<id>.json`: the same as data; `statements/index.json`: all of them, newest first;
* `statements/<id>/`: a page of the site, and `statements/`: the page listing them.

A message is written to be public, so a build publishes the message of a report its audience may not
read too; then it carries the message's own words, the report's id and the impact window, and nothing
else of the report (no link to it, no services, severity or visibility). The title is the report's own
only when the author gave no `external_title`.

The author's Markdown reaches every output through `markup.safe_markdown`: raw HTML shows as text
and only http(s) and mailto links stay links, whatever renders the .md or the JSON's `markdown`
afterwards; the page's HTML is also cut down to the allowlist after Markdown (the plugin sanitises
every generated page). The JSON's `text` is the same as plain text, characters as typed: its reader
escapes it like any text. The files hold no build time, so the same reports give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from typing import Any

from handbook.core.text import clip
from handbook.core.timestamps import format_duration
from handbook.queries.statements import Statement, newest_first
from handbook.rendering.markup import md, safe_markdown
from handbook.rendering.page import Page
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
    """The statement as JSON-ready data, keys in this order: id, title, impact, parts."""
    return {
        "id": statement.report_id,
        "title": statement.title,
        "impact": {"started": _iso(statement.started), "ended": _iso(statement.ended),
                   "resolved": _iso(statement.resolved)},
        "parts": [{"id": p.id, "title": p.title, "markdown": safe_markdown(p.markdown),
                   "text": plain_paragraphs(safe_markdown(p.markdown))} for p in statement.parts],
    }


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def statement_markdown(statement: Statement) -> str:
    """`statements/<id>.md`: the message as Markdown for a status page."""
    resolved = resolved_at(statement) or "not known"
    lines = [f"# {markdown_text(statement.title)}", "",
             f"**Impact:** {impact_window(statement)}. **Resolved:** {resolved}.", ""]
    for part in statement.parts:
        lines += [f"## {markdown_text(part.title)}", "", safe_markdown(part.markdown), ""]
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
    page = Page.start(statement.title, clip(" ".join(plain_paragraphs(safe_markdown(first.markdown)).split()), 200))
    page.lines += render_fragment(
        "statement.html", id=statement.report_id, impact=impact_window(statement), resolved=resolved_at(statement),
        markdown=routes.file_href(src, routes.statement_file(statement.report_id, "md")),
        json=routes.file_href(src, routes.statement_file(statement.report_id, "json")),
        index=routes.href(src, routes.STATEMENTS),
        report={"text": report[0], "href": routes.href(src, report[1])} if report else None)
    for part in statement.parts:
        # the author's Markdown, through the same safe path as a report's body
        page.lines += [f"## {md(part.title)}", "", safe_markdown(part.markdown), ""]
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


# -- text for other renderers ------------------------------------------------------------------------
_MARKDOWN_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;",
                                **{c: "\\" + c for c in "\\`*_[]#|~"}})


def markdown_text(value: str) -> str:
    """Plain text (a title) as Markdown that shows it as it is: HTML's `&`, `<`, `>` as references, the
    characters that start Markdown syntax behind a backslash."""
    return " ".join(value.split()).translate(_MARKDOWN_TEXT)


_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,9}[.)])\s+")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\[[^\]]*\]")
_EMPHASIS = re.compile(r"(\*\*|\*|~~)(?=\S)(.+?)(?<=\S)\1|(?<!\w)(__|_)(?=\S)(.+?)(?<=\S)\3(?!\w)")
_CODE = re.compile(r"(`+)(.+?)\1")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def plain_paragraphs(markdown: str) -> str:
    """Markdown as plain text as its page shows it: paragraphs kept (a blank line between), each list
    item on a line of its own (`- `), links as their words, images as their alt text, emphasis and code
    marks dropped, character references and backslash escapes read."""
    blocks = []
    for block in re.split(r"\n[ \t]*\n", markdown.strip()):
        lines: list[str] = []
        for line in block.split("\n"):
            item = _LIST_ITEM.match(line)
            words = _inline(line[item.end():] if item else line.strip().lstrip("#>").strip())
            if item or not lines:
                lines.append(("- " if item else "") + words)
            else:
                lines[-1] = f"{lines[-1]} {words}".strip()
        blocks.append("\n".join(line for line in lines if line.strip()))
    return "\n\n".join(b for b in blocks if b)


def _inline(line: str) -> str:
    line = _IMAGE.sub(r"\1", line)
    line = _LINK.sub(lambda m: m.group(1) or m.group(2), line)
    line = _CODE.sub(r"\2", line)
    line = _EMPHASIS.sub(lambda m: m.group(2) if m.group(1) else m.group(4), line)
    return html.unescape(_ESCAPED.sub(r"\1", " ".join(line.split())))

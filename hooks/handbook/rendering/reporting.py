"""Problems rendered for people (text), for GitHub (workflow commands and the job summary) and for
tools (JSON)."""

from __future__ import annotations

import json

from handbook.core.problems import Level, Problem, count
from handbook.queries.audience import LeftOut
from handbook.rendering.markup import md

FORMATS = ("text", "github", "json")


def summary_line(problems: list[Problem], reports: int) -> str:
    """The last line of every format: reports checked, errors, warnings and files."""
    errors, warnings = count(problems, Level.ERROR), count(problems, Level.WARNING)
    files = len({p.file for p in problems})
    if not problems:
        return f"{reports} report{'s' if reports != 1 else ''} checked: no problems."
    return (f"{reports} report{'s' if reports != 1 else ''} checked: {errors} error{'s' if errors != 1 else ''}, "
            f"{warnings} warning{'s' if warnings != 1 else ''} in {files} file{'s' if files != 1 else ''}.")


def text_lines(p: Problem) -> list[str]:
    """One problem for people: `file:line: level [rule] message`, then its fix indented."""
    return [f"{p.file}:{p.line}: {p.level.value} [{p.rule}] {p.message}", *([f"    fix: {p.hint}"] if p.hint else [])]


def log_line(p: Problem) -> str:
    """One problem on one line, for logs (MkDocs' output): the text form with its fix after the message."""
    return f"{p.file}:{p.line}: {p.level.value} [{p.rule}] {p.message}" + (f" Fix: {p.hint}" if p.hint else "")


def render_text(problems: list[Problem], reports: int) -> str:
    """Problems for people, each as `text_lines` gives it, then the summary line."""
    lines = [line for p in problems for line in text_lines(p)]
    lines.append(summary_line(problems, reports))
    return "\n".join(lines) + "\n"


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def render_github(problems: list[Problem], reports: int) -> str:
    """GitHub Actions workflow commands: each problem becomes an annotation on its line."""
    lines = []
    for p in problems:
        command = "error" if p.level is Level.ERROR else "warning"
        message = p.message + (f" Fix: {p.hint}" if p.hint else "")
        lines.append(f"::{command} file={_escape_property(p.file)},line={p.line},"
                     f"title={_escape_property(p.rule)}::{_escape_data(message)}")
    lines.append(summary_line(problems, reports))
    return "\n".join(lines) + "\n"


def render_json(problems: list[Problem], reports: int) -> str:
    """Problems for tools: one JSON document with the totals."""
    document = {
        "reports": reports,
        "errors": count(problems, Level.ERROR),
        "warnings": count(problems, Level.WARNING),
        "problems": [p.as_dict() for p in problems],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


SUMMARY_ROWS = 1000
"""Rows shown in a job summary at most: GitHub refuses a step summary over 1 MiB."""


def render_summary(problems: list[Problem], reports: int, *, limit: int = SUMMARY_ROWS) -> str:
    """A Markdown job summary: the totals, then a table of problems per file.

    Everything an author typed (file names, messages, fixes) is escaped with `markup.md`, so a
    `|`, a newline or HTML in a message stays inside its cell. Meant to be appended to
    `$GITHUB_STEP_SUMMARY`, so it starts and ends with a blank line.
    """
    errors = count(problems, Level.ERROR)
    mark = "❌" if errors else ("⚠️" if problems else "✅")
    lines = ["", "## Postmortem validation", "", f"{mark} {md(summary_line(problems, reports))}", ""]
    by_file: dict[str, list[Problem]] = {}
    for p in problems:
        by_file.setdefault(p.file, []).append(p)
    shown = 0
    for file, mine in by_file.items():
        if shown >= limit:
            break
        file_errors, file_warnings = count(mine, Level.ERROR), count(mine, Level.WARNING)
        lines += [f"### {md(file)}", "",
                  f"{file_errors} error{'s' if file_errors != 1 else ''}, "
                  f"{file_warnings} warning{'s' if file_warnings != 1 else ''}.", "",
                  "| Line | Level | Rule | Message | Fix |", "|---:|---|---|---|---|"]
        for p in mine[: limit - shown]:
            lines.append(f"| {p.line} | {p.level.value} | {md(p.rule)} | {md(p.message)} | {md(p.hint)} |")
            shown += 1
        lines.append("")
    if shown < len(problems):
        rest = len(problems) - shown
        lines += [f"…and {rest} more problem{'s' if rest != 1 else ''} not shown here: run "
                  "`handbook validate` for the full list.", ""]
    return "\n".join(lines) + "\n"


RENDERERS = {"text": render_text, "github": render_github, "json": render_json}


def render_audience(found: list[LeftOut], audience: str) -> str:
    """What `audience` reads of each report (`handbook validate --audience`), for people: every part it
    does not read, located, so the author sees the build for that audience before it is made."""
    lines = [f"What `{audience}` readers read:"]
    for item in found:
        name = f"{item.report.rel}" + (f" ({item.report.id})" if item.report.id else "")
        if not item.readable:
            lines.append(f"  {name}: none of it (the report is `{item.report.visibility}`)")
        elif item.everything_read:
            lines.append(f"  {name}: all of it")
        else:
            lines.append(f"  {name}: all but")
            lines += [f"    - lines {first}-{last} (`::: {level}`)" for first, last, level in item.stretches]
            lines += [f"    - action item {item_id}" for item_id in item.items]
            lines += [f"    - the contributing factor on line {line}" for line in item.factors]
            lines += [f"    - the field {path}" for path in item.fields]
    return "\n".join(lines) + "\n"


def audience_record(found: list[LeftOut], audience: str) -> dict[str, object]:
    """The same as JSON-ready values (`--format json` adds it as `audience`)."""
    return {"level": audience, "reports": [
        {"file": item.report.rel, "id": item.report.id or None, "readable": item.readable,
         "left_out": {"body": [{"first_line": f, "last_line": last, "level": lv} for f, last, lv in item.stretches],
                      "action_items": list(item.items), "factor_lines": list(item.factors),
                      "fields": list(item.fields)}}
        for item in found]}

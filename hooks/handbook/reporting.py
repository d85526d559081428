"""Problems rendered for people (text), for GitHub (workflow commands) and for tools (JSON)."""

from __future__ import annotations

import json

from .problems import Level, Problem, count

FORMATS = ("text", "github", "json")


def summary_line(problems: list[Problem], reports: int) -> str:
    errors, warnings = count(problems, Level.ERROR), count(problems, Level.WARNING)
    files = len({p.file for p in problems})
    if not problems:
        return f"{reports} report{'s' if reports != 1 else ''} checked: no problems."
    return (f"{reports} report{'s' if reports != 1 else ''} checked: {errors} error{'s' if errors != 1 else ''}, "
            f"{warnings} warning{'s' if warnings != 1 else ''} in {files} file{'s' if files != 1 else ''}.")


def render_text(problems: list[Problem], reports: int) -> str:
    lines = []
    for p in problems:
        lines.append(f"{p.file}:{p.line}: {p.level.value} [{p.rule}] {p.message}")
        if p.hint:
            lines.append(f"    fix: {p.hint}")
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
    document = {
        "reports": reports,
        "errors": count(problems, Level.ERROR),
        "warnings": count(problems, Level.WARNING),
        "problems": [p.as_dict() for p in problems],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"text": render_text, "github": render_github, "json": render_json}

"""A new report from the template: the next free id, a path, and the template filled in."""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass
from pathlib import Path

from handbook.reading.taxonomy import Taxonomy
from handbook.rendering.routes import slug

_FILLED_FORMS = {"started_short": r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"}
"""What render_draft writes for a template variable, where it is of one form (any other: any text)."""


def _format_regex(id_format: str) -> re.Pattern[str]:
    """`INC-{year}-{number:03d}` -> a regex with `year` and `number` groups."""
    out, last = "", 0
    for match in re.finditer(r"\{(year|number)(?::[^}]*)?\}", id_format):
        out += re.escape(id_format[last:match.start()])
        out += r"(?P<year>\d{4})" if match.group(1) == "year" else r"(?P<number>\d+)"
        last = match.end()
    return re.compile("^" + out + re.escape(id_format[last:]) + "$")


def next_id(tax: Taxonomy, used: set[str], year: int) -> str:
    """The id after the highest one of `year` (numbering restarts each year when the format has a year)."""
    pattern = _format_regex(tax.ids.format)
    has_year = "{year" in tax.ids.format
    highest = 0
    for rid in used:
        match = pattern.match(rid)
        if match and (not has_year or int(match.group("year")) == year):
            highest = max(highest, int(match.group("number")))
    number = highest + 1
    candidate = tax.ids.format.format(year=year, number=number)
    while candidate in used:
        number += 1
        candidate = tax.ids.format.format(year=year, number=number)
    return candidate


@dataclass(frozen=True, slots=True)
class Draft:
    id: str
    path: Path
    text: str


def _yaml_text(value: str) -> str:
    """A value for the template's front matter: quoted when YAML would misread it."""
    if not value or re.search(r"[:#\[\]{}&*!|>'\"%@`,]|^[-?\s]|\s$", value) or value.lower() in (
            "yes", "no", "true", "false", "null", "on", "off", "~"):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


def file_slug(title: str, limit: int = 60) -> str:
    """The title as a file name's readable part: at most `limit` characters, cut after a whole word
    (a single word longer than that is cut where it must be)."""
    name = slug(title).strip("-") if title else ""
    if len(name) > limit:
        cut = name.rfind("-", 0, limit + 1)
        name = name[:cut] if cut > 0 else name[:limit]
    return name.strip("-") or "incident"


def filled_line(line: str) -> re.Pattern[str]:
    """A pattern for one line of the template as render_draft fills it in: `${started_short}` stands
    for a `YYYY-MM-DD HH:MM`, another variable for any text, everything else for itself."""

    def _part(found: re.Match[str]) -> str:
        name = found.group("named") or found.group("braced")
        if name is None:
            return re.escape(found.group(0) if found.group("escaped") is None else "$")
        return _FILLED_FORMS.get(name, ".+?")

    pattern, last = "", 0
    for found in string.Template.pattern.finditer(line):
        pattern += re.escape(line[last:found.start()]) + _part(found)
        last = found.end()
    return re.compile(pattern + re.escape(line[last:]))


def render_draft(tax: Taxonomy, template: str, folder: Path, *, title: str, severity: str, services: list[str],
                 started: dt.datetime | None, owner: str, commander: str, slack: str, visibility: str,
                 used: set[str], report_id: str | None = None) -> Draft:
    """A new report's text from the template, as a valid draft, with `report_id` or else the next free id."""
    when = started or dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    rid = report_id or next_id(tax, used, when.year)
    name = f"{when.date().isoformat()}-{file_slug(title)}.md"
    values = {
        "id": _yaml_text(rid),
        "title": _yaml_text(title or "TODO"),
        "severity": _yaml_text(severity or "TODO"),
        "visibility": _yaml_text(visibility or tax.visibilities.default),
        "owner": _yaml_text(owner or "TODO"),
        "commander": _yaml_text(commander or owner or "TODO"),
        "services": ", ".join(_yaml_text(s) for s in services) if services else "TODO",
        "started": started.isoformat().replace("+00:00", "Z") if started else "TODO",
        "started_short": when.strftime("%Y-%m-%d %H:%M"),
        "slack": _yaml_text(slack) if slack else "https://TODO",
    }
    text = string.Template(template).safe_substitute(values)
    return Draft(rid, folder / str(when.year) / name, text)

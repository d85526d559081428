"""A report's external message, as plain data: the shorter, sanitised version of the report that its
author writes for customers and the status page (`external_message` in handbook.yml).

The author writes it inside the report, as the optional section `## External message` with a `###`
heading for each declared part, and may give it a title of its own (`external_title:`). It is
published from the status `published_from` on, on every build, whatever the report's visibility:
it is written to be public. So a statement carries the message's own words, the report's id and
the impact window, and nothing else of the report (`rendering.statements` decides what a build
adds for the reports its audience may read).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from handbook.reading.links import apply_edits, find_links, unlinked
from handbook.reading.model import Report, text
from handbook.reading.parts import message_title_field
from handbook.reading.sections import Block, literal_flags
from handbook.reading.taxonomy import Taxonomy

_COMMENT = re.compile(r"<!--.*?-->", re.S)


@dataclass(frozen=True, slots=True)
class StatementPart:
    """One `###` part of the message, in handbook.yml's order."""

    id: str
    """The part's id in handbook.yml (`summary`, `what_happened`...)."""
    title: str
    """Its heading, as handbook.yml declares it."""
    markdown: str
    """The author's Markdown under the heading: HTML comments and relative links (which point into the
    repository, not to anything a customer can open) taken out, leading and trailing blank lines too."""


@dataclass(frozen=True, slots=True)
class Statement:
    """The external message of one report, ready to publish."""

    report_id: str
    title: str
    """`external_title`, or the report's `title` when the report gives none (then the report's title is
    published with the message, for every audience)."""
    started: dt.datetime | None
    """When customer impact began (`started`)."""
    ended: dt.datetime | None
    """When customer impact ended: `impact_ended` when the report gives it, else `mitigated`; None when
    that is `not stated` (or unreadable)."""
    resolved: dt.datetime | None
    parts: tuple[StatementPart, ...]


def statement_of(report: Report, tax: Taxonomy) -> Statement | None:
    """The external message `report` publishes, or None: when it has no such section (or one of its
    parts is missing or empty: validation says which), when its status is before `published_from`
    (or unknown), when its kind is not counted (a case study's message is another company's, not ours
    to publish; a drill had no customers to tell), or when it has no id to publish it under.
    Needs the report's body (`parsed_body`): call it before the site releases it."""
    message = tax.external_message
    body = report.parsed_body
    if body is None or not report.id or not tax.kind(report.kind).counted:
        return None
    status = tax.status(report.status)
    if status is None or tax.status_rank(status.id) < tax.status_rank(message.published_from):
        return None
    block = body.section(message.title)
    if block is None:
        return None
    parts = []
    for part in message.parts:
        sub = block.child(part.title)
        markdown = _cleaned(sub) if sub is not None else ""
        if not markdown:
            return None  # never a message with a part missing: the checks refuse it at this status
        parts.append(StatementPart(part.id, part.title, markdown))
    title = report.title if message_title_field(report.data) == "title" else text(report.data["external_title"]).strip()
    ended = report.impact_ended if "impact_ended" in report.data else report.mitigated
    return Statement(report.id, title, report.started, ended, report.resolved, tuple(parts))


def newest_first(statements: list[Statement]) -> list[Statement]:
    """`statements` by the start of their impact, the latest first (equal starts: by id, the larger first;
    an unknown start last)."""
    epoch = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    return sorted(statements, key=lambda s: (s.started or epoch, s.report_id), reverse=True)


def _cleaned(block: Block) -> str:
    """A part's Markdown as published: without the author's HTML comments (outside code), its relative
    links reduced to their words, and without blank lines around it."""
    lines = block.texts
    literal = literal_flags(lines)
    out: list[str] = []
    prose: list[str] = []
    for line, is_code in zip(lines, literal):
        if is_code:
            out += _COMMENT.sub("", "\n".join(prose)).split("\n") if prose else []
            prose = []
            out.append(line)
        else:
            prose.append(line)
    if prose:
        out += _COMMENT.sub("", "\n".join(prose)).split("\n")
    return _without_relative_links("\n".join(out)).strip("\n").rstrip()


def _without_relative_links(markdown: str) -> str:
    """Every relative link and image of `markdown` (into the repository: another report, a handbook page,
    an attachment) as its words alone; a reference definition's target as `#`. A customer cannot open any
    of them, and an internal report's file name must not reach a public message."""
    links = find_links(markdown, 1)
    if not links:
        return markdown
    return apply_edits(markdown, [edit for link in links for edit in unlinked(link, "#")])

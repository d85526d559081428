"""Slack messages: a report's announcement and the weekly digest (posting them is `webhook`).

Everything an author typed reaches Slack as text: `&`, `<` and `>` are escaped, so a title
such as `<!channel>` or `<https://evil|click>` can neither mention anyone nor become a link.
Links are made only for http(s) addresses, and a link's label never holds `|` or `>`.
Block Kit messages are built inside Slack's limits (header 150 characters, section text
3000, at most 10 fields of 2000 each, at most 50 blocks).
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handbook.checks.collection import Collection
from handbook.core.problems import ProblemSink
from handbook.core.timestamps import format_duration
from handbook.queries.audience import audience_may_read
from handbook.queries.audience import counted
from handbook.reading.parts import view_for
from handbook.queries.effectiveness import Effectiveness, State, reviews_due
from handbook.queries.worklists import SOON_DAYS, OpenItem, ReviewDue, group_by_due, open_items, review_queue
from handbook.reading.model import Report, text
from handbook.reading.source import parse_source
from handbook.reading.taxonomy import Taxonomy
from handbook.rendering.markup import safe_url
from handbook.rendering.report_page import report_description
from handbook.rendering.routes import report_url

FORMATS = ("mrkdwn", "blocks")

HEADER_LIMIT = 150
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
MAX_FIELDS = 10
MAX_BLOCKS = 50
LINES_PER_GROUP = 20

# -- escaping ------------------------------------------------------------------------------------
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape(value: object) -> str:
    """User text for any Slack text field: one line, with Slack's three control characters escaped."""
    return " ".join(text(value).split()).translate(_ESCAPES)


def clip(value: object, limit: int) -> str:
    """`escape(value)`, cut on a character boundary (never inside an entity) to at most `limit` characters."""
    escaped = escape(value)
    if len(escaped) <= limit:
        return escaped
    raw = " ".join(text(value).split())
    out, size = [], 0
    for char in raw:
        piece = char.translate(_ESCAPES)
        if size + len(piece) > limit - 1:
            break
        out.append(piece)
        size += len(piece)
    return "".join(out).rstrip() + "…"


def link(url: object, label: object, limit: int = 300) -> str:
    """A Slack link `<url|label>` for an http(s) address; otherwise the label as text."""
    shown = clip(label, limit).replace("|", "¦")
    href = safe_url(url)
    if href is None or "|" in href:
        return shown
    return f"<{href.translate(_ESCAPES)}|{shown}>"


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


# -- messages ------------------------------------------------------------------------------------
@dataclass(slots=True)
class Message:
    """One Slack message: the mrkdwn text, and the same content as Block Kit."""

    key: str
    """What the message is about (a report id, or `digest`)."""
    mrkdwn: str
    fallback: str
    """Notification text of the Block Kit form (mrkdwn, escaped, short)."""
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def payload(self, fmt: str) -> dict[str, Any]:
        """What is sent to the webhook: `{"text": ...}` for mrkdwn, `{"text", "blocks"}` for blocks."""
        if fmt == "mrkdwn":
            return {"text": self.mrkdwn}
        return {"text": self.fallback, "blocks": self.blocks}


def _mrkdwn(value: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": value}


def _header(value: object) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(value, HEADER_LIMIT) or "—"}}


def _sections(lines: list[str]) -> list[dict[str, Any]]:
    """Lines packed into as few section blocks as fit the section text limit."""
    blocks: list[dict[str, Any]] = []
    chunk: list[str] = []
    size = 0
    for line in lines:
        line = line[:SECTION_LIMIT]
        if chunk and size + 1 + len(line) > SECTION_LIMIT:
            blocks.append({"type": "section", "text": _mrkdwn("\n".join(chunk))})
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + (1 if size else 0)
    if chunk:
        blocks.append({"type": "section", "text": _mrkdwn("\n".join(chunk))})
    return blocks


def _duration(report: Report) -> tuple[str, str]:
    if report.impact_duration is not None:
        return "Customer impact", format_duration(report.impact_duration)
    if report.time_to_resolve is not None:
        return "Time to resolve", format_duration(report.time_to_resolve)
    return "Duration", "unknown"


def _impact_line(report: Report) -> str:
    impact = report.impact
    parts = []
    users = text(impact.get("users_affected"))
    if users:
        parts.append(users)
    data = text(impact.get("data_impact"))
    if data:
        parts.append(f"data impact: {data}")
    return "; ".join(parts)


def announcement(report: Report, tax: Taxonomy, site_url: str, today: dt.date) -> Message:
    """The message that tells a channel a postmortem is published."""
    url = report_url(site_url, report.id)
    severity = tax.severity(report.severity)
    sev = clip(report.severity, 40) + (f" · {clip(severity.name, 60)}" if severity else "") or "—"
    duration_label, duration = _duration(report)
    impact = clip(_impact_line(report), 600) or "—"
    owner = clip(report.owner, 100) or "—"
    actions = report.open_actions
    overdue = sum(1 for a in actions if a.due and a.due < today)
    unstated = sum(1 for a in actions if a.not_stated("due"))
    long_term = sum(1 for a in actions if a.long_term)
    notes = ([f"{overdue} overdue"] * bool(overdue) + [f"{unstated} due date not stated"] * bool(unstated)
             + [f"{long_term} long-term"] * bool(long_term))
    open_text = str(len(actions)) + (f" ({', '.join(notes)})" if notes else "")
    services = clip(", ".join(report.services), 300) or "—"
    summary = clip(report_description(report), 600)
    title = f"{report.id}: {report.title}"

    lines = [":memo: *New postmortem published*",
             f"*{link(url, title)}*" if safe_url(url) else f"*{clip(title, 300)}*"]
    if summary:
        lines.append(summary)
    lines += [f"*Severity:* {sev}   *Status:* {clip(report.status, 40)}",
              f"*{duration_label}:* {duration}",
              f"*Impact:* {impact}",
              f"*Owner:* {owner}",
              f"*Open action items:* {open_text}"]
    if not safe_url(url):
        lines.append("_The handbook's site_url is not set, so there is no link to the report._")

    fields = [("Severity", sev), ("Status", clip(report.status, 40) or "—"), (duration_label, duration),
              ("Owner", owner), ("Impact", impact), ("Open action items", open_text), ("Services", services)]
    section: dict[str, Any] = {"type": "section"}
    if summary:
        section["text"] = _mrkdwn(summary)
    section["fields"] = [_mrkdwn(f"*{label}*\n{value}"[:FIELD_LIMIT]) for label, value in fields[:MAX_FIELDS]]
    footer = (f"{link(url, f'Read {report.id} in the handbook')}" if safe_url(url)
              else f"{clip(report.id, 60)} · the handbook's site_url is not set")
    blocks = [_header(title), section, {"type": "context", "elements": [_mrkdwn(footer)]}]
    fallback = f"New postmortem: {clip(title, 300)} ({clip(report.severity, 40) or 'no severity'})"
    return Message(report.id, "\n".join(lines), fallback, blocks)


@dataclass(frozen=True, slots=True)
class Digest:
    today: dt.date
    overdue: list[OpenItem]
    soon: list[OpenItem]
    late_reviews: list[ReviewDue]
    effectiveness: list[Effectiveness] = field(default_factory=list)
    """Effectiveness reviews due or late."""

    @property
    def empty(self) -> bool:
        """Whether the digest has nothing to say."""
        return not (self.overdue or self.soon or self.late_reviews or self.effectiveness)


def collect_digest(reports: list[Report], tax: Taxonomy, today: dt.date) -> Digest:
    """What the digest lists. `reports` must already be only those the audience may read; reports
    kept for learning (kinds handbook.yml does not count) are left out here."""
    reports = counted(reports, tax)
    groups = group_by_due(open_items(reports, tax), today)
    late = [due for due in review_queue(reports, tax, today) if due.business_days_left < 0]
    return Digest(today, groups["overdue"], groups["soon"], late, reviews_due(reports, tax, today))


def _days(count: int, unit: str = "day") -> str:
    return _plural(count, unit)


def _item_line(o: OpenItem, site_url: str, today: dt.date) -> str:
    due = o.item.due
    if due is None:
        when = "due date not stated" if o.item.not_stated("due") else "long-term" if o.item.long_term \
            else "no due date"
    elif due < today:
        when = f"due {due.isoformat()} ({_days((today - due).days)} overdue)"
    elif due == today:
        when = f"due {due.isoformat()} (today)"
    else:
        when = f"due {due.isoformat()} (in {_days((due - today).days)})"
    description = clip(o.item.description, 100)
    return (f"• {link(report_url(site_url, o.report.key), o.report.key, 60)} {clip(o.item.id, 30)} · "
            f"{clip(o.item.owner, 60) or 'no owner'} · {when}" + (f" — {description}" if description else ""))


def _review_line(due: ReviewDue, site_url: str) -> str:
    r = due.report
    late = -due.business_days_left
    return (f"• {link(report_url(site_url, r.key), r.key, 60)} {clip(r.title, 100)} · "
            f"{clip(r.owner, 60) or 'no owner'} · review was due {due.deadline.isoformat()} "
            f"({_days(late, 'business day')} late)")


def _effectiveness_line(e: Effectiveness, site_url: str, today: dt.date) -> str:
    r = e.report
    by = e.due_by.isoformat() if e.due_by else "a date not known"
    when = f"was due by {by} ({_days(e.days_late(today))} late)" if e.state is State.LATE else f"due by {by}"
    return (f"• {link(report_url(site_url, r.key), r.key, 60)} {clip(r.title, 100)} · "
            f"{clip(r.owner, 60) or 'no owner'} · effectiveness review {when}")


def _more(count: int, url: str, page: str) -> str:
    href = safe_url(url)
    where = f"<{href.translate(_ESCAPES)}>" if href and "|" not in href else f"the {page} page"
    return f"…and {count} more — see {where}"


def digest_message(digest: Digest, site_url: str) -> Message:
    """The weekly digest: overdue items, items due soon, reviews that are late, effectiveness reviews due."""
    today = digest.today
    base = site_url.rstrip("/")
    actions_url, review_url = f"{base}/actions/", f"{base}/review/"
    heading = f"Postmortem digest · {today.isoformat()}"
    if digest.empty:
        line = (f"{heading}: no action item is overdue or due in the next {SOON_DAYS} days, "
                "no report is late for review, and no effectiveness review is due.")
        return Message("digest", line, line, [{"type": "section", "text": _mrkdwn(line)}])

    summary = (f"{_plural(len(digest.overdue), 'overdue action item')} · "
               f"{len(digest.soon)} due in the next {SOON_DAYS} days · "
               f"{_plural(len(digest.late_reviews), 'report')} late for review" +
               (f" · {_plural(len(digest.effectiveness), 'effectiveness review')} due"
                if digest.effectiveness else ""))
    groups: list[tuple[str, list[str], str, str]] = [
        (f"Overdue action items ({len(digest.overdue)})",
         [_item_line(o, site_url, today) for o in digest.overdue], actions_url, "open action items"),
        (f"Due in the next {SOON_DAYS} days ({len(digest.soon)})",
         [_item_line(o, site_url, today) for o in digest.soon], actions_url, "open action items"),
        (f"Late for review ({len(digest.late_reviews)})",
         [_review_line(d, site_url) for d in digest.late_reviews], review_url, "review queue"),
        (f"Effectiveness reviews due ({len(digest.effectiveness)})",
         [_effectiveness_line(e, site_url, today) for e in digest.effectiveness], review_url, "review queue"),
    ]
    text_lines = [f"*{heading}*", summary]
    blocks: list[dict[str, Any]] = [_header(heading), {"type": "section", "text": _mrkdwn(summary)}]
    for title, lines, more_url, page in groups:
        if not lines:
            continue
        shown = lines[:LINES_PER_GROUP]
        if len(lines) > LINES_PER_GROUP:
            shown.append(_more(len(lines) - LINES_PER_GROUP, more_url, page))
        text_lines += ["", f"*{title}*", *shown]
        blocks += _sections([f"*{title}*", *shown])
    footer = (f"{link(actions_url, 'All open action items')} · {link(review_url, 'Review queue')}"
              if safe_url(actions_url) else "The handbook's site_url is not set, so there are no links.")
    text_lines += ["", footer]
    blocks.append({"type": "context", "elements": [_mrkdwn(footer)]})
    return Message("digest", "\n".join(text_lines), f"{heading}: {summary}", blocks[:MAX_BLOCKS])


# -- what became published since a git revision --------------------------------------------------
class RevisionError(Exception):
    """The revision cannot be compared against (unknown, all zeros, or no git here)."""


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=60, check=False)


def changed_report_paths(root: Path, folder: Path, rev: str) -> list[str]:
    """Paths (relative to `root`) of files under `folder` that differ between `rev` and the working tree.

    Both sides of a rename are listed, so a moved report is compared by its id, not its path.
    """
    if not rev or set(rev) == {"0"}:
        raise RevisionError(f"`{rev}` is not a previous revision (a new branch has none)")
    if rev.startswith("-"):
        raise RevisionError(f"`{rev}` is not a revision")
    try:
        check = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except (OSError, subprocess.SubprocessError) as exc:
        raise RevisionError(f"git could not run ({exc.__class__.__name__})") from None
    if check.returncode != 0:
        if b"not a git repository" in check.stderr:
            raise RevisionError(f"{root} is not in a git repository")
        raise RevisionError(f"`{rev}` is not a known revision here")
    try:
        spec = folder.resolve().relative_to(root.resolve()).as_posix() or "."
    except ValueError:
        raise RevisionError("the postmortems folder is outside the project") from None
    done = _git(root, "diff", "--name-only", "--no-renames", "--relative", "-z", rev, "--", spec)
    if done.returncode != 0:
        raise RevisionError(f"git diff failed: {done.stderr.decode('utf-8', 'replace').strip()[:200]}")
    names = [n.decode("utf-8", "surrogateescape") for n in done.stdout.split(b"\0") if n]
    return sorted(n for n in names if n.lower().endswith(".md") and Path(n).name.lower() != "readme.md")


def _front_matter_at(root: Path, rev: str, rel: str, tax: Taxonomy) -> dict[str, Any] | None:
    """The front matter of `rel` at `rev`, read by the project's own reader; None when absent."""
    done = _git(root, "show", f"{rev}:./{rel}")
    if done.returncode != 0:
        return None
    source = parse_source(done.stdout, root / rel, rel, ProblemSink(rel), max_lines=tax.limits.max_front_matter_lines)
    return source.data


def newly_published(collection: Collection, tax: Taxonomy, root: Path, folder: Path, rev: str) -> list[Report]:
    """Reports published now whose id was not published in any changed file at `rev`.

    A file new since `rev` counts as "was not published". Raises RevisionError.
    """
    changed = changed_report_paths(root, folder, rev)
    before: set[str] = set()
    for rel in changed:
        data = _front_matter_at(root, rev, rel, tax)
        if data and isinstance(data.get("id"), str) and tax.is_published(text(data.get("status"))):
            before.add(data["id"])
    changed_now = set(changed)
    seen: set[str] = set()
    found = []
    for report in collection.reports:
        if report.rel not in changed_now or not report.id or report.id in before or report.id in seen:
            continue
        if tax.is_published(report.status):
            seen.add(report.id)
            found.append(report)
    return found


def readable(reports: Iterable[Report], tax: Taxonomy, audience: str) -> tuple[list[Report], list[Report]]:
    """(reports the audience may read, each as it reads it (`view_for`), and those it may not)."""
    yes: list[Report] = []
    no: list[Report] = []
    for r in reports:
        if audience_may_read(tax, audience, r.visibility):
            yes.append(view_for(r, tax, audience))
        else:
            no.append(r)
    return yes, no

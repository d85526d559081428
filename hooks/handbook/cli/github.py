"""`handbook sync github`: action items as GitHub issues, and the issues' states back into the repository.

A thin adapter: the items to track come from `queries.tracking`, each issue's words from
`rendering.github_issue`, GitHub from `delivery.github`, the edit of a report from
`reading.ticket_edit`. This module chooses, prints and writes files. Exit codes: 0 done, 1 GitHub
refused or could not be reached, or a ticket could not be written; 2 the command could not run
(no `github` block in handbook.yml, no token, no site_url).

The token comes from HANDBOOK_GITHUB_TOKEN or GITHUB_TOKEN and is never printed.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from handbook.checks.collection import find_reports, load_collection, relative
from handbook.cli.app import Context, _fail, main, seconds_from_env
from handbook.core.files import Refused, read_file, write_atomic
from handbook.delivery.github import LIST_TIME, GitHubError, GitHubIssues, Issue
from handbook.queries.tracking import Tracked, linked, untracked
from handbook.reading.model import Report
from handbook.reading.taxonomy import GitHub
from handbook.reading.ticket_edit import EditError, add_ticket
from handbook.reading.tracker import (IssueState, TrackerFile, TrackerFileError, disagreement, dump_tracker,
                                      item_key, load_tracker, MAX_TRACKER_BYTES)
from handbook.rendering.github_issue import IssueText, issue_text

TOKEN_ENVS = ("HANDBOOK_GITHUB_TOKEN", "GITHUB_TOKEN")
MAX_WAIT_ENV = "HANDBOOK_GITHUB_MAX_WAIT"
WRITE_PAUSE_ENV = "HANDBOOK_GITHUB_WRITE_PAUSE"
LIST_TIME_ENV = "HANDBOOK_GITHUB_LIST_TIME"


@main.group()
def sync() -> None:
    """Keep the action items and an issue tracker in step."""


@sync.command("github")
@click.option("--apply", "apply_", is_flag=True,
              help="Open the issues and write their addresses into the reports (without it: print what would be "
                   "done, change nothing).")
@click.option("--pull", is_flag=True,
              help="Instead: record the state of every issue an item's ticket names in github.state_file.")
@click.pass_obj
def github_command(obj: Context, apply_: bool, pull: bool) -> None:
    """Open a GitHub issue for each action item without a ticket, and write its address into the item.

    Only the organisation's own incidents (the kinds handbook.yml counts) are tracked, and only reports
    no more restricted than github.visibility. Safe to run again: an item with a ticket is skipped, and
    an issue an earlier run opened (with this token, and exactly the title and body this run would
    write) is linked, not opened twice.
    """
    settings, tax = obj.settings, obj.taxonomy
    if apply_ and pull:
        _fail("give --apply or --pull, not both: run `handbook sync github --apply`, then `--pull`.")
    config = tax.github
    if config is None:
        _fail(f"{relative(settings.config, settings.root)} has no `github:` block, so there is no repository to "
              "track action items in. Add one, for example `github: {repository: owner/name}` (the README's "
              "\"Action items in GitHub issues\" describes every key).")
    assert config is not None
    token = next((os.environ[name].strip() for name in TOKEN_ENVS if os.environ.get(name, "").strip()), "")
    if (apply_ or pull) and not token:
        _fail(f"no GitHub token: set HANDBOOK_GITHUB_TOKEN (or GITHUB_TOKEN) to a token that may read and write "
              f"the issues of {config.repository}.")
    files = find_reports([settings.postmortems]) if settings.postmortems.is_dir() else []
    reports = load_collection(files, tax, settings.layout).reports
    # the longest rate-limit wait; the pause between two writes (GitHub asks for a second; a server of
    # your own may take less); the longest the listing of issues may take
    client = GitHubIssues(config.api_url, config.repository, token, seconds_from_env(MAX_WAIT_ENV, 60.0),
                          seconds_from_env(WRITE_PAUSE_ENV, 1.0),
                          seconds_from_env(LIST_TIME_ENV, LIST_TIME)) if token else None
    if pull:
        assert client is not None
        _pull(client, config, reports, settings.root)
        return
    if not settings.site_url:
        _fail("site_url is not set in mkdocs.yml (nor HANDBOOK_SITE_URL): each issue links to its report's page, "
              "which needs the site's address.")
    _push(client, config, obj, reports, apply_)


# -- opening issues --------------------------------------------------------------------------------
@dataclass(slots=True)
class _Step:
    tracked: Tracked
    text: IssueText
    where: str
    """`file:line` of the item."""
    existing: Issue | None = None


def _push(client: GitHubIssues | None, config: GitHub, obj: Context, reports: list[Report], apply_: bool) -> None:
    settings, tax = obj.settings, obj.taxonomy
    wanted, passed, hidden = untracked(reports, tax, config)
    steps: list[_Step] = []
    problems = 0
    for found in passed:
        click.echo(f"{_where(found.report, found.item.index)}: {found.report.id or found.report.rel} {found.item.id}: "
                   f"skipped: {found.reason}; give it an id of its own (`handbook validate` says more).")
    for tracked in wanted:
        where = _where(tracked.report, tracked.item.index)
        try:  # the edit is tried before the issue is opened: an item that cannot take a ticket gets none
            _edited(tracked.report.path, tracked, f"https://github.com/{config.repository}/issues/1")
        except (EditError, OSError) as exc:
            problems += 1
            click.echo(f"{where}: {tracked.report.id} {tracked.item.id}: skipped: {_why(exc)}.", err=True)
            continue
        steps.append(_Step(tracked, issue_text(tracked.report, tracked.item, tax, config, settings.site_url), where))
    done: list[str] = []
    try:
        if client is not None and steps:
            client.connect()
            _link_earlier(steps, client.issues())
        for step in steps:
            problems += _one(client, step, apply_, done, config.repository)
    except GitHubError as exc:
        click.echo(f"handbook: {client.redact(str(exc)) if client else exc}", err=True)
        if done:
            click.echo(f"handbook: before that, {len(done)} item(s) got their ticket: {', '.join(done)}.", err=True)
        sys.exit(1)
    if hidden:
        click.echo(f"{hidden} item(s) of reports more restricted than `{config.visibility}` get no issue "
                   "(github.visibility in handbook.yml).")
    _summary(steps, apply_, client is not None, config, problems)
    if problems:
        sys.exit(1)


def _link_earlier(steps: list[_Step], issues: list[Issue]) -> None:
    """Give each step the issue an earlier run opened for it, if any: one opened with this token, whose
    title and body are exactly those this run would write. An issue goes to one item at most (of
    several alike, the oldest); whatever anyone else's issue says, it is never linked."""
    by_text: dict[tuple[str, str], Issue] = {}
    for issue in sorted(issues, key=lambda found: found.number):
        if issue.ours:
            by_text.setdefault((issue.title, issue.body.replace("\r\n", "\n")), issue)
    taken: set[int] = set()
    for step in steps:
        found = by_text.get((step.text.title, step.text.body))
        if found is not None and found.number not in taken:
            taken.add(found.number)
            step.existing = found


def _one(client: GitHubIssues | None, step: _Step, apply_: bool, done: list[str], repository: str) -> int:
    """Do (or, in a dry run, say) what one item needs; returns 1 when its ticket could not be written."""
    text, tracked = step.text, step.tracked
    name = f"{tracked.report.id} {tracked.item.id}"
    if step.existing is not None:
        if not apply_:
            where = (f": {step.existing.url}" if step.existing.url else
                     f", but GitHub gives it an address that is not a plain issue address of {repository}")
            click.echo(f"{step.where}: {name}: would link issue #{step.existing.number}, which an earlier run "
                       f"opened{where}")
            return 0
        return _write(step, step.existing, done, f"linked issue #{step.existing.number}, opened by an earlier run",
                      repository)
    assignee = text.assignee
    note = ""
    if assignee and client is not None and not client.assignable(assignee):
        note = f" (`{assignee}` cannot be assigned issues in the repository, so no one is)"
        assignee = None
    elif not assignee and tracked.item.owner:
        note = f" (no assignee: `{tracked.item.owner}` is not in github.assignees)"
    what = f"labels: {', '.join(text.labels) or 'none'}; assignee: {assignee or 'none'}{note}"
    closing = (f", then close it as {text.close_as.replace('_', ' ')} (the item is `{tracked.item.status}`)"
               if text.close_as else "")
    if not apply_ or client is None:
        click.echo(f"{step.where}: {name}: would open \"{text.title}\" ({what}){closing}")
        return 0
    issue = client.create(text.title, text.body, text.labels, assignee)
    failed = _write(step, issue, done, f"opened issue #{issue.number} ({what})", repository)
    if text.close_as:  # after the ticket is written: should closing fail, `--pull` shows the open issue
        client.close(issue.number, text.close_as)
        click.echo(f"{step.where}: {name}: closed issue #{issue.number} as {text.close_as.replace('_', ' ')}, "
                   f"as the item is `{tracked.item.status}`.")
    return failed


def _write(step: _Step, issue: Issue, done: list[str], said: str, repository: str) -> int:
    """Write the issue's address into its item as the ticket; returns 1 when it could not be written."""
    tracked = step.tracked
    name = f"{tracked.report.id} {tracked.item.id}"
    if issue.url is None:
        click.echo(f"{step.where}: {name}: {said}, but GitHub gave it an address that is not a plain issue "
                   f"address of {repository}, so no ticket was written; check github.api_url in handbook.yml "
                   "(the next run finds the issue and tries again).", err=True)
        return 1
    try:
        text, raw = _edited(tracked.report.path, tracked, issue.url)
        _replace(tracked.report.path, raw)
    except (EditError, OSError) as exc:
        click.echo(f"{step.where}: {name}: {said}, but its address could not be written into the report: "
                   f"{_why(exc)}. Add `ticket: {issue.url}` to the item by hand (the next run finds the issue "
                   "and tries again).", err=True)
        return 1
    done.append(name)
    click.echo(f"{step.where}: {name}: {said}; ticket: {issue.url}")
    return 0


def _summary(steps: list[_Step], apply_: bool, asked: bool, config: GitHub, problems: int) -> None:
    found = sum(1 for s in steps if s.existing is not None)
    new = len(steps) - found
    if apply_:
        click.echo(f"Opened {new} issue(s) in {config.repository} and linked {found} opened earlier"
                   + (f"; {problems} item(s) need a hand (see above)." if problems else "."))
        return
    click.echo(f"Dry run: {new} issue(s) would be opened in {config.repository}, {found} opened earlier would be "
               "linked. Nothing was created or written; run with --apply to do it.")
    if not asked and steps:
        click.echo("No GitHub token is set, so GitHub was not asked whether an earlier run already opened some "
                   "of these issues.")


def _where(report: Report, index: int) -> str:
    return f"{report.rel}:{report.line_of(('action_items', index))}"


def _why(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return f"the file cannot be read or written ({exc.strerror or exc.__class__.__name__})"
    return str(exc)


MAX_REPORT_BYTES = 64 * 1024 * 1024
"""Bytes read of a report to edit at most: the reports were read within limits.max_file_bytes already;
this bounds a file swapped since."""


def _edited(path: Path, tracked: Tracked, url: str) -> tuple[str, bytes]:
    """The report at `path` with the ticket added, as text and as the bytes to write (BOM kept)."""
    try:
        raw = read_file(path, MAX_REPORT_BYTES)
    except Refused as refused:
        raise EditError(refused.message.rstrip(".")) from None
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise EditError("the file is not UTF-8") from None
    edited = add_ticket(text, tracked.item.index, tracked.item.id, url)
    return edited, (b"\xef\xbb\xbf" if bom else b"") + edited.encode("utf-8")


def _current(path: Path, root: Path) -> str:
    """Return the state file's text as it is now ('' when it cannot be read)."""
    try:
        return read_file(path, MAX_TRACKER_BYTES, root=root).decode("utf-8")
    except (Refused, UnicodeDecodeError):
        return ""


def _replace(path: Path, data: bytes) -> None:
    """Write `data` to `path` at once, keeping its mode: a reader sees the old file or the new one."""
    write_atomic(path, data)


# -- pulling states --------------------------------------------------------------------------------
def _pull(client: GitHubIssues, config: GitHub, reports: list[Report], root: Path) -> None:
    links = linked(reports, config.repository)
    try:
        client.connect()
        by_number = {issue.number: issue for issue in client.issues()}
    except GitHubError as exc:
        click.echo(f"handbook: {client.redact(str(exc))}", err=True)
        sys.exit(1)
    states: dict[str, IssueState] = {}
    disagree = []
    for link in links:
        where = _where(link.report, link.item.index)
        issue = by_number.get(link.number)
        if issue is None:
            click.echo(f"{where}: {link.report.id} {link.item.id}: its ticket names issue #{link.number}, which "
                       f"{config.repository} does not have (deleted or moved?); fix the ticket.", err=True)
            continue
        state = IssueState(number=issue.number, state="open" if issue.state == "open" else "closed",
                           item=item_key(link.report.id, link.item.id))
        states[link.item.ticket.strip()] = state
        found = disagreement(link.item.open, state)
        if found is not None:
            disagree.append(f"{where}: {link.report.id} {link.item.id} is `{link.item.status}`, but "
                            f"{found.message}.")
    path = root / config.state_file
    rel = relative(path, root)
    text = dump_tracker(TrackerFile(repository=config.repository, issues=states))
    try:
        before = load_tracker(path, rel, root)
    except TrackerFileError:
        before = None
    opened = sum(1 for s in states.values() if s.state == "open")
    counts = f"{len(states)} linked issue(s), {opened} open and {len(states) - opened} closed"
    if before is not None and dump_tracker(before) == text and _current(path, root) == text:
        click.echo(f"{rel} is up to date: {counts}.")
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _replace(path, text.encode("utf-8"))
        except OSError as exc:
            _fail(f"Cannot write {rel}: {exc.strerror or exc}.")
        click.echo(f"Wrote {rel}: {counts}.")
    for line in disagree:
        click.echo(line)
    if disagree:
        click.echo(f"{len(disagree)} item(s) disagree with their issue; `handbook validate` warns on each.")

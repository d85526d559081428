"""The issue tracker's side of the action items: the states `handbook sync github --pull` records.

The file (handbook.yml's `github.state_file`, `tracker/github.json` by default) is written by the
command and committed, so validation and the site read what GitHub said at the last pull without
reaching GitHub themselves. It holds, for each item's `ticket` that names an issue of the repository,
the issue's number and state, keyed by the ticket exactly as the report writes it:

    {"repository": "larkspur/postmortems",
     "issues": {"https://github.com/larkspur/postmortems/issues/12":
                    {"number": 12, "state": "closed", "item": "INC-2026-003/AI-2"}}}

Nothing in it changes unless an issue's state does, so a pull that finds nothing new leaves the
file as it was (and the workflow opens no pull request).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from handbook.core.files import MISSING, Refused, read_file
from handbook.core.problems import Level, Problem

MARKER_PREFIX = "handbook:"
_ISSUE_PATH = re.compile(r"(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)/issues/(?P<number>[1-9][0-9]{0,9})")


class IssueState(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One linked issue as GitHub last described it."""

    number: Annotated[int, msgspec.Meta(ge=1)]
    state: Literal["open", "closed"]
    item: str = ""
    """The item (`INC-2026-003/AI-2`) whose ticket names the issue, when it was pulled."""


class TrackerFile(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The whole state file."""

    repository: str
    issues: dict[str, IssueState] = msgspec.field(default_factory=dict)

    def state_of(self, ticket: str) -> IssueState | None:
        """The recorded state of the issue an item's `ticket` names (None: not one of the pulled issues)."""
        return self.issues.get(ticket.strip()) if ticket else None


class TrackerFileError(Exception):
    """The state file cannot be read; `problem` says where and how to fix it."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def item_key(report_id: str, item_id: str) -> str:
    """How an item is named across files and issues: `INC-2026-003/AI-2`."""
    return f"{report_id}/{item_id}"


def marker(report_id: str, item_id: str) -> str:
    """The hidden line an issue opened for the item carries, found again by a later run."""
    return f"<!-- {MARKER_PREFIX}{item_key(report_id, item_id)} -->"


def web_address(api_url: str) -> str:
    """Return the address of the web site whose REST API is at `api_url`: https://github.com for
    https://api.github.com, else the API's own scheme, host and port (GitHub Enterprise Server serves
    its API at https://HOST/api/v3 and its pages at https://HOST)."""
    parts = urllib.parse.urlsplit(api_url.strip())
    host = (parts.hostname or "").lower()
    if host == "api.github.com":
        return "https://github.com"
    port = f":{parts.port}" if parts.port else ""  # a port that is not a number was refused at reading
    return f"{parts.scheme.lower()}://{f'[{host}]' if ':' in host else host}{port}"


def plain_issue_address(url: str, web: str, repository: str) -> int | None:
    """Return the number of the issue `url` names when it is exactly a plain issue address of `repository`
    on the web site `web` (`https://github.com/OWNER/REPO/issues/N`), else None: nothing before or after
    it, no query, fragment, trailing slash, space, markup or control character. The one test an address
    from GitHub passes before it is printed or written as a ticket."""
    if not url.startswith(f"{web}/"):
        return None
    found = _ISSUE_PATH.fullmatch(url, len(web) + 1)
    if found is None or found["repo"].casefold() != repository.casefold():
        return None
    return int(found["number"])


def issue_number(ticket: str, repository: str) -> int | None:
    """The number of the issue of `repository` (owner/name) that the address `ticket` names, or None
    (another tracker, another repository, a pull request)."""
    found = re.fullmatch(r"https?://[^/\s]+/(?P<repo>[^/\s]+/[^/\s]+)/issues/(?P<number>[1-9][0-9]{0,9})/?",
                         ticket.strip())
    if found is None or found["repo"].casefold() != repository.casefold():
        return None
    return int(found["number"])


@dataclass(frozen=True, slots=True)
class Disagreement:
    """An item whose own status and its issue's state say different things."""

    item_open: bool
    issue: IssueState

    @property
    def message(self) -> str:
        """What disagrees, in a sentence without the item's name (the caller adds it)."""
        if self.item_open:
            return f"its issue #{self.issue.number} is closed in GitHub"
        return f"its issue #{self.issue.number} is still open in GitHub"

    @property
    def fix(self) -> str:
        """How to make the two agree."""
        if self.item_open:
            return ("If the work is finished, set the item's `status` to `done` (or `wont-do`); if not, reopen the "
                    "issue. Then run `handbook sync github --pull`.")
        return ("If the work is finished, close the issue; if not, set the item's `status` back to `open`. Then run "
                "`handbook sync github --pull`.")


def disagreement(item_open: bool, issue: IssueState | None) -> Disagreement | None:
    """The disagreement between an item (open or not) and its issue's recorded state, if any."""
    if issue is None or item_open == (issue.state == "open"):
        return None
    return Disagreement(item_open, issue)


MAX_TRACKER_BYTES = 16 * 1024 * 1024
"""Bytes in the tracker's state file at most (about 80,000 linked issues)."""


def load_tracker(path: Path, rel: str, root: Path | None = None) -> TrackerFile | None:
    """Return the state file at `path` (`rel` from the project `root`, for messages); None when there is
    none yet. Raises TrackerFileError with a located problem when it cannot be read."""
    try:
        raw = read_file(path, MAX_TRACKER_BYTES, root=root, what="The tracker's state file")
    except Refused as refused:
        if refused.rule == MISSING:
            return None
        raise _error(rel, 1, refused.message) from None
    try:
        return msgspec.json.decode(raw, type=TrackerFile)
    except UnicodeDecodeError:  # msgspec checks each text with Python's codec, placed within the text only
        start = _first_bad_byte(raw)
        raise _error(rel, raw.count(b"\n", 0, start) + 1,
                     f"The tracker's state file is not UTF-8 text (byte {start:,} is not).") from None
    except msgspec.DecodeError as exc:
        found = re.search(r"\(byte (\d+)\)", str(exc))
        line = raw.count(b"\n", 0, int(found[1])) + 1 if found else 1
        raise _error(rel, line, f"The tracker's state file does not fit its format: {exc}.") from None


def _first_bad_byte(raw: bytes) -> int:
    """Return where the first byte of `raw` that is not UTF-8 is (0 when all of it is)."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return 0


def _error(rel: str, line: int, message: str) -> TrackerFileError:
    return TrackerFileError(Problem(rel, line, "tracker-file", Level.ERROR, message,
                                    "It is written by `handbook sync github --pull`: run that again rather than "
                                    "editing the file by hand."))


def dump_tracker(tracker: TrackerFile) -> str:
    """The state file's text: sorted and indented, so each change is one readable line in a diff."""
    data = msgspec.to_builtins(tracker)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

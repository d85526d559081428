"""What must hold for every generated set, however broken its reports: the fuzzing oracle.

A set is read and planned exactly as `mkdocs serve` plans a build (reports with errors still get a
page that shows them), then its machine-readable outputs and Slack messages are made. A failure is:

* any exception, anywhere (the run itself must never raise);
* an `internal-error` problem (the guard caught a bug of ours: still a bug);
* a problem that names no file of the set, points at a line the file does not have, uses a rule
  `handbook rules` does not list, lacks a message or a fix, or holds a character that acts on a terminal;
* a feed that is not well-formed XML, incidents.json that is not JSON, or a calendar that does not
  parse or has two events with one UID;
* a readable report whose action items are not all there, or a valid report missing from the outputs;
* an external message (`statements/<id>.md`, each part's `markdown` in `statements/*.json`) that,
  rendered by Python-Markdown or by markdown-it-py's CommonMark, or a part's `html` as it is, holds an
  element outside ELEMENTS, an `on*` attribute, or an href/src to a scheme outside SCHEMES.

The other kinds of input a set may carry (see fuzz/generate.py) hold to their own properties:

* a chat export is read (`open_export`, `channel`, `messages`) into messages or an ExportError that
  names the export, nothing else; the draft of what was read renders without raising, within the
  documented bounds, in time order, with no character that acts on a terminal and nothing read
  through a link out of an unzipped export;
* a tracker state file loads as a TrackerFile, as None (none yet) or raises TrackerFileError with a
  well-formed problem of the file, nothing else;
* the GitHub client's calls against the generated answers return data or raise GitHubError, nothing
  else; no error text and no returned issue address holds the token in any case or encoding
  (`leaked`), and every issue address kept is a plain issue address of the repository.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import html
import io
import json
import logging
import re
import shutil
import traceback
import urllib.parse
import xml.etree.ElementTree as ET
import zoneinfo
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import markdown
from icalendar import Calendar
from markdown_it import MarkdownIt

from handbook.rendering import slack
from handbook.checks.rules import RULES
from handbook.reading.settings import Settings
from handbook.reading.taxonomy import Taxonomy
from handbook.rendering.site import plan_site
from handbook.delivery.github import GitHubError, GitHubIssues
from handbook.reading.slack_export import MAX_MESSAGES, MAX_NAME, MAX_TEXT, ExportError, Pick, open_export
from handbook.reading.tracker import TrackerFile, TrackerFileError, load_tracker, plain_issue_address, web_address
from handbook.rendering.timeline_draft import Zone, entry_lines, zone_sentence
from handbook_mkdocs.links import MkDocsLinks

from .chat import OUTSIDE, ChatExport
from .generate import ReportSet
from .hub import API, REPOSITORY, GitHubCase, hub
from .tracker import REL, TrackerCase

TODAY = dt.date(2026, 11, 20)
ACTIVE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
ELEMENTS = {"p", "a", "strong", "em", "code", "pre", "ul", "ol", "li", "blockquote", "h1", "h2", "h3", "h4", "h5",
            "h6", "hr", "br"}
"""What a published message may turn into, whatever renders it: the oracle's own list, not the code's."""
SCHEMES = {"http", "https", "mailto"}
_COMMONMARK = MarkdownIt("commonmark")  # raw HTML on, as CommonMark has it
_MARKDOWN = markdown.Markdown()


def line_count(text: str) -> int:
    """Lines as an editor shows them, and as the reader counts them: CRLF, LF and a lone CR each end one."""
    return len(re.split(r"\r\n|\r|\n", text))


def check_set(generated: ReportSet, workdir: Path, tax: Taxonomy) -> list[str]:
    """The failures of one set (empty when every property holds). Never raises."""
    if workdir.exists():
        shutil.rmtree(workdir)
    folder = workdir / "postmortems"
    try:
        paths = generated.write(folder)
        failures = _check(generated, workdir, folder, paths, tax)
    except Exception:  # noqa: BLE001 - the oracle reports every exception as a failure
        failures = ["uncaught exception:\n" + traceback.format_exc()]
    return failures + check_kinds(generated, workdir)


def check_kinds(generated: ReportSet, workdir: Path) -> list[str]:
    """The failures of the set's other kinds of input: its chat export, state file and GitHub answers. Never raises."""
    for folder in (workdir / "chat", workdir / "tracker"):
        if folder.exists():
            shutil.rmtree(folder)
    failures: list[str] = []
    export, tracker, github = generated.export, generated.tracker, generated.github
    if export is not None:
        failures += _guarded("chat export", lambda: export_failures(export, workdir / "chat"))
    if tracker is not None:
        failures += _guarded("tracker file", lambda: tracker_failures(tracker, workdir))
    if github is not None:
        failures += _guarded("GitHub answers", lambda: github_failures(github))
    return failures


def _guarded(kind: str, check: Callable[[], list[str]]) -> list[str]:
    """Return the failures of one kind's check, an exception the check raised among them."""
    try:
        return check()
    except Exception:  # noqa: BLE001 - the oracle reports every exception as a failure
        return [f"{kind}: uncaught exception:\n" + traceback.format_exc()]


def _check(generated: ReportSet, root: Path, folder: Path, paths: list[Path], tax: Taxonomy) -> list[str]:
    failures: list[str] = []
    settings = Settings(root=root, config=Path(__file__).resolve().parent.parent / "handbook.yml",
                        postmortems=folder, audience="internal", today=TODAY,
                        site_url="https://handbook.example", repo_url="https://git.example/handbook",
                        card_cache=root / "cards")  # every card drawn, in the set's folder, removed with it
    plan = plan_site(settings, tax, MkDocsLinks(use_directory_urls=True), show_problems=True,
                     site_name="Fuzz handbook")
    lines = {f"postmortems/{p.name}": line_count(p.read_bytes().decode("utf-8", "replace")) for p in paths}
    for problem in plan.collection.problems:
        where = f"{problem.file}:{problem.line} [{problem.rule}]"
        if problem.rule == "internal-error":
            failures.append(f"{where} internal-error: {problem.message}")
        if problem.file not in lines:
            failures.append(f"{where} names no file of the set")
        elif not 1 <= problem.line <= lines[problem.file]:
            failures.append(f"{where} points past the file's {lines[problem.file]} lines")
        if problem.rule not in RULES:
            failures.append(f"{where} uses a rule `handbook rules` does not list")
        if not problem.message or not problem.hint:
            failures.append(f"{where} has no message or no fix")
        for name in ("file", "rule", "message", "hint"):
            if ACTIVE.search(getattr(problem, name)):
                failures.append(f"{where} holds a character that acts on a terminal in its {name}")
    try:
        ET.fromstring(plan.files["feed.xml"].encode("utf-8"))
    except ET.ParseError as exc:
        failures.append(f"feed.xml is not well-formed: {exc}")
    try:
        uids = [str(event["UID"]) for event in Calendar.from_ical(plan.files["calendar.ics"]).walk("VEVENT")]
        if len(set(uids)) != len(uids):
            failures.append("calendar.ics has two events with one UID")
    except ValueError as exc:
        failures.append(f"calendar.ics does not parse: {exc}")
    told = [record["id"] for record in json.loads(plan.files["statements/index.json"])]
    if len(set(told)) != len(told):
        failures.append("statements/index.json lists one report twice")
    for report_id in told:
        if f"statements/{report_id}.md" not in plan.files or f"statements/{report_id}/index.md" not in plan.meta:
            failures.append(f"{report_id}: an external message without its Markdown file or its page")
    failures += statement_failures(plan.files)
    document = json.loads(plan.files["incidents.json"])
    published = {record["id"] for record in document["incidents"]}
    for report in plan.readable:
        items = report.data.get("action_items") if report.parsed else None
        if isinstance(items, list) and len(report.actions) != len(items):
            failures.append(f"{report.rel}: {len(items)} action items written, {len(report.actions)} read")
        slack.announcement(report, tax, settings.site_url, TODAY).payload("blocks")
    slack.digest_message(slack.collect_digest(plan.readable, tax, TODAY), settings.site_url).payload("blocks")
    ids = [r.id for r in plan.collection.reports]
    for made in generated.reports:
        if made.valid and made.front is not None and ids.count(made.front["id"]) == 1:
            if made.front["id"] not in published:
                failures.append(f"{made.name}: a valid report is missing from incidents.json")
            if f"incidents/{made.front['id']}.md" not in plan.meta:
                failures.append(f"{made.name}: a valid report has no page")
    return failures


def as_dict(generated: ReportSet) -> dict[str, object]:
    """Return the set as JSON data for its failure record (bytes as hex; the set is replayed from seed and index)."""
    return {"seed": generated.seed, "index": generated.index,
            "reports": [dataclasses.asdict(r) | {"text": r.text if isinstance(r.text, str) else r.text.hex()}
                        for r in generated.reports],
            "statement": generated.statement, "export": _plain(generated.export), "tracker": _plain(generated.tracker),
            "github": _plain(generated.github)}


def _plain(value: object) -> object:
    """Return a kind's dataclass as JSON data: bytes as hex, long texts cut."""
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value[:20_000].hex() + ("…" if len(value) > 20_000 else "")
    if isinstance(value, str):
        return value[:20_000] + ("…" if len(value) > 20_000 else "")
    return value if value is None or isinstance(value, (int, float, bool)) else str(value)


# -- external messages -------------------------------------------------------------------------------
class _Markup(HTMLParser):
    """Collect what a rendering holds that a published message may not."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Note the element if it is not allowed, and each attribute that is an event handler or a bad link."""
        if tag not in ELEMENTS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag}[{name}]")
            if name in ("href", "src") and value is not None and scheme(value) not in (None, *SCHEMES):
                self.found.append(f"{tag}[{name}={value[:80]!r}]")

    handle_startendtag = handle_starttag


def scheme(url: str) -> str | None:
    """Return the scheme a browser reads in `url`: references decoded, spaces and control characters dropped."""
    cleaned = re.sub(r"[\x00-\x20\x7f-\x9f]", "", html.unescape(url)).lower()
    found = re.match(r"([a-z][a-z0-9+.\-]*):", cleaned)
    return found.group(1) if found else None


def unsafe_markup(rendered: str) -> list[str]:
    """List what the HTML `rendered` holds outside ELEMENTS, every `on*` attribute, and every href/src to a
    scheme outside SCHEMES."""
    parser = _Markup()
    parser.feed(rendered)
    parser.close()
    return parser.found


def _published(files: Mapping[str, str | bytes]) -> tuple[dict[str, str], dict[str, str]]:
    """Return the Markdown (name -> text) and the parts' HTML of every external message among the files."""
    texts: dict[str, str] = {}
    htmls: dict[str, str] = {}
    for name, content in files.items():
        if not name.startswith("statements/") or name.count("/") != 1 or not isinstance(content, str):
            continue
        if name.endswith(".md"):
            texts[name] = content
        elif name.endswith(".json"):
            records = json.loads(content)
            for record in records if isinstance(records, list) else [records]:
                for part in record["parts"]:
                    texts[f"{name}: {record['id']} {part['id']}"] = part["markdown"]
                    htmls[f"{name}: {record['id']} {part['id']}"] = part["html"]
    return texts, htmls


def statement_failures(files: Mapping[str, str | bytes]) -> list[str]:
    """List every unsafe thing the external messages among a build's files render to (see ELEMENTS)."""
    texts, htmls = _published(files)
    failures: list[str] = []
    seen: set[str] = set()
    for name, text in texts.items():
        if text in seen:
            continue
        seen.add(text)
        for renderer, rendered in (("python-markdown", _MARKDOWN.reset().convert(text)),
                                   ("markdown-it commonmark", _COMMONMARK.render(text))):
            found = unsafe_markup(rendered)
            if found:
                failures.append(f"{name} rendered by {renderer} holds {', '.join(found[:5])}")
    for name, rendered in htmls.items():
        found = unsafe_markup(rendered)
        if found:
            failures.append(f"{name}'s html holds {', '.join(found[:5])}")
    return failures


# -- chat exports ------------------------------------------------------------------------------------
def _zone(name: str) -> Zone:
    """Return the zone a draft is written in, as `handbook timeline --tz` makes it."""
    if name == "UTC":
        return Zone(dt.timezone.utc, "UTC")
    if name.startswith("UTC"):
        sign = -1 if name[3] == "-" else 1
        hours, minutes = int(name[4:6]), int(name[7:9])
        return Zone(dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes)), name)
    return Zone(zoneinfo.ZoneInfo(name), name)


def export_failures(export: ChatExport, where: Path) -> list[str]:
    """List what went wrong reading the export and drafting from it."""
    path = export.write(where)
    try:
        with open_export(path) as opened:
            picked = opened.messages(opened.channel(export.channel),
                                     Pick(export.start, export.end, export.pinned, export.reaction))
    except ExportError as exc:
        if str(path) not in str(exc):
            return [f"chat export: an ExportError that does not name the export: {str(exc)[:300]!r}"]
        return []
    return _draft_failures(list(picked.messages), _zone(export.zone), export.assumed_minutes)


def _draft_failures(messages: list, zone: Zone, assumed_minutes: int | None) -> list[str]:
    """List what is wrong with the messages read and the draft written of them."""
    failures = []
    if len(messages) > MAX_MESSAGES:
        failures.append(f"chat export: {len(messages)} messages read, more than {MAX_MESSAGES}")
    if [m.when for m in messages] != sorted(m.when for m in messages):
        failures.append("chat export: the messages are not in time order")
    for message in messages:
        if len(message.text) > MAX_TEXT or len(message.author) > MAX_NAME:
            failures.append(f"chat export: a message of {len(message.text)} characters by an author of "
                            f"{len(message.author)}, past MAX_TEXT or MAX_NAME")
        if OUTSIDE in message.text:
            failures.append("chat export: a message read from a file outside the export, through a link")
    assumed = dt.timedelta(minutes=assumed_minutes) if assumed_minutes is not None else None
    lines = [zone_sentence(zone, messages), *entry_lines(messages, zone, assumed)]
    for number, line in enumerate(lines, 1):
        if ACTIVE.search(line):
            failures.append(f"chat export: line {number} of the draft holds a character that acts on a terminal: "
                            f"{line[:200]!r}")
    return failures[:20]


# -- tracker state files -----------------------------------------------------------------------------
def tracker_failures(case: TrackerCase, root: Path) -> list[str]:
    """List what went wrong loading the state file."""
    path = case.write(root)
    try:
        loaded = load_tracker(path, REL, root)
    except TrackerFileError as exc:
        return _tracker_problem(exc, case)
    if loaded is not None and not isinstance(loaded, TrackerFile):
        return [f"tracker file: load_tracker returned a {type(loaded).__name__}"]
    if loaded is None and case.kind not in ("missing",):
        return [f"tracker file: a state file that is there ({case.kind}) read as none"]
    return []


def _tracker_problem(exc: TrackerFileError, case: TrackerCase) -> list[str]:
    """List what is wrong with the problem a state file that cannot be read raised."""
    problem, failures = exc.problem, []
    where = f"tracker file: {problem.file}:{problem.line} [{problem.rule}]"
    if problem.file != REL:
        failures.append(f"{where} does not name {REL}")
    if problem.rule not in RULES:
        failures.append(f"{where} uses a rule `handbook rules` does not list")
    if not problem.message or not problem.hint:
        failures.append(f"{where} has no message or no fix")
    read = case.kind in ("file", "link-inside")  # the bytes at the path, read through the link inside
    lines = line_count(case.data.decode("utf-8", "replace")) if read else 1
    if not 1 <= problem.line <= lines:
        failures.append(f"{where} points past the file's {lines} lines")
    for name in ("message", "hint"):
        if ACTIVE.search(getattr(problem, name)):
            failures.append(f"{where} holds a character that acts on a terminal in its {name}")
    return failures


# -- GitHub answers ----------------------------------------------------------------------------------
def _unescaped_json(text: str) -> str:
    """Return `text` with its JSON escapes (`\\u0067`) decoded."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda found: chr(int(found[1], 16)), text)


def _base64_forms(secret: str) -> list[str]:
    """Return the base64 text made of the secret's bits alone, wherever it starts in the encoded bytes."""
    data = secret.encode("utf-8")
    forms = []
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode("ascii")
        fragment = encoded[(8 * offset + 5) // 6:(8 * (offset + len(data))) // 6]
        forms += [fragment, fragment.translate(str.maketrans("+/", "-_"))]
    return forms


def leaked(text: str, token: str) -> list[str]:
    """Name each form of the token (or of a part of it of 8 characters or more) found in `text`: as it is or
    in another case, percent-encoded once or twice, as character references or JSON escapes, in base64 or hex."""
    readings = {text, urllib.parse.unquote(text), urllib.parse.unquote(urllib.parse.unquote(text)),
                html.unescape(text), _unescaped_json(text)}
    readings |= {urllib.parse.unquote(html.unescape(r)) for r in list(readings)}
    secrets = {token, *(part for part in token.split("_") if len(part) >= 8)}
    found = []
    for secret in sorted(secrets):
        if any(secret.lower() in reading.lower() for reading in readings):
            found.append(f"{secret[:6]}… in some case or escaping")
        if len(secret) >= 8 and any(form in reading for form in _base64_forms(secret) for reading in readings):
            found.append(f"{secret[:6]}… in base64")
        if len(secret) >= 8 and any(secret.encode().hex() in reading.lower() for reading in readings):
            found.append(f"{secret[:6]}… in hex")
    return found


def _call(client: GitHubIssues, call: str) -> object:
    """Make one of the client's calls."""
    if call == "issues":
        return client.issues()
    if call == "create":
        return client.create("A title", "<!-- handbook:INC-2026-001/AI-1 -->", ["postmortem"], "ada")
    if call == "assignable":
        return client.assignable("ada")
    if call == "close":
        client.close(7, "completed")
    else:
        client.connect()
    return None


def github_failures(case: GitHubCase) -> list[str]:
    """List what went wrong in the client's calls against the case's answers."""
    server = hub()
    api = f"{server.base}{API}"
    client = GitHubIssues(api, REPOSITORY, case.token, max_wait=0.05, write_pause=0, list_time=2.0, max_pages=4)
    failures: list[str] = []
    with server.serving(case), _printed_logs() as printed:
        for call in case.calls:
            try:
                result = _call(client, call)
            except GitHubError as exc:
                failures += [f"GitHub {call}: the error holds the token ({form}): {str(exc)[:300]!r}"
                             for form in leaked(str(exc), case.token)]
                if ACTIVE.search(str(exc)):
                    failures.append(f"GitHub {call}: the error holds a character that acts on a terminal")
                continue
            if call in ("issues", "create"):
                issues = result if isinstance(result, list) else [result]
                failures += _issue_failures(call, issues, case.token, web_address(api))
    return failures + _log_failures(printed.getvalue(), case.token)


@contextmanager
def _printed_logs() -> Iterator[io.StringIO]:
    """Catch what the handlers of PyGithub's and urllib3's loggers print (PyGithub gives its logger a handler
    that prints to stderr when it is imported) while the block runs."""
    caught = io.StringIO()
    handlers = {id(h): h for name in ("github", "urllib3") for h in logging.getLogger(name).handlers
                if type(h) is logging.StreamHandler}  # a handler once, and not a test runner's own
    # The streams are swapped, not set: `setStream` flushes the stream it replaces, and a stream PyGithub's
    # handler took when it was imported (a test runner's capture of stderr, say) may be closed since.
    streams = {key: handler.stream for key, handler in handlers.items()}
    for handler in handlers.values():
        handler.stream = caught
    try:
        yield caught
    finally:
        for key, handler in handlers.items():
            handler.stream = streams[key]


def _log_failures(printed: str, token: str) -> list[str]:
    """List the token, or a character that acts on a terminal, in what the libraries' logs printed."""
    failures = [f"GitHub: a library's log printed the token ({form}): {printed[:300]!r}"
                for form in leaked(printed, token)]
    if any(ACTIVE.search(line) for line in printed.splitlines()):
        failures.append(f"GitHub: a library's log printed a character that acts on a terminal: {printed[:300]!r}")
    return failures


def _issue_failures(call: str, issues: list, token: str, web: str) -> list[str]:
    """List what is wrong with the issues a call returned: an address that is not plain, or holds the token."""
    failures = []
    for issue in issues:
        if issue.url is None:
            continue
        if plain_issue_address(issue.url, web, REPOSITORY) != issue.number:
            failures.append(f"GitHub {call}: issue {issue.number}'s address is not a plain issue address of "
                            f"{REPOSITORY}: {issue.url[:200]!r}")
        failures += [f"GitHub {call}: issue {issue.number}'s address holds the token ({form})"
                     for form in leaked(issue.url, token)]
    return failures

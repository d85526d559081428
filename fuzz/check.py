"""What must hold for every generated set, however broken its reports: the fuzzing oracle.

A set is read and planned exactly as `mkdocs serve` plans a build (reports with errors still get a
page that shows them), then its machine-readable outputs and Slack messages are made. A failure is:

* any exception, anywhere (the run itself must never raise);
* an `internal-error` problem (the guard caught a bug of ours: still a bug);
* a problem that names no file of the set, points at a line the file does not have, uses a rule
  `handbook rules` does not list, lacks a message or a fix, or holds a character that acts on a terminal;
* a feed that is not well-formed XML, incidents.json that is not JSON, or a calendar that does not
  parse or has two events with one UID;
* a readable report whose action items are not all there, or a valid report missing from the outputs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import shutil
import traceback
import xml.etree.ElementTree as ET
from pathlib import Path

from icalendar import Calendar

from handbook.rendering import slack
from handbook.checks.rules import RULES
from handbook.reading.settings import Settings
from handbook.reading.taxonomy import Taxonomy
from handbook.rendering.site import plan_site
from handbook_mkdocs.links import MkDocsLinks

from .generate import ReportSet

TODAY = dt.date(2026, 11, 20)
ACTIVE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


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
        return _check(generated, workdir, folder, paths, tax)
    except Exception:  # noqa: BLE001 - the oracle reports every exception as a failure
        return ["uncaught exception:\n" + traceback.format_exc()]


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
    return {"seed": generated.seed, "index": generated.index,
            "reports": [dataclasses.asdict(r) | {"text": r.text if isinstance(r.text, str) else r.text.hex()}
                        for r in generated.reports]}

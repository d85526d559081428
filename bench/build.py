#!/usr/bin/env python3
"""Build-time benchmark of the handbook site: our hooks against plain Material, at scale.

Usage (from the repository root; nothing here needs more than the project's venv):

    .venv/bin/python bench/build.py [--sizes 100,500,2000] [--rounds 3] [--keep DIR]
    .venv/bin/python bench/build.py --serve-latency 500 [--sizes ...]

For each N in --sizes, the script writes N synthetic postmortems (about 4 KB each, deterministic
from a fixed seed, spread over 2021-2026, every one valid: status in-review, reviewed or closed,
3+ contributing factors over 2+ layers, 2-5 action items due inside their priority's window,
every required section written, a timeline of 6-10 entries inside the incident). It checks once
per N that `handbook validate --strict` accepts them (and stops with the first problems if not),
then times three projects built in temporary folders from those same N reports:

    a  full      the real site: the repository's mkdocs.yml, hooks, macros and every generated
                 page, with the N reports in postmortems/ (the files copied are `COPIED` of
                 tests/conftest.py; every report is public or internal, so all N are published)
    b  plain     Material alone: the same N files (front matter kept: MkDocs reads it as page
                 meta) as ordinary pages under docs/reports/, the search plugin, the same
                 markdown_extensions, no hooks, no macros, a nav of the home page only
    c  validate  `handbook validate` on the N reports, without building
    d  cold      (a) with the whole user cache folder of the handbook emptied first (the link-preview
                 cards and the checked reports): every report is read and checked, every card drawn,
                 as in a first build or in CI without a kept cache. (a) runs right after it, warm: it
                 reads and checks no report and draws no card, as a rebuild with nothing changed does
    e  edited    (a), warm, after one report's summary was edited (a sentence naming the round): that
                 report is read and checked again, the usual case of a publish in CI with the last
                 run's cache restored

Every run is a subprocess (`mkdocs build -d <fresh folder>`, -q for b; env HANDBOOK_TODAY=2026-11-20
NO_MKDOCS_2_WARNING=1, XDG_CACHE_HOME in the workspace, one folder per N, so nothing a build keeps
is ever in the user's own cache). Each round runs d, a, e, b, c in turn, for --rounds rounds. The
tables show the median wall time, the median CPU time (user + system: steadier when other work
shares the machine; a child's includes the processes it waited for) and the largest peak RSS of
each (the child's own ru_maxrss, from os.wait4), the ratios a/b, a(2000)/a(500), what d, a and e
took from the last build (the reports read and checked, as each build logs it, and the size of
checked.json and of the rest of the folder), the cards' cost (cards drawn and the seconds the
build logs for them, d - a in wall and CPU time, per card), and the issue's targets (on wall time)
with PASS or MISS.

--serve-latency N starts `mkdocs serve` on a free port over the full site with N reports, waits
for the home page, then three times appends a marker to one report's title and polls its page
(/incidents/<id>/) until the marker shows; it prints the seconds from the file write to the
change being served, and the rebuild time MkDocs logs. The server is plain `mkdocs serve`:
`--no-livereload` would also stop MkDocs 1.6 from watching files, so it would never rebuild.
It then does the same with the author's fast path, `handbook preview PATH` (the same server, with
only that report's page rebuilt and the other reports read from a cache).
With --serve-latency and no --sizes, only the serve measurement runs.

--keep DIR builds in DIR (which must be empty or missing) and leaves the projects there;
otherwise everything is in a temporary folder removed at the end, also on Ctrl-C, which stops
every child process first.

Exit status: 0 whatever the figures (a benchmark, not a test); 1 when the synthetic reports do
not validate or a build fails (a bug here or in the hooks); 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import NoReturn

ROOT = Path(__file__).resolve().parent.parent
BIN = next((d for d in (Path(sys.executable).parent, ROOT / ".venv" / "bin") if (d / "mkdocs").exists()),
           ROOT / ".venv" / "bin")
TODAY = "2026-11-20"
SEED = 20261120
DEFAULT_SOURCES = ["mkdocs.yml", "handbook.yml", "docs", "templates", "schema", "overrides", "hooks/macros.py"]
YEARS = tuple(range(2021, 2027))
LAST_START = dt.date(2026, 11, 10)  # every 2026 incident is over before TODAY
TARGET_BYTES = 3800  # before padding to whole sentences: about 4 KiB on average
MAX_PER_YEAR = 999  # ids are INC-<year>-<nnn>
PROJECTS = {"a": "full site, warm", "b": "plain Material", "c": "handbook validate",
            "d": "full site, cold", "e": "full, one edited"}
CARDS_LINE = re.compile(r"link-preview cards: (\d+) drawn, (\d+) from the cache \(([\d.]+) s, ([\d.]+) s CPU\)")
REUSE_LINE = re.compile(r"handbook: reports: (\d+) read and checked, (\d+) as the last build checked them")
FULL_BUILDS = ("d", "a", "e")
"""The builds of the full site: they log their cards and what they took from the last build."""

# -- the synthetic reports -----------------------------------------------------------------------

SERVICES = [
    "checkout-api", "payments-gateway", "auth-service", "search-api", "catalog-service", "inventory-sync",
    "order-pipeline", "notification-hub", "email-sender", "billing-engine", "invoice-service", "edge-proxy",
    "cdn-config", "dns-resolver", "user-profile", "session-store", "recommendation-api", "pricing-service",
    "shipping-quotes", "warehouse-bridge", "fraud-scoring", "ledger-writer", "webhook-dispatcher",
    "mobile-bff", "admin-console", "reporting-etl", "feature-flags", "message-queue", "object-storage",
    "postgres-primary",
]
PEOPLE = [
    "Ada Moreau", "Ben Ito", "Cleo Vance", "Dev Patel", "Eli Novak", "Farah Haddad", "Gus Lindqvist",
    "Hana Sato", "Ivo Petrov", "Jade Okafor", "Kai Brenner", "Lena Fischer", "Milo Costa", "Nia Mensah",
    "Omar Rahimi", "Pia Jensen", "Quinn Avery", "Rosa Delgado", "Sami Korhonen", "Tara Nguyen",
    "Umar Siddiqui", "Vera Kowalski", "Wes Adeyemi", "Xia Lin", "Yara Haddad", "Zane Mercer",
    "Alba Ruiz", "Bo Andersen", "Cyrus Vahdat", "Dina Levi", "Emil Strand", "Flora Quist",
    "Gio Bianchi", "Hugo Marchand", "Iris Tan", "Jon Eriksen", "Kira Volkova", "Luca Ferri",
    "Maya Cohen", "Nils Berg",
]
TAGS = ["database", "network", "dns", "deploy", "capacity", "config", "certificates", "cache", "queue",
        "third-party", "storage", "latency"]
SYMPTOMS = ["Requests timed out", "Server errors rose", "Stale data was served", "Messages were dropped",
            "Valid logins were rejected", "Pages loaded slowly", "Jobs queued without running",
            "Duplicate notifications went out", "Searches returned nothing", "Writes failed"]
CAUSES = ["a connection-pool change", "an expired certificate", "a schema migration", "a cache eviction storm",
          "a DNS record change", "a dependency upgrade", "a full disk", "a feature-flag rollout",
          "a regional network partition", "a retry storm", "a quota limit at a provider", "clock skew between nodes",
          "a load-balancer rule change", "a memory leak", "a runaway batch job"]
MITIGATIONS = ["The change is rolled back", "Traffic is shifted to the second region", "The cache is warmed again",
               "The pool size is restored", "The certificate is replaced", "The batch job is stopped",
               "The feature flag is turned off", "Capacity is doubled by hand"]
ALERTS = ["The error-rate alert", "The latency alert", "A synthetic check", "The queue-depth alert",
          "A customer support escalation", "The saturation alert"]
FACTORS = {
    "technical-trigger": [
        "{Cause} reduced the capacity of {svc} below its peak load.",
        "{Cause} changed how {svc} talks to {other}, and requests began to fail.",
        "{Cause} left {svc} with connections that never returned to the pool.",
    ],
    "detection-gap": [
        "No alert watched the saturation of {svc}, so the first signal was the error rate.",
        "The dashboard of {svc} averaged over an hour and hid the spike.",
        "The synthetic check of {svc} ran every thirty minutes, too rarely to catch the failure early.",
    ],
    "rollout-control-gap": [
        "Configuration changes to {svc} skipped the canary stage that code changes go through.",
        "The deploy pipeline of {svc} had no automatic rollback on error-rate regressions.",
        "Capacity limits of {other} were set by hand and never reviewed after traffic grew.",
    ],
    "responsibility-runbook-gap": [
        "The runbook of {svc} described an architecture retired two years ago.",
        "Ownership of {other} moved between teams and the pager rota was not updated.",
        "No runbook covered failing {svc} over to the second region.",
    ],
    "organisational-tradeoff": [
        "The migration of {svc} was scheduled just before the freeze, which left little time to test it.",
        "The team owning {svc} was two engineers short, so the load test was postponed twice.",
        "Redundancy work on {other} was deferred in favour of a product launch.",
    ],
}
ACTIONS = [
    ("prevent", "Route configuration changes of {svc} through the same canary stage as code.",
     "A bad configuration change in staging stops at the canary gate when errors rise."),
    ("detect", "Alert when the connection pool of {svc} stays above 90% use for five minutes.",
     "The alert fires during the monthly game day when the pool is throttled."),
    ("mitigate", "Roll back the {svc} deploy pipeline automatically on error-rate regressions.",
     "A deliberately broken build in staging is rolled back within ten minutes."),
    ("learn", "Rewrite the runbook of {svc} for the current architecture and link it from the alert.",
     "A new on-call engineer follows the runbook in a drill without help."),
    ("mitigate", "Run a failover drill of {svc} to the second region every quarter.",
     "The quarterly drill report shows a failover in under fifteen minutes."),
    ("prevent", "Renew the certificates of {other} automatically thirty days before expiry.",
     "The certificate dashboard shows no certificate with under thirty days of validity."),
    ("prevent", "Set a per-client rate limit on {svc} so that retries cannot exhaust it.",
     "A load test at twice peak traffic keeps the error rate of {svc} under one percent."),
    ("detect", "Page the owning team of {other} directly from its alerts.",
     "The next alert on {other} reaches the owning team's pager within one minute."),
    ("prevent", "Add a load test of {svc} at twice peak traffic to the release checklist.",
     "Each release record of {svc} links a passing load-test report."),
    ("learn", "Present this incident at the engineering all-hands and add it to onboarding.",
     "Onboarding feedback forms mention this incident review within two cohorts."),
]
STEPS = ["The on-call engineer opens an incident and joins the bridge channel.",
         "The {other} team is paged to rule out their dependency.",
         "Error rates on {svc} reach their peak.",
         "A first mitigation, restarting the {svc} pods, has no effect.",
         "The incident commander posts an update on the status page.",
         "The trigger is found in the change log of {svc}.",
         "Customer support reports a rise in tickets about {svc}.",
         "Dashboards show the queues of {other} draining.",
         "A second responder confirms that {other} is healthy.",
         "The communications lead sends the first customer notice."]
FILLER = ["The {svc} team reviewed the graphs of the hour before the incident and found no earlier warning sign.",
          "Requests to {other} kept succeeding, which ruled out the shared network path early on.",
          "Most of the response time went into ruling out causes that had produced similar symptoms before.",
          "The change history of {svc} showed three unrelated deploys in the same hour, each checked in turn.",
          "Load on {other} rose by a third while clients retried, then fell back once the fix was in place.",
          "The responders kept a running log in the incident channel, which made this report quicker to write.",
          "Nobody on the call had operated {svc} during a regional failover, so each step was checked twice.",
          "The status page was updated every thirty minutes, as the communications checklist asks.",
          "Why did the requests fail? Because {svc} could not reach {other} within its deadline.",
          "Why was the deadline missed? Because every worker was busy waiting on the same exhausted resource.",
          "Why was the resource exhausted? Because nothing limited how much of it a single client could hold."]


@dataclass(frozen=True, slots=True)
class Synthetic:
    """One generated report: where it goes under postmortems/, its id, title and text."""
    rel: str
    id: str
    title: str
    text: str


def q(value: str) -> str:
    """A YAML scalar for `value`: plain when that is safe, else a double-quoted (JSON) string."""
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9 ,.'()/-]*", value) and not value.endswith(" "):
        return value
    return json.dumps(value, ensure_ascii=False)


def stamp(moment: dt.datetime) -> str:
    text = moment.isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def minutes(total: int) -> str:
    hours, mins = divmod(total, 60)
    return f"{hours} h {mins} min" if hours else f"{mins} min"


def fill(template: str, words: dict[str, str]) -> str:
    return template.format(**words)


def plan_starts(rng: Random, n: int) -> list[dt.datetime]:
    """Start times of n incidents, as many in each year of YEARS, in time order."""
    zones = [dt.timezone.utc, dt.timezone.utc, dt.timezone(dt.timedelta(hours=1)),
             dt.timezone(dt.timedelta(hours=2)), dt.timezone(dt.timedelta(hours=-5))]
    starts = []
    for i in range(n):
        year = YEARS[i % len(YEARS)]
        first = dt.date(year, 1, 1)
        last = min(dt.date(year, 12, 31), LAST_START)
        day = first + dt.timedelta(days=rng.randrange((last - first).days + 1))
        moment = dt.datetime.combine(day, dt.time(rng.randrange(24), rng.randrange(60)), tzinfo=rng.choice(zones))
        starts.append(moment)
    return sorted(starts, key=lambda m: m.astimezone(dt.timezone.utc))


def timeline(rng: Random, marks: list[tuple[dt.datetime, str]], words: dict[str, str]) -> list[str]:
    """6-10 entries: the four milestones plus steps in between, each with its time (date when it changes)."""
    started, resolved = marks[0][0], marks[-1][0]
    span = int((resolved - started).total_seconds() // 60)
    steps = rng.sample(STEPS, rng.randint(2, 6))
    entries = list(marks)
    first = int((marks[1][0] - started).total_seconds() // 60)  # the response steps follow detection
    for step in steps:
        entries.append((started + dt.timedelta(minutes=rng.randint(first, span)), fill(step, words)))
    entries.sort(key=lambda e: e[0])
    lines, last_date = [], None
    for moment, what in entries:
        when = moment.strftime("%H:%M") if moment.date() == last_date else moment.strftime("%Y-%m-%d %H:%M")
        lines.append(f"- {when} — {what}")
        last_date = moment.date()
    return lines


def make_report(rng: Random, started: dt.datetime, report_id: str, earlier: Sequence[str]) -> Synthetic:
    svc, other = rng.sample(SERVICES, 2)
    cause = rng.choice(CAUSES)
    symptom = rng.choice(SYMPTOMS)
    title = f"{symptom} on {svc} after {cause}"
    words = {"svc": svc, "other": other, "cause": cause, "Cause": cause[0].upper() + cause[1:]}
    detected = started + dt.timedelta(minutes=rng.randint(1, 60))
    mitigated = detected + dt.timedelta(minutes=rng.randint(10, 240))
    resolved = mitigated + dt.timedelta(minutes=rng.randint(20, 600))
    severity = rng.choices(["SEV1", "SEV2", "SEV3", "SEV4"], weights=[10, 25, 40, 25])[0]
    age = (dt.date.fromisoformat(TODAY) - resolved.date()).days
    status = rng.choices(["in-review", "reviewed", "closed"], weights=_status_weights(age))[0]
    people = rng.sample(PEOPLE, 6)
    owner, commander, scribe, comms, expert1, expert2 = people
    mitigation = rng.choice(MITIGATIONS)
    alert = rng.choice(ALERTS)
    marks = [(started, f"Impact begins: {cause} reaches {svc} in production."),
             (detected, f"{alert} pages the on-call engineer."),
             (mitigated, f"{mitigation} and error rates return to baseline."),
             (resolved, "The incident is resolved after a period of normal traffic.")]
    customer = rng.random() < 0.7
    users = (f"{rng.randint(1, 40)}% of {svc} requests" if rng.random() < 0.5 else str(rng.randint(10, 90000)))
    data_impact = "none" if rng.random() < 0.85 else f"{rng.randint(2, 400)} delayed messages, replayed afterwards"
    n_factors = rng.randint(3, 5)
    others = [(layer, template) for layer in list(FACTORS)[1:] for template in FACTORS[layer]]
    factors = [("technical-trigger", rng.choice(FACTORS["technical-trigger"]))] + rng.sample(others, n_factors - 1)
    fm = [
        "---",
        f"id: {report_id}",
        f"title: {q(title)}",
        f"severity: {severity}",
        f"status: {status}",
        f"visibility: {rng.choices(['public', 'internal'], weights=[20, 80])[0]}",
        f"owner: {owner}",
        f"authors: [{owner}, {scribe}]",
        "roles:",
        f"  commander: {commander}",
        f"  scribe: {scribe}",
        f"  communications: {comms}",
        f"  subject_matter_experts: [{expert1}, {expert2}]",
        f"services: [{svc}, {other}]",
        f"tags: [{', '.join(rng.sample(TAGS, rng.randint(1, 3)))}]",
        f"started: {stamp(started)}",
        f"detected: {stamp(detected)}",
        f"mitigated: {stamp(mitigated)}",
        f"resolved: {stamp(resolved)}",
        "impact:",
        f"  customer_facing: {'true' if customer else 'false'}",
        f"  users_affected: {q(users) if not users.isdigit() else users}",
        f"  data_impact: {q(data_impact)}",
        "links:",
        f"  slack: https://chat.example.com/archives/C{rng.randrange(10**6):06d}",
        f"  tickets: [https://linear.example.com/larkspur/issue/REL-{rng.randint(100, 9999)}]",
        f"  dashboards: [https://grafana.example.com/d/{svc}]",
        f"related: [{rng.choice(earlier)}]" if earlier and rng.random() < 0.1 else "related: []",
        "contributing_factors:",
    ]
    for layer, template in factors:
        fm += [f"  - layer: {layer}", f"    description: {q(fill(template, words))}"]
    fm.append("action_items:")
    windows = {"P0": 7, "P1": 14, "P2": 30, "P3": 30, "P4": 90, "P5": 90}
    for number, (category, description, verification) in enumerate(rng.sample(ACTIONS, rng.randint(2, 5)), 1):
        priority = rng.choice(list(windows))
        due = resolved.date() + dt.timedelta(days=rng.randint(1, windows[priority]))
        item_status = rng.choices(["open", "in-progress", "done", "wont-do"], weights=_item_weights(status, age))[0]
        fm += [f"  - id: AI-{number}", f"    description: {q(fill(description, words))}",
               f"    owner: {rng.choice(PEOPLE)}", f"    due: {due.isoformat()}", f"    priority: {priority}",
               f"    category: {category}", f"    verification: {q(fill(verification, words))}",
               f"    status: {item_status}"]
    fm.append("---")
    zone = started.strftime("%z")
    sections = {
        "Summary": [f"{words['Cause']} affected {svc}: {symptom.lower()} for {minutes(_span(started, mitigated))} "
                    f"until the responders acted. {mitigation}, and {other} was checked for knock-on effects."],
        "Impact": [f"{users if not users.isdigit() else users + ' users'} were affected between "
                   f"{started:%H:%M} and {mitigated:%H:%M} (UTC offset {zone}). Data impact: {data_impact}."],
        "Timeline": timeline(rng, marks, words),
        "Detection": [f"{alert} fired {minutes(_span(started, detected))} after impact began."],
        "Response": [f"{commander} led the response, with {scribe} keeping the log and {comms} updating "
                     f"customers. {expert1} and {expert2} joined as subject matter experts."],
        "Resolution": [f"{mitigation}. The responders watched {svc} for {minutes(_span(mitigated, resolved))} "
                       "before resolving the incident."],
        "Contributing factors": ["The factors are listed in the front matter and rendered here."],
        "Lessons learned": [],
        "Action items": ["The action items are rendered here from the front matter."],
    }
    lessons = {"What went well": f"The rollback of {svc} was quick once the trigger was known.",
               "What went wrong": f"Finding the trigger took {minutes(_span(detected, mitigated))}.",
               "Where we got lucky": f"The incident started at a time when {other} had spare capacity."}
    fm_text = "\n".join(fm) + "\n"
    target = TARGET_BYTES + rng.randint(-400, 400)
    padded = ["Response", "Contributing factors", "Resolution", "Detection"]
    while len(fm_text) + _body_size(sections, lessons) < target:
        sections[rng.choice(padded)].append(fill(rng.choice(FILLER), words))
    body = _body(sections, lessons)
    return Synthetic(f"{started.year}/{started.date().isoformat()}-{_slug(title)}.md", report_id, title,
                     fm_text + body)


def _status_weights(age: int) -> list[int]:
    """Weights of in-review, reviewed, closed for a report resolved `age` days ago: old ones are done."""
    if age < 21:
        return [60, 40, 0]
    if age < 180:
        return [10, 70, 20]
    return [1, 29, 70]


def _item_weights(status: str, age: int) -> list[int]:
    """Weights of open, in-progress, done, wont-do for an action item: most old items are finished."""
    if status == "closed":
        return [0, 0, 9, 1]
    if age < 90:
        return [40, 30, 30, 0]
    if age < 365:
        return [15, 15, 65, 5]
    return [5, 5, 80, 10]


def _span(start: dt.datetime, end: dt.datetime) -> int:
    return int((end - start).total_seconds() // 60)


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].rstrip("-")


def _body(sections: dict[str, list[str]], lessons: dict[str, str]) -> str:
    parts = []
    for heading, paragraphs in sections.items():
        parts.append(f"\n## {heading}\n")
        if heading == "Timeline":
            parts.append("\n" + "\n".join(paragraphs) + "\n")
        elif heading == "Lessons learned":
            for sub, prose in lessons.items():
                parts.append(f"\n### {sub}\n\n{prose}\n")
        elif paragraphs:
            parts.append("\n" + _wrap(" ".join(paragraphs)) + "\n")
    return "".join(parts)


def _body_size(sections: dict[str, list[str]], lessons: dict[str, str]) -> int:
    return len(_body(sections, lessons).encode("utf-8"))


def _wrap(text: str, width: int = 100) -> str:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join(lines + [line])


def make_reports(n: int, seed: int = SEED) -> list[Synthetic]:
    """n valid reports, the same for the same n and seed; ids numbered by start time within each year."""
    if n > MAX_PER_YEAR * len(YEARS):
        raise SystemExit(f"bench: at most {MAX_PER_YEAR * len(YEARS)} reports (ids have three digits per year).")
    rng = Random(seed)
    counters: dict[int, int] = {}
    reports: list[Synthetic] = []
    names: set[str] = set()
    for started in plan_starts(rng, n):
        counters[started.year] = counters.get(started.year, 0) + 1
        report_id = f"INC-{started.year}-{counters[started.year]:03d}"
        report = make_report(rng, started, report_id, [r.id for r in reports[-200:]])
        if report.rel in names:  # same day, same title: keep file names unique
            report = Synthetic(report.rel[:-3] + f"-{counters[started.year]}.md", report.id, report.title, report.text)
        names.add(report.rel)
        reports.append(report)
    return reports


# -- the projects --------------------------------------------------------------------------------

def write_reports(folder: Path, reports: Sequence[Synthetic]) -> None:
    for report in reports:
        path = folder / report.rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(report.text, encoding="utf-8")


def site_sources() -> list[str]:
    """What a site needs: `COPIED` of tests/conftest.py (read, not imported), less postmortems/."""
    try:
        tree = ast.parse((ROOT / "tests" / "conftest.py").read_text(encoding="utf-8"))
        names = next(ast.literal_eval(node.value) for node in ast.walk(tree) if isinstance(node, ast.Assign)
                     and any(isinstance(t, ast.Name) and t.id == "COPIED" for t in node.targets))
    except (OSError, SyntaxError, ValueError, StopIteration):
        names = DEFAULT_SOURCES
    return [name for name in names if name != "postmortems"]


def full_project(dest: Path, reports: Sequence[Synthetic]) -> Path:
    """(a) the repository's site sources, as tests/conftest.py copy_project copies them, plus the reports."""
    for name in site_sources():
        source, target = ROOT / name, dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy2(source, target)
    write_reports(dest / "postmortems", reports)
    return dest


def markdown_extensions_block(mkdocs_yml: str) -> str:
    """The `markdown_extensions:` block of mkdocs.yml, verbatim (tags such as !!python/name survive)."""
    lines = mkdocs_yml.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("markdown_extensions:")), None)
    if start is None:
        return ""
    block = [lines[start]]
    for line in lines[start + 1:]:
        if line and not line[0].isspace() and not line.startswith(("#", "- ")):
            break
        block.append(line)
    return "\n".join(block).rstrip() + "\n"


def plain_project(dest: Path, reports: Sequence[Synthetic]) -> Path:
    """(b) plain Material over the same files as ordinary pages: no hooks, no macros, nav = home."""
    extensions = markdown_extensions_block((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "mkdocs.yml").write_text(
        "site_name: Baseline\nsite_url: https://handbook.larkspur.example/\ndocs_dir: docs\n"
        "theme:\n  name: material\n  language: en\n  font: false\n"
        "plugins:\n  - search\n" + extensions + "nav:\n  - Home: index.md\n", encoding="utf-8")
    (dest / "docs").mkdir()
    (dest / "docs" / "index.md").write_text("# Baseline\n\nThe same reports, as plain pages.\n", encoding="utf-8")
    write_reports(dest / "docs" / "reports", reports)
    return dest


# -- running children ----------------------------------------------------------------------------

_children: dict[int, subprocess.Popen] = {}
"""Children started and not yet reaped, by pid: stopped on Ctrl-C."""


USER_CACHE: list[Path] = []
"""The children's user cache folder (XDG_CACHE_HOME), inside the workspace, one per N: the cards, the
checked reports and the answers a build keeps are kept there, never in the cache of whoever runs the
benchmark."""


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDBOOK_")}
    env.update({"HANDBOOK_TODAY": TODAY, "NO_MKDOCS_2_WARNING": "1"})
    if USER_CACHE:
        env["XDG_CACHE_HOME"] = str(USER_CACHE[0])
    return env


def start(args: Sequence[str | Path], cwd: Path, log: Path) -> subprocess.Popen:
    """Start a child in its own process group (so Ctrl-C reaches us, and we stop it), output to `log`."""
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(a) for a in args], cwd=cwd, env=child_env(), stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    _children[proc.pid] = proc
    return proc


def stop(proc: subprocess.Popen, first: int = signal.SIGTERM, grace: float = 20.0) -> None:
    """Stop a child we started (its process group, by its id) and reap it."""
    for sig in (first, signal.SIGKILL):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            continue
    _children.pop(proc.pid, None)


def stop_all() -> None:
    for proc in list(_children.values()):
        stop(proc, grace=5.0)


@dataclass(frozen=True, slots=True)
class Sample:
    seconds: float
    """Wall time."""
    cpu: float
    """User + system CPU time of the child: steadier than wall time on a busy machine."""
    peak_kib: int
    code: int


def measure(args: Sequence[str | Path], cwd: Path, log: Path) -> Sample:
    """Run a child to the end: its wall and CPU time, its own peak RSS (ru_maxrss, KiB), its exit code."""
    begin = time.perf_counter()
    proc = start(args, cwd, log)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - begin
    _children.pop(proc.pid, None)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Sample(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, proc.returncode)


def tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no output)"


def fail(message: str, log: Path | None = None) -> NoReturn:
    print(f"\nbench: {message}", file=sys.stderr)
    if log is not None:
        print(tail(log), file=sys.stderr)
    raise SystemExit(1)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the build benchmark -------------------------------------------------------------------------

@dataclass(slots=True)
class Result:
    n: int
    report_bytes: int
    samples: dict[str, list[Sample]] = field(default_factory=lambda: {k: [] for k in PROJECTS})
    cards: dict[str, list[tuple[int, int, float, float]]] = field(default_factory=lambda: {k: [] for k in FULL_BUILDS})
    """Per build of d, a and e: the cards drawn, found in the cache, and the wall and CPU seconds the
    build logged for them."""
    reuse: dict[str, list[int]] = field(default_factory=lambda: {k: [] for k in FULL_BUILDS})
    """Per build of d, a and e: the reports read and checked."""
    kept_bytes: tuple[int, int] = (0, 0)
    """After the last round: the size of checked.json, and of everything else the builds keep in the
    user cache folder but the cards."""

    def seconds(self, key: str) -> float:
        return statistics.median(s.seconds for s in self.samples[key])

    def cpu(self, key: str) -> float:
        return statistics.median(s.cpu for s in self.samples[key])

    def mib(self, key: str) -> float:
        return max(s.peak_kib for s in self.samples[key]) / 1024


def check_valid(project: Path, work: Path, n: int) -> None:
    """`handbook validate --strict` must accept the synthetic reports: else stop with its first lines."""
    log = work / "validate-check.log"
    sample = measure([BIN / "handbook", "validate", "--strict"], project, log)
    if sample.code != 0:
        text = log.read_text(encoding="utf-8", errors="replace").splitlines()
        print("\n".join(text[:40] + ["...", text[-1]] if len(text) > 41 else text), file=sys.stderr)
        fail(f"the {n} synthetic reports do not pass `handbook validate --strict` (exit {sample.code}): "
             "fix make_report() in bench/build.py.")
    expected = f"{n} reports checked: no problems."
    if expected not in log.read_text(encoding="utf-8"):
        fail(f"`handbook validate` did not say {expected!r}:", log)


def edited(text: str, number: int) -> str:
    """`text` of a synthetic report with a sentence naming round `number` added to its summary."""
    return text.replace("## Summary\n\n", f"## Summary\n\nThis summary was edited in round {number}. ", 1)


def kept_sizes(cache: Path) -> tuple[int, int]:
    """The bytes of checked.json, and of every other file the builds keep in the handbook's user cache
    folder `cache` but the cards (one checkout's folder: the benchmark's full project)."""
    files = [p for p in cache.rglob("*") if p.is_file() and "cards" not in p.relative_to(cache).parts]
    checked = sum(p.stat().st_size for p in files if p.name == "checked.json")
    return checked, sum(p.stat().st_size for p in files) - checked


def bench_size(n: int, rounds: int, work: Path) -> Result:
    progress(f"N={n}: writing {n} reports ...")
    USER_CACHE[:] = [work / "user-cache"]  # this N's own: its checked reports and answers are measured alone
    cache = USER_CACHE[0] / "postmortem-handbook"
    reports = make_reports(n)
    full = full_project(work / "full", reports)
    plain = plain_project(work / "plain", reports)
    check_valid(full, work, n)
    result = Result(n, sum(len(r.text.encode("utf-8")) for r in reports))
    target = full / "postmortems" / reports[len(reports) // 2].rel
    # d, a and e are the same build: d with the handbook's whole user cache folder emptied first (a
    # first build, or CI without a kept cache), a right after it with everything kept (a rebuild with
    # nothing changed), e after one report was edited (a publish). Without -q, so that the build's own
    # lines on the cards and on what it took from the last build are in the log.
    commands = {
        "d": (full, [BIN / "mkdocs", "build", "-d", work / "site-d"]),
        "a": (full, [BIN / "mkdocs", "build", "-d", work / "site-a"]),
        "e": (full, [BIN / "mkdocs", "build", "-d", work / "site-e"]),
        "b": (plain, [BIN / "mkdocs", "build", "-q", "-d", work / "site-b"]),
        "c": (full, [BIN / "handbook", "validate"]),
    }
    for number in range(1, rounds + 1):
        for key, (cwd, args) in commands.items():
            shutil.rmtree(work / f"site-{key}", ignore_errors=True)  # every build starts from nothing
            if key == "d":
                shutil.rmtree(cache, ignore_errors=True)
            if key == "e":
                target.write_text(edited(reports[len(reports) // 2].text, number), encoding="utf-8")
            log = work / f"{key}-{number}.log"
            sample = measure(args, cwd, log)
            if sample.code != 0:
                fail(f"N={n} round {number}: {PROJECTS[key]} exited {sample.code}:", log)
            result.samples[key].append(sample)
            if key in FULL_BUILDS:
                text = log.read_text(encoding="utf-8", errors="replace")
                found = CARDS_LINE.search(text)
                if found is None:
                    fail(f"N={n} round {number}: {PROJECTS[key]} did not log its link-preview cards:", log)
                result.cards[key].append((int(found[1]), int(found[2]), float(found[3]), float(found[4])))
                took = REUSE_LINE.search(text)
                if took is None:
                    fail(f"N={n} round {number}: {PROJECTS[key]} did not log what it took from the last build:", log)
                result.reuse[key].append(int(took[1]))
            progress(f"N={n} round {number}/{rounds}: {key} {PROJECTS[key]:<18} {sample.seconds:7.2f} s wall "
                     f"{sample.cpu:7.2f} s cpu {sample.peak_kib / 1024:7.1f} MiB")
    result.kept_bytes = kept_sizes(cache)
    return result


def verdict(value: float | None, limit: float) -> str:
    return "n/a" if value is None else ("PASS" if value <= limit else "MISS")


def print_results(results: list[Result], rounds: int) -> None:
    for r in results:
        print(f"\nN = {r.n}  ({r.report_bytes / r.n / 1024:.1f} KiB per report, {r.report_bytes / 1024 / 1024:.1f} MiB "
              f"in all; median of {rounds} round(s), peak RSS = max over rounds)")
        print(f"  {'':3}{'project':<22}{'wall (s)':>10}{'cpu (s)':>10}{'peak RSS (MiB)':>16}")
        for key, name in PROJECTS.items():
            print(f"  {key:3}{name:<22}{r.seconds(key):>10.2f}{r.cpu(key):>10.2f}{r.mib(key):>16.1f}")
    print("\nRatios (cpu: the same from user + system CPU time, less sensitive to other load)")
    print(f"  {'N':>6}{'time a/b':>10}{'cpu a/b':>10}{'memory a/b':>12}")
    for r in results:
        print(f"  {r.n:>6}{r.seconds('a') / r.seconds('b'):>10.2f}{r.cpu('a') / r.cpu('b'):>10.2f}"
              f"{r.mib('a') / r.mib('b'):>12.2f}")
    by_n = {r.n: r for r in results}
    big, mid = by_n.get(2000), by_n.get(500)
    growth = big.seconds("a") / mid.seconds("a") if big and mid else None
    if big and mid and growth is not None:
        print(f"  a(2000)/a(500) = {growth:.2f} wall, {big.cpu('a') / mid.cpu('a'):.2f} cpu  (linear: 4.00)")
    print("\nTaken from the last build: d = cold (the handbook's user cache folder emptied first), a = warm, e = warm "
          "with one\n  report edited. 'checked': reports read and checked, as the build logs it (every page is "
          "drawn by every build);\n  checked.json and the other kept files after the last round (the cards are "
          "counted below)")
    print(f"  {'N':>6}{'checked d':>11}{'a':>6}{'e':>6}{'checked.json':>14}{'other':>11}")
    for r in results:
        print(f"  {r.n:>6}{max(r.reuse['d']):>11}{max(r.reuse['a']):>6}{max(r.reuse['e']):>6}"
              f"{r.kept_bytes[0] / 1024 / 1024:>10.1f} MiB{r.kept_bytes[1] / 1024 / 1024:>7.1f} MiB")
    print("\nLink-preview cards: d = every card drawn (cold), a = every card found (warm).\n  'logged': the time the "
          "build itself reports for finding, drawing and storing them (wall, and CPU of\n  every process that drew); "
          "d-a: the whole cold build against the warm one, seen from outside (cards and all)")
    print(f"  {'N':>6}{'drawn d':>9}{'logged d wall':>15}{'cpu':>8}{'cpu ms/card':>13}{'found a':>9}"
          f"{'logged a wall':>15}{'d-a wall':>10}{'d-a cpu':>9}")
    for r in results:
        drawn, _, wall_d, cpu_d = min(r.cards["d"], key=lambda c: c[3])
        _, found, wall_a, _ = min(r.cards["a"], key=lambda c: c[3])
        print(f"  {r.n:>6}{drawn:>9}{wall_d:>13.2f} s{cpu_d:>6.2f} s{1000 * cpu_d / max(drawn, 1):>10.1f} ms"
              f"{found:>9}{wall_a:>13.2f} s{r.seconds('d') - r.seconds('a'):>8.2f} s{r.cpu('d') - r.cpu('a'):>7.2f} s")
    print("\nTargets (from the issue)")
    rows: list[tuple[str, float | None, str, float, str]] = [
        ("time d/b (cold) at N=2000", big and big.seconds("d") / big.seconds("b"), "", 1.5, "<= 1.5"),
        ("time e/b (one edit) at N=2000", big and big.seconds("e") / big.seconds("b"), "", 1.25, "<= 1.25"),
        ("time a(2000)/a(500)", growth, "", 4.4, "<= 4.4"),
        ("validate at N=2000", big and big.seconds("c"), " s", 2.5, "<= 2.5 s"),
    ]
    rows += [(f"peak memory a/b at N={r.n}", r.mib("a") / r.mib("b"), "", 1.3, "<= 1.3") for r in results]
    rows += [(f"card cpu time at N={r.n}", 1000 * min(c[3] / max(c[0], 1) for c in r.cards["d"]), " ms", 10.0,
              "<= 10 ms") for r in results]
    for label, value, unit, limit, shown in rows:
        figure = f"{value:.2f}{unit}" if value is not None else "(not run)"
        print(f"  {label:<28}{figure:>12}   target {shown:<9} {verdict(value, limit)}")


# -- serve latency -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, timeout: float = 600.0) -> str | None:
    """The page's text, or None when the server does not answer it (yet)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read().decode("utf-8", errors="replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


_BUILT = re.compile(r"Documentation built in ([0-9.]+) seconds")


def build_times(log: Path) -> list[float]:
    return [float(x) for x in _BUILT.findall(log.read_text(encoding="utf-8", errors="replace"))]


def last_build(log: Path) -> str:
    times = build_times(log)
    return f"{times[-1]:.1f} s" if times else "?"


def wait_for(condition: Callable[[], object], timeout: float, proc: subprocess.Popen, log: Path, what: str,
             every: float = 0.1) -> None:
    """Poll `condition` until it holds; stop with the server's log if the server dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if proc.poll() is not None:
            fail(f"mkdocs serve exited ({proc.returncode}) while waiting for {what}:", log)
        time.sleep(every)
    fail(f"timed out after {timeout:.0f} s waiting for {what}:", log)


def serve_latency(n: int, work: Path, repeats: int = 3) -> None:
    """Both ways an author can watch a report: the whole site (`mkdocs serve`) and the preview."""
    progress(f"serve N={n}: writing {n} reports ...")
    reports = make_reports(n)
    project = full_project(work / "full", reports)
    check_valid(project, work, n)
    target = reports[len(reports) // 2]
    path = project / "postmortems" / target.rel
    for mode in ("mkdocs serve", "handbook preview"):
        _serve_latency(mode, n, project, target, path, work / f"{mode.split()[1]}.log", repeats)


def _serve_latency(mode: str, n: int, project: Path, target: Synthetic, path: Path, log: Path,
                   repeats: int) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    begin = time.perf_counter()
    command = ([BIN / "mkdocs", "serve", "-a", f"127.0.0.1:{port}"] if mode == "mkdocs serve"
               else [BIN / "handbook", "preview", path, "-a", f"127.0.0.1:{port}"])
    proc = start(command, project, log)
    progress(f"{mode} N={n}: waiting for the first build on {base} ...")
    try:
        wait_for(lambda: fetch(base + "/", timeout=5) is not None, 1800, proc, log, "the home page", every=0.25)
        first = time.perf_counter() - begin
        url = f"{base}/incidents/{target.id}/"
        if fetch(url) is None:
            fail(f"{url} does not answer:", log)
        print(f"\nServe latency, N={n}: {mode}, edit the title of {target.rel}, poll /incidents/{target.id}/")
        print(f"  first build and home page answering: {first:.1f} s (MkDocs: built in {last_build(log)})")
        latencies = []
        for number in range(1, repeats + 1):
            marker = f"benchmark{number}x{os.getpid()}"
            text = re.sub(r"(?m)^title: .*$", lambda _: f"title: {q(target.title + ' ' + marker)}", target.text,
                          count=1)
            builds = len(build_times(log))
            path.write_text(text, encoding="utf-8")
            written = time.perf_counter()
            wait_for(lambda m=marker: m in (fetch(url) or ""), 1800, proc, log, f"the marker of edit {number}")
            latency = time.perf_counter() - written
            wait_for(lambda b=builds: len(build_times(log)) > b, 60, proc, log, "the rebuild's log line")
            latencies.append(latency)
            print(f"  edit {number}: visible after {latency:.1f} s (MkDocs: rebuilt in {last_build(log)})")
            time.sleep(1.0)
        print(f"  median: {statistics.median(latencies):.1f} s")
    finally:
        stop(proc, first=signal.SIGINT)


# -- main ----------------------------------------------------------------------------------------

def machine_info() -> str:
    script = ("import json, platform, importlib.metadata as m\n"
              "v = {}\n"
              "for name in ('mkdocs', 'mkdocs-material', 'mkdocs-macros-plugin', 'Markdown', 'pymdown-extensions'):\n"
              "    try: v[name] = m.version(name)\n"
              "    except m.PackageNotFoundError: v[name] = '?'\n"
              "print(json.dumps([platform.python_version(), v]))\n")
    python, versions = json.loads(subprocess.run([str(BIN / "python"), "-c", script], capture_output=True,
                                                 text=True, check=True).stdout)
    cpu = _proc_field("/proc/cpuinfo", "model name") or platform.processor() or "?"
    memory = _proc_field("/proc/meminfo", "MemTotal")
    memory_text = f", {int(memory.split()[0]) / 1024 / 1024:.1f} GiB RAM" if memory else ""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"Machine: {platform.system()} {platform.release()} {platform.machine()}, nproc {usable} "
            f"({os.cpu_count()} CPUs), {cpu}{memory_text}\n"
            f"Python {python}; " + ", ".join(f"{k} {v}" for k, v in versions.items()) + "\n" + load_average())


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"Load average {one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min; other work on the machine skews wall times)"


def _proc_field(path: str, name: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(name):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def parse_sizes(value: str) -> list[int]:
    try:
        sizes = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("sizes are whole numbers separated by commas, e.g. 100,500,2000") from None
    if not sizes or any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sizes


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time the handbook site build against plain Material.",
                                     epilog="See the module docstring of bench/build.py for details.")
    parser.add_argument("--sizes", type=parse_sizes, default=None,
                        help="numbers of reports, comma-separated (default 100,500,2000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of d, a, e, b, c per size (default 3)")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="build in DIR (empty or missing) and keep it, instead of a temporary folder")
    parser.add_argument("--serve-latency", type=int, default=0, metavar="N",
                        help="measure mkdocs serve's rebuild latency with N reports (alone unless --sizes)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.sizes is None:
        args.sizes = [] if args.serve_latency else [100, 500, 2000]
    return args


@contextmanager
def workspace(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        if keep.exists() and any(keep.iterdir()):
            raise SystemExit(f"bench: {keep} is not empty; --keep needs an empty or missing folder.")
        keep.mkdir(parents=True, exist_ok=True)
        yield keep.resolve()
        print(f"\nProjects kept in {keep}", file=sys.stderr)
        return
    folder = Path(tempfile.mkdtemp(prefix="handbook-bench-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _terminate(signum, frame) -> None:  # noqa: ANN001 - signal handler signature
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        with workspace(args.keep) as work:
            try:
                run(args, work)
            finally:
                stop_all()  # before the workspace goes
    except KeyboardInterrupt:
        print("\nbench: interrupted; children stopped.", file=sys.stderr)
        return 130
    return 0


def run(args: argparse.Namespace, work: Path) -> None:
    print(machine_info())
    print(f"Seed {SEED}, HANDBOOK_TODAY={TODAY}, rounds {args.rounds} (d a e b c alternating)")
    results = []
    for n in args.sizes:
        folder = work / f"n{n}"
        folder.mkdir()
        results.append(bench_size(n, args.rounds, folder))
    if results:
        print_results(results, args.rounds)
        print("\n" + load_average())
    if args.serve_latency:
        folder = work / f"serve-n{args.serve_latency}"
        folder.mkdir()
        USER_CACHE[:] = [folder / "user-cache"]
        serve_latency(args.serve_latency, folder)


if __name__ == "__main__":
    sys.exit(main())

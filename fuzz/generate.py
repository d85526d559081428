"""Generated report sets for fuzzing: a valid report, mutated the way attackers and hurried authors do.

Every set is a pure function of (seed, index): `report_set(seed, index)` gives the same files
on every machine, so a failure found by `make fuzz` or the suite reproduces from its two numbers.
A set holds 1 to 6 reports; most are mutated, some are left valid so that a check can count
that nothing valid was lost on the way.

A share of sets (SHARES) also carries other hostile input, each drawn from a generator of its own
seeded by (seed, index, kind), so no kind shifts the draws of another: a reviewed report whose external
message is built from hostile Markdown (fuzz/statements.py, in place of one of the set's reports), a
Slack export (fuzz/chat.py), a `tracker/github.json` state file (fuzz/tracker.py), and the answers of
a GitHub API to the sync's client (fuzz/hub.py).
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .chat import ChatExport, chat_export
from .hub import GitHubCase, github_case
from .statements import message_section, statement_front
from .tracker import TrackerCase, tracker_case

VALID = (Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "valid.md").read_text(encoding="utf-8")
_, _FRONT, BODY = VALID.split("---\n", 2)
FRONT: dict[str, Any] = yaml.safe_load(_FRONT)

# -- values that once broke something, or could ----------------------------------------------------
NUMBERS = ["9" * 5_000, "-" + "1" * 4_400, "9" * 31, "9" * 30, "1" + "0" * 400 + ".5", ".inf", "-.inf", ".nan",
           "1.0e+400", "0x" + "f" * 400, "0o777", "0b1010", "1_000_000", "-0", "+12", "3.", "1:20:30"]
DATES = ["9999-12-31", "0001-01-01", "10000-01-01", "2026-02-30", "2026-13-01", "1899-12-31", "1900-01-01",
         "2200-12-31", "2201-01-01", "2026-10-05T25:00:00Z", "2026-10-05T09:00:00+99:99", "9999-12-31T23:59:59Z",
         "0001-01-01T00:00:00+14:00", "2026-10-05 09:00", "2026-W41-1", "yesterday", "2026-10-05T09:00:00.123456789Z"]
TEXTS = ["", " ", "\n", "x" * 10_000, "INC-2026-001\n", "../../../etc/passwd", "..", "/", "a/b", "%2e%2e",
         "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)",
         "{{ 7 * 191 }}", "{% raw %}", "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
         "\x1b[2J\x1b[31m", "\x9b2J", "\x00", "\x7f", "\ufffe", "\U0010ffff", "\u202e\u2066", "\u2028", "\x85",
         "\r", "\t", "née · ß · İ · ǅ", "事故の報告", "مرحبا", "😀" * 50, "e\u0301" * 30, "\ud83d",
         "[link](javascript:alert(1))", "| a | b |", "# heading", "```", "~~~", "---", "...", "*" * 300,
         "&amp; &#x6a;avascript:", "-" * 256, "Security", "SECURITY", "s" * 300, "TODO", "n/a"]
STRUCTURES: list[Any] = [None, True, False, 0, -1, 3.5, [], {}, [None], [[[]]], {"a": {"b": {"c": None}}},
                         ["x"] * 1_000, {"k": "v"}, [{"id": None}]]
RAW_FRONT = ["x: " + "[" * 60_000, "x: " + "{a: " * 5_000, "x: &a [1]\ny: *a", "<<: {a: 1}",
             "x: !!python/object/apply:os.system ['id']", "x: !!binary aGVsbG8=", "? [complex]\n: key",
             "x: |\n  \x1b[31m", "\t- tab", "x: 'unterminated", "x: \"\\ud800\"", "x: " + "y" * 120_000,
             "id: INC-2026-101\nid: INC-2026-102", "- a list\n- as front matter",
             "\n".join(" " * n + f"k{n}:" for n in range(200)) + " end", "x: " + "- " * 500 + "y"]
BODY_SNIPPETS = ["## Summary\n", "## Summary\n## Summary\n", "```\n~~~\n## Contributing factors\n```\n",
                 "~~~\n```\n~~~\n", "<script>alert(1)</script>\n", "<div onclick=x>\n\nhi</div>\n",
                 "[x]: javascript:alert(1)\n\n[y][x]\n", "> [r]: &#106;avascript:alert(1)\n",
                 "- 99:99 — impossible\n", "- 9999-12-31 23:59 — late\n", "- ~18:00 — approx\n",
                 "#channel-name\n", "{: onclick=alert(1) }\n", "![img](data:text/html,x)\n",
                 "<!-- fragment -->\n", "\x1b[31mred\n", "\x00\n", "a" * 20_000 + "\n", "|a|b|\n|-|-|\n|1|2|\n",
                 "## Timeline\n" + "".join(f"- 2026-10-05 {h:02d}:00 — step {h}\n" for h in range(24)),
                 "#" * 7 + " deep\n", "\u2028\u2029\n", "<https://ex.com/<script>>\n",
                 "## External message\n\n### Summary\n\n<script>alert(1)</script>\n\n### What happened\n\n"
                 "[x](../../etc/passwd) <!-- a\n\n### What we are doing\n\n- {{ 7 * 191 }} -->\n"]
KEYS = ["id", "title", "severity", "status", "visibility", "owner", "authors", "roles", "services", "tags",
        "started", "detected", "mitigated", "resolved", "impact", "links", "related", "contributing_factors",
        "action_items", "review_date", "unknown_key", "Title", "id ", "\x1b[31m", "external_title"]
ACTION_KEYS = ["id", "description", "owner", "due", "priority", "category", "verification", "status", "ticket",
               "extra"]


@dataclass
class GeneratedReport:
    name: str
    text: str | bytes
    valid: bool
    """Left as the valid template (with its own id): it must come out of every build whole."""
    front: dict[str, Any] | None = None


SHARES = {"statement": 0.1, "export": 0.5, "tracker": 0.3, "github": 0.3}
"""The share of sets that carry each other kind of input. Measured on 2 cores, to a set's average of about
70 ms: a statement adds about 60 ms (its report is read, checked and drawn whole, where most generated
reports stop at their first error), an export 3, a state file 2, a GitHub case 10."""


@dataclass
class ReportSet:
    seed: int
    index: int
    reports: list[GeneratedReport] = field(default_factory=list)
    statement: bool = False
    """One of the reports is a reviewed one whose external message is built from hostile Markdown."""
    export: ChatExport | None = None
    tracker: TrackerCase | None = None
    github: GitHubCase | None = None

    def write(self, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for report in self.reports:
            path = folder / report.name
            if isinstance(report.text, bytes):
                path.write_bytes(report.text)
            else:
                path.write_bytes(report.text.encode("utf-8", "surrogatepass"))
            paths.append(path)
        return paths


def _value(rng: random.Random) -> Any:
    pool = rng.choice([NUMBERS, DATES, TEXTS, STRUCTURES])
    value = rng.choice(pool)
    if pool is NUMBERS:
        return _RawScalar(value)
    return copy.deepcopy(value)


class _RawScalar(str):
    """A value written into the YAML as it is (a number or a plain scalar), not quoted."""


def _dump(front: Any) -> str:
    raws: dict[str, str] = {}

    def mark(value: Any) -> Any:
        if isinstance(value, _RawScalar):
            token = f"RAWSCALAR{len(raws)}X"
            raws[token] = str(value)
            return token
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mark(v) for v in value]
        return value

    text = yaml.safe_dump(mark(front), allow_unicode=True, sort_keys=False, width=10_000)
    for token, raw in raws.items():
        text = text.replace(token, raw)
    return text


def _mutate_front(front: dict[str, Any], rng: random.Random) -> None:
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        key = rng.choice(KEYS)
        if roll < 0.15:
            front.pop(rng.choice(list(front) or ["id"]), None)
        elif roll < 0.45 and isinstance(front.get("action_items"), list) and front["action_items"]:
            item = rng.choice(front["action_items"])
            if isinstance(item, dict):
                item[rng.choice(ACTION_KEYS)] = _value(rng)
        elif roll < 0.55 and isinstance(front.get("contributing_factors"), list) and front["contributing_factors"]:
            factor = rng.choice(front["contributing_factors"])
            if isinstance(factor, dict):
                factor[rng.choice(["layer", "description", "extra"])] = _value(rng)
        elif roll < 0.65 and isinstance(front.get("impact"), dict):
            front["impact"][rng.choice(["customer_facing", "users_affected", "data_impact", "x"])] = _value(rng)
        elif roll < 0.7 and isinstance(front.get("action_items"), list):
            front["action_items"].extend(copy.deepcopy(front["action_items"][:1]) * rng.randint(1, 40))
        else:
            front[key] = _value(rng)


def _mutate_body(body: str, rng: random.Random) -> str:
    lines = body.split("\n")
    for _ in range(rng.randint(1, 3)):
        roll = rng.random()
        at = rng.randrange(len(lines) + 1)
        if roll < 0.6:
            lines[at:at] = rng.choice(BODY_SNIPPETS).split("\n")
        elif roll < 0.8 and lines:
            del lines[rng.randrange(len(lines))]
        else:
            lines[at:at] = [rng.choice(TEXTS)]
    return "\n".join(lines)


def _mutate_bytes(raw: bytes, rng: random.Random) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 8)):
        roll = rng.random()
        at = rng.randrange(len(data) + 1)
        if roll < 0.3 and data:
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif roll < 0.55:
            data[at:at] = rng.choice([b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"\r", b"\r\n", b"\xc3", b"\xed\xa0\x80",
                                      b"---\n", b"\n---\n", b"\t", b": ", b"- ", b"[", b"{", b"&a ", b"*a", b"!!"])
        elif roll < 0.75 and data:
            del data[at:at + rng.randint(1, 40)]
        else:
            del data[rng.randrange(len(data) + 1):]
    return bytes(data)


def _report(rng: random.Random, number: int, ids: list[str]) -> GeneratedReport:
    front = copy.deepcopy(FRONT)
    report_id = f"INC-2026-{number:03d}"
    front["id"] = report_id
    front["title"] = f"{front['title']} {number}"
    ids.append(report_id)
    name = f"report-{number:03d}.md"
    roll = rng.random()
    if roll < 0.2:
        if ids[:-1] and rng.random() < 0.5:
            front["related"] = [rng.choice(ids[:-1])]
        return GeneratedReport(name, "---\n" + _dump(front) + "---\n" + BODY, True, front)
    body = BODY
    if roll < 0.55:
        _mutate_front(front, rng)
    elif roll < 0.7:
        body = _mutate_body(body, rng)
    elif roll < 0.8:
        _mutate_front(front, rng)
        body = _mutate_body(body, rng)
    elif roll < 0.9:
        snippet = rng.choice(RAW_FRONT)
        text = "---\n" + _dump(front) + snippet + "\n---\n" + body
        return GeneratedReport(name, text, False)
    else:
        raw = ("---\n" + _dump(front) + "---\n" + body).encode("utf-8")
        return GeneratedReport(name, _mutate_bytes(raw, rng), False)
    return GeneratedReport(name, "---\n" + _dump(front) + "---\n" + body, False, front)


def set_size(seed: int, index: int) -> int:
    """How many reports `report_set(seed, index)` holds, without generating them."""
    return random.Random(f"{seed}:{index}").randint(1, 6)


def report_set(seed: int, index: int) -> ReportSet:
    """The `index`-th generated set of the run with `seed`."""
    rng = random.Random(f"{seed}:{index}")
    generated = ReportSet(seed, index)
    ids: list[str] = []
    for number in range(1, rng.randint(1, 6) + 1):  # the draw `set_size` repeats
        generated.reports.append(_report(rng, number, ids))
    if len(generated.reports) > 1 and rng.random() < 0.1:  # two reports with one id
        generated.reports[-1] = GeneratedReport(generated.reports[-1].name, generated.reports[0].text, False)
    _add_kinds(generated)
    return generated


def _kind_rng(generated: ReportSet, kind: str) -> random.Random:
    """Return the generator of one kind of input of the set: its own, so the kinds do not shift each other."""
    return random.Random(f"{generated.seed}:{generated.index}:{kind}")


def _add_kinds(generated: ReportSet) -> None:
    """Give the set its share of the other kinds of input."""
    rng = _kind_rng(generated, "kinds")
    if rng.random() < SHARES["statement"]:
        _put_statement(generated, _kind_rng(generated, "statement"))
    if rng.random() < SHARES["export"]:
        generated.export = chat_export(_kind_rng(generated, "export"))
    if rng.random() < SHARES["tracker"]:
        generated.tracker = tracker_case(_kind_rng(generated, "tracker"))
    if rng.random() < SHARES["github"]:
        generated.github = github_case(_kind_rng(generated, "github"))


def _put_statement(generated: ReportSet, rng: random.Random) -> None:
    """Put a reviewed report with a hostile external message in place of one of the set's reports."""
    at = rng.randrange(len(generated.reports))
    number = at + 1
    front = copy.deepcopy(FRONT)
    front["id"] = f"INC-2026-{number:03d}"
    front["title"] = f"{front['title']} {number}"
    front = statement_front(front, rng)
    text = "---\n" + _dump(front) + "---\n" + BODY + message_section(rng)
    generated.reports[at] = GeneratedReport(generated.reports[at].name, text, False, front)
    generated.statement = True


def describe(generated: ReportSet) -> str:
    return json.dumps({"seed": generated.seed, "index": generated.index,
                       "files": [r.name for r in generated.reports]})

"""Generated `tracker/github.json` state files: hostile JSON, wrong types, huge, or not a file at all.

A state file starts as a valid one (`reading.tracker.TrackerFile`) and is mutated: a field of
another type or value, a field it does not have, thousands of issues, duplicate keys, NaN, comments,
trailing commas, deep nesting, lone surrogates, invalid UTF-8, truncation, a BOM; or the path is a
folder, a named pipe, a link out of the repository, a link to itself, or nothing. Everything is a
pure function of the rng.
"""

from __future__ import annotations

import copy
import json
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handbook.reading.tracker import MAX_TRACKER_BYTES

REL = "tracker/github.json"
REPOSITORY = "larkspur/postmortems"
KINDS = ["file"] * 40 + ["missing", "folder", "fifo", "link-outside", "link-loop", "link-inside"]
VALUES: list[Any] = [None, True, False, 0, -1, 1.5, "", "x", "OPEN", "open", "closed", [], {}, ["open"], {"a": 1},
                     "\x1b[31m", "\u202e", "\ud800", "x" * 10_000, 2 ** 64, -(2 ** 63) - 1, 10 ** 30]
RAW = ["1" + "0" * 5_000, "1e400", "NaN", "Infinity", "-Infinity", "[" * 5_000 + "]" * 5_000, "\"\\ud800\"",
       "\"\\u0000\"", "01", "1.", ".5", "+1", "0x10", "true false", "\"a\" \"b\""]
TEXT_DAMAGE = ["\xff", "\x00", "\ufeff", "\ud800", ",", "]", "}", "{", "\"", "\\", "/* c */", "// c\n", ",}", "\r"]
BYTES_DAMAGE = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\x00"]


@dataclass
class TrackerCase:
    """One generated state file, and what its path is."""

    kind: str
    """`file`, `missing`, `folder`, `fifo`, `link-outside`, `link-loop` or `link-inside`."""
    data: bytes = b""
    mutations: tuple[str, ...] = ()

    def write(self, root: Path) -> Path:
        """Put the state file (or what stands at its path) under `root`; return its path."""
        path = root / REL
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.kind == "file":
            path.write_bytes(self.data)
        elif self.kind == "folder":
            path.mkdir()
        elif self.kind == "fifo":
            os.mkfifo(path)
        elif self.kind == "link-outside":
            outside = root.parent / f"{root.name}-outside.json"
            outside.write_bytes(self.data)
            path.symlink_to(outside)
        elif self.kind == "link-loop":
            path.symlink_to(path.name)
        elif self.kind == "link-inside":
            (path.parent / "real.json").write_bytes(self.data)
            path.symlink_to("real.json")
        return path


def _issue(number: int) -> dict[str, Any]:
    """Return the recorded state of issue `number`."""
    return {"number": number, "state": "closed" if number % 2 else "open", "item": f"INC-2026-{number:03d}/AI-1"}


def _valid(rng: random.Random) -> dict[str, Any]:
    """Return a valid state file as data."""
    issues = {f"https://github.com/{REPOSITORY}/issues/{n}": _issue(n) for n in range(1, rng.randint(0, 5) + 1)}
    return {"repository": REPOSITORY, "issues": issues}


def _wrong(data: dict[str, Any], rng: random.Random) -> str:
    """Give the file, or an issue, a field of another type or value, or one it does not have."""
    value = copy.deepcopy(rng.choice(VALUES))  # the list is never changed
    issues = data.get("issues")
    roll = rng.random()
    if roll < 0.5 and isinstance(issues, dict) and issues:
        issue = issues[rng.choice(list(issues))]
        key = rng.choice(["number", "state", "item", "extra", "Number"])
        if isinstance(issue, dict):
            issue[key] = value
            return f"issue {key} = {str(value)[:30]!r}"
    if roll < 0.65 and isinstance(issues, dict):
        issues[rng.choice(["", " ", "\x1b[2J", "\ud800", "x" * 5_000, "https://github.com/a/b/issues/1"])] = value
        return "odd issue key"
    key = rng.choice(["repository", "issues", "extra", "Repository"])
    data[key] = value
    return f"{key} = {str(value)[:30]!r}"


def _huge(data: dict[str, Any], rng: random.Random) -> str:
    """Give the file thousands of issues."""
    count = rng.choice([1_000, 5_000, 20_000])
    data["issues"] = {f"https://github.com/{REPOSITORY}/issues/{n}": _issue(n) for n in range(1, count + 1)}
    return f"{count:,} issues"


def _raw(text: str, rng: random.Random) -> str:
    """Put JSON text as it is in place of one value of the file's text."""
    for token in ('"closed"', '"open"', '"larkspur/postmortems"', '1', '{}'):
        at = text.find(token)
        if at >= 0 and rng.random() < 0.5:
            return text[:at] + rng.choice(RAW) + text[at + len(token):]
    return text.replace('"repository": ', '"repository": ' + rng.choice(RAW) + ", \"x\": ", 1)


def _duplicated(text: str, rng: random.Random) -> str:
    """Write a key twice."""
    key = rng.choice(['"repository": ', '"number": ', '"state": ', '"issues": '])
    return text.replace(key, key + json.dumps(rng.choice(VALUES)) + ", " + key, 1)


def _damaged_text(text: str, rng: random.Random) -> str:
    """Insert a character JSON does not allow there, or cut the text."""
    at = rng.randrange(len(text) + 1)
    if rng.random() < 0.3:
        return text[:at]
    return text[:at] + rng.choice(TEXT_DAMAGE) + text[at:]


def _encoded(text: str, rng: random.Random) -> bytes:
    """Return the text's bytes, sometimes with bytes that are not UTF-8 or a BOM put in."""
    data = text.encode("utf-8", "surrogatepass")
    if rng.random() < 0.15:
        at = rng.randrange(len(data) + 1)
        data = data[:at] + rng.choice(BYTES_DAMAGE) + data[at:]
    return data


def _data(rng: random.Random) -> tuple[bytes, list[str]]:
    """Return the bytes of a hostile state file and what was done to it."""
    roll = rng.random()
    if roll < 0.01:
        return b" " * (MAX_TRACKER_BYTES + 1 - 2) + b"{}", ["one byte past the limit"]
    if roll < 0.05:
        return rng.choice([b"", b"[]", b"null", b"\"x\"", b"[" * 200_000, b"{" * 200_000, b"\xef\xbb\xbf{}",
                           b"{\"repository\": \"a/b\"}", b"{\"repository\": \"a/b\", \"issues\": []}"]), ["whole"]
    data = _valid(rng)
    done = [(_huge if rng.random() < 0.03 else _wrong)(data, rng) for _ in range(rng.randint(0, 3))]
    text = json.dumps(data, indent=rng.choice([None, 2]), ensure_ascii=rng.random() < 0.5)
    for name, mutate in (("raw", _raw), ("duplicate key", _duplicated), ("damaged", _damaged_text)):
        if rng.random() < 0.15:
            text = mutate(text, rng)
            done.append(name)
    return _encoded(text, rng), done


def tracker_case(rng: random.Random) -> TrackerCase:
    """Return one hostile state file (or what stands at its path)."""
    kind = rng.choice(KINDS)
    data, done = _data(rng) if kind in ("file", "link-outside", "link-inside") else (b"", [])
    return TrackerCase(kind, data, tuple(done))

"""The one store of checked reports: plain JSON in the user's cache folder, tied to one checkout.

A build keeps each report as its own checks left it, under the SHA-256 of its file's bytes, so the
next build, a rebuild of `mkdocs serve` or an author's preview reads and checks again only the files
whose bytes changed (`checks.incremental`). It used to be a pickle under `.cache/handbook/` in the
repository, where a pull request could commit one that runs code when unpickled. Now:

* the format is JSON, which can only ever give back data; the reports are rebuilt from it here;
* the file lives outside the repository, in the user's cache folder (`~/.cache` on Linux), in a
  folder named from a hash of the checkout's resolved path, so nothing in a checkout is read;
* its key covers the format version, the taxonomy, the source of every module of this package, the
  Python and the libraries the checks read with (`library_versions`) and the checkout's path: after
  any change every report is read again.

A file that cannot be read, does not parse, has another key or the wrong structure is ignored (and
rewritten by the next build): never an error.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import platform
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from handbook.core.files import write_atomic
from handbook.core.problems import Level, Problem
from handbook.reading.links import Link
from handbook.reading.model import ActionItem, Factor, Report
from handbook.reading.taxonomy import Taxonomy

APP_NAME = "postmortem-handbook"

REPORT_FIELDS = frozenset({"path", "rel", "data", "body", "body_line", "parsed_body", "timeline", "actions",
                           "factors", "problems", "parsed", "lines", "enforced", "visibility",
                           "summary", "body_links", "withheld", "shown_parts"})
"""Every field of `Report` this module knows how to store or to leave out (a test compares it with the
model's fields, so a new field is not silently lost). `withheld` and `shown_parts` are left out: they
belong to a view for one audience (`reading.parts.view_for`), and the cache holds reports as read."""


class CacheFormatError(ValueError):
    """The cache file does not have the structure this module writes."""


# -- where and under which key -------------------------------------------------------------------

def user_cache_root() -> Path:
    """The user's cache folder for this program (platformdirs' answer, else $XDG_CACHE_HOME or ~/.cache)."""
    try:
        import platformdirs  # installed with MkDocs; not a dependency of ours
    except ImportError:  # pragma: no cover - depends on the environment
        base = os.environ.get("XDG_CACHE_HOME") or ""
        return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / APP_NAME
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def checkout_cache_dir(root: Path) -> Path:
    """The cache folder of the checkout at `root`: outside it, named from a hash of its resolved path."""
    resolved = str(root.resolve())
    name = hashlib.sha256(resolved.encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return user_cache_root() / name


@functools.cache
def package_hash() -> str:
    """A hash of the source of every module of this package, computed once per process."""
    package = Path(__file__).resolve().parent.parent  # the whole `handbook` package
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode("utf-8", "surrogateescape") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def taxonomy_hash(tax: Taxonomy) -> str:
    """A hash of handbook.yml's values: reports read under another taxonomy are read again."""
    return hashlib.sha256(msgspec.json.encode(tax)).hexdigest()


@functools.cache
def library_versions() -> str:
    """The Python and the versions of the libraries a report is read and checked with, computed once per
    process: PyYAML parses the front matter (with its C loader or without), fastjsonschema decides
    whether it fits the schema and jsonschema words what does not. A checked report stored by an earlier
    build is of these versions; another version may read or word it otherwise."""
    import importlib.metadata

    import yaml

    versions = [platform.python_implementation(), platform.python_version(),
                f"PyYAML {yaml.__version__} libyaml {getattr(yaml, '__with_libyaml__', False)}"]
    for name in ("fastjsonschema", "jsonschema"):
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover - both are dependencies
            versions.append(f"{name} not installed")
    return "; ".join(versions)


def cache_key(tax: Taxonomy, root: Path) -> str:
    """What a cache must have been written under to be used: format, taxonomy, code, the libraries it
    was read with and the checkout."""
    parts = [str(CHECKED_VERSION), taxonomy_hash(tax), package_hash(), library_versions(), str(root.resolve())]
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


# -- reading and writing the file ----------------------------------------------------------------

def replace_json(path: Path, document: Callable[[], dict[str, Any]]) -> None:
    """Write the JSON of `document()` to `path`, atomically; a cache that cannot be written is skipped."""
    try:
        text = json.dumps(document(), ensure_ascii=True, allow_nan=True, separators=(",", ":"))
        write_atomic(path, text.encode("ascii"), mode=0o600)
    except (OSError, ValueError, TypeError, RecursionError):
        pass  # only makes the next build or preview slower


# -- the checked reports of a full build --------------------------------------------------------

CHECKED_FILE = "checked.json"
CHECKED_FORMAT_NAME = "postmortem-handbook checked reports"
CHECKED_VERSION = 2
"""Version of the checked reports' layout (and of the key): a change of layout must bump it."""

Checked = tuple[str, Report, list[Problem]]
"""A report as the checks left it, the SHA-256 (hex) of its file's bytes, and the problems its own
checks found (not those between reports)."""

CHECKED_LINES = ("id", "related")
"""The front matter keys whose lines a checked report keeps: the checks between reports name them
(a duplicate id, an unknown related id); every other problem has its line already."""


def read_checked(path: Path, key: str) -> dict[str, Any]:
    """Report path (`rel`) -> its entry in the checked-reports file at `path` written under `key`, still as
    JSON values (`decode_checked` rebuilds one: only the entries of unchanged files are); {} when there
    is none to use."""
    try:
        with path.open("rb") as stream:
            head = _dict(json.load(stream))
        if (head.get("format") != CHECKED_FORMAT_NAME or head.get("version") != CHECKED_VERSION
                or head.get("key") != key):
            return {}
        return _dict(head.get("entries"))
    except Exception:  # noqa: BLE001 - whatever is wrong with a cache, the reports are read again
        return {}


def write_checked(path: Path, key: str, entries: Mapping[str, Any]) -> None:
    """Replace the checked-reports file at `path` with `entries` (`encode_checked` values, by `rel`)."""
    replace_json(path, lambda: {"format": CHECKED_FORMAT_NAME, "version": CHECKED_VERSION, "key": key,
                                "entries": dict(entries)})


def encode_checked(digest: str, report: Report, problems: list[Problem]) -> dict[str, Any]:
    """A checked report as JSON-ready values: everything the checks found in it but its parse trees (the
    sections and the timeline, which nothing after the checks reads) and the lines of its keys other
    than `CHECKED_LINES`. Call it before the report is changed by anything after the checks."""
    lines = {where: line for where, line in report.lines.items() if not where or where[0] in CHECKED_LINES}
    stored = dataclasses.replace(report, parsed_body=None, timeline=[], lines=lines, problems=[])
    return {"digest": digest, "report": encode_report(stored), "problems": [encode_problem(p) for p in problems]}


def decode_checked(value: Any) -> Checked:
    """A checked report rebuilt from `encode_checked`'s values; raises on any structural error."""
    entry = _dict(value)
    return (_str(entry.get("digest")), decode_report(entry.get("report")),
            [decode_problem(p) for p in _list(entry.get("problems"))])


# -- a report ----------------------------------------------------------------------------------

def encode_report(report: Report) -> dict[str, Any]:
    """A report whose content was released (`Report.release_content`), as JSON-ready values.

    `problems` is left out: the entry holds the report's own problems, and the checks between reports
    add theirs again on every build."""
    if report.parsed_body is not None or report.timeline:
        raise ValueError(f"{report.rel}: only a report whose content was released is cached")
    return {
        "path": str(report.path), "rel": report.rel, "data": report.data, "body": report.body,
        "body_line": report.body_line, "parsed": report.parsed, "enforced": report.enforced,
        "visibility": report.visibility, "summary": report.summary,
        "lines": [[list(where), line] for where, line in report.lines.items()],
        "actions": [encode_action(a, report.data) for a in report.actions],
        "factors": [[f.layer, f.description, f.line] for f in report.factors],
        "body_links": [[k.line, k.target, k.image, k.start, k.end, k.text_start, k.text_end, k.whole_start,
                        k.whole_end] for k in report.body_links],
    }


def decode_report(value: Any) -> Report:
    """A report rebuilt from `encode_report`'s values; raises on any structural error."""
    fields = _dict(value)
    data = _dict(fields.get("data"))
    return Report(
        path=Path(_str(fields.get("path"))), rel=_str(fields.get("rel")), data=data,
        body=_str(fields.get("body")), body_line=_int(fields.get("body_line")),
        parsed=_bool(fields.get("parsed")), enforced=_bool(fields.get("enforced")),
        visibility=_str(fields.get("visibility")), summary=_str(fields.get("summary")),
        lines={_path(where): _int(line) for where, line in map(_pair, _list(fields.get("lines")))},
        actions=[decode_action(a, data) for a in _list(fields.get("actions"))],
        factors=[decode_factor(f) for f in _list(fields.get("factors"))],
        body_links=[decode_link(k) for k in _list(fields.get("body_links"))],
    )


def encode_action(action: ActionItem, data: Mapping[str, Any]) -> dict[str, Any]:
    """An action item; its `raw` is left out when it is the report's own front matter item."""
    items = data.get("action_items")
    shared = isinstance(items, list) and 0 <= action.index < len(items) and items[action.index] is action.raw
    return {"report_id": action.report_id, "index": action.index, "line": action.line, "open": action.open,
            "raw": None if shared else action.raw}


def decode_action(value: Any, data: Mapping[str, Any]) -> ActionItem:
    """An action item rebuilt from `encode_action`'s values, sharing its front matter item again."""
    fields = _dict(value)
    index = _int(fields.get("index"))
    if index < 0:
        raise CacheFormatError("an action item's index is never negative")
    raw = fields.get("raw")
    if raw is None:
        raw = _list(data.get("action_items"))[index]
    return ActionItem(report_id=_str(fields.get("report_id")), index=index, line=_int(fields.get("line")),
                      raw=_dict(raw), open=_bool(fields.get("open")))


def decode_factor(value: Any) -> Factor:
    """A contributing factor rebuilt from its `[layer, description, line]`."""
    layer, description, line = _triple(value)
    return Factor(layer=_str(layer), description=_str(description), line=_int(line))


def decode_link(value: Any) -> Link:
    """A link of a report's body from `encode_report`'s list."""
    items = _list(value)
    if len(items) != 9:
        raise CacheFormatError("a link is nine values")
    return Link(_int(items[0]), _str(items[1]), _bool(items[2]), *(_int(item) for item in items[3:]))


def encode_problem(problem: Problem) -> dict[str, Any]:
    """A problem as JSON-ready values (with the other files it names)."""
    return {**problem.as_dict(), "names": list(problem.names)}


def decode_problem(value: Any) -> Problem:
    """A problem rebuilt from `encode_problem`'s values; raises on any structural error."""
    fields = _dict(value)
    return Problem(file=_str(fields.get("file")), line=_int(fields.get("line")), rule=_str(fields.get("rule")),
                   level=Level(_str(fields.get("level"))), message=_str(fields.get("message")),
                   hint=_str(fields.get("hint")), names=tuple(_str(n) for n in _list(fields.get("names"))))


# -- checked access to parsed JSON ---------------------------------------------------------------

T = TypeVar("T")


def _checked(kind: type[T]) -> Callable[[Any], T]:
    def _check(value: Any) -> T:
        # bool is an int to Python, never to this format
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise CacheFormatError(f"expected {kind.__name__}, found {type(value).__name__}")
        return value
    return _check


_str = _checked(str)
_int = _checked(int)
_bool = _checked(bool)
_list = _checked(list)
_dict = _checked(dict)


def _pair(value: Any) -> tuple[Any, Any]:
    items = _list(value)
    if len(items) != 2:
        raise CacheFormatError("expected a pair")
    return items[0], items[1]


def _triple(value: Any) -> tuple[Any, Any, Any]:
    items = _list(value)
    if len(items) != 3:
        raise CacheFormatError("expected three values")
    return items[0], items[1], items[2]


def _path(value: Any) -> tuple[str | int, ...]:
    """A front matter path (`("action_items", 0, "id")`), stored as a JSON list."""
    return tuple(part if isinstance(part, str) else _int(part) for part in _list(value))

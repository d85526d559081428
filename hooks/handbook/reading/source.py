"""Reading a report file: bytes to text, text to front matter and body.

MkDocs swallows YAML errors in front matter, so we parse it ourselves, and we keep the line
of every key so a problem can point at it. The YAML is parsed safely and bounded:
no tags, no anchors or aliases (an alias bomb is refused at its first alias), a size limit,
and timestamps stay text until our own parser reads them with their time zone.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import msgspec
import yaml

try:  # libyaml is much faster; fall back to pure Python where it is missing
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on the platform's wheel
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

from handbook.core.files import MISSING, NOT_A_FILE, TOO_LARGE, UNREADABLE, Refused, read_file
from handbook.core.problems import ProblemSink
from handbook.core.text import describe_bad, drop_bad, find_bad

Path_ = tuple[str | int, ...]


class _Loader(_BaseLoader):
    """Safe loader that leaves dates and timestamps as text."""

    def resolve(self, kind, value, implicit):  # noqa: ANN001, ANN201 - PyYAML's signature
        """The implicit tag of a scalar, as PyYAML's resolver gives it, faster for plain text."""
        # The same answer as PyYAML's resolver, without building a list per scalar: most text
        # starts with a character no implicit type starts with. (This runs for every scalar.)
        if kind is yaml.ScalarNode and implicit[0]:
            for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                if regexp.match(value):
                    return tag
            return self.DEFAULT_SCALAR_TAG
        return super().resolve(kind, value, implicit)


# Drop the implicit timestamp resolver: `2026-02-30` must reach our date parser as text
# (and be reported as impossible) instead of failing inside PyYAML.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_STR_TAG = "tag:yaml.org,2002:str"
_COLLECTION_TAGS = {"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}
_constructor = yaml.constructor.SafeConstructor()
_OPENERS = (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken, yaml.BlockSequenceStartToken,
            yaml.BlockMappingStartToken)
_CLOSERS = (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken, yaml.BlockEndToken)
MAX_NUMBER_CHARS = 30
"""A number written with more characters than this is refused (Python refuses to print integers
of more than 4,300 digits; no report needs more than a few)."""


class Limits(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What one report may hold at most (handbook.yml's `limits`). Each is checked before the file is
    parsed any further, so no report can crash, hang or exhaust a build."""

    max_file_bytes: Annotated[int, msgspec.Meta(ge=1, description="Bytes in one report file.")] = 1_048_576
    max_front_matter_lines: Annotated[int, msgspec.Meta(
        ge=1, description="Lines between the two `---` of a report.")] = 2_000
    max_nesting_depth: Annotated[int, msgspec.Meta(
        ge=4, le=500, description="Lists and blocks inside each other in the front matter (a report needs 3).")] = 64
    max_scalar_chars: Annotated[int, msgspec.Meta(
        ge=100, description="Characters in one front matter value.")] = 100_000


@dataclass(slots=True)
class Source:
    """A report file split into its parts. `data` is None when the front matter is unusable."""

    path: Path
    rel: str
    text: str = ""
    data: dict[str, Any] | None = None
    lines: dict[Path_, int] = field(default_factory=dict)
    """Line of each key or list item in the front matter, by its path."""
    body: str = ""
    body_line: int = 1
    """File line on which the body starts."""
    front_matter: str = ""
    """The YAML text between the `---` lines."""

    def line_of(self, path: Path_) -> int:
        """The file line of the front matter key or item at `path` (its nearest known parent's otherwise)."""
        return line_of(self.lines, path)


def line_of(lines: dict[Path_, int], path: Path_) -> int:
    """The line of `path`, or of its nearest ancestor that has one."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get((), 1)


def read_source(path: Path, rel: str, sink: ProblemSink, *, max_bytes: int, max_lines: int,
                limits: Limits | None = None, root: Path | None = None) -> Source:
    """Read and split one report. Every problem found goes to `sink`; nothing raises.

    Only a regular file is ever read, and never more than `max_bytes` of it: a link to a device or a
    named pipe is refused before it can hang the build, and a link leading out of `root` (the
    repository) is refused before it can publish a file from elsewhere on the machine.
    """
    source = Source(path=path, rel=rel)
    raw = read_regular(path, sink, max_bytes, root)
    if raw is None:
        return source
    return parse_source(raw, path, rel, sink, max_lines=max_lines, limits=limits)


def read_regular(path: Path, sink: ProblemSink, max_bytes: int, root: Path | None) -> bytes | None:
    """Return the bytes of the report at `path`, read as every repository file is (`core.files`); None,
    the problem in `sink`, when it cannot be read, is not a regular file, is larger than `max_bytes` or
    links out of `root`."""
    try:
        return read_file(path, max_bytes, root=root)
    except Refused as refused:
        rule = UNREADABLE if refused.rule == MISSING else refused.rule
        sink.add(1, rule, refused.message, _REPORT_FIXES.get(refused.rule, refused.fix), always_error=True)
        return None


_REPORT_FIXES = {
    NOT_A_FILE: "Reports are ordinary Markdown files inside the repository: replace it with one.",
    TOO_LARGE: "Move logs and long excerpts to a linked document, or raise limits.max_file_bytes in handbook.yml.",
}


def parse_source(raw: bytes, path: Path, rel: str, sink: ProblemSink, *, max_lines: int,
                 limits: Limits | None = None) -> Source:
    """Split a report's bytes (read from `path`, or from git) into its parts. Nothing raises."""
    source = Source(path=path, rel=rel)
    text = _decode(raw, sink)
    if text is None:
        return source
    source.text = text
    if not text.strip():
        sink.add(1, "empty-file", "The file is empty.",
                 "Start from the template: run `handbook new`, or copy templates/postmortem.md.",
                 always_error=True)
        return source
    _split(source, sink, max_lines, limits or Limits())
    return source


def _decode(raw: bytes, sink: ProblemSink) -> str | None:
    nul = raw.find(b"\x00")
    if nul >= 0:
        sink.add(raw.count(b"\n", 0, nul) + 1, "nul-byte", "The file contains a NUL byte, so it is not text.",
                 "Remove the byte, or save the file again as UTF-8 text.", always_error=True)
        return None
    try:
        text = raw.decode("utf-8-sig")  # a leading BOM is accepted and dropped
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        sink.add(line, "encoding", f"The file is not valid UTF-8 (byte 0x{raw[exc.start]:02x} on this line).",
                 "Save the file as UTF-8.", always_error=True)
        return None
    # CRLF and lone CR line endings are read as a user expects: as line breaks.
    return text.replace("\r\n", "\n").replace("\r", "\n")


MAX_REPORTED_LINES = 5
"""Lines of the body reported for control characters, at most (a pasted log can have thousands)."""


def _clean_body(body: str, first_line: int, sink: ProblemSink) -> str:
    """The body without control characters or non-characters; the first few lines holding them reported."""
    if find_bad(body) is None:
        return body
    found = [(offset, line) for offset, line in enumerate(body.split("\n")) if find_bad(line)]
    for offset, line in found[:MAX_REPORTED_LINES]:
        more = f" ({len(found) - MAX_REPORTED_LINES} more line(s) below too)" if offset == found[0][0] and \
            len(found) > MAX_REPORTED_LINES else ""
        sink.add(first_line + offset, "control-character",
                 f"This line holds {describe_bad(line)}, which no report may contain{more}.",
                 "Delete it; paste logs without their terminal colour codes (for example through `cat -v` "
                 "or `sed 's/\\x1b\\[[0-9;]*m//g'`).", always_error=True)
    return drop_bad(body)


def _split(source: Source, sink: ProblemSink, max_lines: int, limits: Limits) -> None:
    lines = source.text.split("\n")
    if lines[0].strip() != "---":
        sink.add(1, "no-front-matter", "The file does not start with a front matter block (`---`).",
                 "Put the report's YAML front matter between two `---` lines at the top of the file.",
                 always_error=True)
        source.body = _clean_body(source.text, 1, sink)
        return
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        sink.add(1, "no-front-matter", "The front matter opened on line 1 is never closed.",
                 "Add a line with `---` after the last front matter key.", always_error=True)
        return
    if end - 1 > max_lines:
        sink.add(1, "front-matter-too-long", f"The front matter has {end - 1:,} lines; the limit is {max_lines:,}.",
                 "Shorten it, or raise limits.max_front_matter_lines in handbook.yml.", always_error=True)
        return
    source.body_line = min(end + 2, len(lines))  # a file that ends at its front matter: point at `---`
    source.body = _clean_body("\n".join(lines[end + 1:]), source.body_line, sink)
    yaml_text = source.front_matter = "\n".join(lines[1:end])
    parsed = load_yaml(yaml_text, sink, first_line=2, limits=limits)
    if parsed is None:
        return
    data, line_map = parsed
    if data is None:
        data = {}
    if not isinstance(data, dict):
        sink.add(2, "wrong-type", "The front matter is not a set of `key: value` pairs.",
                 "Write one `key: value` per line, as in templates/postmortem.md.", always_error=True)
        return
    line_map.setdefault((), 1)
    _strip_ids(data)
    source.data = data
    source.lines = line_map


_YAML_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_YAML_ONLY_BREAK = re.compile("[\r\x85\u2028\u2029]")


def yaml_line_offsets(text: str) -> list[int] | None:
    """For each line as YAML counts them, its offset in lines as the file counts them; None when
    the two agree. YAML also breaks lines at CR, U+0085, U+2028 and U+2029, which are not line
    breaks in a report: a mark past one of them would point below the line it is on."""
    if text.isascii() and "\r" not in text or not _YAML_ONLY_BREAK.search(text):
        return None  # the common case, found without a scan for ASCII text
    offsets, line = [0], 0
    for found in _YAML_BREAK.finditer(text):
        if "\n" in found.group(0):
            line += 1
        offsets.append(line)
    return offsets


def _file_line(offsets: list[int] | None, yaml_line: int) -> int:
    """The 0-based file line of YAML's 0-based line `yaml_line` (see `yaml_line_offsets`)."""
    if offsets is None:
        return yaml_line
    return offsets[min(yaml_line, len(offsets) - 1)]


_LEAD = re.compile(r"^ *(?:[-?] +)*", re.M)
"""A line's indentation and the compact `- ` and `? ` entries that start it (`- - x` nests twice)."""


def _nesting_bound(text: str) -> int:
    """A number never below the front matter's nesting depth, computed without parsing: every
    flow bracket, and twice the longest run of indentation and compact `- `/`? ` entries at the
    start of a line (an indentless list under a key adds a level in no extra column, so each
    column may stand for two levels; each compact entry takes two columns and adds one)."""
    lead = max(map(len, _LEAD.findall(text)), default=0)
    return text.count("[") + text.count("{") + 2 * lead + 2


def _within_limits(text: str, sink: ProblemSink, first_line: int, limits: Limits) -> bool:
    """Refuse front matter nested deeper or holding a longer value than `limits` allow.

    libyaml's composer recurses in C: tens of thousands of `[` crash the process, and the walk
    below recurses in Python. So the depth is measured first, token by token (libyaml's scanner
    keeps no stack), and the scan stops at the first token past a limit. Ordinary reports are
    far below the cheap bound and are not scanned at all.
    """
    if _nesting_bound(text) <= limits.max_nesting_depth and len(text) <= limits.max_scalar_chars:
        return True
    depth = 0
    offsets = yaml_line_offsets(text)
    try:
        for token in yaml.scan(text, Loader=_Loader):
            if isinstance(token, _OPENERS):
                depth += 1
                if depth > limits.max_nesting_depth:
                    sink.add(first_line + _file_line(offsets, token.start_mark.line), "too-deep",
                             f"The front matter nests lists and key-value blocks more than "
                             f"{limits.max_nesting_depth} levels deep.",
                             "Flatten it: a report needs three levels at most (action_items, an item, a field). "
                             "The limit is limits.max_nesting_depth in handbook.yml.", always_error=True)
                    return False
            elif isinstance(token, _CLOSERS):
                depth -= 1
            elif isinstance(token, yaml.ScalarToken) and len(token.value) > limits.max_scalar_chars:
                sink.add(first_line + _file_line(offsets, token.start_mark.line), "too-long-value",
                         f"A front matter value is {len(token.value):,} characters long; the limit is "
                         f"{limits.max_scalar_chars:,}.",
                         "Move long text into the report's body, or raise limits.max_scalar_chars in handbook.yml.",
                         always_error=True)
                return False
    except yaml.YAMLError:
        return True  # the composer meets the same error at the same place, no deeper, and reports it
    return True


def _strip_ids(data: dict[str, Any]) -> None:
    """Ids are compared exactly: `"INC-2026-001\\n"` is `INC-2026-001`, so two such reports are duplicates."""
    if isinstance(data.get("id"), str):
        data["id"] = data["id"].strip()
    if isinstance(data.get("related"), list):
        data["related"] = [r.strip() if isinstance(r, str) else r for r in data["related"]]
    if isinstance(data.get("action_items"), list):
        for item in data["action_items"]:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                item["id"] = item["id"].strip()


def load_yaml(text: str, sink: ProblemSink, *, first_line: int = 1,
              limits: Limits | None = None) -> tuple[Any, dict[Path_, int]] | None:
    """Parse YAML safely, returning the value and the line of every key and item.

    `first_line` is the file line of the text's first line. Problems go to `sink`. The text is
    measured against `limits` before anything is built from it.
    """
    if not _within_limits(text, sink, first_line, limits or Limits()):
        return None
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context and "flow" in exc.context and exc.context_mark:
            mark = exc.context_mark  # an unclosed [ or {: point at where it opened
        at = _file_line(yaml_line_offsets(text), mark.line) if mark else 0
        line = first_line + at
        problem = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        hint = "Check the indentation and quoting on this line and the one before."
        text_lines = text.split("\n")
        offending = text_lines[at] if at < len(text_lines) else ""
        if "\t" in offending:
            hint = "YAML does not allow tab characters for indentation: indent with spaces."
        elif "found character that cannot start any token" in problem or "mapping values" in problem:
            hint = "Quote the value (for example `title: \"a: b\"`) when it contains `: `, `#`, `@` or a backquote."
        sink.add(line, "yaml-syntax", f"YAML syntax error: {problem}.", hint, always_error=True)
        return None
    except yaml.YAMLError as exc:  # reader errors: unprintable characters and the like
        sink.add(first_line, "yaml-syntax", f"YAML error: {exc}.", "Remove the character the message names.",
                 always_error=True)
        return None
    if node is None:
        return None, {(): first_line}
    line_map: dict[Path_, int] = {}
    # Only a character in the text or a YAML escape (`"\\e"`) can put a control character in a value:
    # without either, no value needs looking at (most reports; this runs for every scalar otherwise).
    clean = "\\" not in text and find_bad(text) is None
    walker = _Walker(sink, first_line, line_map, yaml_line_offsets(text), clean=clean)
    try:
        value = walker.value(node, ())
    except _Refused:
        return None
    return value, line_map


class _Refused(Exception):
    """The front matter uses a YAML feature we refuse; the problem is already recorded."""


class _Walker:
    """Turns a composed YAML node tree into plain values, recording lines as it goes."""

    def __init__(self, sink: ProblemSink, first_line: int, lines: dict[Path_, int],
                 offsets: list[int] | None = None, *, clean: bool = False) -> None:
        self.sink = sink
        self.first_line = first_line
        self.lines = lines
        self.seen: set[int] = set()
        self.offsets = offsets
        self.clean = clean
        """No value can hold a character no report may hold (see `load_yaml`)."""

    def line(self, node: yaml.Node) -> int:
        """The file line where `node` starts."""
        return self.first_line + _file_line(self.offsets, node.start_mark.line)

    def value(self, node: yaml.Node, path: Path_, at: int | None = None) -> Any:
        """The plain value of `node` at `path`; refuses aliases and tags (`at` is the line of the key using it)."""
        if id(node) in self.seen:
            # An alias is the very node it names, marked where the anchor is: point at the
            # key that uses it instead (`at`), when there is one.
            self.sink.add(at or self.line(node), "yaml-alias", "YAML anchors and aliases (`&name`, `*name`) are not allowed.",
                          "Write the value out in full where it is needed.", always_error=True)
            raise _Refused
        self.seen.add(id(node))
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _COLLECTION_TAGS:
            self.sink.add(self.line(node), "yaml-tag", f"The YAML tag `{node.tag}` is not allowed in front matter.",
                          "Remove the tag.", always_error=True)
            raise _Refused
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.lines[path + (index,)] = self.line(item)
                items.append(self.value(item, path + (index,)))
            return items
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            lines, first, seen = self.lines, self.first_line, self.seen
            for key_node, value_node in node.value:
                # Fast path for the common `key: text` pair: no recursion for a plain string.
                if (self.offsets is None and type(value_node) is yaml.ScalarNode and value_node.tag == _STR_TAG and type(key_node) is
                        yaml.ScalarNode and key_node.value not in result and key_node.value != "<<"
                        and id(value_node) not in seen and (self.clean or find_bad(key_node.value) is None)):
                    seen.add(id(value_node))
                    # Keys are interned: thousands of reports repeat the same few dozen.
                    key = sys.intern(key_node.value)
                    lines[path + (key,)] = first + key_node.start_mark.line
                    result[key] = self.text(value_node)
                    continue
                if not isinstance(key_node, yaml.ScalarNode):
                    self.sink.add(self.line(key_node), "yaml-syntax", "A key must be plain text.",
                                  "Write the key as a word, such as `title:`.", always_error=True)
                    raise _Refused
                key = sys.intern(self.text(key_node))
                if key == "<<":
                    self.sink.add(self.line(key_node), "yaml-alias", "YAML merge keys (`<<`) are not allowed.",
                                  "Write the keys out in full.", always_error=True)
                    raise _Refused
                if key in result:
                    self.sink.add(self.line(key_node), "duplicate-key",
                                  f"The key `{key}` appears twice; YAML would silently keep only the last.",
                                  "Remove or rename one of them.", always_error=True)
                    continue
                self.lines[path + (key,)] = self.line(key_node)
                result[key] = self.value(value_node, path + (key,), self.line(key_node))
            return result
        raise _Refused  # pragma: no cover - the composer makes only these three kinds

    def text(self, node: yaml.ScalarNode) -> str:
        """A string scalar, without control characters or non-characters (each reported on its line)."""
        value = node.value
        if self.clean:
            return value
        found = find_bad(value)
        if found is None:
            return value
        line = self.line(node) + value.count("\n", 0, found.start()) if node.style in ("|", ">") else self.line(node)
        self.sink.add(line, "control-character",
                      f"The front matter holds {describe_bad(value)}, which no report may contain.",
                      "Delete it: retype the value by hand, or paste it as plain text (terminal colour codes "
                      "and characters such as `\\x7f` or `\\u0080` written as YAML escapes are refused).",
                      always_error=True)
        return drop_bad(value)

    def refused_number(self, node: yaml.ScalarNode, what: str) -> str:
        """Report a number no report can use; the value stays as text, so nothing else breaks on it."""
        self.sink.add(self.line(node), "bad-number", f"The front matter holds {what}.",
                      f"Write a number of at most {MAX_NUMBER_CHARS} characters, or put the value in quotes "
                      "to keep it as text.", always_error=True)
        return node.value[:MAX_NUMBER_CHARS] + "…"

    def scalar(self, node: yaml.ScalarNode) -> Any:
        """A scalar's value: text, a bounded number, a bool or None (dates stay text)."""
        tag = node.tag
        if tag not in _SCALAR_TAGS:
            self.sink.add(self.line(node), "yaml-tag", f"The YAML tag `{tag}` is not allowed in front matter.",
                          "Remove the tag and write the value as plain text.", always_error=True)
            raise _Refused
        if tag == "tag:yaml.org,2002:str":
            return self.text(node)
        if tag == "tag:yaml.org,2002:int":
            if len(node.value) > MAX_NUMBER_CHARS:
                return self.refused_number(node, f"a number {len(node.value):,} characters long")
            return _constructor.construct_yaml_int(node)
        if tag == "tag:yaml.org,2002:float":
            if len(node.value) > MAX_NUMBER_CHARS:
                return self.refused_number(node, f"a number {len(node.value):,} characters long")
            number = _constructor.construct_yaml_float(node)
            if not math.isfinite(number):
                return self.refused_number(node, f"`{node.value}`, which is not a finite number")
            return number
        if tag == "tag:yaml.org,2002:bool":
            return _constructor.construct_yaml_bool(node)
        return None

"""Reading a report file: bytes to text, text to front matter and body.

MkDocs swallows YAML errors in front matter, so we parse it ourselves, and we keep the line
of every key so a problem can point at it. The YAML is parsed safely and bounded:
no tags, no anchors or aliases (an alias bomb is refused at its first alias), a size limit,
and timestamps stay text until our own parser reads them with their time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

try:  # libyaml is much faster; fall back to pure Python where it is missing
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on the platform's wheel
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

from .problems import ProblemSink

Path_ = tuple[str | int, ...]


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader that leaves dates and timestamps as text."""

    def resolve(self, kind, value, implicit):  # type: ignore[no-untyped-def]
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
        return line_of(self.lines, path)


def line_of(lines: dict[Path_, int], path: Path_) -> int:
    """The line of `path`, or of its nearest ancestor that has one."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get((), 1)


def read_source(path: Path, rel: str, sink: ProblemSink, *, max_bytes: int, max_lines: int) -> Source:
    """Read and split one report. Every problem found goes to `sink`; nothing raises."""
    source = Source(path=path, rel=rel)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            sink.add(1, "file-too-large", f"The file is {size:,} bytes; the limit is {max_bytes:,} bytes.",
                     "Move logs and long excerpts to a linked document, or raise limits.max_file_bytes "
                     "in handbook.yml.", always_error=True)
            return source
        raw = path.read_bytes()
    except OSError as exc:
        sink.add(1, "unreadable", f"The file cannot be read: {exc.strerror or exc}.",
                 "Check that it exists and is readable.", always_error=True)
        return source
    return parse_source(raw, path, rel, sink, max_lines=max_lines)


def parse_source(raw: bytes, path: Path, rel: str, sink: ProblemSink, *, max_lines: int) -> Source:
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
    _split(source, sink, max_lines)
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


def _split(source: Source, sink: ProblemSink, max_lines: int) -> None:
    lines = source.text.split("\n")
    if lines[0].strip() != "---":
        sink.add(1, "no-front-matter", "The file does not start with a front matter block (`---`).",
                 "Put the report's YAML front matter between two `---` lines at the top of the file.",
                 always_error=True)
        source.body = source.text
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
    source.body = "\n".join(lines[end + 1:])
    source.body_line = min(end + 2, len(lines))  # a file that ends at its front matter: point at `---`
    yaml_text = source.front_matter = "\n".join(lines[1:end])
    parsed = load_yaml(yaml_text, sink, first_line=2)
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
    source.data = data
    source.lines = line_map


def load_yaml(text: str, sink: ProblemSink, *, first_line: int = 1) -> tuple[Any, dict[Path_, int]] | None:
    """Parse YAML safely, returning the value and the line of every key and item.

    `first_line` is the file line of the text's first line. Problems go to `sink`.
    """
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context and "flow" in exc.context and exc.context_mark:
            mark = exc.context_mark  # an unclosed [ or {: point at where it opened
        line = first_line + (mark.line if mark else 0)
        problem = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        hint = "Check the indentation and quoting on this line and the one before."
        text_lines = text.split("\n")
        offending = text_lines[mark.line] if mark and mark.line < len(text_lines) else ""
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
    walker = _Walker(sink, first_line, line_map)
    try:
        value = walker.value(node, ())
    except _Refused:
        return None
    return value, line_map


class _Refused(Exception):
    """The front matter uses a YAML feature we refuse; the problem is already recorded."""


class _Walker:
    """Turns a composed YAML node tree into plain values, recording lines as it goes."""

    def __init__(self, sink: ProblemSink, first_line: int, lines: dict[Path_, int]) -> None:
        self.sink = sink
        self.first_line = first_line
        self.lines = lines
        self.seen: set[int] = set()

    def line(self, node: yaml.Node) -> int:
        return self.first_line + node.start_mark.line

    def value(self, node: yaml.Node, path: Path_, at: int | None = None) -> Any:
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
                if (type(value_node) is yaml.ScalarNode and value_node.tag == _STR_TAG and type(key_node) is
                        yaml.ScalarNode and key_node.value not in result and key_node.value != "<<"
                        and id(value_node) not in seen):
                    seen.add(id(value_node))
                    lines[path + (key_node.value,)] = first + key_node.start_mark.line
                    result[key_node.value] = value_node.value
                    continue
                if not isinstance(key_node, yaml.ScalarNode):
                    self.sink.add(self.line(key_node), "yaml-syntax", "A key must be plain text.",
                                  "Write the key as a word, such as `title:`.", always_error=True)
                    raise _Refused
                key = key_node.value
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

    def scalar(self, node: yaml.ScalarNode) -> Any:
        tag = node.tag
        if tag not in _SCALAR_TAGS:
            self.sink.add(self.line(node), "yaml-tag", f"The YAML tag `{tag}` is not allowed in front matter.",
                          "Remove the tag and write the value as plain text.", always_error=True)
            raise _Refused
        if tag == "tag:yaml.org,2002:str":
            return node.value
        if tag == "tag:yaml.org,2002:int":
            return _constructor.construct_yaml_int(node)
        if tag == "tag:yaml.org,2002:float":
            return _constructor.construct_yaml_float(node)
        if tag == "tag:yaml.org,2002:bool":
            return _constructor.construct_yaml_bool(node)
        return None

"""Relative links and images in a report's body: found with their lines, and resolved to a file.

An author writes a link as it reads on the pull request: relative to the report's own file
(`![graph](graph.png)`, `[the earlier outage](../2025/2025-07-15-acquirer-certificate.md)`,
`[severity levels](../../docs/handbook/severity.md)`) or to the repository's root (`/docs/...`).
This module finds every such target in the Markdown (inline links and images, and reference
definitions; code blocks and code spans are text, not links) and says what each points at: a
report, a handbook page or other file of the site, or an attachment kept next to the reports.
The site generator rewrites each to the address the site gives that file; the checks report the
ones that point nowhere, with the line.

A line scanner, like the one for headings (`reading.sections`): Python-Markdown gives no source
lines, and the body must be checked without rendering it.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from handbook.reading.sections import literal_flags

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_REFERENCE = re.compile(r"^ {0,3}\[(?!\^)(?:[^\]\\]|\\.)+\]:[ \t]*(<[^>\n]*>|\S+)")  # `[^1]:` is a footnote
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)")
_TITLE_AND_CLOSE = re.compile(r"""[ \t]*(?:"[^"]*"|'[^']*'|\([^)]*\))?[ \t]*\)""")


@dataclass(frozen=True, slots=True)
class Link:
    """One link or image target in a report's body."""

    line: int
    """File line of the target."""
    target: str
    """As written, without the angle brackets of `<...>`."""
    image: bool
    start: int
    """Offset of the target in the body (the angle brackets excluded)."""
    end: int
    text_start: int = -1
    """Offset in the body of an inline link's text (an image's alt text); -1 for a reference definition
    or a link whose text began on an earlier line."""
    text_end: int = -1
    whole_start: int = -1
    """Offsets of the whole inline link, from its `[` (or `![`) to its `)`; -1 as for `text_start`."""
    whole_end: int = -1


def find_links(body: str, first_line: int) -> list[Link]:
    """Every relative link or image target of `body` (whose first line is file line `first_line`)."""
    found: list[Link] = []
    if "](" not in body and "]:" not in body:
        return found  # most bodies of most reports: nothing to scan
    lines = body.split("\n")
    offset = 0
    for number, (line, literal) in enumerate(zip(lines, literal_flags(lines)), first_line):
        if not literal and ("](" in line or "]:" in line):
            found += [Link(number, line[start:end], image, offset + start, offset + end,
                           *(offset + at if at >= 0 else -1 for at in around))
                      for image, (start, end), around in _targets(line) if is_relative(line[start:end])]
        offset += len(line) + 1
    return found


Edit = tuple[int, int, str]
"""(start, end, replacement) in a body's text."""


def unlinked(link: Link, target: str) -> list[Edit]:
    """The edits that leave `link` as its words alone (the brackets and the target go); a reference
    definition, which has no words, keeps its place with `target` instead."""
    if link.whole_start >= 0:
        return [(link.whole_start, link.text_start, ""), (link.text_end, link.whole_end, "")]
    return [(link.start, link.end, target)]


def apply_edits(text: str, edits: list[Edit]) -> str:
    """`text` with every edit made (edits do not overlap)."""
    out: list[str] = []
    last = 0
    for start, end, replacement in sorted(edits):
        out += [text[last:start], replacement]
        last = end
    out.append(text[last:])
    return "".join(out)


def is_relative(target: str) -> bool:
    """True for a path to a file (`graph.png`, `../x.md#y`, `/docs/a.md`): not an address with a scheme
    (`https:`, `mailto:`), not `//host/...`, not an anchor on the same page."""
    return bool(target) and not target.startswith(("#", "//")) and not _SCHEME.match(target)


_Found = tuple[bool, tuple[int, int], tuple[int, int, int, int]]


def _targets(line: str) -> list[_Found]:
    """For each inline link or image and reference definition on `line`: whether it is an image, the
    target's span, and the spans of the link's text and of the whole link (-1 where there is none)."""
    masked = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line) if "`" in line else line
    out: list[_Found] = []
    reference = _REFERENCE.match(masked)
    if reference:
        start, end = reference.span(1)
        if masked[start] == "<":
            start, end = start + 1, end - 1
        out.append((False, (start, end), (-1, -1, -1, -1)))
        return out
    at = masked.find("](")
    while at >= 0:
        if at == 0 or masked[at - 1] != "\\":
            parsed = _destination(masked, at + 2)
            if parsed is not None:
                start, end, close = parsed
                opening = _opening(masked, at)
                if opening >= 0:
                    image = opening > 0 and masked[opening - 1] == "!"
                    out.append((image, (start, end), (opening + 1, at, opening - 1 if image else opening, close)))
                elif "\\[" not in masked[:at]:  # its text began on an earlier line: the target is still a link
                    out.append((False, (start, end), (-1, -1, -1, -1)))
        at = masked.find("](", at + 2)
    return out


def _destination(line: str, at: int) -> tuple[int, int, int] | None:
    """The span of the link destination that starts at `at` (just after `](`), and the offset just after
    the `)` that closes the link; None when no `)` closes it."""
    while at < len(line) and line[at] in " \t":
        at += 1
    if at < len(line) and line[at] == "<":
        close = line.find(">", at + 1)
        if close < 0:
            return None
        span = (at + 1, close)
        rest = close + 1
    else:
        depth, end = 0, at
        while end < len(line) and not line[end].isspace():
            char = line[end]
            if char == "(":
                depth += 1
            elif char == ")":
                if depth == 0:
                    break
                depth -= 1
            end += 1
        span, rest = (at, end), end
    closing = _TITLE_AND_CLOSE.match(line, rest)
    return (*span, closing.end()) if closing else None


def _opening(line: str, close: int) -> int:
    """The offset of the `[` that the `]` at `close` closes, or -1 when it is not on this line (or escaped)."""
    depth = 0
    for at in range(close - 1, -1, -1):
        char = line[at]
        if char == "]" and (at == 0 or line[at - 1] != "\\"):
            depth += 1
        elif char == "[" and (at == 0 or line[at - 1] != "\\"):
            if depth == 0:
                return at
            depth -= 1
    return -1


# -- what a target points at ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Layout:
    """Where the files a link may point at live."""

    root: Path
    """The repository: the folder of mkdocs.yml."""
    postmortems: Path
    docs: Path
    """MkDocs' docs_dir: the handbook's pages and assets."""

    @classmethod
    def of(cls, root: Path) -> "Layout":
        """The layout of a repository made as this one is: `postmortems/` and `docs/` beside mkdocs.yml."""
        return cls(root, root / "postmortems", root / "docs")


@dataclass(frozen=True, slots=True)
class Target:
    """What a link points at."""

    kind: str
    """`report` (a report file), `page` (a Markdown page of docs/), `file` (another file of docs/),
    `attachment` (a file kept with the reports) or `id` (a report named by its id)."""
    path: str
    """Repository-relative path of the file, forward slashes (for `id`: the id)."""
    fragment: str = ""
    """`#anchor` when the link has one."""


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A link that points at nothing the site publishes: why, and how to fix it."""

    message: str
    fix: str


class Resolver:
    """Resolves link targets against the files of one repository.

    `attachment_types` are the suffixes (lower case, without the dot) of the files kept next to the
    reports that the site publishes, `max_bytes` the largest such file; `ids` the report ids known.
    """

    def __init__(self, layout: Layout, attachment_types: tuple[str, ...], max_bytes: int,
                 ids: frozenset[str] | set[str] = frozenset()) -> None:
        self.layout = layout
        self.root = layout.root.resolve()
        self.postmortems = layout.postmortems.resolve()
        self.docs = layout.docs.resolve()
        self.types = {t.lower().lstrip(".") for t in attachment_types}
        self.max_bytes = max_bytes
        self.ids = ids
        self._listing: dict[Path, list[str]] = {}

    def resolve(self, report: Path, target: str) -> Target | Unresolved:
        """What `target`, written in the report at `report`, points at."""
        address, _, fragment = target.partition("#")
        address = address.partition("?")[0]
        fragment = f"#{fragment}" if fragment else ""
        path_text = unquote(address)
        if "\x00" in path_text or "\\" in path_text:
            return Unresolved(f"`{target}` is not a path the site can follow.",
                              "Write the path with forward slashes, relative to this report's folder.")
        if any(part.startswith(".") and part not in (".", "..") for part in path_text.split("/")):
            return Unresolved(f"`{target}` points into a hidden file or folder, which the site never publishes.",
                              "Keep the file in a folder whose name does not start with a dot.")
        try:
            return self._resolve(report, target, address, path_text, fragment)
        except (OSError, RuntimeError, ValueError) as exc:  # a name too long, a symbolic link loop...
            return Unresolved(f"`{target}` is not a path the site can follow ({type(exc).__name__}).",
                              "Link to an existing file with a shorter, plain name, relative to this report's folder.")

    def _resolve(self, report: Path, target: str, address: str, path_text: str, fragment: str) -> Target | Unresolved:
        base = self.root if path_text.startswith("/") else report.parent
        written = Path(os.path.normpath(base / path_text.lstrip("/")))
        found = written.resolve(strict=False)
        if not found.is_relative_to(self.root):
            return Unresolved(f"`{target}` points outside the repository.",
                              "Link to a file of this repository, relative to the report's folder, or use a "
                              "full https:// address.")
        if any(part.startswith(".") for part in found.relative_to(self.root).parts):  # through a link, say
            return Unresolved(f"`{target}` leads into a hidden file or folder, which the site never publishes.",
                              "Keep the file in a folder whose name does not start with a dot.")
        if not found.exists():
            if "/" not in address and address.removesuffix(".md") in self.ids:
                return Target("id", address.removesuffix(".md"), fragment)
            return Unresolved(f"`{target}` points to {self._shown(written)}, which does not exist.",
                              self._suggestion(written))
        if found.is_dir():
            return Unresolved(f"`{target}` points to the folder {self._shown(found)}; the site has no page "
                              "for a folder.", "Link to one file in it.")
        if found.name not in self._names(found.parent):  # a case-insensitive file system said yes
            return Unresolved(f"`{target}` does not match the file's name, `{found.name}`, in case; the site and "
                              "the pull request are case-sensitive.", f"Write `{found.name}`.")
        rel = found.relative_to(self.root).as_posix()
        suffix = found.suffix.lower().lstrip(".")
        if found.is_relative_to(self.postmortems):
            if suffix == "md" and found.name.lower() != "readme.md":
                return Target("report", rel, fragment)
            if suffix not in self.types or found.name.lower() == "readme.md":
                return Unresolved(f"`{target}` is a .{suffix or '(no suffix)'} file; the site publishes only these "
                                  f"next to the reports: {', '.join(sorted(self.types))}.",
                                  "Convert it (a screenshot to PNG, a document to PDF), or add its type to "
                                  "`attachments.types` in handbook.yml.")
            size = found.stat().st_size
            if size > self.max_bytes:
                return Unresolved(f"`{target}` is {size:,} bytes; attachments may be at most {self.max_bytes:,} "
                                  "(`attachments.max_bytes` in handbook.yml).",
                                  "Make it smaller (crop or compress an image), or link to where it is kept.")
            return Target("attachment", rel, fragment)
        if found.is_relative_to(self.docs):
            return Target("page" if suffix == "md" else "file", rel, fragment)
        return Unresolved(f"`{target}` points to {rel}, which is in the repository but not published with the "
                          "site.", f"Keep the file next to the report, or in {self._shown(self.docs)}; or link to "
                          "its full https:// address on the Git host.")

    def docs_relative(self, path: str) -> str:
        """The docs-relative path (MkDocs' source path) of the repository-relative `path` of a `page` or `file`."""
        return (self.root / path).relative_to(self.docs).as_posix()

    def postmortems_relative(self, path: str) -> str:
        """The path below the reports' folder of the repository-relative `path` of an attachment."""
        return (self.root / path).relative_to(self.postmortems).as_posix()

    def _shown(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix() or "."
        except ValueError:
            return path.as_posix()

    def _names(self, folder: Path) -> list[str]:
        names = self._listing.get(folder)
        if names is None:
            try:
                names = self._listing[folder] = sorted(os.listdir(folder))
            except OSError:
                names = self._listing[folder] = []
        return names

    def _suggestion(self, written: Path) -> str:
        """The fix for a missing file: the closest names in its folder, or the nearest folder that exists."""
        folder = written.parent
        while not folder.is_dir() and folder != folder.parent:
            folder = folder.parent
        if folder == written.parent:
            close = difflib.get_close_matches(written.name, self._names(folder), n=2, cutoff=0.6)
            if close:
                return f"Did you mean {' or '.join(f'`{name}`' for name in close)}? Paths are relative to the " \
                       "report's folder."
        return f"Check the path: it is relative to the report's folder ({self._shown(folder)} exists). A link to " \
               "a report may also be its id, such as `INC-2026-001`."

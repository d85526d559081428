"""The body of a report as sections: its `##` headings, their `###` subsections and text.

A small line scanner is enough here (ATX headings outside fenced code), and it keeps the
file line of everything so problems can point at it. It is also fast: validation of
thousands of reports must take seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}(?=[^`]*$)|~{3,})")
_FENCE_CLOSE = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*$")
_COMMENT = re.compile(r"<!--.*?-->", re.S)


@dataclass(slots=True)
class Block:
    """A heading and the lines under it, up to the next heading of the same or a higher level."""

    title: str
    level: int
    line: int
    """File line of the heading."""
    texts: list[str] = field(default_factory=list)
    """Every line under the heading, subsections included: the first is the heading's next line."""
    children: list["Block"] = field(default_factory=list)
    key: str = ""
    """The title, normalised for matching."""

    def __post_init__(self) -> None:
        self.key = normalise(self.title)

    @property
    def lines(self) -> list[tuple[int, str]]:
        """(file line, text) of every line under the heading (built on demand: thousands of reports
        are held at once, and a tuple per line would double their size)."""
        return list(enumerate(self.texts, self.line + 1))

    def text(self) -> str:
        """The block's own text, without its heading."""
        return "\n".join(self.texts)

    def is_empty(self) -> bool:
        """True when the block holds no text of its own or of its subsections."""
        without_comments = _COMMENT.sub("", self.text())
        return not any(line.strip() and not _HEADING.match(line) for line in without_comments.split("\n"))

    def child(self, title: str) -> "Block | None":
        """The sub-section titled `title`, or None."""
        return next((c for c in self.children if c.key == normalise(title)), None)


def normalise(title: str) -> str:
    """A heading as compared with the taxonomy's section titles: case and spacing ignored."""
    return " ".join(title.replace("’", "'").lower().split()).rstrip(":")


@dataclass(slots=True)
class Body:
    sections: list[Block]
    """The `##` sections in order."""
    code_lines: set[int]
    """File lines inside fenced code blocks."""

    def section(self, title: str) -> Block | None:
        """The top-level section titled `title`, or None."""
        key = normalise(title)
        return next((s for s in self.sections if s.key == key), None)


def code_flags(lines: list[str]) -> list[bool]:
    """For each line, whether it is part of a fenced code block (its fences included).

    The one fence scanner of the package, used for sections, for the author's Markdown and for
    placing the generated tables, so all three agree. It follows CommonMark: a fence is three or
    more backticks or tildes indented at most three spaces (a backtick fence's info string holds no
    backtick); it is closed only by a line of the same character, at least as long, with nothing
    after it. A ``` block may hold ~~~ lines and the reverse; an unclosed fence runs to the end.
    """
    flags: list[bool] = []
    fence: str | None = None
    for text in lines:
        if fence is None:
            opening = _FENCE_OPEN.match(text)
            if opening:
                fence = opening.group(1)
            flags.append(opening is not None)
            continue
        flags.append(True)
        closing = _FENCE_CLOSE.match(text)
        if closing and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= len(fence):
            fence = None
    return flags


_LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")


def literal_flags(lines: list[str]) -> list[bool]:
    """For each line, whether Markdown shows it literally: fenced code (`code_flags`) or an indented
    code block (four spaces or a tab after a blank line, outside a list, up to the next line that is
    neither indented nor blank). Inside a list, indented lines continue the list item."""
    flags: list[bool] = []
    in_block = in_list = False
    blank_before = True
    for text, fenced in zip(lines, code_flags(lines)):
        blank = not text.strip()
        indented = text.startswith(("    ", "\t"))
        if fenced:
            in_block = False
        elif in_block:
            in_block = blank or indented
        elif indented and not blank and blank_before and not in_list:
            in_block = True
        if not fenced and not blank and not indented:
            if _LIST_ITEM.match(text):
                in_list = True
            elif blank_before:
                in_list = False
        flags.append(fenced or (in_block and not blank))
        blank_before = blank
    return flags


def parse_body(body: str, first_line: int) -> Body:
    """The body's headings as a tree of blocks; `first_line` is the body's first line in the file."""
    sections: list[Block] = []
    code_lines: set[int] = set()
    current: Block | None = None
    sub: Block | None = None
    lines = body.split("\n")
    for offset, (text, in_code) in enumerate(zip(lines, code_flags(lines))):
        line = first_line + offset
        if in_code:
            code_lines.add(line)
        else:
            heading = _HEADING.match(text)
            if heading:
                level = len(heading.group(1))
                if level <= 2:
                    current = Block(heading.group(2), level, line)
                    sub = None
                    if level == 2:
                        sections.append(current)
                    else:  # a `#` title inside the body belongs to no section
                        current = None
                    continue
                if current is not None and level == 3:
                    sub = Block(heading.group(2), level, line)
                    current.children.append(sub)
                    current.texts.append(text)
                    continue
        if current is not None:
            current.texts.append(text)
            if sub is not None:
                sub.texts.append(text)
    return Body(sections, code_lines)

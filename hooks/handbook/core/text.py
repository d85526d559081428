"""Characters no report may hold, found once at reading so every writer receives clean text.

Control characters (C0 but tab and line feed, DEL, C1), lone surrogates and Unicode
non-characters have no place in an incident report. They are what breaks an XML feed, rewrites
a terminal (ANSI escape sequences) or hides text, so the reader reports each one as a located
problem and removes it: the page, the JSON, the feed and Slack never see them.
"""

from __future__ import annotations

import re
import unicodedata

_RANGES = [
    "\x00-\x08", "\x0b-\x1f", "\x7f-\x9f",            # C0 (tab and line feed are text), DEL, C1
    "\ud800-\udfff",                                  # lone surrogates (from YAML `\ud800` escapes)
    "\ufdd0-\ufdef", "\ufffe\uffff",                  # non-characters of the first plane
    *(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(1, 17)),
]
BAD_CHARACTERS = re.compile("[" + "".join(_RANGES) + "]")
"""One character no report may hold."""
_ASCII_BAD = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
"""The same, for text known to be ASCII: a small class the regex engine scans many times faster
(the full class, with ranges in every plane, costs about 50 ns a character)."""


_BMP_BAD = re.compile("[" + "".join(_RANGES[:6]) + "]")
_ASTRAL_BAD = re.compile("[" + "".join(_RANGES[6:]) + "]")


def find_bad(value: str) -> re.Match[str] | None:
    """The first character of `value` no report may hold, or None.

    Fast for ASCII text (`str.isascii` tells without a scan); other text is searched for the
    characters of the first plane, and for the non-characters of the others only when it holds
    a character beyond U+FFFF at all."""
    if value.isascii():
        return _ASCII_BAD.search(value)
    found = _BMP_BAD.search(value)
    if max(value) <= "\uffff":
        return found
    astral = _ASTRAL_BAD.search(value)
    if found is None or (astral is not None and astral.start() < found.start()):
        return astral
    return found


def drop_bad(value: str) -> str:
    """`value` without the characters `BAD_CHARACTERS` matches."""
    return value if find_bad(value) is None else BAD_CHARACTERS.sub("", value)


def describe_bad(value: str) -> str:
    """Names the first bad character of `value` the way a reader can find it: `U+001B (ESCAPE)`."""
    found = find_bad(value)
    if found is None:
        return "no control character"
    char = found.group(0)
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(ord(char), "a control character or non-character")
    count = len(BAD_CHARACTERS.findall(value))
    more = f" and {count - 1} more" if count > 1 else ""
    return f"the character U+{ord(char):04X} ({name}){more}"


_CONTROL_NAMES = {0x1B: "ESCAPE", 0x7F: "DELETE", 0x08: "BACKSPACE", 0x07: "BELL", 0x00: "NULL", 0x0D: "CARRIAGE RETURN",
                  0x0B: "LINE TABULATION", 0x0C: "FORM FEED",
                  0x9B: "CONTROL SEQUENCE INTRODUCER", 0x85: "NEXT LINE"}


INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f"           # every control character, tab, line feed and carriage return included
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidirectional marks and overrides
    "\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
    "|[\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0003fffe\U0003ffff\U000efffe\U000effff"
    "\U000ffffe\U000fffff\U0010fffe\U0010ffff]")


def _escape_one(found: re.Match[str]) -> str:
    code = ord(found.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(value: str) -> str:
    """`value` safe to print on one line of a terminal or a CI log: every control character
    (escape sequences, carriage returns, line feeds), bidirectional override and non-character is
    written as a visible escape such as `\\x1b`, so printed text cannot move the cursor, recolour
    the screen, fake another line or reorder what a reviewer reads."""
    return INVISIBLE.sub(_escape_one, value)


# -- Markdown as plain text (search snippets, link previews, the checks' word counts) ------------

def plain_text(markdown: str, limit: int = 0) -> str:
    """Markdown reduced to one line of plain text, cut at a word boundary under `limit` characters."""
    return clip(_plain(markdown), limit)


def clip(text: str, limit: int) -> str:
    """`text` cut at a word boundary to fewer than `limit` characters, with an ellipsis (0: no limit)."""
    if limit and len(text) > limit:
        return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.") + "…"
    return text


def _plain(markdown: str) -> str:
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]*>", " ", text)
    text = re.sub(r"[`*_#>|]+", " ", text)
    return " ".join(text.split())

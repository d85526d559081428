"""A JSON array read one element at a time from a stream of bytes, in bounded memory.

`json.loads` holds the whole text and every value decoded from it at once: a 60 MiB file of small
objects is about a gigabyte of Python objects. Here the bytes are decoded as UTF-8 a chunk at a time
into a window of text; each element is decoded from the window with the standard library's scanner
(`JSONDecoder.raw_decode`), handed on with its place, and let go; and the window forgets what was
read. What is held at once is one element (at most `max_chars` characters of JSON) and the window
around it.

Integers are read as floats: a 5,000-digit number is then no error of Python's (its limit on the
digits of an `int`) but a number, for the caller's types to refuse where it wants something else.
"""

from __future__ import annotations

import codecs
import itertools
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

CHUNK_BYTES = 1024 * 1024
"""Bytes decoded at a time; the window is dropped once this much of it is read."""
_MARGIN = 8
"""Characters a value must end before the window's end to be known complete (`1.` may be `1.5`)."""
_SPACE = re.compile(r"[ \t\n\r]*")
_NEXT = re.compile(r"[ \t\n\r]*,[ \t\n\r]*")
_DECODER = json.JSONDecoder(parse_int=float)


class Element(NamedTuple):
    number: int
    """From 1, in the array's order."""
    line: int
    """The line of the text the element starts on, from 1."""
    value: Any


class JsonArrayError(Exception):
    """The text is not a JSON array that can be read: `rule` says why, `line` and `column` where."""

    def __init__(self, rule: str, reason: str, line: int = 0, column: int = 0) -> None:
        super().__init__(reason)
        self.rule, self.reason, self.line, self.column = rule, reason, line, column


def elements(chunks: Iterable[bytes], max_chars: int) -> Iterator[Element]:
    """Each element of the JSON array the bytes hold, decoded one at a time; raises JsonArrayError
    (`encoding`, `syntax`, `not-array`, `depth` or `too-large`) at the first place it cannot read."""
    window = _Window(chunks)
    at = window.skip(0)
    if window.char(at) != "[":
        raise window.error("not-array", at, "it does not start with `[`")
    at = window.skip(at + 1)
    if window.char(at) == "]":
        window.finish(at + 1)
        return
    for number in itertools.count(1):
        line = window.place(at)[0]
        value, at = window.value(at, max_chars)
        yield Element(number, line, value)
        del value  # held by the caller as long as it wants: not here while the next one is decoded
        after = _NEXT.match(window.text, at)
        if after and after.end() < len(window.text):  # the next element is in the window: the usual case
            at = window.forget(after.end())
            continue
        at = window.skip(at)
        if window.char(at) == "]":
            window.finish(at + 1)
            return
        if window.char(at) != ",":
            raise window.error("syntax", at, "Expecting ',' delimiter")
        at = window.forget(window.skip(at + 1))


class _Window:
    """The text from the first character not yet forgotten, decoded a chunk of bytes at a time."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
        self._bytes = 0
        self.text = ""
        self.ended = False
        self._seen, self._line, self._column = 0, 1, 1
        """`text[_seen]` is at line `_line`, column `_column` of the whole text."""

    def more(self) -> bool:
        """Decode the next chunk onto the text; False when there is no more."""
        if self.ended:
            return False
        chunk = next(self._chunks, None)
        try:
            self.text += self._decoder.decode(chunk or b"", final=chunk is None)
        except UnicodeDecodeError as exc:
            raise JsonArrayError("encoding", f"it is not UTF-8 text (byte {self._bytes + exc.start:,})") from None
        self._bytes += len(chunk or b"")
        self.ended = chunk is None
        return True

    def char(self, at: int) -> str:
        """The character at `at` (decoding more as needed), or "" at the end of the text."""
        while at >= len(self.text) and self.more():
            pass
        return self.text[at] if at < len(self.text) else ""

    def skip(self, at: int) -> int:
        """The first place from `at` that is not white space."""
        while True:
            at = _SPACE.match(self.text, at).end()  # type: ignore[union-attr]
            if at < len(self.text) or not self.more():
                return at

    def value(self, at: int, max_chars: int) -> tuple[Any, int]:
        """The value that starts at `at`, and where it ends; more text is decoded until it is whole."""
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, at)
            except json.JSONDecodeError as exc:
                if self.ended or not _cut_short(exc, len(self.text)):
                    raise self.error("syntax", exc.pos, exc.msg) from None
            except RecursionError:
                raise self.error("depth", at, "it nests its lists and objects too deeply") from None
            else:
                if end - at > max_chars:
                    break
                if self.ended or end + _MARGIN < len(self.text):
                    return value, end
            if len(self.text) - at > max_chars:
                break
            self._grow(len(self.text) + max(len(self.text) - at, CHUNK_BYTES))
        raise self.error("too-large", at, f"an element is more than {max_chars:,} characters")

    def forget(self, at: int) -> int:
        """Drop the text before `at` once a chunk of it is read; returns where `at` is then."""
        if at < CHUNK_BYTES:
            return at
        self.place(at)
        self.text, self._seen = self.text[at:], 0
        return 0

    def finish(self, at: int) -> None:
        """Check that only white space follows `at`."""
        end = self.skip(at)
        if end < len(self.text):
            raise self.error("syntax", end, "Extra data")

    def place(self, at: int) -> tuple[int, int]:
        """(line, column) of the character at `at`, for places asked for in order."""
        newlines = self.text.count("\n", self._seen, at)
        if newlines:
            self._line += newlines
            self._column = at - self.text.rfind("\n", self._seen, at)
        else:
            self._column += at - self._seen
        self._seen = at
        return self._line, self._column

    def error(self, rule: str, at: int, reason: str) -> JsonArrayError:
        """The error `rule` at `at`, with its line and column."""
        line, column = self.place(max(at, self._seen))
        return JsonArrayError(rule, reason, line, column)

    def _grow(self, length: int) -> None:
        while len(self.text) < length and self.more():
            pass


def _cut_short(exc: json.JSONDecodeError, length: int) -> bool:
    """Whether the scanner failed only because the text ends too soon (more may make it whole)."""
    return exc.pos + _MARGIN >= length or exc.msg.startswith("Unterminated string")

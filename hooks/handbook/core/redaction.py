"""Secrets taken out of text that came back from a server, in whatever form the server echoed them.

A server may echo what it was sent (a token, a webhook's address) into an error message, a header
or an address, and not always as it was sent: upper- or lower-cased, percent-encoded (once or
twice), JSON- or HTML-escaped, in base64 (a Basic credential) or in hex. `redact` is the one
function every surface passes such text through before printing or writing it: it decodes the
text's escapes and folds its case (for matching only), finds every form of every secret there, and
replaces the original characters they came from; what is left is made safe to print (`visible`).
"""

from __future__ import annotations

import base64
import functools
import re
import urllib.parse
from collections.abc import Iterable

from handbook.core.text import visible

REDACTED = "[redacted]"
MIN_SECRET = 3
"""Characters a form of a secret needs at least to be looked for (a shorter one would match anywhere)."""
MIN_ENCODED = 8
"""Characters a secret needs at least for its base64 and hex forms to be looked for: the fragments
of a shorter one are short enough to occur in ordinary text."""

_ESCAPE = re.compile(
    r"%(?:25)*(?P<pct>[0-9A-Fa-f]{2})"                   # %67, %2567 (percent-encoded twice)
    r"|\\+(?:u(?P<u>[0-9A-Fa-f]{4})|x(?P<x>[0-9A-Fa-f]{2})|(?P<char>.))"  # \u0067, \x67, \/
    r"|&#(?:[xX](?P<hexref>[0-9A-Fa-f]{1,6})|(?P<decref>[0-9]{1,7}));"    # &#x67; &#103;
    r"|&(?P<name>amp|lt|gt|quot|apos);", re.S)
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def redact(text: str, secrets: Iterable[str]) -> str:
    """Return `text` with every form of every secret replaced by `[redacted]`, safe to print."""
    forms = _forms(tuple(sorted(set(secrets))))
    if forms:
        folded, starts, ends = _folded(text)
        spans = [(starts[at], ends[at + len(form) - 1]) for form in forms for at in _occurrences(folded, form)]
        text = _replaced(text, spans)
    return visible(text)


@functools.lru_cache(maxsize=32)
def _forms(secrets: tuple[str, ...]) -> tuple[str, ...]:
    """Fold every form a server may echo each secret in (as it is, decoded, base64, hex) as text is folded."""
    forms: set[str] = set()
    for secret in secrets:
        written = {secret, urllib.parse.unquote(secret), secret.encode("utf-8").decode("latin-1")}
        encoded = {form for each in written if len(each) >= MIN_ENCODED for form in _encodings(each)}
        forms.update(_folded(form)[0] for form in written | encoded)
    return tuple(sorted((form for form in forms if len(form) >= MIN_SECRET), key=len, reverse=True))


def _encodings(secret: str) -> list[str]:
    """List the base64 text of `secret` wherever it starts in the encoded bytes, and its hex."""
    data = secret.encode("utf-8")
    found = [data.hex()]
    for offset in range(3):  # the secret's bytes at each position within base64's 3-byte groups
        encoded = base64.b64encode(b"\0" * offset + data).decode("ascii")
        # only the characters made of the secret's bits alone, whatever surrounds it
        fragment = encoded[(8 * offset + 5) // 6:(8 * (offset + len(data))) // 6]
        found += [fragment, fragment.translate(str.maketrans("+/", "-_"))]
    return found


def _folded(text: str) -> tuple[str, list[int], list[int]]:
    """Decode `text`'s escapes and lower-case it, one character for each escape or character; return
    it with where each of its characters starts and ends in `text`."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    at = 0
    for found in _ESCAPE.finditer(text):
        for index in range(at, found.start()):
            chars.append(_lower(text[index]))
            starts.append(index)
            ends.append(index + 1)
        chars.append(_lower(_unescaped(found)))
        starts.append(found.start())
        ends.append(found.end())
        at = found.end()
    for index in range(at, len(text)):
        chars.append(_lower(text[index]))
        starts.append(index)
        ends.append(index + 1)
    return "".join(chars), starts, ends


def _unescaped(found: re.Match[str]) -> str:
    """Return the one character an escape stands for."""
    number = next((found[name] for name in ("pct", "u", "x", "hexref") if found[name]), None)
    code = int(number, 16) if number else int(found["decref"]) if found["decref"] else None
    if code is not None:
        return chr(code) if code <= 0x10FFFF else "\ufffd"
    return found["char"] or _NAMED[found["name"]]


def _lower(char: str) -> str:
    """Return `char` lower-cased when that keeps it one character."""
    lowered = char.lower()
    return lowered if len(lowered) == 1 else char


def _occurrences(text: str, form: str) -> Iterable[int]:
    """Yield where `form` starts in `text`, overlapping occurrences included."""
    at = text.find(form)
    while at >= 0:
        yield at
        at = text.find(form, at + 1)


def _replaced(text: str, spans: list[tuple[int, int]]) -> str:
    """Return `text` with each of the (start, end) spans, merged where they touch, replaced by `[redacted]`."""
    pieces: list[str] = []
    at = 0
    for start, end in sorted(spans):
        if start < at:  # overlaps the span just replaced
            if end > at:
                at = end
            continue
        pieces += [text[at:start], REDACTED]
        at = end
    return "".join(pieces) + text[at:]

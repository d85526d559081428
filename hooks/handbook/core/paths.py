"""Names the build writes to disk, made from report data: always one safe path component.

A report's id, a service name or a file name becomes part of a path in the built site. Whatever
the author wrote, the name used is a single component of at most `MAX_NAME` characters that
cannot climb out of its folder (no `/`, `\\`, `..`, NUL) and fits every file system: a longer or
unsafe name is shortened to a readable stem plus a stable hash of the whole.
"""

from __future__ import annotations

import hashlib
import posixpath
import re

MAX_NAME = 100
"""Characters in one generated file name at most (file systems allow 255 bytes; `.md`, `index.html`
and UTF-8 need room)."""

_SAFE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
_NOT_SLUG = re.compile(r"[^\w]+")


def path_key(value: str) -> str:
    """`value` when it is already a safe file name (letters, digits, `.`, `_`, `-`), else ''."""
    if value and len(value) <= MAX_NAME and _SAFE_KEY.match(value) and ".." not in value:
        return value
    return ""


def stable_name(value: str, limit: int = MAX_NAME) -> str:
    """A safe file name for any text: letters and digits of any script kept, lower-cased, the rest
    as `-`; a name longer than `limit` bytes is cut, with an 8-character hash of the whole text so
    distinct values stay distinct."""
    base = _NOT_SLUG.sub("-", value.lower()).strip("-_") or "unnamed"
    if len(base.encode("utf-8")) <= limit:
        return base
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    room = limit - len(digest) - 1
    while len(base.encode("utf-8")) > room:
        base = base[:-1]
    return f"{base.rstrip('-_.') or 'unnamed'}-{digest}"


def inside(relative: str) -> bool:
    """True when the site-relative path `relative` stays inside the site folder."""
    if not relative or relative.startswith("/") or "\\" in relative or "\x00" in relative:
        return False
    normal = posixpath.normpath(relative)
    return not (normal == ".." or normal.startswith("../")) and all(
        len(part.encode("utf-8")) <= 255 for part in normal.split("/"))

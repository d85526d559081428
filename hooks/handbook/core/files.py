"""The one way the handbook opens a file of the repository: a regular file, inside the repository, read
to a bound.

Anything a pull request can add is opened here: reports, handbook.yml, the tracker's state file, the
report template. A link to a device (`/dev/zero`), a named pipe or a socket would hang a read or fill
memory, a link out of the repository would publish a file of the machine, and a file larger than its
bound would fill memory: each is refused before a byte is read, with what is wrong and the fix.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NOT_A_FILE = "not-a-file"
UNREADABLE = "unreadable"
TOO_LARGE = "file-too-large"
MISSING = "missing"

_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)  # a FIFO opens without waiting for a writer


class Refused(Exception):
    """A file the handbook does not read, with the rule, what is wrong and the fix."""

    def __init__(self, rule: str, message: str, fix: str) -> None:
        super().__init__(message)
        self.rule, self.message, self.fix = rule, message, fix


def read_file(path: Path, limit: int, *, root: Path | None = None, what: str = "The file") -> bytes:
    """Return the bytes of the regular file at `path`, at most `limit` of them; raise Refused otherwise.

    `root`, when given, is the repository: a link leading out of it is refused. `what` names the file in
    the messages ("The tracker's state file")."""
    with _opened(path, root, what) as handle:
        size = os.fstat(handle).st_size
        if size > limit:
            raise _too_large(what, size, limit)
        with os.fdopen(os.dup(handle), "rb") as stream:
            raw = stream.read(limit + 1)
        if len(raw) > limit:  # it grew while we read it
            raise _too_large(what, len(raw), limit)
        return raw


def read_head(path: Path, size: int, *, root: Path | None = None, what: str = "The file") -> bytes:
    """Return at most the first `size` bytes of the regular file at `path`; raise Refused as `read_file`."""
    with _opened(path, root, what) as handle, os.fdopen(os.dup(handle), "rb") as stream:
        return stream.read(size)


@contextmanager
def _opened(path: Path, root: Path | None, what: str) -> Iterator[int]:
    """Yield a descriptor of `path` once it is known to be a regular file inside `root`."""
    try:
        if root is not None and path.is_symlink() and not path.resolve().is_relative_to(root.resolve()):
            raise Refused(NOT_A_FILE, f"{what} is a link to a place outside the repository.",
                          "Replace the link with the file itself.")
        handle = os.open(path, _FLAGS)
    except FileNotFoundError:
        raise Refused(MISSING, f"{what} does not exist.", "Check its path.") from None
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop on older Pythons
        raise _unreadable(what, exc) from None
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise Refused(NOT_A_FILE, f"{what} is not a regular file (a device, a named pipe or a socket).",
                          "Replace it with an ordinary file.")
        try:
            yield handle
        except OSError as exc:
            raise _unreadable(what, exc) from None
    finally:
        os.close(handle)


def write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write `data` to `path` at once: a reader sees the old file or the new one, never half of it.

    The file gets `mode`, else the old file's mode, else what the umask gives a new file; a new folder
    is made private (0700). OSError when it cannot be written."""
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _unreadable(what: str, exc: BaseException) -> Refused:
    reason = getattr(exc, "strerror", None) or exc
    if getattr(exc, "errno", None) == errno.ELOOP:
        reason = "it is a loop of links"
    return Refused(UNREADABLE, f"{what} cannot be read: {reason}.", "Check that it exists and is readable.")


def _too_large(what: str, size: int, limit: int) -> Refused:
    return Refused(TOO_LARGE, f"{what} is {size:,} bytes; the limit is {limit:,} bytes.",
                   "Make it smaller.")

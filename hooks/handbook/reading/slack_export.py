"""A Slack workspace export, read for one channel's messages: from the ZIP itself or its unzipped folder.

The format, as Slack documents it (https://slack.com/help/articles/220556107): `channels.json`
(public channels: id, name, ...), `groups.json` (private channels, when the export has them),
`users.json` (id, name, real_name, profile.display_name and profile.real_name), and a folder per
channel, named for the channel, holding one `YYYY-MM-DD.json` per day: a list of messages with
`ts`, `user`, `text`, and optionally `subtype`, `thread_ts`, `pinned_to` and `reactions`.

Nothing is extracted to disk. The ZIP's bounds are checked before anything is decompressed: the
number of members and the size of the central directory (as the archive's end record declares
them), the size of each file read, and the bytes read in all. A hostile archive is refused with what
it claims and the limit, never allowed to fill the memory.

Each file is read as a stream, one message (or user, or channel) at a time (`json_array`), and each
is read as a Struct of the fields a timeline reads, each of the type Slack writes it in: a field of
another type is an error naming the file, the message's number and line, and the field, never an
exception. Of a channel's messages only those the draft takes are kept (`Pick`: the window and the
markers), and of those only what an entry writes: the moment, the author's name and the text, cut
to MAX_NAME and MAX_TEXT characters. Memory is then bounded whatever the export holds: one message
of JSON (MAX_ENTRY_CHARS), a chunk of the file, and at most MAX_MESSAGES entries.

Which messages make a timeline:

- Messages people wrote (no `subtype`), `/me` messages, files shared with a comment, and replies
  also sent to the channel (`thread_broadcast`) are kept.
- Bot messages (`bot_message`) are kept under the bot's `username` (or `bot_profile.name`): an
  alert posted by a bot is often the first event of an incident.
- Thread replies are kept and marked (`thread_reply`): decisions are often made in threads, and the
  scribe deletes what is not needed more easily than finding what is missing.
- Everything else is skipped: joins and leaves, topic, purpose and name changes, pin and bot
  notices, reminders, hidden and deleted messages, and messages with no text at all.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, NamedTuple, TypeVar

import msgspec

from handbook.core.timestamps import MAX_YEAR, MIN_YEAR
from handbook.reading.json_array import CHUNK_BYTES, Element, JsonArrayError, elements
from handbook.reading.slack_markup import one_line, plain_text

MAX_MEMBERS = 200_000
"""Members a ZIP may hold (an export has one file per channel per day: 200 channels over three years)."""
MAX_DIRECTORY_BYTES = 64 * 1024 * 1024
"""Bytes of the ZIP's central directory, which is read whole before any member."""
MAX_FILE_BYTES = 64 * 1024 * 1024
"""Bytes of one JSON file read (users.json of a workspace of 50,000 people is about 100 MB less)."""
MAX_TOTAL_BYTES = 512 * 1024 * 1024
"""Bytes read in all, over every file."""
MAX_ENTRY_CHARS = 4 * 1024 * 1024
"""Characters of JSON in one message, or one entry of channels.json or users.json (Slack keeps 40,000
characters of a message's text; a channel's entry lists its members, about 200,000 of them in 4 MiB)."""
MAX_MESSAGES = 10_000
"""Messages one draft takes (after --from, --to and the markers): more is not read through line by line."""
SLACK_TEXT = 40_000
"""Characters of a message's text Slack keeps (it cuts a longer one); no more is read."""
MAX_TEXT = 1_000
"""Characters of a message's text an entry keeps; a longer one is cut, ending with `…`."""
MAX_NAME = 80
"""Characters of a person's, bot's or channel's name an entry keeps (as many as Slack allows a display name)."""

KEPT_SUBTYPES = frozenset({"", "bot_message", "me_message", "file_share", "thread_broadcast"})
"""The message subtypes a timeline keeps; the rest are channel notices."""

_DAY_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.json$")
_TS = re.compile(r"^(\d{1,12})(?:\.(\d{1,6}))?$")
_EXPECTED = re.compile(r"^Expected `([^`]*)`, got `([^`]*)`(?: - at `\$(.*)`)?$")
_MISSING = re.compile(r"^Object missing required field `([^`]*)`(?: - at `\$(.*)`)?$")
_JSON_NAMES = {"str": "text", "bool": "true or false", "array": "a list", "object": "an object",
               "int": "a number", "float": "a number", "null": "null"}
_T = TypeVar("_T")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_SECONDS = (int((dt.datetime(MIN_YEAR, 1, 1, tzinfo=dt.timezone.utc) - _EPOCH).total_seconds()),
            int((dt.datetime(MAX_YEAR + 1, 1, 1, tzinfo=dt.timezone.utc) - _EPOCH).total_seconds()))
"""The `ts` seconds of MIN_YEAR's first moment and of the one after MAX_YEAR."""


class ExportError(Exception):
    """The export cannot be read; the message names the file (and entry) and the fix."""


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    name: str
    private: bool = False


@dataclass(frozen=True, slots=True)
class Message:
    """What an entry of the draft writes of a message, and no more."""

    when: dt.datetime
    """In UTC, to the microsecond."""
    author: str
    """At most MAX_NAME characters."""
    text: str
    """Plain text on one line (`slack_markup.plain_text`), at most MAX_TEXT characters."""
    thread_reply: bool = False


@dataclass(frozen=True, slots=True)
class Pick:
    """The messages a draft takes: from `start` to `end` (both included; None: no bound), only the
    pinned ones, or only those with the reaction `reaction` (as `reaction_name` gives it)."""

    start: dt.datetime | None = None
    end: dt.datetime | None = None
    pinned: bool = False
    reaction: str | None = None
    _window: tuple[tuple[int, int], tuple[int, int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        low = _key(self.start) if self.start else (-1 << 62, 0)
        high = _key(self.end) if self.end else (1 << 62, 0)
        object.__setattr__(self, "_window", (low, high))
        object.__setattr__(self, "reaction", reaction_name(self.reaction) if self.reaction else None)

    def days(self) -> tuple[dt.date | None, dt.date | None]:
        """The first and last day file to read: the window's days in UTC and one more on each side
        (a day file holds one day in the workspace's zone)."""
        low = self.start.astimezone(dt.timezone.utc).date() - dt.timedelta(days=1) if self.start else None
        high = self.end.astimezone(dt.timezone.utc).date() + dt.timedelta(days=1) if self.end else None
        return low, high

    def takes(self, key: tuple[int, int], pinned: bool, reactions: Iterable[str]) -> bool:
        """Whether a message at `key` ((seconds, microseconds) since 1970, in UTC), pinned or not, with
        those reactions, is one to draft."""
        return self._window[0] <= key <= self._window[1] and (not self.pinned or pinned) \
            and (self.reaction is None or self.reaction in {reaction_name(r) for r in reactions})


class Typed(NamedTuple, Generic[_T]):
    """An element of one of the export's JSON lists, read as its Struct."""

    number: int
    """From 1, in the file's order."""
    line: int
    value: _T


@dataclass(frozen=True, slots=True)
class Picked:
    messages: tuple[Message, ...]
    """In time order, one per `ts`."""
    read: int
    """Messages of the kinds a timeline keeps, with text, in the day files read: taken or not."""


class Profile(msgspec.Struct, frozen=True):
    """A user's profile in users.json, or the `user_profile` a message carries."""

    display_name: str | None = None
    real_name: str | None = None
    name: str | None = None


class _User(msgspec.Struct, frozen=True):
    id: str
    name: str | None = None
    real_name: str | None = None
    profile: Profile | None = None


class _Channel(msgspec.Struct, frozen=True):
    id: str
    name: str


class _Reaction(msgspec.Struct, frozen=True):
    name: str


class _Attachment(msgspec.Struct, frozen=True):
    fallback: str | None = None
    text: str | None = None
    title: str | None = None


class _File(msgspec.Struct, frozen=True):
    title: str | None = None
    name: str | None = None


class _Bot(msgspec.Struct, frozen=True):
    name: str | None = None


class _Message(msgspec.Struct, frozen=True):
    """The fields of a message a timeline reads, each of the type Slack writes it in (null: absent)."""

    ts: str | None = None
    subtype: str | None = None
    hidden: bool | None = None
    user: str | None = None
    text: str | None = None
    thread_ts: str | None = None
    pinned_to: list[str] | None = None
    reactions: list[_Reaction] | None = None
    attachments: list[_Attachment] | None = None
    files: list[_File] | None = None
    bot_id: str | None = None
    username: str | None = None
    bot_profile: _Bot | None = None
    user_profile: Profile | None = None


def reaction_name(name: str) -> str:
    """A reaction as an export names it: `:pushpin:` and `thumbsup::skin-tone-2` are `pushpin`, `thumbsup`."""
    return name.strip().strip(":").split("::", 1)[0].lower()


class Export:
    """An open export: its channels and users, and a channel's messages read on demand."""

    def __init__(self, files: "_Files") -> None:
        self._files = files
        self.channels = self._channels()
        self.users = self._users()
        self._mentioned = {c.id: _name(c.name) for c in self.channels}

    @property
    def label(self) -> str:
        """The export as the user named it, for messages."""
        return self._files.label

    def channel(self, name: str) -> Channel:
        """The channel called `name` (a leading `#` is ignored); the error lists the names there are."""
        wanted = name.strip().lstrip("#")
        found = next((c for c in self.channels if c.name == wanted), None)
        if found is not None:
            return found
        names = [c.name for c in self.channels]
        if not names:
            raise ExportError(f"{self.label} has no channels in channels.json or groups.json; "
                              "export the workspace again with the incident channel in it.")
        close = difflib.get_close_matches(wanted, names, n=len(names), cutoff=0.0)
        shown = ", ".join(close[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
        raise ExportError(f"{self.label} has no channel `{wanted}`. Its channels, closest first: {shown}. "
                          "Give one of them with --channel.")

    def messages(self, channel: Channel, pick: Pick = Pick()) -> Picked:
        """The channel's messages `pick` takes, in time order, from the day files around its window.

        The day files are read one message at a time, and only what an entry writes is kept of the
        messages taken; more than MAX_MESSAGES taken is an ExportError, with the fix."""
        found: dict[tuple[int, int], Message] = {}
        read = 0
        for name in self._days(channel, pick):
            for element in self._files.entries(name, _Message, "message"):
                raw = element.value
                if (raw.subtype or "") not in KEPT_SUBTYPES or raw.hidden:
                    continue
                key = _moment(raw.ts, self.label, f"{name}, message {element.number} (line {element.line})")
                said = _said(raw)
                if not said.strip():
                    continue
                read += 1
                if key not in found and pick.takes(key, channel.id in (raw.pinned_to or ()),
                                                   (r.name for r in raw.reactions or ())):
                    self._keep(found, key, raw, said, channel)
        return Picked(tuple(found[key] for key in sorted(found)), read)

    def _days(self, channel: Channel, pick: Pick) -> Iterator[str]:
        """The channel's day files `pick` reads, by date."""
        low, high = pick.days()
        for name in self._files.day_files(channel.name):
            day = _day(name)
            if day is not None and (low is None or day >= low) and (high is None or day <= high):
                yield name

    def _keep(self, found: dict[tuple[int, int], Message], key: tuple[int, int], raw: _Message, said: str,
              channel: Channel) -> None:
        """Add the entry's part of a message taken to `found` (none when its text reads as nothing);
        raises ExportError past MAX_MESSAGES."""
        text = _cut(plain_text(said, self.users, self._mentioned), MAX_TEXT)
        if not text:
            return
        found[key] = Message(_when(key), _author(raw, self.users), text,
                             raw.thread_ts is not None and raw.thread_ts != raw.ts)
        if len(found) > MAX_MESSAGES:
            raise ExportError(f"{self.label}: #{channel.name} has more than {MAX_MESSAGES:,} messages to draft "
                              "from, more than a timeline is read through. Narrow the window with --from and "
                              "--to, or pick with --only-pinned or --reaction.")

    def _channels(self) -> list[Channel]:
        channels: list[Channel] = []
        for member, private in (("channels.json", False), ("groups.json", True)):
            if member == "channels.json" or self._files.exists(member):
                for element in self._files.entries(member, _Channel, "entry"):
                    channels.append(Channel(element.value.id, element.value.name, private))
        return channels

    def _users(self) -> dict[str, str]:
        users: dict[str, str] = {}
        if not self._files.exists("users.json"):
            return users
        for element in self._files.entries("users.json", _User, "entry"):
            user = element.value
            name = person_name(user.profile, user.real_name, user.name)
            if name:
                users[user.id] = name
        return users


def person_name(profile: Profile | None, *names: str | None) -> str:
    """The name Slack shows for a user: display name, else real name (the profile's, then the
    others given: the user's real name and user name), at most MAX_NAME characters."""
    found = (profile.display_name, profile.real_name) if profile else ()
    return next((n for n in map(_name, (*found, *names)) if n), "")


def _wrong(exc: msgspec.ValidationError) -> str:
    """msgspec's reason in the words of JSON: "`subtype` is a list, where Slack writes text"."""
    expected, missing = _EXPECTED.match(str(exc)), _MISSING.match(str(exc))
    if expected:
        wanted = dict.fromkeys(_JSON_NAMES.get(t, t) for t in expected.group(1).split(" | ") if t != "null")
        field = f"`{expected.group(3).lstrip('.')}`" if expected.group(3) else "it"
        return f"{field} is {_JSON_NAMES.get(expected.group(2), expected.group(2))}, where Slack writes " \
               f"{' or '.join(wanted)}"
    if missing:
        field = f"`{missing.group(2).lstrip('.')}`" if missing.group(2) else "it"
        return f"{field} has no `{missing.group(1)}`"
    return str(exc)


def _day(name: str) -> dt.date | None:
    """The day a day file (`channel/YYYY-MM-DD.json`) is of; None for a name of no such day."""
    found = _DAY_FILE.match(name.rsplit("/", 1)[-1])
    try:
        return dt.date.fromisoformat(found.group(1)) if found else None
    except ValueError:  # named like a day file, but no such day: not Slack's
        return None


def _moment(ts: str | None, label: str, where: str) -> tuple[int, int]:
    """A message's `ts` as (seconds, microseconds) since 1970 in UTC; else an ExportError naming it."""
    found = _TS.match(ts) if ts is not None else None
    seconds = int(found.group(1)) if found else _SECONDS[1]
    if found is None or not _SECONDS[0] <= seconds < _SECONDS[1]:
        shown = f"\"{ts[:60]}\"" if ts is not None else "null"
        raise ExportError(f"{label}: {where} has no readable `ts` (Slack's `seconds.microseconds`, such as "
                          f"\"1759655220.000200\", between {MIN_YEAR} and {MAX_YEAR}); it has {shown}. "
                          "Re-export the channel, or fix that message.")
    return seconds, int((found.group(2) or "0").ljust(6, "0"))


def _key(moment: dt.datetime) -> tuple[int, int]:
    """A moment as (seconds, microseconds) since 1970 in UTC, as a message's `ts` is compared."""
    delta = moment - _EPOCH
    return delta.days * 86_400 + delta.seconds, delta.microseconds


def _when(key: tuple[int, int]) -> dt.datetime:
    """The moment (seconds, microseconds) since 1970 names, in UTC."""
    return _EPOCH + dt.timedelta(seconds=key[0], microseconds=key[1])


def _said(raw: _Message) -> str:
    """What a message says as Slack wrote it: its text, else an attachment's (an alert bot's message
    is often all attachment), else the files it shares; at most SLACK_TEXT characters."""
    if raw.text and raw.text.strip():
        return raw.text[:SLACK_TEXT]
    for attachment in raw.attachments or ():
        for value in (attachment.fallback, attachment.text, attachment.title):
            if value and value.strip():
                return value[:SLACK_TEXT]
    names = [n for n in (f.title or f.name for f in raw.files or ()) if n and n.strip()]
    return f"shared {', '.join(names)}"[:SLACK_TEXT] if names else ""


def _author(raw: _Message, users: Mapping[str, str]) -> str:
    """Who wrote a message: a bot by its name, a person by the name users.json gives (else the
    message's own profile, else the user id)."""
    if raw.subtype == "bot_message" or (raw.bot_id and not raw.user):
        return _name(raw.username) or _name(raw.bot_profile.name if raw.bot_profile else None) or "a bot"
    if raw.user and raw.user in users:
        return users[raw.user]
    profile = raw.user_profile
    return person_name(profile, profile.name if profile else None) or _name(raw.user) or "someone"


def _name(value: str | None) -> str:
    """A name on one line, at most MAX_NAME characters."""
    return _cut(one_line(value[:SLACK_TEXT]), MAX_NAME) if value else ""


def _cut(text: str, limit: int) -> str:
    """`text`, or its first `limit` characters with the last one `…` when it is longer."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


# -- where the files come from: a ZIP read as a stream, or a folder ----------------------------

class _Files:
    label: str
    _budget: int = MAX_TOTAL_BYTES

    def exists(self, name: str) -> bool:
        """Whether the export holds the file `name` (a path inside it, with `/`)."""
        raise NotImplementedError

    def names_under(self, folder: str) -> list[str]:
        """The files directly in `folder`, as paths inside the export."""
        raise NotImplementedError

    def _size(self, name: str) -> int:
        """The bytes the file `name` says it has (a ZIP's directory may lie: what is read is counted too)."""
        raise NotImplementedError

    def _stream(self, name: str) -> Iterator[bytes]:
        """The bytes of the file `name`, CHUNK_BYTES at a time; raises ExportError when it cannot be read."""
        raise NotImplementedError

    def day_files(self, channel: str) -> list[str]:
        """`channel/YYYY-MM-DD.json` for each day the channel has, by date."""
        if not channel or "/" in channel or "\\" in channel or channel.startswith("."):
            return []
        return sorted(n for n in self.names_under(channel) if _DAY_FILE.match(n.rsplit("/", 1)[-1]))

    def entries(self, name: str, kind: type[_T], noun: str) -> Iterator[Typed[_T]]:
        """The elements of the JSON list in the file `name`, decoded one at a time within the bounds,
        each as `kind` with every field of its type; raises ExportError naming the file, the place
        (the element's number and line, and the field) and the fix."""
        if not self.exists(name):
            raise ExportError(f"{self.label} has no {name}: it is not a Slack workspace export (which has "
                              "channels.json, users.json and a folder per channel). Give the export's ZIP "
                              "or the folder it unzips to.")
        try:
            for element in elements(self._bounded(name), MAX_ENTRY_CHARS):
                typed = Typed(element.number, element.line, self._typed(element, kind, name, noun))
                del element  # the element's decoded JSON goes before the next one is decoded
                yield typed
        except JsonArrayError as exc:
            raise ExportError(self._unreadable(name, exc)) from None

    def _typed(self, element: Element, kind: type[_T], name: str, noun: str) -> _T:
        """The element as `kind`; else an ExportError naming the file, the element and the field."""
        try:
            return msgspec.convert(element.value, kind)
        except msgspec.ValidationError as exc:
            raise ExportError(f"{self.label}: {name}, {noun} {element.number} (line {element.line}): "
                              f"{_wrong(exc)}. Re-export the workspace, or fix that {noun}.") from None
        except UnicodeEncodeError:  # a `\ud800` escape: half a character, which no text may hold
            raise ExportError(f"{self.label}: {name}, {noun} {element.number} (line {element.line}): a text "
                              f"holds half of a character (a lone surrogate escape such as `\\ud800`). "
                              f"Re-export the workspace, or fix that {noun}.") from None

    def _bounded(self, name: str) -> Iterator[bytes]:
        """The bytes of the file `name`, refused past MAX_FILE_BYTES in the file or MAX_TOTAL_BYTES in all."""
        size = self._size(name)
        if size > MAX_FILE_BYTES:
            raise self._too_large(name, size)
        read = 0
        for chunk in self._stream(name):
            read += len(chunk)
            if read > MAX_FILE_BYTES:
                raise self._too_large(name, max(size, read))
            self._budget -= len(chunk)
            if self._budget < 0:
                raise ExportError(f"{self.label}: reading {name} passes {MAX_TOTAL_BYTES:,} bytes read in all; "
                                  "narrow the days with --from and --to.")
            yield chunk

    def _unreadable(self, name: str, exc: JsonArrayError) -> str:
        """The sentence for a file that is not a JSON list as Slack writes one, with where and the fix."""
        place = f"line {exc.line}, column {exc.column}"
        if exc.rule == "encoding":
            return f"{self.label}: {name} is not UTF-8 text ({exc.reason}); re-export the workspace."
        if exc.rule == "not-array":
            return (f"{self.label}: {name} is not a list, as a Slack export has it ({place}: {exc.reason}); "
                    "re-export the workspace, or fix that file.")
        if exc.rule == "depth":
            return (f"{self.label}: {name} nests its lists and objects too deeply to be a Slack export "
                    f"({place}); re-export the workspace.")
        if exc.rule == "too-large":
            return (f"{self.label}: {name}, {place}: {exc.reason}, more than Slack writes for one message, "
                    "user or channel; re-export the workspace, or fix that entry.")
        return (f"{self.label}: {name} is not valid JSON: {place}: {exc.reason}. Re-export the workspace, "
                "or fix that file.")

    def _too_large(self, name: str, size: int) -> ExportError:
        return ExportError(f"{self.label}: {name} is {size:,} bytes, more than the {MAX_FILE_BYTES:,} read "
                           "from one file of an export; this is not a Slack export as Slack writes it.")


class _Folder(_Files):
    def __init__(self, root: Path, label: str) -> None:
        self.root, self.label = root, label

    def _path(self, name: str) -> Path | None:
        path = self.root / name
        try:
            resolved = path.resolve()
            resolved.relative_to(self.root.resolve())
        except (ValueError, OSError, RuntimeError):
            return None
        return resolved

    def exists(self, name: str) -> bool:
        """Whether `name` is a regular file inside the folder (never outside it, through `..` or a link)."""
        path = self._path(name)
        return path is not None and path.is_file()

    def names_under(self, folder: str) -> list[str]:
        """The regular files directly in `folder`, which must lie inside the export's folder."""
        path = self._path(folder)
        if path is None or not path.is_dir():
            return []
        return [f"{folder}/{p.name}" for p in path.iterdir() if p.is_file()]

    def _size(self, name: str) -> int:
        """The file's size on disk (0 when it cannot be told: the reading says why)."""
        path = self._path(name)
        try:
            return path.stat().st_size if path is not None else 0
        except OSError:
            return 0

    def _stream(self, name: str) -> Iterator[bytes]:
        """The file's bytes a chunk at a time."""
        path = self._path(name)
        assert path is not None
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(CHUNK_BYTES):
                    yield chunk
        except OSError as exc:
            raise ExportError(f"{self.label}: cannot read {name}: {exc.strerror or exc}.") from None


class _Zip(_Files):
    def __init__(self, archive: zipfile.ZipFile, label: str) -> None:
        self.archive, self.label = archive, label
        if len(archive.infolist()) > MAX_MEMBERS:
            raise ExportError(f"{label} has {len(archive.infolist()):,} files, more than the {MAX_MEMBERS:,} "
                              "read from a ZIP. Unzip it and give the folder, or export fewer channels or days.")
        # an entry without a name is no file of the export (and `is_dir` fails on it)
        infos = {i.filename: i for i in archive.infolist() if i.filename and not i.is_dir()}
        # An export zipped again by hand may hold everything in one folder: read inside it.
        roots = [n[: -len("channels.json")] for n in infos if n.rsplit("/", 1)[-1] == "channels.json"]
        self.prefix = "" if "channels.json" in infos or len(roots) != 1 else roots[0]
        self.infos = {n[len(self.prefix):]: i for n, i in infos.items() if n.startswith(self.prefix)}

    def exists(self, name: str) -> bool:
        """Whether the ZIP has the member `name` (inside the folder everything is zipped in, if any)."""
        return name in self.infos

    def names_under(self, folder: str) -> list[str]:
        """The members directly in `folder`."""
        start = folder + "/"
        return [n for n in self.infos if n.startswith(start) and "/" not in n[len(start):]]

    def _size(self, name: str) -> int:
        """The member's size as the ZIP's directory declares it."""
        return self.infos[name].file_size

    def _stream(self, name: str) -> Iterator[bytes]:
        """The member's bytes decompressed a chunk at a time."""
        try:
            with self.archive.open(self.infos[name]) as member:
                while chunk := member.read(CHUNK_BYTES):
                    yield chunk
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError) as exc:
            raise ExportError(f"{self.label}: cannot read {name} from the ZIP ({exc}); it may be damaged, "
                              "encrypted or compressed in a way Python cannot read. Download the export "
                              "again.") from None


def _declared_directory(path: Path, label: str) -> tuple[int, int]:
    """(members, central directory bytes) as the ZIP's end record declares them, read before
    `zipfile` reads the whole directory into memory."""
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        tail_size = min(size, 22 + 0xFFFF)
        handle.seek(size - tail_size)
        tail = handle.read(tail_size)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            raise ExportError(f"{label} is not a ZIP file (it has no end of central directory). Give the "
                              "Slack export's ZIP, or the folder it unzips to.")
        members, directory = struct.unpack("<HI", tail[at + 10: at + 16])
        if at >= 20 and tail[at - 20: at - 16] == b"PK\x06\x07":  # ZIP64: the real counts are elsewhere
            (offset,) = struct.unpack("<Q", tail[at - 12: at - 4])
            if offset < size:
                handle.seek(offset)
                record = handle.read(56)
                if record[:4] == b"PK\x06\x06" and len(record) == 56:
                    members, directory = struct.unpack("<QQ", record[32:48])
    return members, directory


@contextmanager
def open_export(path: Path) -> Iterator[Export]:
    """The export at `path`, a ZIP or a folder; raises ExportError with the reason and the fix."""
    label = str(path)
    if path.is_dir():
        yield Export(_Folder(path, label))
        return
    if not path.is_file():
        raise ExportError(f"{label} does not exist; give the Slack export's ZIP, or the folder it unzips to.")
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
        if magic[:2] != b"PK":
            raise ExportError(f"{label} is not a ZIP file or a folder. Give the Slack export's ZIP "
                              "(Workspace settings, Import/Export data, Export), or the folder it unzips to.")
        members, directory = _declared_directory(path, label)
    except OSError as exc:
        raise ExportError(f"Cannot read {label}: {exc.strerror or exc}.") from None
    if members > MAX_MEMBERS:
        raise ExportError(f"{label} declares {members:,} files, more than the {MAX_MEMBERS:,} read from a ZIP. "
                          "Unzip it and give the folder, or export fewer channels or days.")
    if directory > MAX_DIRECTORY_BYTES:
        raise ExportError(f"{label} declares a {directory:,}-byte list of files, more than the "
                          f"{MAX_DIRECTORY_BYTES:,} read from a ZIP. Unzip it and give the folder.")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise ExportError(f"{label} is not a ZIP file that can be read ({exc}). Download the export again, "
                          "or give the folder it unzips to.") from None
    with archive:
        yield Export(_Zip(archive, label))

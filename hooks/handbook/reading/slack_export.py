"""A Slack workspace export, read for one channel's messages: from the ZIP itself or its unzipped folder.

The format, as Slack documents it (https://slack.com/help/articles/220556107): `channels.json`
(public channels: id, name, ...), `groups.json` (private channels, when the export has them),
`users.json` (id, name, real_name, profile.display_name and profile.real_name), and a folder per
channel, named for the channel, holding one `YYYY-MM-DD.json` per day: a list of messages with
`ts`, `user`, `text`, and optionally `subtype`, `thread_ts`, `pinned_to` and `reactions`.

Nothing is extracted to disk. The ZIP is read in memory with bounds checked before anything is
decompressed: the number of members and the size of the central directory (as the archive's end
record declares them), the size of each file read, and the bytes read in all. A hostile archive is
refused with what it claims and the limit, never allowed to fill the memory.

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
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handbook.core.timestamps import MAX_YEAR, MIN_YEAR
from handbook.reading.slack_markup import one_line, plain_text

MAX_MEMBERS = 200_000
"""Members a ZIP may hold (an export has one file per channel per day: 200 channels over three years)."""
MAX_DIRECTORY_BYTES = 64 * 1024 * 1024
"""Bytes of the ZIP's central directory, which is read whole before any member."""
MAX_FILE_BYTES = 64 * 1024 * 1024
"""Bytes of one JSON file read (users.json of a workspace of 50,000 people is about 100 MB less)."""
MAX_TOTAL_BYTES = 512 * 1024 * 1024
"""Bytes read in all, over every file."""

KEPT_SUBTYPES = frozenset({"", "bot_message", "me_message", "file_share", "thread_broadcast"})
"""The message subtypes a timeline keeps; the rest are channel notices."""

_DAY_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.json$")
_TS = re.compile(r"^(\d{1,12})(?:\.(\d{1,6}))?$")


class ExportError(Exception):
    """The export cannot be read; the message names the file (and entry) and the fix."""


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    name: str
    private: bool = False


@dataclass(frozen=True, slots=True)
class Message:
    when: dt.datetime
    """In UTC, to the microsecond."""
    author: str
    text: str
    """Plain text on one line (`slack_markup.plain_text`)."""
    thread_reply: bool = False
    pinned: bool = False
    reactions: frozenset[str] = frozenset()
    """Reaction names without colons or skin tones (`thumbsup`, `pushpin`)."""


def reaction_name(name: str) -> str:
    """A reaction as an export names it: `:pushpin:` and `thumbsup::skin-tone-2` are `pushpin`, `thumbsup`."""
    return name.strip().strip(":").split("::", 1)[0].lower()


def select(messages: list[Message], *, start: dt.datetime | None = None, end: dt.datetime | None = None,
           pinned: bool = False, reaction: str | None = None) -> list[Message]:
    """The messages from `start` to `end` (both included), pinned ones only, or those with a reaction."""
    wanted = reaction_name(reaction) if reaction else None
    return [m for m in messages
            if (start is None or m.when >= start) and (end is None or m.when <= end)
            and (not pinned or m.pinned) and (wanted is None or wanted in m.reactions)]


class Export:
    """An open export: its channels and users, and a channel's messages read on demand."""

    def __init__(self, files: "_Files") -> None:
        self._files = files
        self.channels = self._channels()
        self.users = self._users()

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

    def messages(self, channel: Channel, first_day: dt.date | None = None,
                 last_day: dt.date | None = None) -> list[Message]:
        """The channel's messages in time order, read from its day files between the two days
        (a day more on each side: a day file holds the messages of one day in the workspace's zone)."""
        channels = {c.id: c.name for c in self.channels}
        low = first_day - dt.timedelta(days=1) if first_day else None
        high = last_day + dt.timedelta(days=1) if last_day else None
        found: dict[str, Message] = {}
        for name in self._files.day_files(channel.name):
            try:
                day = dt.date.fromisoformat(_DAY_FILE.match(name.rsplit("/", 1)[-1]).group(1))  # type: ignore[union-attr]
            except ValueError:  # named like a day file, but no such day: not Slack's
                continue
            if (low and day < low) or (high and day > high):
                continue
            entries = self._files.json(name)
            if not isinstance(entries, list):
                raise ExportError(f"{self.label}: {name} is not a list of messages; re-export the channel, "
                                  "or remove that file.")
            for position, raw in enumerate(entries, 1):
                message = _message(raw, f"{name}, message {position}", self.label, self.users, channels,
                                   channel.id)
                if message is not None:
                    found.setdefault(message[0], message[1])
        return [found[ts] for ts in sorted(found, key=_ts_key)]

    def _channels(self) -> list[Channel]:
        channels: list[Channel] = []
        for member, private in (("channels.json", False), ("groups.json", True)):
            if member == "channels.json" or self._files.exists(member):
                for position, entry in enumerate(self._list(member), 1):
                    ident, name = entry.get("id"), entry.get("name")
                    if not isinstance(ident, str) or not isinstance(name, str):
                        raise ExportError(f"{self.label}: {member}, entry {position} has no `id` and `name` "
                                          "as text; re-export the workspace, or fix that entry.")
                    channels.append(Channel(ident, name, private))
        return channels

    def _users(self) -> dict[str, str]:
        users: dict[str, str] = {}
        if not self._files.exists("users.json"):
            return users
        for position, entry in enumerate(self._list("users.json"), 1):
            ident = entry.get("id")
            if not isinstance(ident, str):
                raise ExportError(f"{self.label}: users.json, entry {position} has no `id` as text; "
                                  "re-export the workspace, or fix that entry.")
            name = person_name(entry)
            if name:
                users[ident] = name
        return users

    def _list(self, member: str) -> list[dict[str, Any]]:
        value = self._files.json(member)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ExportError(f"{self.label}: {member} is not a list of objects, as a Slack export has it; "
                              "re-export the workspace.")
        return value


def person_name(user: Mapping[str, Any]) -> str:
    """The name Slack shows for a user: display name, else real name, else user name."""
    profile = user.get("profile")
    profile = profile if isinstance(profile, dict) else {}
    for value in (profile.get("display_name"), profile.get("real_name"), user.get("real_name"), user.get("name")):
        if isinstance(value, str) and one_line(value):
            return one_line(value)
    return ""


def _message(raw: Any, where: str, label: str, users: Mapping[str, str], channels: Mapping[str, str],
             channel_id: str) -> tuple[str, Message] | None:
    if not isinstance(raw, dict):
        raise ExportError(f"{label}: {where} is not an object; re-export the channel, or fix that message.")
    subtype = raw.get("subtype") or ""
    if subtype not in KEPT_SUBTYPES or raw.get("hidden"):
        return None
    ts = raw.get("ts")
    when = _when(ts)
    if when is None or not isinstance(ts, str):
        raise ExportError(f"{label}: {where} has no readable `ts` (Slack's `seconds.microseconds`, such as "
                          f"\"1759655220.000200\", between {MIN_YEAR} and {MAX_YEAR}); it has {json.dumps(ts)[:60]}. "
                          "Re-export the channel, or fix that message.")
    text = plain_text(_text(raw), users, channels)
    if not text:
        return None
    thread = raw.get("thread_ts")
    pinned_to = raw.get("pinned_to")
    reactions = raw.get("reactions")
    return ts, Message(
        when=when, author=_author(raw, users), text=text,
        thread_reply=isinstance(thread, str) and thread != ts,
        pinned=isinstance(pinned_to, list) and channel_id in pinned_to,
        reactions=frozenset(reaction_name(r["name"]) for r in reactions or ()
                            if isinstance(r, dict) and isinstance(r.get("name"), str))
        if isinstance(reactions, list) else frozenset())


def _text(raw: Mapping[str, Any]) -> str:
    text = raw.get("text")
    if isinstance(text, str) and text.strip():
        return text
    for attachment in raw.get("attachments") or ():  # an alert bot's message is often all attachment
        if isinstance(attachment, dict):
            for key in ("fallback", "text", "title"):
                if isinstance(attachment.get(key), str) and attachment[key].strip():
                    return str(attachment[key])
    found = [f.get("title") or f.get("name") for f in raw.get("files") or () if isinstance(f, dict)]
    names = [n for n in found if isinstance(n, str) and n.strip()]
    return f"shared {', '.join(names)}" if names else ""


def _author(raw: Mapping[str, Any], users: Mapping[str, str]) -> str:
    if raw.get("subtype") == "bot_message" or (raw.get("bot_id") and not raw.get("user")):
        profile = raw.get("bot_profile")
        for value in (raw.get("username"), profile.get("name") if isinstance(profile, dict) else None):
            if isinstance(value, str) and one_line(value):
                return one_line(value)
        return "a bot"
    user = raw.get("user")
    if isinstance(user, str) and user in users:
        return users[user]
    profile = raw.get("user_profile")
    if isinstance(profile, dict) and person_name({"profile": profile, **profile}):
        return person_name({"profile": profile, **profile})
    return one_line(user) if isinstance(user, str) and one_line(user) else "someone"


def _when(ts: Any) -> dt.datetime | None:
    match = _TS.match(ts) if isinstance(ts, str) else None
    if not match:
        return None
    try:
        when = dt.datetime.fromtimestamp(int(match.group(1)), dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    if not MIN_YEAR <= when.year <= MAX_YEAR:
        return None
    return when + dt.timedelta(microseconds=int((match.group(2) or "0").ljust(6, "0")))


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micro = ts.partition(".")
    return int(seconds), int(micro.ljust(6, "0") or 0)


# -- where the files come from: a ZIP in memory, or a folder -----------------------------------

class _Files:
    label: str
    _budget: int = MAX_TOTAL_BYTES

    def exists(self, name: str) -> bool:
        """Whether the export holds the file `name` (a path inside it, with `/`)."""
        raise NotImplementedError

    def names_under(self, folder: str) -> list[str]:
        """The files directly in `folder`, as paths inside the export."""
        raise NotImplementedError

    def _read(self, name: str) -> bytes:
        raise NotImplementedError

    def day_files(self, channel: str) -> list[str]:
        """`channel/YYYY-MM-DD.json` for each day the channel has, by date."""
        if not channel or "/" in channel or "\\" in channel or channel.startswith("."):
            return []
        return sorted(n for n in self.names_under(channel) if _DAY_FILE.match(n.rsplit("/", 1)[-1]))

    def json(self, name: str) -> Any:
        """The file `name` parsed as JSON, within the bounds; raises ExportError naming the file and the place."""
        if not self.exists(name):
            raise ExportError(f"{self.label} has no {name}: it is not a Slack workspace export (which has "
                              "channels.json, users.json and a folder per channel). Give the export's ZIP "
                              "or the folder it unzips to.")
        data = self._read(name)
        self._budget -= len(data)
        if self._budget < 0:
            raise ExportError(f"{self.label}: reading {name} passes {MAX_TOTAL_BYTES:,} bytes read in all; "
                              "narrow the days with --from and --to.")
        try:
            return json.loads(data.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise ExportError(f"{self.label}: {name} is not UTF-8 text (byte {exc.start}); re-export the "
                              "workspace.") from None
        except json.JSONDecodeError as exc:
            raise ExportError(f"{self.label}: {name} is not valid JSON: line {exc.lineno}, column {exc.colno}: "
                              f"{exc.msg}. Re-export the workspace, or fix that file.") from None
        except RecursionError:
            raise ExportError(f"{self.label}: {name} nests its lists and objects too deeply to be a Slack "
                              "export; re-export the workspace.") from None

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

    def _read(self, name: str) -> bytes:
        path = self._path(name)
        assert path is not None
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise ExportError(f"{self.label}: cannot read {name}: {exc.strerror or exc}.") from None
        if len(data) > MAX_FILE_BYTES:
            raise self._too_large(name, path.stat().st_size)
        return data


class _Zip(_Files):
    def __init__(self, archive: zipfile.ZipFile, label: str) -> None:
        self.archive, self.label = archive, label
        if len(archive.infolist()) > MAX_MEMBERS:
            raise ExportError(f"{label} has {len(archive.infolist()):,} files, more than the {MAX_MEMBERS:,} "
                              "read from a ZIP. Unzip it and give the folder, or export fewer channels or days.")
        infos = {i.filename: i for i in archive.infolist() if not i.is_dir()}
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

    def _read(self, name: str) -> bytes:
        info = self.infos[name]
        if info.file_size > MAX_FILE_BYTES:
            raise self._too_large(name, info.file_size)
        try:
            with self.archive.open(info) as member:
                data = member.read(MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError) as exc:
            raise ExportError(f"{self.label}: cannot read {name} from the ZIP ({exc}); it may be damaged, "
                              "encrypted or compressed in a way Python cannot read. Download the export "
                              "again.") from None
        if len(data) > MAX_FILE_BYTES:
            raise self._too_large(name, len(data))
        return data


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

"""Generated Slack workspace exports, hostile in every way `reading/slack_export.py` documents or could meet.

An export starts as a small valid one (channels.json, groups.json, users.json and a day file or
two of an incident channel) and is then mutated: fields of the wrong type (list, object, number,
true/false, null where text is expected, and the other way round), 5,000-digit and overflowing
numbers, deep nesting, duplicate keys, invalid UTF-8, truncated or non-list files, control
characters and Slack markup in names and texts, ZIP members named `../x` or nested in folders,
many small day files, a message just under or over MAX_ENTRY_CHARS, a missing users.json or
channels.json, a damaged ZIP or one whose directory lies. Some are written as an unzipped folder,
with links to a file outside it and links that loop. Everything is a pure function of the rng.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
import struct
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handbook.reading.slack_export import MAX_ENTRY_CHARS

CHANNEL = "inc-checkout"
OUTSIDE = "OUTSIDE-THE-EXPORT"
"""The text of the messages in the file beside the export that links inside it point to: never read."""
START = int(dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.timezone.utc).timestamp())
ZONES = ["UTC", "Europe/Berlin", "America/St_Johns", "Pacific/Kiritimati", "Etc/GMT+12", "UTC+05:30", "UTC-09:30"]
REACTIONS = [None] * 12 + ["timeline", ":pushpin:", "+1::skin-tone-2", "\x1b[31m", "x" * 300]
DAY_NAMES = ["2026-02-30.json", "9999-12-31.json", "0001-01-01.json", "1899-12-31.json", "2201-01-01.json",
             "2026-10-05.JSON", "2026-10-5.json", "20261005.json", ".2026-10-05.json", "2026-10-05.json.bak"]
BAD_NAMES = ["../channels.json", "../../etc/passwd", "/channels.json", "./channels.json", f"{CHANNEL}/../channels.json",
             f"{CHANNEL}/../../2026-10-05.json", f"{CHANNEL}\\2026-10-05.json", f"{CHANNEL}/sub/2026-10-05.json",
             f"../{CHANNEL}/2026-10-05.json", f"{CHANNEL}/./2026-10-05.json", f"{CHANNEL}//2026-10-05.json",
             "users.json/", "..", "", "\x1b[31m.json", f"{CHANNEL}/2026-10-05.json\x00.txt"]
TEXTS = ["<@U1|\x1b[2J>", "<#C1|\n#fake>", "<https://x.example|\u202eevil>", "<!subteam^S1|@team>",
         "<!date^1392734382^{date}|fallback>", "&lt;&gt;&amp;&#27;", "<@U999>", "<" * 1_000, "<@" + "U" * 5_000 + ">",
         "tabs\tand\rcarriage\r\nreturns", "\x85\u2028\u2029", ":emoji::skin-tone-2:", "*b* _i_ ~s~ `c` ```x```",
         "x" * 45_000, "word " * 9_000, "\x00\x07\x1b]0;title\x07", "\x9b31m", "\u2066\u202e\u2069", "\ufffe\uffff",
         "\ud800", "e\u0301" * 500, "😀" * 2_000, "   ", "", "\n\n\n", "<mailto:a@x.example|\x1b>",
         "<https://x.example/" + "a" * 50_000 + ">", "<tel:\x1b[2J|call>", "<!channel|\x1b>"]
NAMES = ["", " ", "\x1b[31mred", "\u202eevil", "a\nb", "\r", "\x00", "x" * 500, "..", "../x", "#x", ".hidden", "a/b",
         "a\\b", CHANNEL, "\ud800", "née", "\t", "\x7f\x85"]
TIMESTAMPS = ["", "yesterday", "1e10", "-1.0", "99999999999999.0", "1759655220.0000001", " 1759655220.1",
              "١٧٥٩٦٥٥٢٢٠.1", "1759655220.5\n", "1759655220.", ".5", "0", "-2208988801.0", "-2208988800.0",
              "7289654399.999999", "7289654400.0", "4102444800.000001", "1759655220.000100", "+1759655220.1",
              "1759655220.1.2", "0x68e2", "1_759_655_220.1", "1759655220\x00.1", "9" * 13 + ".1"]
Field = str | tuple[str, str]
"""A field, or a field of the object (or of the objects of the list) a field holds."""
MESSAGE_FIELDS: list[Field] = ["ts", "subtype", "hidden", "user", "text", "thread_ts", "pinned_to", "reactions", "attachments",
                  "files", "bot_id", "username", "bot_profile", "user_profile"]
NESTED_FIELDS: list[Field] = [("reactions", "name"), ("attachments", "fallback"), ("attachments", "text"), ("files", "title"),
                 ("files", "name"), ("bot_profile", "name"), ("user_profile", "display_name"),
                 ("user_profile", "real_name")]
USER_FIELDS: list[Field] = ["id", "name", "real_name", "profile", ("profile", "display_name"), ("profile", "real_name")]
SUBTYPES = ["bot_message", "me_message", "file_share", "thread_broadcast", "channel_join", "channel_topic",
            "tombstone", "", None, "BOT_MESSAGE"]


class Raw(str):
    """JSON text written into a file as it is (a number too long for Python, NaN, deep nesting, duplicate keys)."""


HOSTILE: list[Any] = [None, True, False, 0, -1, 3.5, [], {}, ["x"], {"a": 1}, [[[]]], [{"name": None}], "", " ",
                      "\x1b[31mred", "\u202eevil", "a\nb", "\x00", "x" * 50_000, "\ud800",
                      Raw("1" + "0" * 5_000), Raw("1e400"), Raw("-1e400"), Raw("NaN"), Raw("Infinity"),
                      Raw("-Infinity"), Raw("9" * 30), Raw("1.0"), Raw("-0"), Raw("[" * 3_000 + "]" * 3_000),
                      Raw("{\"a\":" * 2_000 + "1" + "}" * 2_000), Raw("\"\\ud800\\udc00\""), Raw("\"\\u0000\"")]
"""Values put where the export has something else (`_hostile` gives a copy: the list is never changed)."""


def _hostile(rng: random.Random) -> Any:
    """Return a copy of one of the HOSTILE values, free to change."""
    return copy.deepcopy(rng.choice(HOSTILE))


@dataclass
class ChatExport:
    """One generated export, and what to ask of it."""

    members: list[tuple[str, bytes]]
    """In the ZIP's order (a name may come twice); for a folder, the files written under it."""
    folder: bool = False
    links: list[tuple[str, str]] = field(default_factory=list)
    """(name, target) links in the folder: to the file beside it, or to themselves."""
    damage: tuple[str, int] = ("", 0)
    """What is done to the written ZIP's bytes: ("truncate", at), ("flip", at), ("huge-size", member number),
    ("many-members", count) or nothing."""
    compression: int = zipfile.ZIP_DEFLATED
    channel: str = CHANNEL
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    pinned: bool = False
    reaction: str | None = None
    zone: str = "UTC"
    assumed_minutes: int | None = None
    mutations: list[str] = field(default_factory=list)

    def write(self, where: Path) -> Path:
        """Write the export into `where` (a ZIP, or a folder with the file its links point to beside it);
        return its path."""
        where.mkdir(parents=True, exist_ok=True)
        (where / "outside.json").write_text(json.dumps([_message(0, text=OUTSIDE)]), encoding="utf-8")
        if self.folder:
            return self._write_folder(where / "export")
        path = where / "export.zip"
        with warnings.catch_warnings():  # a name twice is on purpose
            warnings.simplefilter("ignore")
            with zipfile.ZipFile(path, "w", self.compression) as archive:
                for name, data in self.members:
                    archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 10, 5, 0, 0, 0)), data)
        path.write_bytes(_damaged(path.read_bytes(), self.damage))
        return path

    def _write_folder(self, root: Path) -> Path:
        """Write the members that are plain paths, and the links, under `root`; return it."""
        root.mkdir()
        for name, data in self.members:
            path = root / name
            if not _inside(name) or path.exists():
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        for name, target in self.links:
            path = root / name
            if _inside(name) and not path.exists() and not path.is_symlink():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.symlink_to(target)
        return root


def _inside(name: str) -> bool:
    """Tell whether a member's name is a plain relative path, writable under the folder."""
    parts = name.split("/")
    return bool(name) and not name.startswith("/") and "\x00" not in name \
        and all(p not in ("", ".", "..") for p in parts)


def _damaged(data: bytes, damage: tuple[str, int]) -> bytes:
    """Return the ZIP's bytes with the damage done."""
    kind, number = damage
    if kind == "truncate":
        return data[:number % (len(data) + 1)]
    if kind == "flip" and data:
        at = number % len(data)
        return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]
    if kind == "huge-size":
        return _patched_size(data, number, 0xFFFFFFF0)
    if kind == "many-members":
        return claiming_members(data, number)
    return data


def _patched_size(data: bytes, member: int, size: int) -> bytes:
    """Return the ZIP with the uncompressed size of its `member`-th directory entry set to `size`."""
    at = data.find(b"PK\x01\x02")
    for _ in range(member):
        following = data.find(b"PK\x01\x02", at + 4)
        at = following if following >= 0 else at
    return data if at < 0 else data[:at + 24] + struct.pack("<I", size) + data[at + 28:]


def claiming_members(data: bytes, count: int) -> bytes:
    """Return the ZIP with a ZIP64 end record claiming `count` members (the real ones stay where they are)."""
    end = data.rfind(b"PK\x05\x06")
    if end < 0:
        return data
    directory_size, directory_at = struct.unpack("<II", data[end + 12: end + 20])
    record = struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, directory_size, directory_at)
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, end, 1)
    tail = bytearray(data[end:])
    tail[8:12] = struct.pack("<HH", 0xFFFF, 0xFFFF)
    return data[:end] + record + locator + bytes(tail)


# -- the export as data -----------------------------------------------------------------------------
def _ts(minutes: int, micro: int = 100) -> str:
    """Return the `ts` of a message `minutes` after START."""
    return f"{START + minutes * 60}.{micro:06d}"


def _message(minute: int, **fields: Any) -> dict[str, Any]:
    """Return a message written `minute` minutes after START, with `fields` over the usual ones."""
    return {"type": "message", "ts": _ts(minute, 100 + minute), "user": "U1", "text": f"step {minute}", **fields}


def _valid() -> dict[str, Any]:
    """Return a small valid export as data: file name -> the list it holds."""
    parent = _ts(5, 105)
    day = [_message(0, subtype="channel_join", text="<@U1> has joined the channel"),
           _message(1, text="Error rate is up on <https://x.example/d|checkout> &amp; <#C1>"),
           _message(2, subtype="bot_message", bot_id="B1", username="PagerDuty", user=None, text="Triggered"),
           _message(5, user="U2", thread_ts=parent, reply_count=1, text="<!channel> SEV2, <@U1> join?",
                    pinned_to=["C1"], reactions=[{"name": "timeline", "users": ["U1"], "count": 1}]),
           _message(6, thread_ts=parent, parent_user_id="U2", text="On it :eyes:\nlooking"),
           _message(7, subtype="bot_message", bot_profile={"name": "Grafana"}, user=None, text="",
                    attachments=[{"fallback": "Alert: 5xx above 2%"}]),
           _message(8, subtype="file_share", text="", files=[{"title": "graph.png"}]),
           _message(9, user="U3", user_profile={"display_name": "Guest", "real_name": "Guest User"}, text="hi")]
    return {"channels.json": [{"id": "C1", "name": CHANNEL, "created": START, "members": ["U1", "U2"]},
                              {"id": "C2", "name": "general", "created": 1_700_000_000}],
            "groups.json": [{"id": "G1", "name": "sec-private", "created": START}],
            "users.json": [{"id": "U1", "name": "ada", "real_name": "Ada Moreau",
                            "profile": {"display_name": "Ada", "real_name": "Ada Moreau"}},
                           {"id": "U2", "name": "ben", "real_name": "Ben Ito", "profile": {"display_name": ""}}],
            f"{CHANNEL}/2026-10-05.json": day,
            f"{CHANNEL}/2026-10-06.json": [_message(1440 + 3, text="Follow-up filed")],
            "general/2026-10-05.json": [_message(3, text="elsewhere")]}


def _dumps(value: Any, rng: random.Random) -> bytes:
    """Return `value` as JSON bytes, its Raw parts written as they are, in UTF-8 or escaped, indented or not."""
    raws: dict[str, str] = {}

    def mark(item: Any) -> Any:
        if isinstance(item, Raw):
            token = f"RAWJSON{len(raws)}X"
            raws[f'"{token}"'] = str(item)
            return token
        if isinstance(item, dict):
            return {k: mark(v) for k, v in item.items()}
        if isinstance(item, list):
            return [mark(v) for v in item]
        return item

    text = json.dumps(mark(value), ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, None, 1, 4]))
    for token, raw in raws.items():
        text = text.replace(token, raw)
    return text.encode("utf-8", "surrogatepass")


def _messages(files: dict[str, Any]) -> list[dict[str, Any]]:
    """Return every message object of the export's day files."""
    return [m for name, items in files.items() if "/" in name and isinstance(items, list)
            for m in items if isinstance(m, dict)]


def _set_field(target: Any, where: Field, value: Any) -> None:
    """Set a field, or a field of the object (or of the first object of the list) a field holds."""
    if not isinstance(target, dict):
        return  # an element made something else by an earlier mutation
    if isinstance(where, str):
        target[where] = value
        return
    outer, inner = where
    holder = target.get(outer)
    if isinstance(holder, list) and holder and isinstance(holder[0], dict):
        holder[0][inner] = value
    elif isinstance(holder, dict):
        holder[inner] = value
    else:
        target[outer] = [{inner: value}] if outer in ("reactions", "attachments", "files") else {inner: value}


def _wrong_type(files: dict[str, Any], rng: random.Random) -> str:
    """Put a hostile value in a field of a message, a user or a channel."""
    value = _hostile(rng)
    roll = rng.random()
    if roll < 0.75 and _messages(files):
        where = rng.choice(MESSAGE_FIELDS + NESTED_FIELDS)
        _set_field(rng.choice(_messages(files)), where, value)
    elif roll < 0.9 and isinstance(files.get("users.json"), list) and files["users.json"]:
        where = rng.choice(USER_FIELDS)
        _set_field(rng.choice(files["users.json"]), where, value)
    elif isinstance(files.get("channels.json"), list) and files["channels.json"]:
        where = rng.choice(["id", "name", "members"])
        _set_field(rng.choice(files["channels.json"]), where, value)
    else:
        return "nothing to change"
    return f"wrong type: {where} = {str(value)[:40]!r}"


def _whole_element(files: dict[str, Any], rng: random.Random) -> str:
    """Replace a whole message, user or channel with something that is not an object."""
    name = rng.choice(list(files))
    items = files[name]
    if not isinstance(items, list) or not items:
        return "nothing to change"
    items[rng.randrange(len(items))] = _hostile(rng)
    return f"element of {name} replaced"


def _hostile_text(files: dict[str, Any], rng: random.Random) -> str:
    """Give a message hostile text, markup or a hostile ts, or a person or a channel a hostile name."""
    roll = rng.random()
    messages = _messages(files)
    if roll < 0.45 and messages:
        rng.choice(messages)[rng.choice(["text", "text", "username"])] = rng.choice(TEXTS)
        return "hostile text"
    if roll < 0.7 and messages:
        rng.choice(messages)[rng.choice(["ts", "ts", "thread_ts"])] = rng.choice(TIMESTAMPS)
        return "hostile ts"
    if roll < 0.85 and isinstance(files.get("users.json"), list) and files["users.json"]:
        _set_field(rng.choice(files["users.json"]), rng.choice(USER_FIELDS[1:]), rng.choice(NAMES))
        return "hostile user name"
    if isinstance(files.get("channels.json"), list) and files["channels.json"]:
        _set_field(rng.choice(files["channels.json"]), "name", rng.choice(NAMES))
        return "hostile channel name"
    return "nothing to change"


def _kinds(files: dict[str, Any], rng: random.Random) -> str:
    """Give messages other subtypes, markers and flags, so every branch of the reading is taken."""
    for message in _messages(files):
        if rng.random() < 0.3:
            message["subtype"] = rng.choice(SUBTYPES)
        if rng.random() < 0.2:
            message["hidden"] = rng.random() < 0.5
        if rng.random() < 0.2:
            message["pinned_to"] = ["C1"]
        if rng.random() < 0.2:
            message["reactions"] = [{"name": rng.choice(["timeline", "pushpin", "+1::skin-tone-2", ":timeline:"])}]
    return "subtypes and markers"


def _many_days(files: dict[str, Any], rng: random.Random) -> str:
    """Add many small day files to the channel."""
    first = dt.date(2026, 10, 5) - dt.timedelta(days=rng.randint(0, 400))
    for number in range(rng.randint(50, 400)):
        day = first + dt.timedelta(days=number)
        minute = int((dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp() - START) // 60)
        files[f"{CHANNEL}/{day.isoformat()}.json"] = [_message(minute + 600, text=f"day {number}")]
    return "many day files"


def _odd_names(files: dict[str, Any], rng: random.Random) -> str:
    """Add files with names of no day, or outside the channel's folder."""
    name = f"{CHANNEL}/{rng.choice(DAY_NAMES)}" if rng.random() < 0.5 else rng.choice(BAD_NAMES)
    files[name] = rng.choice([[_message(30, text="odd file")], files.get("channels.json", []), "x"])
    return f"odd name {name!r}"


def _missing(files: dict[str, Any], rng: random.Random) -> str:
    """Take users.json, channels.json or groups.json out."""
    name = rng.choice(["users.json", "channels.json", "groups.json"])
    files.pop(name, None)
    return f"no {name}"


def _big_message(files: dict[str, Any], rng: random.Random) -> str:
    """Add a message whose JSON is just under, at or just over MAX_ENTRY_CHARS characters."""
    delta = rng.choice([-1, 0, 1])
    message = _message(40, text="")
    padding = MAX_ENTRY_CHARS + delta - len(json.dumps(message))
    message["text"] = "w" * max(0, padding)
    day = files.get(f"{CHANNEL}/2026-10-05.json")
    files[f"{CHANNEL}/2026-10-05.json"] = (day if isinstance(day, list) else []) + [message]
    return f"a message of {MAX_ENTRY_CHARS + delta:,} characters"


OBJECT_MUTATIONS = [(_wrong_type, 30), (_whole_element, 4), (_hostile_text, 40), (_kinds, 10), (_many_days, 2),
                    (_odd_names, 8), (_missing, 3), (_big_message, 1)]


def _serialized(files: dict[str, Any], rng: random.Random) -> list[tuple[str, bytes]]:
    """Return the files as (name, bytes), some written with duplicate keys."""
    members = []
    for name, items in files.items():
        if isinstance(items, list) and items and rng.random() < 0.05:
            members.append((name, _duplicate_keys(items, rng)))
        else:
            members.append((name, _dumps(items, rng)))
    return members


def _duplicate_keys(items: list[Any], rng: random.Random) -> bytes:
    """Return the list as JSON with a key of its first object written twice: first hostile, then as it was."""
    elements = [_dumps(item, rng).decode("utf-8", "surrogatepass") for item in items]
    if isinstance(items[0], dict) and items[0]:
        key = rng.choice(list(items[0]))
        hostile = _dumps(_hostile(rng), rng).decode("utf-8", "surrogatepass")
        elements[0] = "{" + json.dumps(key) + ": " + hostile + ", " + elements[0].lstrip()[1:]
    return ("[" + ",\n".join(elements) + "]").encode("utf-8", "surrogatepass")


BYTE_DAMAGE = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\xef\xbb\xbf", b"\r\n", b",", b"]", b"[", b"{", b"\"",
               b"\\", b"\\u", b"\\ud800"]


def _damage_member(members: list[tuple[str, bytes]], rng: random.Random) -> str:
    """Damage one file's bytes: invalid UTF-8, a stray byte, truncation, or text that is not a list."""
    number = rng.randrange(len(members))
    name, data = members[number]
    roll = rng.random()
    if roll < 0.4:
        at = rng.randrange(len(data) + 1)
        data = data[:at] + rng.choice(BYTE_DAMAGE) + data[at:]
    elif roll < 0.7:
        data = data[:rng.randrange(len(data) + 1)]
    else:
        data = rng.choice([b"", b"{}", b"\"x\"", b"null", b"[1,2", b"\xef\xbb\xbf[]", b"[]garbage", b"[] []", b"[,]",
                           b"[1,]", b"[" * 100_000, b" " * 1_000 + b"[]", b"[\"\\ud800\"]", b"[NaN]"])
    members[number] = (name, data)
    return f"damaged {name!r}"


def _layout(members: list[tuple[str, bytes]], rng: random.Random) -> tuple[list[tuple[str, bytes]], str]:
    """Return the members zipped in one folder, two folders, with a name twice, or as they are."""
    roll = rng.random()
    if roll < 0.08:
        return [(f"export/{name}", data) for name, data in members], "in one folder"
    if roll < 0.1:
        return [(f"{rng.choice(['a', 'b'])}/{name}", data) for name, data in members], "in two folders"
    if roll < 0.2 and members:
        name, _ = rng.choice(members)
        return members + [(name, _dumps(_hostile(rng), rng))], f"{name!r} twice"
    return members, ""


LINKS = [[(f"{CHANNEL}/2026-10-07.json", "../../outside.json")],
         [(f"{CHANNEL}/2026-10-08.json", "2026-10-08.json")],
         [("users.json", "users.json")], [("users.json", "../outside.json")],
         [("escape", "../"), (f"{CHANNEL}/2026-10-09.json", "../escape/outside.json")]]
"""Links in an unzipped export: out of it, to themselves, to a folder above it."""


def _pick(export: ChatExport, rng: random.Random) -> None:
    """Choose the channel asked for, the window, the marker and the zone."""
    export.channel = rng.choice([CHANNEL] * 30 + ["#" + CHANNEL, "sec-private", "nope", "..", "", "\x1b[31m", "escape"])
    base = dt.datetime.fromtimestamp(START, dt.timezone.utc)
    bounds = [None] * 15 + [base, base + dt.timedelta(minutes=6), base + dt.timedelta(days=1),
              dt.datetime(1900, 1, 1, tzinfo=dt.timezone.utc),
              dt.datetime(2200, 12, 31, 23, 59, tzinfo=dt.timezone.utc)]
    export.start, export.end = rng.choice(bounds), rng.choice(bounds)
    if export.start and export.end and export.start > export.end:
        export.start, export.end = export.end, export.start
    export.pinned = rng.random() < 0.05
    export.reaction = None if export.pinned else rng.choice(REACTIONS)
    export.zone = rng.choice(ZONES)
    export.assumed_minutes = rng.choice([None, None, 0, 120, -570, 840])


def chat_export(rng: random.Random) -> ChatExport:
    """Return one hostile export and what to ask of it."""
    files = _valid()
    mutations = [fn for fn, weight in OBJECT_MUTATIONS for _ in range(weight)]
    done = [rng.choice(mutations)(files, rng) for _ in range(rng.randint(1, 4))]
    members = _serialized(files, rng)
    if members and rng.random() < 0.25:
        done.append(_damage_member(members, rng))
    members, layout = _layout(members, rng)
    export = ChatExport(members, mutations=done + ([layout] if layout else []))
    roll = rng.random()
    if roll < 0.15:
        export.folder = True
        export.links = list(rng.choice(LINKS))
        if any(name == "users.json" for name, _ in export.links):
            export.members = [(name, data) for name, data in export.members if name != "users.json"]
    elif roll < 0.25:
        export.damage = (rng.choice(["truncate", "flip", "huge-size", "many-members"]), rng.randrange(1 << 30))
        if export.damage[0] == "many-members":
            export.damage = ("many-members", rng.choice([200_001, 50_000_000, 1 << 40]))
        elif export.damage[0] == "huge-size":
            export.damage = ("huge-size", rng.randrange(len(members) or 1))
    export.compression = rng.choice([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
    _pick(export, rng)
    return export

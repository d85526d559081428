"""`handbook timeline`: a timeline draft from a Slack workspace export, run as the real command.

The export is generated here, in Slack's documented layout (channels.json, groups.json, users.json
and a folder of day files per channel), and zipped with zipfile. The expected lines are written out
in full; the output is then read back with the handbook's own timeline reader.
"""

from __future__ import annotations

import datetime as dt
import json
import struct
import sys
import time
import zipfile
from pathlib import Path

import pytest

from fuzz.chat import claiming_members

from handbook.reading.timeline import parse_timeline

from .conftest import BIN, copy_project, handbook, run

UTC = dt.timezone.utc
REPORT = "postmortems/2026/2026-10-27-ledger-positions-export-late.md"  # 04:20 to 11:15 UTC


def ts(hour: int, minute: int, day: int = 27, second: int = 0) -> str:
    moment = dt.datetime(2026, 10, day, hour, minute, second, tzinfo=UTC)
    return f"{int(moment.timestamp())}.000{hour:02d}{minute % 10}"


PARENT = ts(8, 26, second=30)

USERS = [
    {"id": "U1", "name": "dbrandt", "real_name": "Daniel Brandt",
     "profile": {"display_name": "Daniel", "real_name": "Daniel Brandt"}},
    {"id": "U2", "name": "mzhou", "real_name": "Mei-Ling Zhou",
     "profile": {"display_name": "", "real_name": "Mei-Ling Zhou"}},
    {"id": "U3", "name": "kwame", "real_name": "Kwame Mensah", "profile": {}},
]
CHANNELS = [{"id": "C1", "name": "inc-ledger-positions", "created": 1761552000, "members": ["U1", "U2", "U3"]},
            {"id": "C2", "name": "data-help", "created": 1700000000},
            {"id": "C3", "name": "incidents", "created": 1700000000}]
GROUPS = [{"id": "G1", "name": "sec-ledger-private", "created": 1761552000}]

DAY_27 = [
    {"type": "message", "subtype": "channel_join", "ts": ts(8, 0, second=5), "user": "U1",
     "text": "<@U1> has joined the channel"},
    {"type": "message", "ts": ts(8, 19, second=12), "user": "U1",
     "text": "Found the failed DAG run <https://airflow.example/dag/ledger|ledger_daily_positions> &amp; its retries"},
    {"type": "message", "subtype": "bot_message", "ts": ts(8, 21), "bot_id": "B1", "username": "Airflow",
     "text": "Task failed: aggregate"},
    {"type": "message", "ts": PARENT, "user": "U1", "thread_ts": PARENT, "reply_count": 1,
     "text": "<!channel> declaring a SEV4, <@U2> can you join? See <#C2|data-help>",
     "pinned_to": ["C1"], "reactions": [{"name": "timeline", "users": ["U3"], "count": 1}]},
    {"type": "message", "ts": ts(8, 30), "user": "U2", "thread_ts": PARENT, "parent_user_id": "U1",
     "text": "On it :eyes:\nlooking at the Spark UI"},
    {"type": "message", "ts": ts(8, 41), "user": "U2",
     "text": "One task reads 3.2M rows &lt;&gt; 60k for the others. <mailto:oncall@larkspur.example|Mail on-call> "
             "<https://spark.example/ui>",
     "reactions": [{"name": "timeline", "users": ["U1"], "count": 1},
                   {"name": "+1::skin-tone-2", "users": ["U1"], "count": 1}]},
    {"type": "message", "subtype": "channel_leave", "ts": ts(8, 45), "user": "U3", "text": "<@U3> has left the channel"},
    {"type": "message", "ts": ts(9, 10), "user": "U3", "text": "<!here> rerun started, status in <#C1>"},
    {"type": "message", "subtype": "channel_topic", "ts": ts(9, 11), "user": "U1", "text": "set the channel topic: SEV4"},
    {"type": "message", "subtype": "bot_message", "ts": ts(10, 52), "bot_id": "B2",
     "bot_profile": {"id": "B2", "name": "PagerDuty"}, "text": "Resolved by <@U9>"},
    {"type": "message", "ts": ts(23, 30), "user": "U1", "text": "Handing over to <mailto:apac@larkspur.example>"},
]
DAY_28 = [
    {"type": "message", "ts": ts(7, 15, day=28), "user": "U1", "text": "Follow-up ticket filed",
     "reactions": [{"name": "pushpin", "users": ["U2"], "count": 1}]},
]

UTC_LINES = [
    "Times are UTC.",
    "",
    "- 2026-10-27 08:19 UTC — Daniel: Found the failed DAG run ledger_daily_positions "
    "(https://airflow.example/dag/ledger) & its retries",
    "- 08:21 — Airflow: Task failed: aggregate",
    "- 08:26 — Daniel: @channel declaring a SEV4, Mei-Ling Zhou can you join? See #data-help",
    "- 08:30 — Mei-Ling Zhou (in thread): On it :eyes: looking at the Spark UI",
    "- 08:41 — Mei-Ling Zhou: One task reads 3.2M rows <> 60k for the others. Mail on-call https://spark.example/ui",
    "- 09:10 — Kwame Mensah: @here rerun started, status in #inc-ledger-positions",
    "- 10:52 — PagerDuty: Resolved by U9",
    "- 23:30 — Daniel: Handing over to apac@larkspur.example",
    "- 2026-10-28 07:15 — Daniel: Follow-up ticket filed",
]


def write_export(folder: Path, name: str = "export.zip") -> Path:
    """A Slack workspace export as a ZIP, in the layout Slack documents."""
    path = folder / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("channels.json", json.dumps(CHANNELS, indent=4))
        archive.writestr("groups.json", json.dumps(GROUPS))
        archive.writestr("users.json", json.dumps(USERS))
        archive.writestr("inc-ledger-positions/2026-10-27.json", json.dumps(DAY_27, indent=4))
        archive.writestr("inc-ledger-positions/2026-10-28.json", json.dumps(DAY_28, indent=4))
        archive.writestr("inc-ledger-positions/2026-02-30.json", "not a day, not read")
        archive.writestr("data-help/2026-10-27.json", json.dumps([{"ts": ts(9, 0), "user": "U2", "text": "other"}]))
        archive.writestr("sec-ledger-private/2026-10-27.json",
                         json.dumps([{"ts": ts(9, 5), "user": "U3", "text": "Private &amp; quiet"}]))
    return path


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = copy_project(tmp_path_factory.mktemp("timeline"))
    write_export(folder)
    return folder


def lines(out: str) -> list[str]:
    return out.rstrip("\n").split("\n")


def no_traceback(result) -> None:  # type: ignore[no-untyped-def]
    assert "Traceback" not in result.output and "Error:" not in result.output.replace("handbook:", "")


def test_prints_every_kept_message_in_order_in_utc(project):
    result = handbook(project, "timeline", "--slack-export", "export.zip", "--channel", "inc-ledger-positions")
    assert result.code == 0, result.output
    assert lines(result.out) == UTC_LINES
    assert result.err == ""


def test_the_output_reads_back_as_the_messages_times(project):
    result = handbook(project, "timeline", "--slack-export", "export.zip", "--channel", "#inc-ledger-positions",
                      "--tz", "Europe/Berlin")
    entries = [(n, line) for n, line in enumerate(lines(result.out), 1)]
    # read in a report whose `started` is in another zone: the entries still name the right moments
    read = parse_timeline(entries, dt.datetime(2026, 10, 27, 4, 20, tzinfo=dt.timezone(dt.timedelta(hours=-5))))
    assert [e.problem for e in read] == [""] * 9
    expected = [ts(8, 19), ts(8, 21), PARENT, ts(8, 30), ts(8, 41), ts(9, 10), ts(10, 52), ts(23, 30),
                ts(7, 15, day=28)]
    assert [e.when.astimezone(UTC) for e in read] == \
        [dt.datetime.fromtimestamp(int(float(t)) // 60 * 60, UTC) for t in expected]


def test_time_zone_conversion_moves_a_late_message_to_the_next_day(project):
    result = handbook(project, "timeline", "--slack-export", "export.zip", "--channel", "inc-ledger-positions",
                      "--tz", "Europe/Berlin")
    assert result.code == 0, result.output
    out = lines(result.out)
    assert out[0] == "Times are Europe/Berlin (+01:00)."  # winter time since 2026-10-25
    assert out[2].startswith("- 2026-10-27 09:19 +01:00 — Daniel: Found the failed DAG run")
    assert out[3] == "- 09:21 — Airflow: Task failed: aggregate"
    assert out[-2] == "- 2026-10-28 00:30 — Daniel: Handing over to apac@larkspur.example"
    assert out[-1] == "- 08:15 — Daniel: Follow-up ticket filed"


def test_a_folder_reads_as_the_zip_does(project, tmp_path):
    with zipfile.ZipFile(project / "export.zip") as archive:
        archive.extractall(tmp_path / "unzipped")
    result = handbook(project, "timeline", "--slack-export", str(tmp_path / "unzipped"), "--channel",
                      "inc-ledger-positions")
    assert result.code == 0, result.output
    assert lines(result.out) == UTC_LINES


def test_a_private_channel_from_groups_json(project):
    result = handbook(project, "timeline", "--slack-export", "export.zip", "--channel", "sec-ledger-private")
    assert lines(result.out) == ["Times are UTC.", "", "- 2026-10-27 09:05 UTC — Kwame Mensah: Private & quiet"]


@pytest.mark.parametrize(("args", "expected"), [
    (["--only-pinned"],
     ["- 2026-10-27 08:26 UTC — Daniel: @channel declaring a SEV4, Mei-Ling Zhou can you join? See #data-help"]),
    (["--reaction", ":timeline:"],
     ["- 2026-10-27 08:26 UTC — Daniel: @channel declaring a SEV4, Mei-Ling Zhou can you join? See #data-help",
      "- 08:41 — Mei-Ling Zhou: One task reads 3.2M rows <> 60k for the others. Mail on-call https://spark.example/ui"]),
    (["--reaction", "+1"],
     ["- 2026-10-27 08:41 UTC — Mei-Ling Zhou: One task reads 3.2M rows <> 60k for the others. Mail on-call "
      "https://spark.example/ui"]),
    (["--from", "2026-10-27T09:00Z", "--to", "2026-10-27T10:52"],
     ["- 2026-10-27 09:10 UTC — Kwame Mensah: @here rerun started, status in #inc-ledger-positions",
      "- 10:52 — PagerDuty: Resolved by U9"]),
    (["--from", "2026-10-28"], ["- 2026-10-28 07:15 UTC — Daniel: Follow-up ticket filed"]),
    (["--to", "2026-10-27 08:21 +00:00"],
     [UTC_LINES[2], "- 08:21 — Airflow: Task failed: aggregate"]),
])
def test_filters(project, args, expected):
    result = handbook(project, "timeline", "--slack-export", "export.zip", "--channel", "inc-ledger-positions", *args)
    assert result.code == 0, result.output
    assert lines(result.out)[2:] == expected


def test_nothing_matching_says_so_and_prints_nothing(project):
    result = handbook(project, "timeline", "--slack-export", "export.zip", "--channel", "inc-ledger-positions",
                      "--reaction", "rotating_light")
    assert result.code == 0
    assert result.out == ""
    assert result.err.startswith("No message in #inc-ledger-positions matches (with the reaction :rotating_light:)")


def _timeline_cut(project: Path, keep: int) -> Path:
    """The example report with only the first `keep` entries of its timeline left."""
    path = project / REPORT
    text = path.read_text(encoding="utf-8")
    head, rest = text.split("## Timeline\n", 1)
    section, tail = rest.split("\n## Detection\n", 1)
    entries = [line for line in section.split("\n") if line.startswith("- ")]
    intro = "\nTimes are UTC.\n\n" if keep else "\n"
    path.write_text(head + "## Timeline\n" + intro + "\n".join(entries[:keep]) + "\n\n## Detection\n" + tail,
                    encoding="utf-8")
    return path


def test_report_gives_window_and_zone_and_insert_adds_after_existing_entries(tmp_path):
    project = copy_project(tmp_path)
    write_export(project)
    path = _timeline_cut(project, keep=6)  # up to 08:05, written by hand
    before = path.read_text(encoding="utf-8")
    printed = handbook(project, "timeline", "--slack-export", "export.zip", "--channel", "inc-ledger-positions",
                       "--report", REPORT)
    assert printed.code == 0, printed.output
    # started..resolved (04:20 to 11:15 UTC), in the report's zone, which the reader assumes: no suffix
    assert lines(printed.out) == ["Times are UTC.", "", UTC_LINES[2].replace(" UTC —", " —"), *UTC_LINES[3:9]]
    result = handbook(project, "timeline", "--slack-export", "export.zip", "--channel", "inc-ledger-positions",
                      "--report", REPORT, "--insert")
    assert result.code == 0, result.output
    assert result.out.startswith("Added 7 entries from #inc-ledger-positions to the Timeline of ")
    after = path.read_text(encoding="utf-8")
    section = after.split("## Timeline\n", 1)[1].split("\n## Detection\n", 1)[0]
    old = before.split("## Timeline\n", 1)[1].split("\n## Detection\n", 1)[0].rstrip("\n")
    assert section == old + "\n" + "\n".join(lines(printed.out)[2:]) + "\n"
    check = handbook(project, "validate", REPORT)
    assert check.code == 0, check.output


def test_insert_into_an_empty_section_writes_the_zone_and_replaces_placeholders(tmp_path):
    project = copy_project(tmp_path)
    write_export(project)
    path = _timeline_cut(project, keep=0)
    text = path.read_text(encoding="utf-8").replace(
        "## Timeline\n\n", "## Timeline\n\n- 2026-10-27 04:20 — TODO: first event (impact begins)\n")
    path.write_text(text.replace("\n", "\r\n"), encoding="utf-8", newline="")
    result = handbook(project, "timeline", "--slack-export", "export.zip", "--channel", "inc-ledger-positions",
                      "--report", REPORT, "--tz", "Europe/Berlin", "--reaction", "timeline", "--insert")
    assert result.code == 0, result.output
    raw = path.read_bytes().decode("utf-8")
    assert "\n" not in raw.replace("\r\n", "")  # the file's line endings are kept
    section = raw.replace("\r\n", "\n").split("## Timeline\n", 1)[1].split("\n## Detection\n", 1)[0]
    assert section == (
        "\nTimes are Europe/Berlin (+01:00).\n\n"
        "- 2026-10-27 09:26 +01:00 — Daniel: @channel declaring a SEV4, Mei-Ling Zhou can you join? See #data-help\n"
        "- 09:41 — Mei-Ling Zhou: One task reads 3.2M rows <> 60k for the others. Mail on-call "
        "https://spark.example/ui\n")
    check = handbook(project, "validate", REPORT)
    assert check.code == 0, check.output


def test_insert_refuses_a_report_without_a_timeline_section(tmp_path):
    project = copy_project(tmp_path)
    write_export(project)
    path = project / REPORT
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("## Timeline\n", "## Chronology\n"), encoding="utf-8")
    result = handbook(project, "timeline", "--slack-export", "export.zip", "--channel", "inc-ledger-positions",
                      "--report", REPORT, "--insert")
    assert result.code == 2
    assert result.err == (f"handbook: {REPORT} has no `## Timeline` section to add the entries to. Add the heading "
                          "(after `## Impact`, as templates/postmortem.md has it) and run again, or leave out "
                          "--insert and paste the printed entries.\n")
    assert path.read_text(encoding="utf-8") == text.replace("## Timeline\n", "## Chronology\n")


def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def _fail(project: Path, *args: str):  # type: ignore[no-untyped-def]
    result = handbook(project, "timeline", *args)
    assert result.code == 2, result.output
    assert result.out == ""
    no_traceback(result)
    return result.err


def test_errors_name_the_file_and_the_fix(project, tmp_path):
    (tmp_path / "notes.txt").write_text("not a zip", encoding="utf-8")
    assert _fail(project, "--slack-export", str(tmp_path / "notes.txt"), "--channel", "x") == (
        f"handbook: {tmp_path / 'notes.txt'} is not a ZIP file or a folder. Give the Slack export's ZIP "
        "(Workspace settings, Import/Export data, Export), or the folder it unzips to.\n")
    assert "does not exist" in _fail(project, "--slack-export", str(tmp_path / "nope.zip"), "--channel", "x")
    other = _zip(tmp_path / "other.zip", {"readme.txt": "hello"})
    assert _fail(project, "--slack-export", str(other), "--channel", "x") == (
        f"handbook: {other} has no channels.json: it is not a Slack workspace export (which has channels.json, "
        "users.json and a folder per channel). Give the export's ZIP or the folder it unzips to.\n")
    assert _fail(project, "--slack-export", "export.zip", "--channel", "inc-ledger") == (
        "handbook: export.zip has no channel `inc-ledger`. Its channels, closest first: inc-ledger-positions, "
        "sec-ledger-private, incidents, data-help. Give one of them with --channel.\n")
    broken = _zip(tmp_path / "broken.zip", {"channels.json": json.dumps(CHANNELS), "users.json": "[]",
                                            "inc-ledger-positions/2026-10-27.json": '[\n  {"ts": "1.0",\n  "text" "x"}\n]'})
    assert _fail(project, "--slack-export", str(broken), "--channel", "inc-ledger-positions") == (
        f"handbook: {broken}: inc-ledger-positions/2026-10-27.json is not valid JSON: line 3, column 10: "
        "Expecting ':' delimiter. Re-export the workspace, or fix that file.\n")
    bad_ts = _zip(tmp_path / "ts.zip", {"channels.json": json.dumps(CHANNELS), "users.json": "[]",
                                        "inc-ledger-positions/2026-10-27.json": '[{"ts": "yesterday", "text": "x"}]'})
    assert f"{bad_ts}: inc-ledger-positions/2026-10-27.json, message 1 (line 1) has no readable `ts`" in \
        _fail(project, "--slack-export", str(bad_ts), "--channel", "inc-ledger-positions")
    unknown = _fail(project, "--slack-export", "export.zip", "--channel", "inc-ledger-positions", "--tz", "Europe/Berlni")
    assert unknown.startswith("handbook: --tz `Europe/Berlni` is not a time zone. Did you mean Europe/Berlin")
    assert unknown.endswith("? Give an IANA name such as Europe/Berlin, America/New_York or UTC.\n")
    assert "--from `last tuesday` is not a date or timestamp" in \
        _fail(project, "--slack-export", "export.zip", "--channel", "c", "--from", "last tuesday")
    assert "not both" in _fail(project, "--slack-export", "export.zip", "--channel", "c", "--only-pinned",
                               "--reaction", "pushpin")
    assert "--insert needs --report" in _fail(project, "--slack-export", "export.zip", "--channel", "c", "--insert")


def _patched_size(data: bytes, member: bytes, size: int) -> bytes:
    """The ZIP with `member`'s uncompressed size in the central directory set to `size`."""
    at = data.index(b"PK\x01\x02")
    while data[at + 46: at + 46 + len(member)] != member:
        at = data.index(b"PK\x01\x02", at + 4)
    return data[:at + 24] + struct.pack("<I", size) + data[at + 28:]


def test_a_hostile_zip_is_refused_before_it_is_read(project, tmp_path):
    honest = write_export(tmp_path).read_bytes()
    huge = tmp_path / "huge.zip"
    huge.write_bytes(_patched_size(honest, b"users.json", 0xFFFFFFF0))
    started = time.monotonic()
    assert _fail(project, "--slack-export", str(huge), "--channel", "inc-ledger-positions") == (
        f"handbook: {huge}: users.json is 4,294,967,280 bytes, more than the 67,108,864 read from one file of an "
        "export; this is not a Slack export as Slack writes it.\n")
    many = tmp_path / "many.zip"
    many.write_bytes(claiming_members(honest, 50_000_000))
    assert _fail(project, "--slack-export", str(many), "--channel", "inc-ledger-positions") == (
        f"handbook: {many} declares 50,000,000 files, more than the 200,000 read from a ZIP. Unzip it and give the "
        "folder, or export fewer channels or days.\n")
    assert time.monotonic() - started < 20  # two runs of the command, no decompression
    nested = _zip(tmp_path / "nested.zip", {"channels.json": "[" * 100_000, "users.json": "[]"})
    assert "nests its lists and objects too deeply" in \
        _fail(project, "--slack-export", str(nested), "--channel", "x")
    # a channel named to climb out of the unzipped folder has no day files: nothing outside is read
    (tmp_path / "unzipped").mkdir()
    (tmp_path / "unzipped" / "channels.json").write_text(json.dumps([{"id": "C9", "name": ".."}]), encoding="utf-8")
    (tmp_path / "unzipped" / "users.json").write_text("[]", encoding="utf-8")
    (tmp_path / "2026-10-27.json").write_text(json.dumps(DAY_27), encoding="utf-8")
    climbing = handbook(project, "timeline", "--slack-export", str(tmp_path / "unzipped"), "--channel", "..")
    assert climbing.code == 0 and climbing.out == ""
    assert climbing.err.startswith("No message in #.. matches (any); the channel has 0 message(s)")


# -- every field read with its type; memory bounded by the limits; only the template's placeholder removed

BIG = "1" + "0" * 4999  # a 5,000-digit number: more digits than Python turns into an int


def _day_file(*messages: str) -> str:
    """A day file with one message a line (message n on line n + 1), each given as JSON text."""
    return "[\n" + ",\n".join(messages) + "\n]"


def _export(path: Path, day: str, *, users: str = json.dumps(USERS), channels: str = json.dumps(CHANNELS)) -> Path:
    return _zip(path, {"channels.json": channels, "users.json": users, "inc-ledger-positions/2026-10-27.json": day})


GOOD = json.dumps({"type": "message", "ts": ts(8, 19), "user": "U1", "text": "Found it"})
DAY = "inc-ledger-positions/2026-10-27.json"


@pytest.mark.parametrize(("files", "expected"), [
    ({"day": _day_file(GOOD, json.dumps({"ts": ts(8, 20), "subtype": ["bot_message"], "text": "x"}))},
     f"{DAY}, message 2 (line 3): `subtype` is a list, where Slack writes text. "
     "Re-export the workspace, or fix that message."),
    ({"day": _day_file(GOOD, GOOD, '{"ts": ' + BIG + ', "user": "U1", "text": "x"}')},
     f"{DAY}, message 3 (line 4): `ts` is a number, where Slack writes text."),
    ({"day": _day_file(json.dumps({"ts": ts(8, 20), "text": "x", "reactions": [{"name": "ok"}, {"name": 7}]}))},
     f"{DAY}, message 1 (line 2): `reactions[1].name` is a number, where Slack writes text."),
    ({"day": _day_file(json.dumps({"ts": ts(8, 20), "text": {"type": "mrkdwn"}}))},
     f"{DAY}, message 1 (line 2): `text` is an object, where Slack writes text."),
    ({"day": _day_file(json.dumps({"ts": ts(8, 20), "text": "x", "hidden": "no"}))},
     f"{DAY}, message 1 (line 2): `hidden` is text, where Slack writes true or false."),
    ({"day": _day_file(GOOD, "7")}, f"{DAY}, message 2 (line 3): it is a number, where Slack writes an object."),
    ({"day": _day_file(GOOD, json.dumps({"ts": ts(8, 20), "text": "x" * (4 * 1024 * 1024 + 1)}))},
     f"{DAY}, line 3, column 1: an element is more than 4,194,304 characters, more than Slack writes for one "
     "message, user or channel; re-export the workspace, or fix that entry."),
    ({"day": _day_file(GOOD), "users": '[{"id": "U1"},\n {"id": ' + BIG + "}]"},
     "users.json, entry 2 (line 2): `id` is a number, where Slack writes text."),
    ({"day": _day_file(GOOD), "users": json.dumps([{"id": "U1", "profile": ["Daniel"]}])},
     "users.json, entry 1 (line 1): `profile` is a list, where Slack writes an object."),
    ({"day": _day_file(GOOD), "channels": json.dumps([{"id": "C1", "name": ["inc-ledger-positions"]}])},
     "channels.json, entry 1 (line 1): `name` is a list, where Slack writes text."),
])
def test_a_field_of_another_type_is_a_located_error_never_a_traceback(project, tmp_path, files, expected):
    export = _export(tmp_path / "hostile.zip", files["day"], **{k: v for k, v in files.items() if k != "day"})
    err = _fail(project, "--slack-export", str(export), "--channel", "inc-ledger-positions")
    assert err.startswith(f"handbook: {export}: {expected}"), err
    assert err.count("\n") == 1


def test_fields_the_timeline_does_not_read_may_hold_anything(project, tmp_path):
    odd = json.dumps({"ts": ts(8, 20), "user": "U2", "text": "Spark UI open", "blocks": [{"type": ["x"]}],
                      "edited": {"ts": 0}, "client_msg_id": None})
    day = _day_file(GOOD, odd.replace('"edited": {"ts": 0}', '"edited": {"ts": ' + BIG + "}"))
    result = handbook(project, "timeline", "--slack-export", str(_export(tmp_path / "odd.zip", day)),
                      "--channel", "inc-ledger-positions")
    assert result.code == 0, result.output
    assert lines(result.out)[2:] == ["- 2026-10-27 08:19 UTC — Daniel: Found it", "- 08:20 — Mei-Ling Zhou: Spark UI open"]


def test_a_draft_keeps_only_what_its_entries_write(project, tmp_path):
    long_name = "Daniel " + "Brandt-" * 40
    users = json.dumps([{"id": "U1", "profile": {"display_name": long_name}}])
    day = _day_file(json.dumps({"ts": ts(8, 19), "user": "U1", "text": "word " * 20_000}))
    result = handbook(project, "timeline", "--slack-export", str(_export(tmp_path / "long.zip", day, users=users)),
                      "--channel", "inc-ledger-positions")
    assert result.code == 0, result.output
    author, text = lines(result.out)[2].removeprefix("- 2026-10-27 08:19 UTC — ").split(": ", 1)
    assert author == long_name[:79].rstrip() + "…" and len(author) <= 80
    assert text == ("word " * 200)[:999].rstrip() + "…" and len(text) <= 1000
    # more messages than a draft is read through: refused with the fix, before they are all kept
    start = int(dt.datetime(2026, 10, 27, tzinfo=UTC).timestamp())
    many = _day_file(*(json.dumps({"ts": f"{start + n}.000100", "user": "U1", "text": f"step {n}"})
                       for n in range(10_001)))
    err = _fail(project, "--slack-export", str(_export(tmp_path / "many.zip", many)), "--channel", "inc-ledger-positions")
    assert err == (f"handbook: {tmp_path / 'many.zip'}: #inc-ledger-positions has more than 10,000 messages to draft "
                   "from, more than a timeline is read through. Narrow the window with --from and --to, or pick "
                   "with --only-pinned or --reaction.\n")
    narrowed = handbook(project, "timeline", "--slack-export", str(tmp_path / "many.zip"), "--channel",
                        "inc-ledger-positions", "--from", "2026-10-27T01:00Z", "--to", "2026-10-27T01:00Z")
    assert narrowed.code == 0, narrowed.output
    assert len(lines(narrowed.out)) == 2 + 60


PEAK = """import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(done.stdout + done.stderr, end="")
"""
"""Runs the command given and prints its exit code and peak resident memory (KiB), then its output."""


def test_memory_is_bounded_by_a_message_not_by_the_day_file(project, tmp_path):
    # one day file of 32 MiB of short messages, three marked: the command used to hold every message
    # of it, decoded and then drafted (about 450 MB); now one message at a time and the three it keeps
    start = int(dt.datetime(2026, 10, 27, tzinfo=UTC).timestamp())
    marked = ', "reactions": [{"name": "timeline", "users": ["U1"], "count": 1}]'
    parts, size, n = [], 0, 0
    while size < 32 * 1024 * 1024:
        parts.append(f'{{"type": "message", "ts": "{start + n // 10}.{n % 10:06d}", "user": "U{n % 3 + 1}", '
                     f'"text": "step {n} done"{marked if n % 150_000 == 7 else ""}}}')
        size += len(parts[-1]) + 2
        n += 1
    path = tmp_path / "large.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("channels.json", json.dumps(CHANNELS))
        archive.writestr("users.json", json.dumps(USERS))
        archive.writestr(DAY, "[" + ",\n".join(parts) + "]")
    del parts
    result = run([sys.executable, "-c", PEAK, str(BIN / "handbook"), "timeline", "--slack-export", str(path),
                  "--channel", "inc-ledger-positions", "--reaction", "timeline"], project)
    (code, peak), out = map(int, result.out.split("\n", 1)[0].split()), result.out.split("\n", 1)[1]
    assert code == 0, out
    assert lines(out)[2:] == ["- 2026-10-27 00:00 UTC — Mei-Ling Zhou: step 7 done",
                              "- 04:10 — Mei-Ling Zhou: step 150007 done", "- 08:20 — Mei-Ling Zhou: step 300007 done"]
    assert peak < 160 * 1024, f"peak resident memory {peak // 1024} MiB"


def test_insert_removes_only_the_template_placeholder_and_says_so(tmp_path):
    project = copy_project(tmp_path)
    day = [*DAY_27, {"type": "message", "subtype": "bot_message", "ts": ts(9, 30), "bot_id": "B3",
                     "username": "TODO-bot", "text": "Reminder: update the status page"}]
    _zip(project / "export.zip", {"channels.json": json.dumps(CHANNELS), "users.json": json.dumps(USERS),
                                  "inc-ledger-positions/2026-10-27.json": json.dumps(day, indent=4)})
    path = _timeline_cut(project, keep=0)
    placeholder = "- 2026-10-27 04:20 — TODO: first event (impact begins)"
    mine = "- 2026-10-27 04:25 — Todoist export of the on-call notes started"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "## Timeline\n\n", "## Timeline\n\nAll times are in the time zone of `started` unless an entry says "
        f"otherwise.\n\n{placeholder}\n{mine}\n"), encoding="utf-8")
    args = ["timeline", "--slack-export", "export.zip", "--channel", "inc-ledger-positions", "--report", REPORT, "--insert"]
    first = handbook(project, *args)
    assert first.code == 0, first.output
    assert first.out == (f"Added 8 entries from #inc-ledger-positions to the Timeline of {REPORT} and removed the "
                         f"template's placeholder `{placeholder}`. Read them through, delete what is noise, and "
                         f"check the report with `handbook validate {REPORT}`.\n")
    section = path.read_text(encoding="utf-8").split("## Timeline\n", 1)[1].split("\n## Detection\n", 1)[0]
    assert placeholder not in section and mine in section
    assert "- 09:30 — TODO-bot: Reminder: update the status page" in section
    second = handbook(project, *args, "--from", "2026-10-27T10:00Z")
    assert second.code == 0, second.output
    assert second.out.startswith(f"Added 1 entry from #inc-ledger-positions to the Timeline of {REPORT}; the "
                                 "template's placeholder was not there, so no line was removed. ")
    again = path.read_text(encoding="utf-8").split("## Timeline\n", 1)[1].split("\n## Detection\n", 1)[0]
    assert again == section + "- 2026-10-27 10:52 — PagerDuty: Resolved by U9\n"

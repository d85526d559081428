"""`handbook timeline`: a draft of a report's timeline from the incident channel of a Slack export.

A thin adapter: it reads the export (`reading/slack_export.py`), picks the messages, writes them as
entries (`rendering/timeline_draft.py`) and prints them, or adds them to the report
(`rendering/timeline_insert.py`). Exits 0 when done (also when no message matched, with a note),
2 when it could not run.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import zoneinfo
from pathlib import Path

import click

from handbook.checks.collection import load_collection
from handbook.cli.app import Context, _fail, main
from handbook.cli.new import MAX_TEMPLATE_BYTES
from handbook.core.files import Refused, read_file
from handbook.core.text import visible
from handbook.core.timestamps import MAX_YEAR, MIN_YEAR
from handbook.reading.model import Report
from handbook.reading.slack_export import ExportError, Message, Pick, open_export
from handbook.rendering.timeline_draft import Zone, entry_lines, offset_text, zone_sentence
from handbook.rendering.timeline_insert import Inserted, MissingSection, assumed_offset, insert, placeholders

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECONDS = re.compile(r"\d{1,2}:\d{2}:\d{2}")
_MINUTE = dt.timedelta(minutes=1) - dt.timedelta(microseconds=1)


@main.command()
@click.option("--slack-export", "export", required=True, metavar="EXPORT", type=click.Path(path_type=Path),
              help="The Slack workspace export: its ZIP, or the folder it unzips to.")
@click.option("--channel", required=True, metavar="NAME", help="The incident channel's name (with or without #).")
@click.option("--from", "start_text", metavar="T",
              help="First moment: 2026-10-05, 2026-10-05T09:00 (in --tz) or 2026-10-05T09:00Z "
                   "(default: the report's `started`, else the channel's first message).")
@click.option("--to", "end_text", metavar="T",
              help="Last moment, that day or minute included (default: the report's `resolved`, else "
                   "the channel's last message).")
@click.option("--only-pinned", is_flag=True, help="Only the messages pinned in the channel.")
@click.option("--reaction", metavar="NAME",
              help="Only the messages with this reaction (`pushpin`, `:timeline:`), the scribe's marker.")
@click.option("--tz", "tz_name", metavar="ZONE",
              help="Write times in this IANA time zone, such as Europe/Berlin (default: the zone of the "
                   "report's `started`, else UTC).")
@click.option("--report", type=click.Path(path_type=Path), metavar="PATH",
              help="The postmortem the timeline is for: its `started`, `resolved` and zone are the defaults.")
@click.option("--insert", "do_insert", is_flag=True,
              help="Add the entries under the report's Timeline heading instead of printing them.")
@click.pass_obj
def timeline(obj: Context, export: Path, channel: str, start_text: str | None, end_text: str | None,
             only_pinned: bool, reaction: str | None, tz_name: str | None, report: Path | None,
             do_insert: bool) -> None:
    """Draft timeline entries from an incident channel's messages in a Slack export.

    Prints one entry per message, in time order, ready to paste under the report's `## Timeline`
    heading; with --report and --insert, adds them there. Thread replies are included, marked
    "(in thread)"; joins, leaves and other channel notices are left out.
    """
    if only_pinned and reaction:
        _fail("Give --only-pinned or --reaction, not both: a message is chosen by one marker.")
    if do_insert and report is None:
        _fail("--insert needs --report PATH: the postmortem to add the entries to.")
    if reaction is not None and not reaction.strip(": "):
        _fail("--reaction is empty; give the reaction's name, such as pushpin.")
    found = _report(obj, report) if report is not None else None
    zone = _zone(tz_name, found)
    start = _moment("--from", start_text, zone, end=False) if start_text else found.started if found else None
    end = _moment("--to", end_text, zone, end=True) if end_text else \
        found.resolved + _MINUTE if found and found.resolved else None
    if start and end and start > end:
        _fail(f"--from ({_shown(start, zone)}) is after --to ({_shown(end, zone)}); swap them, or widen the window.")
    try:
        with open_export(export) as opened:
            chosen = opened.channel(channel)
            taken = opened.messages(chosen, Pick(start, end, only_pinned, reaction))
    except ExportError as exc:
        _fail(visible(str(exc)))
    picked = list(taken.messages)
    if not picked:
        click.echo(_nothing(channel, taken.read, start, end, zone, only_pinned, reaction), err=True)
        return
    if report is None or found is None:
        _print(picked, zone, None)
        return
    title = next((s.title for s in obj.taxonomy.sections if s.id == "timeline"), "Timeline")
    text = _read(report, obj.taxonomy.limits.max_file_bytes)
    template = _placeholders(obj, title)
    assumed = assumed_offset(text, title, found.started, template) if _has_section(text, title) else \
        (found.started.utcoffset() if found.started else None)
    if not do_insert:
        _print(picked, zone, assumed)
        return
    try:
        edited = insert(text, title, entry_lines(picked, zone, assumed), zone_sentence(zone, picked), found.started,
                        template)
    except MissingSection:
        _fail(f"{report} has no `## {title}` section to add the entries to. Add the heading (after "
              f"`## Impact`, as templates/postmortem.md has it) and run again, or leave out --insert and "
              "paste the printed entries.")
    try:
        report.write_bytes(edited.text.encode("utf-8"))
    except OSError as exc:
        _fail(f"Cannot write {report}: {exc.strerror or exc}.")
    click.echo(_added(len(picked), chosen.name, title, report, edited))


def _added(count: int, channel: str, title: str, report: Path, edited: Inserted) -> str:
    """What --insert did: the entries added, and the template's placeholder removed or not there."""
    removed = ", ".join(f"`{visible(line.strip())}`" for line in edited.removed)
    placeholder = f" and removed the template's placeholder {removed}" if edited.removed else \
        "; the template's placeholder was not there, so no line was removed"
    return (f"Added {count} entr{'y' if count == 1 else 'ies'} from #{channel} to the {title} of {report}"
            f"{placeholder}. Read them through, delete what is noise, and check the report with "
            f"`handbook validate {report}`.")


def _print(messages: list[Message], zone: Zone, assumed: dt.timedelta | None) -> None:
    click.echo(zone_sentence(zone, messages))
    click.echo("")
    for line in entry_lines(messages, zone, assumed):
        click.echo(line)


def _report(obj: Context, path: Path) -> Report:
    if not path.is_file():
        _fail(f"--report {path} is not a file; give the postmortem's Markdown file.")
    settings, tax = obj.settings, obj.taxonomy
    collection = load_collection([path.resolve()], tax, settings.layout)
    if not collection.reports:
        first = collection.problems[0].message if collection.problems else "it cannot be read"
        _fail(f"{path} cannot be read as a postmortem: {first}")
    return collection.reports[0]


def _read(path: Path, limit: int) -> str:
    try:
        return read_file(path, limit).decode("utf-8")
    except Refused as refused:
        _fail(f"{path}: {refused.message} {refused.fix}")
        raise  # pragma: no cover - _fail exits
    except UnicodeDecodeError as exc:
        _fail(f"Cannot read {path}: {exc}.")
        raise  # pragma: no cover - _fail exits


def _placeholders(obj: Context, title: str) -> tuple[re.Pattern[str], ...]:
    """The placeholder entries of the project's template (templates/postmortem.md); none when it
    cannot be read (`handbook new` says why)."""
    root = obj.settings.root
    try:
        template = read_file(root / "templates" / "postmortem.md", MAX_TEMPLATE_BYTES, root=root).decode("utf-8")
    except (Refused, UnicodeDecodeError):
        return ()
    return placeholders(template, title)


def _has_section(text: str, title: str) -> bool:
    try:
        assumed_offset(text, title, None)
    except MissingSection:
        return False
    return True


def _zone(name: str | None, report: Report | None) -> Zone:
    if name is None:
        started = report.started if report else None
        offset = started.utcoffset() if started else None
        if started is None or not offset:
            return Zone(dt.timezone.utc, "UTC")
        return Zone(started.tzinfo or dt.timezone.utc, f"UTC{offset_text(offset)}")
    if name.strip().upper() in ("UTC", "Z"):
        return Zone(dt.timezone.utc, "UTC")
    try:
        return Zone(zoneinfo.ZoneInfo(name.strip()), name.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        close = difflib.get_close_matches(name.strip(), sorted(zoneinfo.available_timezones()), n=3)
        hint = f" Did you mean {' or '.join([', '.join(close[:-1]), close[-1]] if len(close) > 1 else close)}?" \
            if close else ""
        _fail(f"--tz `{visible(name)}` is not a time zone.{hint} Give an IANA name such as Europe/Berlin, "
              "America/New_York or UTC.")
        raise  # pragma: no cover - _fail exits


def _moment(option: str, text: str, zone: Zone, *, end: bool) -> dt.datetime:
    value = text.strip()
    try:
        if _DATE.match(value):
            day = dt.date.fromisoformat(value)
            if not MIN_YEAR <= day.year <= MAX_YEAR:
                raise ValueError
            if end:
                day += dt.timedelta(days=1)
            moment = dt.datetime.combine(day, dt.time(), tzinfo=zone.tz)
            return moment - dt.timedelta(microseconds=1) if end else moment
        parsed = dt.datetime.fromisoformat(re.sub(r"\s*UTC$", "Z", value))
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            raise ValueError
    except (ValueError, OverflowError):
        _fail(f"{option} `{visible(text)}` is not a date or timestamp. Write 2026-10-05 (the whole day), "
              f"2026-10-05T09:00 (in the --tz zone) or 2026-10-05T09:00Z.")
        raise  # pragma: no cover - _fail exits
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone.tz)
    if end and not _SECONDS.search(value):
        parsed += _MINUTE  # `--to 09:30` takes in the messages of that minute
    return parsed


def _shown(moment: dt.datetime, zone: Zone) -> str:
    return moment.astimezone(zone.tz).strftime("%Y-%m-%d %H:%M")


def _nothing(channel: str, read: int, start: dt.datetime | None, end: dt.datetime | None, zone: Zone,
             only_pinned: bool, reaction: str | None) -> str:
    why = []
    if start or end:
        why.append(f"from {_shown(start, zone) if start else 'the first'} to {_shown(end, zone) if end else 'the last'}"
                   f" ({zone.name})")
    if only_pinned:
        why.append("pinned")
    if reaction:
        why.append(f"with the reaction :{reaction.strip(': ')}:")
    return (f"No message in #{channel.strip().lstrip('#')} matches ({', '.join(why) or 'any'}); the channel has "
            f"{read} message(s) in the days read. Widen --from and --to, or check the marker; nothing was written.")

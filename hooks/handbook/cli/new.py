"""`handbook new` starts a report from the template; `handbook preview` serves it while it is written."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from handbook.checks.collection import existing_ids, load_collection, relative
from handbook.cli.app import Context, _fail, main
from handbook.core.files import Refused, read_file
from handbook.core.problems import Level
from handbook.core.timestamps import BadValue, parse_timestamp
from handbook.rendering.scaffold import render_draft

MAX_TEMPLATE_BYTES = 1024 * 1024
"""Bytes in templates/postmortem.md at most."""


def _ask(value: str | None, prompt: str, interactive: bool, default: str = "") -> str:
    if value is not None:
        return value
    if interactive:
        return click.prompt(prompt, default=default, show_default=bool(default)).strip()
    return default


@main.command()
@click.option("--title", help="What happened, in a few words.")
@click.option("--severity", help="One of the severities in handbook.yml, e.g. SEV2.")
@click.option("--services", help="Affected services, comma-separated.")
@click.option("--started", help="When impact began, ISO 8601 with a time zone (2026-11-03T09:12:00Z).")
@click.option("--owner", help="The person who drives the report.")
@click.option("--commander", help="The incident commander (default: the owner).")
@click.option("--slack", help="Link to the incident's Slack channel.")
@click.option("--visibility", help="public, internal or restricted (default from handbook.yml).")
@click.option("--id", "report_id", help="Use this id instead of the next free one.")
@click.option("--no-input", is_flag=True, help="Never ask; leave what is missing as TODO.")
@click.pass_obj
def new(obj: Context, title, severity, services, started, owner, commander, slack, visibility, report_id,
        no_input) -> None:
    """Create a postmortem from the template, with the next free id. Never overwrites a file.

    Options that are not given are asked for when run in a terminal, and left as TODO otherwise.
    """
    settings, tax = obj.settings, obj.taxonomy
    interactive = not no_input and sys.stdin.isatty()
    title = _ask(title, "Title (what happened)", interactive)
    severity = _ask(severity, f"Severity ({', '.join(s.id for s in tax.severities)})", interactive)
    if severity and tax.severity(severity) is None:
        _fail(f"`{severity}` is not a severity; use one of: {', '.join(s.id for s in tax.severities)}.")
    services_text = _ask(services, "Services (comma-separated)", interactive)
    started_text = _ask(started, "Started (e.g. 2026-11-03T09:12:00Z)", interactive)
    started_at: dt.datetime | None = None
    if started_text:
        try:
            started_at = parse_timestamp(started_text)
        except BadValue as exc:
            _fail(f"--started `{started_text}`: {exc}. Write it like 2026-11-03T09:12:00Z.")
    owner = _ask(owner, "Owner (your name)", interactive)
    if visibility and visibility not in tax.visibilities.levels:
        _fail(f"`{visibility}` is not a visibility; use one of: {', '.join(tax.visibilities.levels)}.")
    template_path = settings.root / "templates" / "postmortem.md"
    try:
        template = read_file(template_path, MAX_TEMPLATE_BYTES, root=settings.root,
                             what=f"The template {relative(template_path, settings.root)}").decode("utf-8")
    except Refused as refused:
        _fail(f"{refused.message} {refused.fix}")
    except UnicodeDecodeError:
        _fail(f"The template {relative(template_path, settings.root)} is not UTF-8 text: save it again as UTF-8.")
    used = existing_ids(settings.postmortems)
    if report_id and report_id in used:
        _fail(f"The id {report_id} is already used.")
    draft = render_draft(tax, template, settings.postmortems, title=title, severity=severity,
                         services=[s.strip() for s in services_text.split(",") if s.strip()],
                         started=started_at, owner=owner, commander=commander or "", slack=slack or "",
                         visibility=visibility or "", used=used, report_id=report_id)
    draft.path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with draft.path.open("x", encoding="utf-8") as handle:  # "x": never overwrite
            handle.write(draft.text)
    except FileExistsError:
        _fail(f"{relative(draft.path, settings.root)} already exists; nothing was written. "
              "Choose another --title, or edit that file.")
    rel = relative(draft.path, settings.root)
    click.echo(f"Created {rel} as {draft.id} (status: draft).")
    collection = load_collection([draft.path], tax, settings.layout, all_ids=used)
    todo = [n for n, line in enumerate(draft.text.split("\n"), 1) if "TODO" in line]
    errors = [p for p in collection.problems if p.level is Level.ERROR]
    click.echo(f"Still to fill in: {len(todo)} line(s) marked TODO (lines {', '.join(map(str, todo[:12]))}"
               f"{', …' if len(todo) > 12 else ''}).")
    for p in collection.problems:
        click.echo(f"  {rel}:{p.line}: {p.level.value} [{p.rule}] {p.message}")
    click.echo(f"Preview it with `make serve` at /incidents/{draft.id}/, and check it with "
               f"`handbook validate {rel}`.")
    if errors:
        sys.exit(1)


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dev-addr", "-a", default="127.0.0.1:8000", show_default=True, metavar="IP:PORT",
              help="Where to serve the preview.")
@click.option("--audience", metavar="LEVEL", default=None,
              help="Preview the site as readers of LEVEL see it (default: the plugin's audience in mkdocs.yml): "
                   "the parts of the report kept for a narrower audience are left out, as in their build.")
@click.pass_obj
def preview(obj: Context, path: Path, dev_addr: str, audience: str | None) -> None:
    """Serve the site with only PATH's page rebuilt on each save (fast with thousands of reports).

    The handbook and every index are built from all reports; the others are read from a cache
    in your user cache folder (never from the checkout) and get no page of their own. Stop it with Ctrl-C.
    """
    settings = obj.settings
    mkdocs = Path(sys.executable).with_name("mkdocs")
    env = {**os.environ, "HANDBOOK_PREVIEW": str(path.resolve())}
    shown = settings.audience
    if audience is not None:
        levels = obj.taxonomy.visibilities.levels
        if audience not in levels:
            _fail(f"--audience is `{audience}`; use one of: {', '.join(levels)}.")
        env["HANDBOOK_AUDIENCE"] = shown = audience
    click.echo(f"Previewing {relative(path.resolve(), settings.root)} at http://{dev_addr}/ as `{shown}` readers "
               "see it (--audience to switch)")
    os.execve(str(mkdocs), [str(mkdocs), "serve", "--config-file", str(settings.root / "mkdocs.yml"),
                            "--dev-addr", dev_addr], env)

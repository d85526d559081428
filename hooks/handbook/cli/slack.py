"""`handbook announce` and `handbook digest`: Slack messages, printed or posted to a webhook.

A thin adapter over `handbook.slack`: it reads the reports, chooses what the audience may
read, and turns results into output and exit codes (0 fine, 1 Slack refused the message,
2 the command could not run). The webhook's address comes from SLACK_WEBHOOK_URL and is
never printed.
"""

from __future__ import annotations

import json
import os
import sys
import time

import click

from handbook.rendering import slack

from handbook.checks.collection import Collection, find_reports, load_collection
from handbook.cli.app import Context, _fail, main, seconds_from_env
from handbook.delivery import webhook
from handbook.queries.audience import check_audience, readable_by
from handbook.reading.settings import Settings, SettingsError
from handbook.reading.taxonomy import Taxonomy

WEBHOOK_ENV = "SLACK_WEBHOOK_URL"
MAX_WAIT_ENV = "HANDBOOK_SLACK_MAX_WAIT"

_format_option = click.option("--format", "fmt", type=click.Choice(slack.FORMATS), default="mrkdwn",
                              show_default=True, help="mrkdwn text, or Block Kit JSON.")
_post_option = click.option("--post", is_flag=True,
                            help=f"Send the message to the Slack webhook in ${WEBHOOK_ENV} instead of printing it.")
_audience_option = click.option("--audience", metavar="LEVEL",
                                help="Who reads the channel: public, internal or restricted "
                                     "(default: the build's audience, the plugin's audience option).")


def _load(obj: Context, audience: str | None) -> tuple[Settings, Taxonomy, str, Collection]:
    settings, tax = obj.settings, obj.taxonomy
    if audience is not None and audience not in tax.visibilities.levels:
        _fail(f"--audience is `{audience}`; use one of: {', '.join(tax.visibilities.levels)}.")
    chosen = audience or settings.audience
    try:
        check_audience(tax, chosen)
    except SettingsError as exc:
        _fail(str(exc))
    files = find_reports([settings.postmortems]) if settings.postmortems.is_dir() else []
    return settings, tax, chosen, load_collection(files, tax, settings.layout)


def _webhook() -> tuple[str, float]:
    """The webhook's address and the longest wait between attempts, from the environment."""
    url = os.environ.get(WEBHOOK_ENV, "").strip()
    if not url:
        _fail(f"--post needs the Slack webhook: set {WEBHOOK_ENV} to the incoming webhook's URL "
              "(in CI, from a secret).")
    try:
        webhook.parse_webhook(url)
    except webhook.PostError as exc:
        _fail(str(exc))
    return url, seconds_from_env(MAX_WAIT_ENV, webhook.RETRY_AFTER_CAP)


def _send(messages: list[slack.Message], fmt: str, address: tuple[str, float], *, name_each: bool) -> None:
    url, max_wait = address
    for message in messages:
        try:
            webhook.post(url, message.payload(fmt), sleep=time.sleep, max_wait=max_wait)
        except webhook.PostError as exc:
            _posted_note(messages, message)
            click.echo(f"handbook: could not post to Slack: {exc}", err=True)
            sys.exit(1)
        except Exception as exc:  # noqa: BLE001 - never let a traceback carry the address
            _posted_note(messages, message)
            click.echo(f"handbook: could not post to Slack ({exc.__class__.__name__}).", err=True)
            sys.exit(1)
        click.echo(f"Posted {message.key} to Slack." if name_each else "Posted to Slack.")


def _posted_note(messages: list[slack.Message], failed: slack.Message) -> None:
    index = messages.index(failed)
    if len(messages) > 1:
        rest = [m.key for m in messages[index:]]
        click.echo(f"handbook: not posted: {', '.join(rest)}.", err=True)


def _print(messages: list[slack.Message], fmt: str, *, one: bool) -> None:
    if fmt == "mrkdwn":
        click.echo("\n\n".join(m.mrkdwn for m in messages))
    elif one:
        click.echo(json.dumps(messages[0].payload(fmt), indent=2, ensure_ascii=False))
    else:  # several messages: one JSON document per line
        for m in messages:
            click.echo(json.dumps(m.payload(fmt), ensure_ascii=False))


@main.command()
@click.argument("report_id", metavar="[ID]", required=False)
@click.option("--since", metavar="REV",
              help="Announce every report that became published between git revision REV and the working tree.")
@_format_option
@_post_option
@_audience_option
@click.pass_obj
def announce(obj: Context, report_id: str | None, since: str | None, fmt: str, post: bool,
             audience: str | None) -> None:
    """Announce a published postmortem in Slack (print the message, or --post it).

    Give the report's ID, or --since REV to announce every report whose status became
    published (in-review or later) since that revision; with --since, nothing to announce
    prints nothing. Drafts, and reports the audience may not read, are never announced.
    """
    if (report_id is None) == (since is None):
        _fail("give a report id (`handbook announce INC-2026-014`) or --since REV, not both and not neither.")
    address = _webhook() if post else None
    settings, tax, chosen, collection = _load(obj, audience)
    if report_id is not None:
        report = collection.by_id().get(report_id)
        if report is None:
            _fail(f"no report has the id `{report_id}` in {settings.postmortems.name}/ "
                  "(`handbook validate` lists the reports that could not be read).")
        assert report is not None
        views = readable_by([report], tax, chosen)  # the report as the channel's audience reads it
        if not views:
            _fail(f"{report_id} is `{report.visibility}`, which the `{chosen}` audience may not read, so it is "
                  f"not announced there (use --audience {report.visibility} for a channel that may read it).")
        if not tax.is_published(report.status):
            published = ", ".join(s.id for s in tax.statuses if s.enforced)
            _fail(f"{report_id} is not published: its status is `{report.status or '(none)'}`. Only reports in "
                  f"{published} are announced; drafts are not. Move it to the next status first.")
        messages = [slack.announcement(views[0], tax, settings.site_url, settings.today)]
    else:
        assert since is not None
        try:
            found = slack.newly_published(collection, tax, settings.root, settings.postmortems, since)
        except slack.RevisionError as exc:
            click.echo(f"handbook: nothing announced: {exc}.", err=True)
            return
        shown, hidden = slack.readable(found, tax, chosen)
        if hidden:
            click.echo(f"handbook: {len(hidden)} newly published report(s) are not readable by the `{chosen}` "
                       "audience and were not announced.", err=True)
        if not shown:
            return
        messages = [slack.announcement(r, tax, settings.site_url, settings.today) for r in shown]
    if address is not None:
        _send(messages, fmt, address, name_each=since is not None)
    else:
        _print(messages, fmt, one=since is None)


@main.command()
@_format_option
@_post_option
@_audience_option
@click.pass_obj
def digest(obj: Context, fmt: str, post: bool, audience: str | None) -> None:
    """The weekly Slack digest: overdue action items, items due in the next 14 days, late reviews.

    Lists only reports the audience may read; "today" is the plugin's today option or HANDBOOK_TODAY.
    """
    address = _webhook() if post else None
    settings, tax, chosen, collection = _load(obj, audience)
    reports = readable_by(collection.reports, tax, chosen)
    message = slack.digest_message(slack.collect_digest(reports, tax, settings.today), settings.site_url)
    if address is not None:
        _send([message], fmt, address, name_each=False)
    else:
        _print([message], fmt, one=True)

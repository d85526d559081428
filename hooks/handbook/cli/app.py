"""`handbook`: the command line over the domain package (validate, schema, rules, ...).

A thin adapter: it finds the settings, calls the package and turns results into output and
exit codes (0 fine, 1 problems found, 2 the command could not run).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from handbook.checks.collection import existing_ids, find_reports, load_collection, relative
from handbook.checks.rules import RULES
from handbook.checks.schema import build_schema
from handbook.checks.tracker import tracker_for
from handbook.core.files import Refused, read_file
from handbook.core.problems import Problem
from handbook.reading.settings import Settings, SettingsError, find_mkdocs_yml
from handbook.reading.taxonomy import Taxonomy, TaxonomyError, taxonomy_schema
from handbook.queries.audience import left_out
from handbook.rendering.reporting import FORMATS, RENDERERS, audience_record, render_audience, render_summary, text_lines
from handbook.rendering.routes import Routes, replacing
from handbook_mkdocs.links import MkDocsLinks
from handbook_mkdocs.options import load_settings


class Context:
    def __init__(self, config: str | None) -> None:
        self._config = config
        self._settings: Settings | None = None
        self._taxonomy: Taxonomy | None = None

    @property
    def settings(self) -> Settings:
        """The settings from mkdocs.yml, read once; exits with code 2 and the reason when they cannot be read."""
        if self._settings is None:
            try:
                path = Path(self._config) if self._config else find_mkdocs_yml(Path.cwd())
                self._settings = load_settings(path)
            except SettingsError as exc:
                _fail(str(exc))
        return self._settings  # type: ignore[return-value]

    @property
    def taxonomy(self) -> Taxonomy:
        """handbook.yml, read once; exits with code 2 and every located problem when it is invalid."""
        if self._taxonomy is None:
            try:
                self._taxonomy = self.settings.load_taxonomy()
            except TaxonomyError as exc:
                for p in exc.problems:
                    click.echo("\n".join(text_lines(p)), err=True)
                _fail("The taxonomy is invalid; fix it first.")
        return self._taxonomy  # type: ignore[return-value]


def _fail(message: str) -> None:
    click.echo(f"handbook: {message}", err=True)
    sys.exit(2)


def seconds_from_env(name: str, default: float) -> float:
    """A number of seconds (0 or more) from the environment variable `name`, `default` when it is not set;
    anything else ends the command with the variable's name and the fix."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
        if not value >= 0:
            raise ValueError
    except ValueError:
        _fail(f"{name} is `{raw}`; give a number of seconds (0 or more).")
    return value


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", metavar="MKDOCS_YML", envvar="HANDBOOK_MKDOCS_YML",
              help="mkdocs.yml of the handbook (default: found from the current folder upwards).")
@click.pass_context
def main(ctx: click.Context, config: str | None) -> None:
    """Write, check and publish incident postmortems."""
    ctx.obj = Context(config)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for people, github for workflow annotations, json for tools.")
@click.option("--strict", is_flag=True, help="Fail on warnings too (as `mkdocs build --strict` does).")
@click.option("--summary", "summary", metavar="PATH", default="",
              help="Also append a Markdown summary, a table per file, to PATH (for example "
                   "\"$GITHUB_STEP_SUMMARY\"); an empty PATH writes nothing.")
@click.option("--audience", metavar="LEVEL", default=None,
              help="Also show what readers of LEVEL (public, internal, ...) read of each report: every part "
                   "kept for a narrower audience, located, and the reports they do not read at all.")
@click.pass_obj
def validate(obj: Context, paths: tuple[Path, ...], fmt: str, strict: bool, summary: str,
             audience: str | None) -> None:
    """Check postmortems (default: the whole postmortems folder) without building the site.

    Exits 0 when there is no error, 1 when there is one (or a warning, with --strict).
    """
    settings, taxonomy = obj.settings, obj.taxonomy
    if audience is not None and audience not in taxonomy.visibilities.levels:
        _fail(f"--audience is `{audience}`; use one of: {', '.join(taxonomy.visibilities.levels)}.")
    targets = list(paths) or [settings.postmortems]
    for target in targets:
        if not target.exists():
            _fail(f"{target} does not exist.")
    files = find_reports(targets)
    others = existing_ids(settings.postmortems, skip={f.resolve() for f in files}) if paths else set()
    tracker, unreadable = tracker_for(settings, taxonomy)
    collection = load_collection(files, taxonomy, settings.layout, all_ids=others, problems_only=audience is None,
                                 tracker=tracker)  # --audience needs each report's content
    more = unreadable + (_docs_replacing(settings) if not paths else [])  # docs/ is the whole project's
    if more:
        collection.problems = sorted(collection.problems + more, key=Problem.sort_key)
    rendered = RENDERERS[fmt](collection.problems, len(collection.reports))
    if audience is not None:
        found = [left_out(r, taxonomy, audience) for r in collection.reports if r.parsed]
        if fmt == "json":
            rendered = json.dumps({**json.loads(rendered), "audience": audience_record(found, audience)},
                                  indent=2, ensure_ascii=False) + "\n"
        else:
            rendered += render_audience(found, audience)
    click.echo(rendered, nl=False)
    if summary:
        try:
            with open(summary, "a", encoding="utf-8") as stream:  # append: earlier steps wrote theirs
                stream.write(render_summary(collection.problems, len(collection.reports)))
        except OSError as exc:
            _fail(f"Cannot write the summary to {summary}: {exc.strerror or exc}.")
    if collection.errors or (strict and collection.warnings):
        sys.exit(1)


def _docs_replacing(settings: Settings) -> list[Problem]:
    """The files of docs/ at the place of a page or file every build generates, whatever its reports (the
    build finds those at a report's own addresses too). MkDocs' `exclude_docs` is not read: an excluded
    file is named as well."""
    docs, links = settings.layout.docs, MkDocsLinks(settings.directory_urls)
    found = {relative(path, settings.root): links.destination(path.relative_to(docs).as_posix())
             for path in (docs.rglob("*") if docs.is_dir() else ())
             if path.is_file() and not any(part.startswith(".") for part in path.relative_to(docs).parts)}
    return replacing([*Routes.FILES, *map(links.destination, Routes.LISTINGS)], found)


SCHEMAS = {"postmortem": "postmortem.schema.json", "taxonomy": "handbook.schema.json"}


@main.command()
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None,
              help="Write the one schema chosen with --of here (`-` for standard output) instead of "
                   "both into schema/.")
@click.option("--of", "which", type=click.Choice(list(SCHEMAS)), default="postmortem", show_default=True,
              help="With --output: the reports' front matter, or handbook.yml itself.")
@click.option("--check", is_flag=True, help="Exit 1 if a file in schema/ differs from what handbook.yml declares.")
@click.pass_obj
def schema(obj: Context, output: Path | None, which: str, check: bool) -> None:
    """Write the JSON Schemas editors check files with: schema/postmortem.schema.json for a report's
    front matter and schema/handbook.schema.json for handbook.yml, both generated from handbook.yml."""
    texts = {"postmortem": json.dumps(build_schema(obj.taxonomy), indent=2, ensure_ascii=False) + "\n",
             "taxonomy": json.dumps(taxonomy_schema(), indent=2, ensure_ascii=False) + "\n"}
    if output is not None and str(output) == "-":
        click.echo(texts[which], nl=False)
        return
    targets = {output: texts[which]} if output is not None else \
        {obj.settings.root / "schema" / name: texts[kind] for kind, name in SCHEMAS.items()}
    if check:
        stale = [t for t, text in targets.items() if _current_text(t, len(text.encode("utf-8"))) != text]
        for target in stale:
            click.echo(f"{relative(target, obj.settings.root)} is out of date: run `handbook schema`.", err=True)
        if stale:
            sys.exit(1)
        click.echo(f"{', '.join(relative(t, obj.settings.root) for t in targets)}: up to date.")
        return
    for target, text in targets.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {relative(target, obj.settings.root)}.")


@main.command()
def rules() -> None:
    """List every validation rule id and what it checks."""
    width = max(map(len, RULES))
    for rule, description in RULES.items():
        click.echo(f"{rule.ljust(width)}  {description}")


def _current_text(path: Path, size: int) -> str | None:
    """Return the text of the file at `path` if it is a regular file of `size` bytes at most, else None."""
    try:
        return read_file(path, size).decode("utf-8")
    except (Refused, UnicodeDecodeError):
        return None

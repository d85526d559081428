"""MkDocs hook: publishes the postmortems with the handbook. A thin adapter over `handbook`.

Registered under `hooks:` in mkdocs.yml. MkDocs loads this module once per process and
`mkdocs serve` does not reload it, so it keeps no build state in module globals except the
command MkDocs was started with; everything else is recomputed in `on_config` each build.
"""

from __future__ import annotations

import gc
import logging
import os
from pathlib import Path
from urllib.parse import quote

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort, PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from jinja2 import Environment

from handbook import Level, SettingsError, TaxonomyError, settings_from_extra
from handbook.checks.collection import Collection
from handbook.core.paths import inside
from handbook.core.text import visible
from handbook.queries.audience import check_audience
from handbook.rendering.markup import join_fragments
from handbook.rendering.sanitise import sanitise
from handbook.rendering.site import SitePlan, plan_site

log = logging.getLogger("mkdocs.plugins.handbook")

_command = {"name": "build"}  # the process's command: `serve` shows problems instead of failing
_build: dict[str, object] = {}  # this build's plan, replaced in every on_config


def on_startup(command: str, dirty: bool) -> None:
    # Runs once per process, before the first build: remember whether we are serving.
    _command["name"] = command


@event_priority(50)
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    # Read the settings and the taxonomy once per build, before any file is looked at.
    _build.clear()
    gc.unfreeze()  # the last build's objects (frozen in on_files) may be collected again
    root = Path(config.config_file_path).parent.resolve()
    try:
        settings = settings_from_extra(root, config.extra, site_url=config.site_url or "",
                                       repo_url=config.repo_url or "")
        taxonomy = settings.load_taxonomy()
        check_audience(taxonomy, settings.audience)
    except SettingsError as exc:
        _cannot_build([str(exc)])
    except TaxonomyError as exc:
        _cannot_build([f"{p.file}:{p.line}: [{p.rule}] {p.message} Fix: {p.hint}" for p in exc.problems])
    else:
        _build["settings"], _build["taxonomy"] = settings, taxonomy
    return config


def _cannot_build(lines: list[str]) -> None:
    """The handbook's own settings are broken. A build stops; `mkdocs serve` keeps serving the
    handbook pages with a box naming the problem on every page (MkDocs' server would otherwise hang
    every request until the next good build), and builds again on the next save."""
    for line in lines:
        log.error("handbook: %s", visible(line))
    if _command["name"] != "serve":
        raise PluginError("handbook: cannot build; see the errors above.")
    _build["broken"] = lines
    _build["plan"] = SitePlan(Collection([], []), [])


@event_priority(50)
def on_files(files: Files, config: MkDocsConfig) -> Files:
    # Read every report once and generate all pages here, so the nav and every link can see them.
    if "broken" in _build:
        return files  # serving with broken settings: the handbook pages only, each naming the problem
    settings, taxonomy = _build["settings"], _build["taxonomy"]
    serving = _command["name"] == "serve"
    if settings.preview is not None and not serving:  # type: ignore[attr-defined]
        raise PluginError("handbook: HANDBOOK_PREVIEW builds one report's page only; it is for `mkdocs serve` "
                          "(`handbook preview PATH`). Unset it to build the site.")
    plan = plan_site(settings, taxonomy, show_problems=serving,  # type: ignore[arg-type]
                     site_name=config.site_name)
    _build["plan"] = plan
    _report_problems(plan, strict=bool(config.strict), serving=serving,
                     preview=settings.preview)  # type: ignore[attr-defined]
    docs_dir = Path(config.docs_dir).resolve()
    for src_uri, content in plan.pages.items():
        if not inside(src_uri):  # every name is made safe upstream; this is the last line of defence
            raise PluginError(f"handbook: refusing to generate a page outside the site: {src_uri!r}.")
        if src_uri in files:
            raise PluginError(f"handbook: docs/{src_uri} exists, but the handbook generates that page. "
                              "Move or rename the file in docs/.")
        report = plan.report_sources.get(src_uri)
        # Reports stay out of the navigation (Material renders it on every page: thousands of
        # entries make the build quadratic); the indexes named in mkdocs.yml's nav still appear.
        generated = File.generated(config, src_uri, content=content, inclusion=InclusionLevel.NOT_IN_NAV)
        if report is not None:
            # The file name is the author's: percent-encode it, as the theme prints the edit link raw.
            generated.edit_uri = quote(os.path.relpath(report.path, docs_dir).replace(os.sep, "/"), safe="/.")
        files.append(generated)
    # MkDocs holds each page's Markdown now, and what later events need is text already: drop
    # the reports, then move what is left out of the cyclic collector's way, so it is not
    # rescanned at every collection during the build.
    plan.release()
    gc.freeze()
    return files


def _report_problems(plan: SitePlan, *, strict: bool, serving: bool, preview: Path | None) -> None:
    problems = plan.collection.problems
    if preview is not None:  # the author is writing one report: show its problems only
        problems = [p for r in plan.collection.reports if r.path == preview for p in r.problems]
    for p in problems:
        level = logging.ERROR if p.level is Level.ERROR and not serving else logging.WARNING
        log.log(level, "%s:%s: %s [%s] %s Fix: %s", p.file, p.line, p.level.value, p.rule, p.message, p.hint)
    if serving:
        return
    errors = sum(1 for p in problems if p.level is Level.ERROR)
    warnings = len(problems) - errors
    if errors or (strict and warnings):
        # Abort rather than rely on MkDocs' own strict counting, which `-q` turns off.
        raise Abort(f"handbook: {errors} error(s) and {warnings} warning(s) in the postmortems; "
                    f"run `handbook validate` for the fixes.")


@event_priority(100)
def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    # First of all plugins, before mkdocs-macros looks at the page: a generated page's metadata
    # (title, description, `render_macros: False`) comes from the plan as data, never from text.
    plan: SitePlan = _build["plan"]  # type: ignore[assignment]
    meta = plan.meta.get(page.file.src_uri)
    if meta is not None:
        page.meta = dict(meta)
    return markdown


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    # Every generated page holds author text: cut its rendered HTML down to the allowlist, then
    # put back the generated tables, cards and charts that skipped Markdown.
    plan: SitePlan = _build["plan"]  # type: ignore[assignment]
    if page.file.src_uri not in plan.meta:
        return html  # a handbook page of docs/: ours, not an author's report
    html = sanitise(html)
    fragments = plan.fragments.pop(page.file.src_uri, None)  # used once; frees the memory
    return join_fragments(html, fragments) if fragments else html


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    # The page's HTML is final here: add link-preview tags to reports and the feed link to all.
    if "broken" in _build:
        return _with_broken_box(output)
    plan: SitePlan = _build["plan"]  # type: ignore[assignment]
    depth = page.url.count("/")
    head = (f'<link rel="alternate" type="application/atom+xml" title="Incident reports" '
            f'href="{"../" * depth}feed.xml">\n') + plan.head_tags.pop(page.file.src_uri, "")
    return output.replace("</head>", head + "</head>", 1)


def on_post_template(output_content: str, template_name: str, config: MkDocsConfig) -> str:
    # The theme's own pages (404.html, which `mkdocs serve` shows for a missing report) name it too.
    return _with_broken_box(output_content) if "broken" in _build else output_content


def _with_broken_box(output: str) -> str:
    lines: list[str] = _build["broken"]  # type: ignore[assignment]
    box = BROKEN_BOX.render(lines=[visible(line) for line in lines])
    body = output.find("<body")
    if body < 0:
        return box + output
    at = output.find(">", body) + 1
    return output[:at] + box + output[at:]


BROKEN_BOX = Environment(autoescape=True).from_string(
    '<div class="md-typeset" role="alert" style="padding:.6rem 1rem;max-width:61rem;margin:auto">'
    '<div class="admonition failure"><p class="admonition-title">The handbook cannot be built</p>'
    '{% for line in lines %}<p><code style="white-space:pre-wrap;word-break:break-word">{{ line }}</code></p>'
    '{% endfor %}<p>The postmortems are left out until this is fixed; the page reloads when you save.</p>'
    '</div></div>')


def on_post_build(config: MkDocsConfig) -> None:
    # After every page is written: incidents.json, the feed and the redirects to each report.
    plan: SitePlan = _build["plan"]  # type: ignore[assignment]
    site = Path(config.site_dir)
    for name, content in plan.files.items():
        if not inside(name):
            raise PluginError(f"handbook: refusing to write outside the site: {name!r}.")
        target = site / name
        if target.exists() and name.endswith("index.html"):
            continue  # a redirect never replaces a real page
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")

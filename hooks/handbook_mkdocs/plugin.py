"""The `handbook` MkDocs plugin: publishes the postmortems with the handbook.

A thin adapter over the `handbook` package: every event handler either hands MkDocs something
the package computed or lets MkDocs do its own work. State lives on the instance and is replaced
at the start of every build (`on_config`), so `mkdocs serve` never mixes two builds.
"""

from __future__ import annotations

import gc
import logging
import os
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort, PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils.templates import TemplateContext
from mkdocs.utils import is_markdown_file

from handbook.checks.collection import Collection, relative
from handbook.core.paths import inside
from handbook.core.problems import Level, Problem
from handbook.core.text import visible
from handbook.queries.audience import check_audience
from handbook.reading.settings import Settings, SettingsError
from handbook.reading.taxonomy import Taxonomy, TaxonomyError
from handbook.rendering.markup import join_fragments, unsearched
from handbook.rendering.reporting import log_line
from handbook.rendering.routes import Routes, replacing
from handbook.rendering.sanitise import sanitise
from handbook.rendering.site import SitePlan, plan_site
from handbook_mkdocs.links import MkDocsLinks
from handbook_mkdocs.options import HandbookConfig, settings_from_config

log = logging.getLogger("mkdocs.plugins.handbook")

BROKEN_BOX = Environment(autoescape=True).from_string(
    '<div class="md-typeset" role="alert" style="padding:.6rem 1rem;max-width:61rem;margin:auto">'
    '<div class="admonition failure"><p class="admonition-title">The handbook cannot be built</p>'
    '{% for line in lines %}<p><code style="white-space:pre-wrap;word-break:break-word">{{ line }}</code></p>'
    '{% endfor %}<p>The postmortems are left out until this is fixed; the page reloads when you save.</p>'
    '</div></div>')


def _written_as_is(config: MkDocsConfig, name: str, output: str | bytes | Path) -> File:
    """A file of the plan that MkDocs writes at `name` as it is. A name MkDocs would take for a page to
    render (an external message's `statements/<id>.md`, for a status page) is given another source
    name, and `name` as where it is written."""
    source = f"{name}.txt" if is_markdown_file(name) else name
    if isinstance(output, Path):
        file = File.generated(config, source, abs_src_path=str(output))
    else:
        file = File.generated(config, source, content=output)
    file.dest_uri = name
    return file


def _generated(plan: SitePlan, config: MkDocsConfig) -> list[File]:
    """Every page and file the plan generates, as the MkDocs files that write it: each at its site path
    (`dest_uri`), the one register of what the handbook puts in the site. A file written as it is never
    takes a generated page's place (a redirect from a report's file name that is another report's id)."""
    docs_dir = Path(config.docs_dir).resolve()
    made: list[File] = []
    for src_uri, content in plan.pages.items():
        if not inside(src_uri):  # every name is made safe upstream; this is the last line of defence
            raise PluginError(f"handbook: refusing to generate a page outside the site: {src_uri!r}.")
        report = plan.report_sources.get(src_uri)
        # Reports stay out of the navigation (Material renders it on every page: thousands of
        # entries make the build quadratic); the indexes named in mkdocs.yml's nav still appear.
        page = File.generated(config, src_uri, content=content, inclusion=InclusionLevel.NOT_IN_NAV)
        if report is not None:
            # The file name is the author's: percent-encode it, as the theme prints the edit link raw.
            page.edit_uri = quote(os.path.relpath(report.path, docs_dir).replace(os.sep, "/"), safe="/.")
        made.append(page)
    pages = {page.dest_uri for page in made}
    for name, output in [*plan.files.items(), *plan.copies.items()]:
        # incidents.json, the feed, the external messages as files, the redirects from each report's
        # file name and the preview cards (copied from their cache), as MkDocs files
        if not inside(name):
            raise PluginError(f"handbook: refusing to write outside the site: {name!r}.")
        if name not in pages:
            made.append(_written_as_is(config, name, output))
    return made


def _source_of(file: File, root: Path) -> str:
    """Where a file MkDocs collected comes from, as a problem names it: `docs/incidents.json`."""
    return relative(Path(file.abs_src_path), root) if file.abs_src_path else file.src_uri


class HandbookPlugin(BasePlugin[HandbookConfig]):
    """Reads every report once per build, validates it and generates the report and index pages."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.serving = False
        self.root = Path.cwd()
        """The folder of mkdocs.yml (set by on_config)."""
        self.settings: Settings | None = None
        self.taxonomy: Taxonomy | None = None
        self.broken: list[str] = []
        self.plan = SitePlan(Collection([], []), [])

    def on_startup(self, *, command: str, dirty: bool) -> None:
        """Once per process, before the first build: `serve` shows problems on the pages instead of failing."""
        self.serving = command == "serve"

    @event_priority(50)
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Before mkdocs-macros' on_config (priority 0), which reads the taxonomy from this plugin: the settings
        and the taxonomy are loaded once per build, here, and nowhere else."""
        gc.unfreeze()  # the last build's objects (frozen in on_files) may be collected again
        self.settings, self.taxonomy, self.broken = None, None, []
        # Generated pages mark a heading with an attribute list (`## Similar incidents { data-search-exclude }`,
        # kept out of the search index): the extension is there whatever mkdocs.yml lists. Author Markdown
        # gains nothing from it, as every generated page is sanitised after Markdown.
        if "attr_list" not in config.markdown_extensions and "markdown.extensions.attr_list" not in \
                config.markdown_extensions:
            config.markdown_extensions.append("attr_list")
        self.plan = SitePlan(Collection([], []), [])
        root = self.root = Path(config.config_file_path).parent.resolve()
        try:
            settings = settings_from_config(root, self.config, site_url=config.site_url or "",
                                            repo_url=config.repo_url or "",
                                            directory_urls=bool(config.use_directory_urls),
                                            docs_dir=config.docs_dir)
            taxonomy = settings.load_taxonomy()
            check_audience(taxonomy, settings.audience)
        except SettingsError as exc:
            self._cannot_build([str(exc)])
        except TaxonomyError as exc:
            self._cannot_build([log_line(p) for p in exc.problems])
        else:
            self.settings, self.taxonomy = settings, taxonomy
        return config

    def _cannot_build(self, lines: list[str]) -> None:
        """The handbook's own settings are broken. A build stops; `mkdocs serve` keeps serving the
        handbook pages with a box naming the problem on every page (MkDocs' server would otherwise hang
        every request until the next good build), and builds again on the next save."""
        for line in lines:
            log.error("handbook: %s", visible(line))
        if not self.serving:
            raise PluginError("handbook: cannot build; see the errors above.")
        self.broken = lines

    @event_priority(50)
    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        """After MkDocs collected docs/ and before the navigation is built: every report is read once and every
        page and output generated here, so the nav and every link can see them."""
        self._check_macros_pages(files, config)
        if self.settings is None or self.taxonomy is None:
            return files  # serving with broken settings: the handbook pages only, each naming the problem
        settings = self.settings
        if settings.preview is not None and not self.serving:
            raise PluginError("handbook: HANDBOOK_PREVIEW builds one report's page only; it is for `mkdocs serve` "
                              "(`handbook preview PATH`). Unset it to build the site.")
        plan = self.plan = plan_site(settings, self.taxonomy, MkDocsLinks(bool(config.use_directory_urls)),
                                     show_problems=self.serving, site_name=config.site_name)
        generated = _generated(plan, config)
        replaced = self._refuse_replaced(files, generated)  # logged before the reports' problems stop a build
        self._report_problems(strict=bool(config.strict))
        if replaced and not self.serving:
            raise Abort(f"handbook: {len(replaced)} file(s) would replace what the handbook generates; "
                        "see the errors above.")
        for file in generated:
            files.append(file)
        if plan.cards is not None:
            log.info("handbook: link-preview cards: %d drawn, %d from the cache (%.2f s, %.2f s CPU)",
                     plan.cards.drawn, plan.cards.cached, plan.cards.seconds, plan.cards.cpu_seconds)
        if plan.reuse is not None:
            log.info("handbook: reports: %d read and checked, %d as the last build checked them",
                     plan.reuse.checked, plan.reuse.stored)
        # MkDocs holds each page's Markdown now, and what later events need is text already: drop
        # the reports, then move what is left out of the cyclic collector's way, so it is not
        # rescanned at every collection during the build.
        plan.files.clear()
        plan.copies.clear()
        plan.release()
        gc.freeze()
        return files

    def on_nav(self, nav: Navigation, config: MkDocsConfig, files: Files) -> Navigation:
        """Reports, services, severities and years stay out of the navigation (see on_files), but each
        belongs to the section of the listing it is reached from: its tab is shown active, the sidebar
        shows that section and the breadcrumb (`navigation.path`) leads back. MkDocs marks a page's
        ancestors active through `page.parent`, so that is all that is set; the section's children
        are left as they are."""
        in_nav = {page.file.src_uri: page.parent for page in nav.pages}
        for src in self.plan.meta:  # the generated pages
            listing = Routes.listing_of(src)
            section = in_nav.get(listing) if listing else None
            file = files.get_file_from_path(src) if section is not None and src not in in_nav else None
            if file is not None and file.page is not None and file.page.parent is None:
                file.page.parent = section
        return nav

    def _check_macros_pages(self, files: Files, config: MkDocsConfig) -> None:
        """Warn of each page `macros_pages` lists that docs/ does not hold (a misspelt or moved name)."""
        for name in self.config.macros_pages:
            listed = files.get_file_from_path(name)
            if listed is None or not listed.is_documentation_page():
                log.warning("handbook: plugins.handbook.macros_pages in mkdocs.yml lists %s, which is not a page "
                            "of %s.", name, relative(Path(config.docs_dir), self.root))

    def _refuse_replaced(self, files: Files, generated: list[File]) -> list[Problem]:
        """Log each file MkDocs collected (docs/, the theme) that would be written where a generated page or
        file is (`routes.replacing`): an error that stops a build; under `mkdocs serve` a warning, and the
        generated file is the one served."""
        others = {_source_of(f, self.root): f for f in files if f.inclusion is not InclusionLevel.EXCLUDED}
        replaced = replacing([f.dest_uri for f in generated], {name: f.dest_uri for name, f in others.items()})
        for p in replaced:
            log.log(logging.WARNING if self.serving else logging.ERROR, "%s", log_line(p))
            files.remove(others[p.file])
        return replaced

    def _report_problems(self, *, strict: bool) -> None:
        assert self.settings is not None
        problems = self.plan.collection.problems
        preview = self.settings.preview
        if preview is not None:  # the author is writing one report: show its problems only
            problems = [p for r in self.plan.collection.reports if r.path == preview for p in r.problems]
        for p in problems:
            level = logging.ERROR if p.level is Level.ERROR and not self.serving else logging.WARNING
            log.log(level, "%s", log_line(p))
        if self.serving:
            return
        errors = sum(1 for p in problems if p.level is Level.ERROR)
        warnings = len(problems) - errors
        if errors or (strict and warnings):
            # Abort rather than rely on MkDocs' own strict counting, which `-q` turns off.
            raise Abort(f"handbook: {errors} error(s) and {warnings} warning(s) in the postmortems; "
                        f"run `handbook validate` for the fixes.")

    @event_priority(100)
    def on_page_markdown(self, markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        """First of all plugins, before mkdocs-macros looks at the page: a generated page's metadata (title,
        description, `render_macros: False`) comes from the plan as data, never from text; a page of docs/ is
        rendered as a template only when `macros_pages` lists it."""
        meta = self.plan.meta.get(page.file.src_uri)
        if meta is not None:
            page.meta = dict(meta)
        else:
            self._decide_macros(page)
        return markdown

    def _decide_macros(self, page: Page) -> None:
        """Whether mkdocs-macros renders a page of docs/: only when `macros_pages` lists it (its `{{ … }}` is
        code), whatever its front matter says. A page that asks otherwise is told so, with a warning."""
        listed = page.file.src_uri in self.config.macros_pages
        asked = page.meta.get("render_macros", listed)
        if bool(asked) is not listed:
            log.warning("handbook: %s says `render_macros: %s`, but mkdocs-macros renders only the pages "
                        "plugins.handbook.macros_pages lists in mkdocs.yml (each one's {{ … }} runs as code), so "
                        "it is %s. Change the list (a change to review as code) or remove the key.",
                        _source_of(page.file, self.root), asked, "rendered" if listed else "shown as text")
        page.meta["render_macros"] = listed

    def on_page_content(self, html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        """Right after Markdown, before the theme: every generated page holds author text, so its HTML is cut
        down to the allowlist, then the generated tables, cards and charts are put back."""
        if page.file.src_uri not in self.plan.meta:
            return html  # a handbook page of docs/: ours, not an author's report
        html = sanitise(html)
        fragments = self.plan.fragments.pop(page.file.src_uri, None)  # used once; frees the memory
        if not fragments:
            return html
        later = unsearched(fragments)
        if later:
            self.plan.fragments[page.file.src_uri] = later  # for on_page_context
        return join_fragments(html, fragments)

    @event_priority(-100)
    def on_page_context(self, context: TemplateContext, /, *, page: Page, config: MkDocsConfig,
                        nav: Navigation) -> TemplateContext:
        """After Material's search has read the page: the fragments kept out of the index go back in."""
        fragments = self.plan.fragments.pop(page.file.src_uri, None)  # used once; frees the memory
        if fragments and page.content is not None:
            page.content = join_fragments(page.content, fragments, searched=False)
        return context

    def on_post_page(self, output: str, page: Page, config: MkDocsConfig) -> str:
        """The page's HTML is final here: while handbook.yml is broken under `mkdocs serve`, every page names
        the problem. (The feed link and link previews are written by overrides/main.html from page meta.)"""
        return self._with_broken_box(output) if self.broken else output

    def on_post_template(self, output_content: str, template_name: str, config: MkDocsConfig) -> str:
        """The theme's own pages (404.html, which `mkdocs serve` shows for a missing report) name it too."""
        return self._with_broken_box(output_content) if self.broken else output_content

    def _with_broken_box(self, output: str) -> str:
        box = BROKEN_BOX.render(lines=[visible(line) for line in self.broken])
        body = output.find("<body")
        if body < 0:
            return box + output
        at = output.find(">", body) + 1
        return output[:at] + box + output[at:]

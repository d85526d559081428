"""Plan one build of the site: which reports it publishes and the Markdown of every generated page.

This is the whole of what the MkDocs hook asks of the domain: read the reports once, choose
those the build's audience may read, and fill in the pages. It does not import MkDocs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from handbook.checks.collection import Collection, find_reports, internal_error, shared_file_names
from handbook.checks.incremental import load_incrementally
from handbook.checks.links import resolver_for
from handbook.checks.preview import load_for_preview
from handbook.checks.tracker import tracker_for
from handbook.core.memory import collector_paused
from handbook.core.paths import path_key, stable_name
from handbook.core.problems import Problem
from handbook.queries.audience import check_audience, counted, learning, readable_by
from handbook.queries.deadlines import deadlines
from handbook.queries.similarity import Match, similar_reports
from handbook.queries.statements import Statement, statement_of
from handbook.queries.themes import Themes, themes
from handbook.reading.model import Report
from handbook.reading.settings import Settings
from handbook.reading.taxonomy import Taxonomy
from handbook.reading.tracker import TrackerFile
from handbook.rendering import indexes
from handbook.rendering.calendar import calendar_ics
from handbook.rendering.markup import split_fragments
from handbook.rendering.metrics import metrics_page
from handbook.rendering.cards import CardSet, ensure_cards
from handbook.rendering.outputs import atom_feed, incidents_json, open_graph, redirect_page, report_card
from handbook.rendering.page import Page
from handbook.rendering.report_links import ReportLinks
from handbook.rendering.report_page import render_report_page
from handbook.rendering.routes import PageLinks, Routes
from handbook.rendering.statements import statement_files, statement_page, statements_page
from handbook.rendering.themes import repeats_json, themes_page
from handbook.rendering.templating import render_fragment


@dataclass(slots=True)
class Reuse:
    """What a full build took from the last one instead of doing it again (the plugin logs it)."""

    checked: int = 0
    """Reports read and checked (`checks.incremental`): those whose bytes changed, or every one."""
    stored: int = 0
    """Reports taken from the store, as the last build's checks left them."""


@dataclass(slots=True)
class SitePlan:
    collection: Collection
    """Every report read, readable or not, with every problem."""
    readable: list[Report]
    """The reports this build's audience may read."""
    pages: dict[str, str] = field(default_factory=dict)
    """Docs-relative source path -> Markdown of each generated page (never with front matter)."""
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Docs-relative source path -> `page.meta` of each generated page, set by the plugin: the title,
    description and switches travel beside the Markdown, never inside it."""
    report_sources: dict[str, Report] = field(default_factory=dict)
    """Docs-relative source path of each report page -> its report."""
    fragments: dict[str, dict[str, str]] = field(default_factory=dict)
    """Docs-relative source path -> generated HTML to put back into the rendered page."""
    files: dict[str, str | bytes] = field(default_factory=dict)
    """Site-relative path -> content of the files written after the pages (JSON, feed, redirects)."""
    copies: dict[str, Path] = field(default_factory=dict)
    """Site-relative path -> file copied into the site (the link-preview cards, from their cache, and the
    attachments the published reports link to)."""
    cards: CardSet | None = None
    """The link-preview cards of this build: how many were drawn and found, and the time it took."""
    reuse: Reuse | None = None
    """What this build took from the last one; None for an author's preview."""

    def release(self) -> None:
        """Forget everything MkDocs now holds itself or that was turned into text: with thousands
        of reports, keeping them for the rest of the build would cost more than the pages."""
        self.pages.clear()
        self.report_sources.clear()
        self.readable.clear()
        self.collection.reports.clear()


def _outputs(plan: SitePlan, tax: Taxonomy, settings: Settings, routes: Routes, site_name: str) -> None:
    """Link previews, incidents.json, the feed, the calendar and the redirects, computed while the
    reports are here."""
    site_url = settings.site_url
    cards = _cards(plan, tax, settings, site_name) if site_url else {}  # previews need absolute URLs

    shared = shared_file_names(list(plan.report_sources.values()))  # an address of two: of neither
    # A page's own folder is never a redirect's, where case does not count either (macOS, Windows).
    pages = {PurePosixPath(src).stem.casefold() for src in plan.report_sources}
    for src, report in plan.report_sources.items():
        head = open_graph(report, tax, site_url, site_name, card=cards.get(src))
        plan.meta[src]["handbook_head"] = head
        if report.id and report.id == report.key:
            canonical = f"{site_url.rstrip('/')}/incidents/{report.key}/" if site_url else ""
            # The file's own name is the other address people use (they see it in the repository and in
            # pull requests): send it on to the id's permanent address. Each redirect is a page of its own
            # folder: the link from there is MkDocs' (Routes.href).
            stem = path_key(report.path.stem)
            if stem and stem.casefold() not in pages and stem.lower() not in shared:  # nor does an unsafe name
                page = routes.href(f"incidents/{stem}/index.md", src)
                plan.files[f"incidents/{stem}/index.html"] = redirect_page(page, canonical, head)
            if not settings.directory_urls:
                # The permanent address, `incidents/<id>/`, used in Slack, feeds and incidents.json, keeps
                # working when the site is built without directory URLs.
                page = routes.href(f"incidents/{report.key}/index.md", src)
                plan.files[f"incidents/{report.key}/index.html"] = redirect_page(page, canonical, head)
    plan.files[Routes.INCIDENTS_JSON] = incidents_json(plan.readable, tax, site_url, settings.today)
    plan.files[Routes.FEED] = atom_feed(plan.readable, tax, site_url, site_name)
    # Only our own incidents have deadlines to keep (case studies and drills are not counted).
    plan.files[Routes.CALENDAR] = calendar_ics(deadlines(counted(plan.readable, tax), tax), site_url, site_name,
                                               settings.today)


def _cards(plan: SitePlan, tax: Taxonomy, settings: Settings, site_name: str) -> dict[str, str]:
    """Each report page's link-preview card, drawn or found in the cache, to be copied to
    `assets/cards/<key>.png`: report page source -> the card's site path. Only the reports this
    build publishes are here, so a hidden report leaves no card."""
    wanted = {src: report_card(report, tax, site_name) for src, report in plan.report_sources.items() if report.id}
    keys = {src: card.key for src, card in wanted.items()}
    made = plan.cards = ensure_cards({keys[src]: card for src, card in wanted.items()}, settings.cards_dir)
    names: dict[str, str] = {}
    for src, key in keys.items():
        name = f"assets/cards/{PurePosixPath(src).stem}.png"
        if key in made.files:
            plan.copies[name] = made.files[key]
        elif key in made.data:
            plan.files[name] = made.data[key]
        else:  # a bug of ours: the report's problem; its link shows the site's image meanwhile
            report = plan.report_sources[src]
            failure = internal_error(report.rel, made.failed[key])
            report.problems.append(failure)
            plan.collection.problems.append(failure)
            continue
        names[src] = name
    made.data.clear()  # the site's files hold them now
    return names


def _shown(problems: list[Problem], visible: set[str]) -> list[Problem]:
    """The problems of a report as its page shows them: one that names a report this audience may
    not read is shown without the name."""
    return [p if all(name in visible for name in p.names) else
            replace(p, message="The value is also used by another report, one this audience may not read.",
                    names=())
            for p in problems]


def _statements(collection: Collection, tax: Taxonomy) -> dict[str, Statement]:
    """Report path -> the external message it publishes (`queries.statements`), for every report that
    publishes one under a safe, unique id (two reports with one id are an error of their own: the
    first keeps it here). A report whose message cannot be read becomes its `internal-error`."""
    found: dict[str, Statement] = {}
    taken: set[str] = set()
    for report in collection.reports:
        try:
            told = statement_of(report, tax)
        except Exception as exc:  # noqa: BLE001 - one report's message never ends the build
            failure = internal_error(report.rel, exc)
            report.problems.append(failure)
            collection.problems.append(failure)
            continue
        if told is not None and path_key(told.report_id) and told.report_id not in taken:
            taken.add(told.report_id)
            found[report.rel] = told
    return found


def plan_site(settings: Settings, tax: Taxonomy, links: PageLinks, *, show_problems: bool = False,
              site_name: str = "") -> SitePlan:
    """Read the reports once and plan every generated page and output of one build; `links` gives the
    site generator's addresses (MkDocs': `handbook_mkdocs.links.MkDocsLinks`)."""
    with collector_paused():  # thousands of pages' worth of small objects and no cycles: see core.memory
        return _plan(settings, tax, links, show_problems=show_problems, site_name=site_name)


def _plan(settings: Settings, tax: Taxonomy, links: PageLinks, *, show_problems: bool, site_name: str) -> SitePlan:
    """Run the build's steps in order: load and check, read as the audience reads, name the pages, draw
    the report pages, the listings and the external messages, then the outputs."""
    check_audience(tax, settings.audience)
    collection, reuse = _load(settings, tax)
    readable = readable_by(collection.reports, tax, settings.audience, unread=show_problems)
    plan = SitePlan(collection, readable, reuse=reuse)
    own = counted(readable, tax)  # the organisation's incidents; case studies and drills go to the library
    services = sorted({s for r in own for s in r.services}, key=str.lower)
    routes = Routes(links)
    routes.name_services(services)
    keyed = _keyed(readable, routes)
    page_of = {report.rel: routes.report(key) for key, report in keyed}
    with_pages = [(key, report) for key, report in keyed
                  if settings.preview is None or report.path == settings.preview]  # preview: the one being written
    report_links = ReportLinks(resolver_for(settings.layout, tax, {r.id for r in collection.reports if r.id}),
                               pages={report.rel: routes.report(key) for key, report in with_pages},
                               by_id={report.id: routes.report(key) for key, report in with_pages if report.id})
    # Similar incidents: compared among the reports this audience may read, so no list names another.
    similar = similar_reports(readable, tax.similarity,  # an author's preview: the one page's list
                              wanted=[r for _, r in with_pages] if reuse is None else None,
                              referenced_by=collection.referenced_by)
    # External messages: of every report read, whatever this audience may read (each is written to be
    # public); before the report pages, which let the reports' bodies go.
    statements = _statements(collection, tax)
    pages = _report_pages(plan, with_pages, tax, routes, settings.today, report_links, similar, page_of,
                          statements, show_problems)
    tracker, unreadable = tracker_for(settings, tax)  # the issue states last pulled, if any
    plan.collection.problems.extend(unreadable)
    listed = Listed(own=own, library=learning(readable, tax), services=services,
                    recurring=themes(own, tax, settings.today), tracker=tracker, tax=tax, routes=routes,
                    today=settings.today, site_url=settings.site_url)
    # The themes page links to it, a preview's too.
    plan.files[Routes.REPEATS_JSON] = repeats_json(listed.recurring, tax, settings.today)
    for _, draw_listing in LISTINGS:
        pages.update(draw_listing(listed))
    pages.update(_statement_pages(statements, readable, routes, page_of, tax))
    plan.copies.update(report_links.attachments)  # only the files a published report links to
    _write_pages(plan, pages)
    if settings.preview is None:  # an author's preview needs neither machine-readable files nor redirects
        _outputs(plan, tax, settings, routes, site_name)
        plan.files.update(statement_files(list(statements.values())))
    return plan


def _load(settings: Settings, tax: Taxonomy) -> tuple[Collection, Reuse | None]:
    """Read and check the reports: the one being previewed fresh, or only those changed since the last
    build (`checks.incremental`); and what was taken from the last build (None for a preview)."""
    files = find_reports([settings.postmortems]) if settings.postmortems.is_dir() else []
    reuse: Reuse | None = None
    if settings.preview is not None:
        collection = load_for_preview(files, tax, settings.layout, settings.preview, settings.cache_dir)
    else:
        collection, checked = load_incrementally(files, tax, settings.layout, settings.cache_dir)
        reuse = Reuse(checked=checked, stored=len(collection.reports) - checked)
    for report in collection.reports:
        report.lines = {}  # every problem has its line already; with thousands of reports the map is a fifth of them
    return collection, reuse


def _keyed(readable: list[Report], routes: Routes) -> list[tuple[str, Report]]:
    """Give each readable report the key of its page (its id, or its file name's when two share one), and
    note in `routes` the title of every id a page may link to."""
    used: set[str] = set()
    keyed: list[tuple[str, Report]] = []
    for report in readable:
        key = report.key if report.key not in used else stable_name(f"{report.key}-{report.path.stem}")
        used.add(key)
        keyed.append((key, report))
        if report.id and path_key(report.id) and report.id not in routes.known:
            routes.known[report.id] = report.title
    return keyed


def _report_pages(plan: SitePlan, with_pages: list[tuple[str, Report]], tax: Taxonomy, routes: Routes,
                  today: dt.date, report_links: ReportLinks, similar: dict[str, list[Match]],
                  page_of: dict[str, str], statements: dict[str, Statement], show_problems: bool) -> dict[str, Page]:
    """Draw the page of each report of `with_pages`; a report whose page fails gets a page saying so and
    an `internal-error` problem. Each report lets go of its body once its page is drawn."""
    visible = {r.rel for r in plan.readable}
    pages: dict[str, Page] = {}
    for key, report in with_pages:
        src = routes.report(key)
        problems = _shown(report.problems, visible) if show_problems else None
        told = statements.get(report.rel)
        try:
            body = report_links.body(report, src)
            matches = [(m, page_of[m.report.rel]) for m in similar.get(report.rel, [])]
            statement = (told.title, routes.statement(told.report_id)) if told else None
            pages[src] = render_report_page(report, tax, routes, today, problems=problems, src=src, body=body,
                                            similar=matches, statement=statement,
                                            referenced_by=plan.collection.referenced_by.get(report.id, ()))
        except Exception as exc:  # noqa: BLE001 - one report's page never ends the build
            failure = internal_error(report.rel, exc)
            report.problems.append(failure)
            plan.collection.problems.append(failure)
            pages[src] = Page.start(report.key, "", listing=False)
            pages[src].lines += render_fragment("page-failed.html", path=report.rel)
        plan.report_sources[src] = report
        report.release_content()  # its page is drawn: nothing after this reads its body or timeline
    return pages


@dataclass(frozen=True, slots=True)
class Listed:
    """Everything the index pages are drawn from, given whole to each: a listing reads nothing else."""

    own: list[Report]
    """The organisation's own incidents this audience reads (the kinds handbook.yml counts)."""
    library: list[Report]
    """The case studies and drills this audience reads."""
    services: list[str]
    recurring: Themes
    tracker: TrackerFile | None
    tax: Taxonomy
    routes: Routes
    today: dt.date
    site_url: str


LISTINGS: tuple[tuple[str, Callable[[Listed], dict[str, Page]]], ...] = (
    ("incidents", lambda l: {Routes.INCIDENTS: indexes.incidents_page(l.own, l.tax, l.routes, l.services)}),
    ("actions", lambda l: {Routes.ACTIONS: indexes.actions_page(l.own, l.tax, l.routes, l.today, l.tracker,
                                                                l.site_url)}),
    ("review", lambda l: {Routes.REVIEW: indexes.review_page(l.own, l.tax, l.routes, l.today)}),
    ("metrics", lambda l: {Routes.METRICS: metrics_page(l.own, l.tax, l.routes, l.today)}),
    ("themes", lambda l: {Routes.THEMES: themes_page(l.recurring, l.own, l.tax, l.routes, l.today)}),
    ("library", lambda l: {Routes.LIBRARY: indexes.library_page(l.library, l.tax, l.routes)}),
    ("services", lambda l: indexes.services_pages(l.own, l.tax, l.routes, l.today)),
    ("severities", lambda l: indexes.severity_pages(l.own, l.tax, l.routes)),
    ("years", lambda l: indexes.year_pages(l.own, l.tax, l.routes)),
)
"""Every index page, registered once: its name and how it is drawn from `Listed`."""


def _statement_pages(statements: dict[str, Statement], readable: list[Report], routes: Routes,
                     page_of: dict[str, str], tax: Taxonomy) -> dict[str, Page]:
    """Draw the page of each external message and their list. A message links to its report's page only
    for a report this audience may read; for another, nothing of it but its id."""
    by_rel = {report.rel: report for report in readable}
    pages: dict[str, Page] = {}
    for rel, told in statements.items():
        shown = by_rel.get(rel)
        report_page = (f"{shown.id}: {shown.title}", page_of[rel]) if shown is not None else None
        pages[routes.statement(told.report_id)] = statement_page(told, routes, report_page)
    pages[Routes.STATEMENTS] = statements_page(list(statements.values()), routes, tax.external_message.published_from)
    return pages


def _write_pages(plan: SitePlan, pages: dict[str, Page]) -> None:
    """Turn each page into the Markdown and meta MkDocs reads, and its generated HTML set apart, in order;
    each page's lines are freed as its Markdown is made."""
    for src in list(pages):
        page = pages.pop(src)
        plan.pages[src], found = split_fragments(page.markdown)
        plan.meta[src] = page.meta()
        if found:
            plan.fragments[src] = found

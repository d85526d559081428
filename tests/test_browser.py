"""The built example site in a real Chromium: pages load cleanly and offline, search and the
incidents-table filters work, and axe-core finds no serious or critical accessibility problem.

The site is served from the `example_site` build by a threaded http.server on 127.0.0.1; axe-core
is served from node_modules under /__test__/ by the same server (the shared build folder is left
untouched). One Chromium is launched for the whole module. Each page (and palette) is loaded once
in a context of its own for the load check and the accessibility audit, which only read it; the
search and filter tests get pages of their own. Every request that would leave 127.0.0.1 is
recorded and aborted. Playwright never downloads a browser here: we use Debian's Chromium.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_ROUTE = "/__test__/axe.min.js"
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

REPORT = "INC-2026-001"
PAGES = ["/", f"/incidents/{REPORT}/", "/incidents/", "/actions/", "/review/", "/metrics/"]

# axe rules that fail on Material for MkDocs' own markup, not ours: {rule id: [selectors]}. Each
# rule is switched off for exactly those elements (and their content) and still runs everywhere
# else; every other rule runs on the whole page. Checked with mkdocs-material 9.8.1, axe-core 4.14.
UPSTREAM_EXCEPTIONS: dict[str, list[str]] = {
    # partials/search.html: <div class="md-search" role="dialog"> has no aria-label/labelledby.
    "aria-dialog-name": [".md-search"],
}


def _missing(reason: str) -> None:
    """Skip locally; fail under CI=true so a missing tool cannot silently skip the browser tests."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the browser tests must run in CI)", pytrace=False)
    pytest.skip(reason)


def _chromium() -> str | None:
    configured = os.environ.get("HANDBOOK_CHROMIUM")
    if configured:
        if not Path(configured).is_file():
            _missing(f"HANDBOOK_CHROMIUM={configured} is not a file: point it at a Chromium binary")
        return configured
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


# --- the server -------------------------------------------------------------------------------

class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the built site, plus axe-core at AXE_ROUTE (from node_modules, not the site folder)."""

    def translate_path(self, path: str) -> str:
        if path.split("?", 1)[0] == AXE_ROUTE:
            return str(AXE)
        return super().translate_path(path)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - keep pytest output clean
        pass


@pytest.fixture(scope="module")
def base_url(example_site: Path) -> Iterator[str]:
    handler = functools.partial(_Handler, directory=str(example_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- the browser ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    if executable is None:
        _missing("Chromium not found: install Debian's chromium package (apt-get install chromium) "
                 "to run the browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright Python package is not installed: pip install -r requirements.lock")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@dataclass
class Traffic:
    """What one page did on the network and the console: (url, message) pairs."""
    base_url: str
    requests: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Outside requests, failed requests and console errors."""
        local = self.base_url + "/"
        return ([f"outside request: {url}" for url in self.requests if not url.startswith(local)]
                + [f"failed request: {url}: {why}" for url, why in self.failed]
                + [f"{message} ({url})" for url, message in self.errors])


def _context(browser, base_url: str, traffic: Traffic, **options):
    """A fresh context that records every request and never lets one leave 127.0.0.1."""
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    context.on("request", lambda request: traffic.requests.append(request.url))
    context.on("requestfailed", lambda request: traffic.failed.append((request.url, request.failure)))
    context.on("response", lambda response: response.status >= 400 and
               traffic.failed.append((response.url, f"HTTP {response.status}")))
    # Anything outside the local server is aborted (and so also shows up as a failed request):
    # the tests never reach the internet, and pass or fail the same with or without a network.
    context.route(lambda url: not url.startswith(base_url + "/"), lambda route: route.abort())
    return context


def _watch_console(page, traffic: Traffic) -> None:
    def console(source: str):
        return lambda message: message.type == "error" and traffic.errors.append(
            (message.location.get("url", ""), f"{source} error: {message.text}"))

    page.on("console", console("console"))
    page.on("pageerror", lambda error: traffic.errors.append((page.url, f"page error: {error}")))
    page.on("worker", lambda worker: worker.on("console", console(f"worker {worker.url}")))


def _opener(browser, base_url: str):
    """(open, close): open(path, scheme) -> (page, traffic) in a fresh context, loaded until the
    network is idle; close() closes every context it opened."""
    contexts = []

    def open_(path: str, scheme: str = "light", viewport: tuple[int, int] | None = None):
        traffic = Traffic(base_url)
        size = {"viewport": {"width": viewport[0], "height": viewport[1]}} if viewport else {}
        context = _context(browser, base_url, traffic, color_scheme=scheme, **size)
        contexts.append(context)
        page = context.new_page()
        _watch_console(page, traffic)
        response = page.goto(base_url + path, wait_until="networkidle")
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        return page, traffic

    def close() -> None:
        for context in contexts:
            context.close()

    return open_, close


@pytest.fixture
def open_page(browser, base_url):
    """A page of its own, for tests that change it (search, filters)."""
    open_, close = _opener(browser, base_url)
    yield open_
    close()


@pytest.fixture(scope="module")
def site_page(browser, base_url):
    """site_page(path, scheme): each page loaded once for the module, read by the load check and
    the accessibility audit (which do not change the page), to keep the run short."""
    open_, close = _opener(browser, base_url)
    yield functools.cache(open_)
    close()


# --- pages load cleanly, from 127.0.0.1 only ---------------------------------------------------

@pytest.mark.parametrize("path", PAGES)
def test_page_loads_without_errors_or_outside_requests(site_page, path):
    page, traffic = site_page(path, "light")
    assert page.locator("article h1").first.is_visible()
    assert len(traffic.requests) > 1  # the page and at least its stylesheets were seen
    problems = traffic.problems()
    assert problems == [], f"{path}: the page is not clean and self-contained:\n" + "\n".join(problems)


# --- every page fits a phone and a laptop -------------------------------------------------------

SIZES = {"phone": (390, 844), "laptop": (1280, 900)}
FITS = """() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  if (document.documentElement.scrollWidth > width) {
    problems.push(`the page is ${document.documentElement.scrollWidth} px wide in a ${width} px window`);
  }
  // A generated table never hides a column behind a scroll bar: as a table or as cards, it fits.
  document.querySelectorAll("table[data-pm-cards]").forEach((table, n) => {
    const box = (table.closest(".md-typeset__scrollwrap") || table.parentElement).getBoundingClientRect();
    const own = table.getBoundingClientRect();
    if (own.width > box.width + 1) problems.push(`table ${n + 1} is ${Math.round(own.width)} px in ${Math.round(box.width)} px`);
  });
  return problems;
}"""


def _site_pages(site: Path) -> list[str]:
    """Every page of the built site, as its address (the handbook's own pages and every generated one)."""
    return sorted("/" if p.parent == site else f"/{p.parent.relative_to(site).as_posix()}/"
                  for p in site.rglob("index.html") if "assets" not in p.parts and "search" not in p.parts)


@pytest.mark.parametrize("size", SIZES)
def test_every_page_fits_the_window_without_panning(browser, base_url, example_site, size):
    """Each page is loaded once per size and measured in both palettes: Material's palette switch
    is the `data-md-color-scheme` attribute on the body, set here as its toggle sets it."""
    width, height = SIZES[size]
    traffic = Traffic(base_url)
    context = _context(browser, base_url, traffic, viewport={"width": width, "height": height}, color_scheme="light")
    try:
        page = context.new_page()
        paths = _site_pages(example_site)
        assert len(paths) > 20 and "/actions/" in paths and any(p.startswith("/services/") for p in paths)
        failures = []
        for path in paths:
            page.goto(base_url + path, wait_until="load")
            page.wait_for_function("() => document.querySelector('.md-content') !== null")
            page.wait_for_load_state("load")  # a redirect page's target may still be loading its styles
            for scheme in ("default", "slate"):
                page.evaluate("s => document.body.setAttribute('data-md-color-scheme', s)", scheme)
                failures += [f"{path} ({scheme}): {problem}" for problem in page.evaluate(FITS)]
        assert failures == [], f"{size} ({width} px):\n" + "\n".join(failures)
        # (requests cut short by the next page are expected here; the load test checks each page's own)
        assert [url for url in traffic.requests if not url.startswith(base_url + "/")] == []
    finally:
        context.close()


def test_every_report_opens_with_its_summary_on_the_first_screen(browser, base_url, example_site):
    """At 1280x900 a reader opening a report from a Slack link sees the header and the start of the
    summary without scrolling; the report's tab is the active one and the breadcrumb leads back."""
    traffic = Traffic(base_url)
    context = _context(browser, base_url, traffic, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        reports = [p for p in _site_pages(example_site) if p.startswith("/incidents/INC-")]
        assert len(reports) >= 5
        late = []
        for path in reports:
            page.goto(base_url + path, wait_until="load")
            top = page.evaluate("() => document.querySelector('#summary + p').getBoundingClientRect().top")
            if top > 900 - 24:  # at least its first line in view
                late.append(f"{path}: the summary starts {top:.0f} px down")
            assert page.locator(".md-tabs__item--active").inner_text().strip() == "Incidents", path
            assert page.locator("nav.md-path .md-path__link").all_inner_texts() == ["Home", "Incidents"], path
        assert late == []
    finally:
        context.close()


# --- search ------------------------------------------------------------------------------------

def _search(page, query: str, href: str):
    """Type a query into Material's search box; returns the result links whose address has `href`."""
    box = page.locator("input.md-search__input")
    if not box.is_visible():  # narrow layouts hide the box behind the header's search button
        page.locator("label.md-header__button[for='__search']").click()
    box.click()
    box.fill("")
    box.press_sequentially(query, delay=10)
    return page.locator(f".md-search-result__list .md-search-result__item a.md-search-result__link[href*='{href}']")


def test_search_finds_a_report_by_id_and_by_service(open_page):
    page, traffic = open_page("/")
    target = _search(page, "INC-2026-004", "incidents/INC-2026-004/")
    target.first.wait_for(state="visible")  # the worker indexes asynchronously: wait for it
    assert urlsplit(target.first.get_attribute("href")).path == "/incidents/INC-2026-004/"
    assert "INC-2026-004" in target.first.text_content()

    _search(page, "webhooks", "incidents/INC-")
    # the result list is redrawn while the query is typed: wait for the webhooks incident itself,
    # then read every result's address in one step, never from links that may be redrawn between reads
    page.locator(".md-search-result__list a.md-search-result__link[href*='incidents/INC-2026-003/']").first \
        .wait_for(state="visible")
    hrefs = page.eval_on_selector_all(".md-search-result__list a.md-search-result__link[href*='incidents/INC-']",
                                      "links => links.map(a => a.getAttribute('href'))")
    paths = {urlsplit(h).path for h in hrefs}
    assert "/incidents/INC-2026-003/" in paths, paths  # the webhooks incident

    assert traffic.problems() == []


# --- the incidents-table filters ---------------------------------------------------------------

ROWS = ".pm-filterable table tbody tr"


def _table(page) -> tuple[list[str], list[list[str]]]:
    headers = page.locator(".pm-filterable table thead th").all_text_contents()
    cells = page.eval_on_selector_all(
        ROWS, "rows => rows.map(row => Array.from(row.cells, cell => cell.textContent.trim()))")
    return [h.strip() for h in headers], cells


def _shown_ids(page, id_column: int) -> list[str]:
    return [row.locator("td").nth(id_column).text_content().strip()
            for row in page.locator(ROWS + ":visible").all()]


def _partial(values: list[str], total: int) -> str:
    """The most frequent value that some rows have and others do not (ties: the first in order)."""
    candidates = [v for v in sorted(set(values)) if values.count(v) < total]
    return max(candidates, key=values.count)


def test_incidents_filters_show_exactly_the_matching_rows(open_page):
    page, traffic = open_page("/incidents/")
    form = page.locator(".pm-filterable form.pm-filters")
    output = form.locator("output")
    headers, rows = _table(page)
    total = len(rows)
    assert total >= 3
    col = {name: headers.index(name) for name in ("Id", "Date", "Severity", "Status", "Services")}
    ids = [row[col["Id"]] for row in rows]
    assert _shown_ids(page, col["Id"]) == ids
    assert output.text_content() == f"{total} of {total} shown"

    # What each filter offers, read from the table's cells: Year is the Date's first four
    # characters; Services cells hold a comma-separated list, each value offered on its own.
    def values(name: str, row: list[str]) -> list[str]:
        if name == "Year":
            return [row[col["Date"]][:4]]
        return [v.strip() for v in row[col[name]].split(",")]

    filters = ("Severity", "Status", "Services", "Year")
    offered = {name: sorted({v for row in rows for v in values(name, row)}, reverse=name == "Year")
               for name in filters}
    for name in filters:
        assert form.locator(f"select[name={name}] option").all_text_contents() == ["All", *offered[name]]

    def expect(**chosen: str) -> None:
        for name in filters:
            form.locator(f"select[name={name}]").select_option(chosen.get(name, ""))
        wanted = [row[col["Id"]] for row in rows
                  if all(value in values(name, row) for name, value in chosen.items())]
        assert _shown_ids(page, col["Id"]) == wanted, chosen
        assert output.text_content() == f"{len(wanted)} of {total} shown"

    def pick(name: str) -> str:
        return _partial([v for row in rows for v in values(name, row)], total)

    severity, year, service = pick("Severity"), pick("Year"), pick("Services")
    expect(Severity=severity)
    expect(Year=year)
    expect(Severity=severity, Year=year)
    expect(Services=service)
    expect()  # back to All: every row again
    assert _shown_ids(page, col["Id"]) == ids
    assert traffic.problems() == []


# --- the metrics page's charts: legible on a phone, nothing cut, nothing sideways --------------

CHART_TEXT = """() => {
  const figures = [...document.querySelectorAll("article figure.pm-chart")];
  return {
    page: {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth},
    figures: figures.map(figure => {
      const shown = [...figure.querySelectorAll("svg")].filter(svg => svg.getBoundingClientRect().width > 0);
      const charts = shown.map(svg => {
        const box = svg.getBoundingClientRect();
        const scale = box.width / svg.viewBox.baseVal.width;
        const texts = [...svg.querySelectorAll("text")].map(text => {
          const r = text.getBoundingClientRect();
          return {text: text.textContent, size: parseFloat(getComputedStyle(text).fontSize) * scale,
                  height: r.height, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                  anchor: text.getAttribute("text-anchor")};
        });
        const bars = [...svg.querySelectorAll("rect")].map(rect => rect.getBoundingClientRect().left);
        return {cls: svg.getAttribute("class"), left: box.left, right: box.right, top: box.top,
                bottom: box.bottom, texts, bars};
      });
      const boxes = [figure, ...figure.querySelectorAll("div")].filter(box => box.clientWidth > 0);
      return {overflow: Math.max(...boxes.map(box => box.scrollWidth - box.clientWidth)), charts};
    }),
  };
}"""


def _overlap(a: dict, b: dict) -> bool:
    return min(a["right"], b["right"]) - max(a["left"], b["left"]) > 0.5 and \
        min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 0.5


@pytest.mark.parametrize("viewport, layout", [((360, 780), "narrow"), ((390, 844), "narrow"), ((1280, 900), "wide")])
def test_metrics_charts_are_legible_whole_and_never_scroll_the_page(open_page, viewport, layout):
    page, traffic = open_page("/metrics/", "light", viewport)
    found = page.evaluate(CHART_TEXT)
    assert found["page"]["scrollWidth"] <= found["page"]["innerWidth"], found["page"]
    assert len(found["figures"]) == 4
    for figure in found["figures"]:
        assert figure["overflow"] <= 0  # at these widths, not even the chart scrolls inside its box
        (chart,) = figure["charts"]  # one layout shown, the other hidden
        assert chart["cls"] == f"handbook-chart handbook-chart--{layout}"
        texts = chart["texts"]
        assert texts
        for text in texts:
            assert text["size"] >= 11 and text["height"] >= 11, text
            # inside the chart: nothing cut at an edge
            assert chart["left"] - 0.5 <= text["left"] and text["right"] <= chart["right"] + 0.5, text
            assert chart["top"] - 0.5 <= text["top"] and text["bottom"] <= chart["bottom"] + 0.5, text
        clashes = [(a["text"], b["text"]) for i, a in enumerate(texts) for b in texts[i + 1:] if _overlap(a, b)]
        assert clashes == []
        labels = [t for t in texts if t["anchor"] == "end"]
        if chart["bars"] and labels and "No data" not in [t["text"] for t in texts]:
            # the label column ends before the bars and the axis start (horizontal bars, tick labels)
            assert max(t["right"] for t in labels) <= min(chart["bars"]) + 0.5
    assert traffic.problems() == []


# --- accessibility -----------------------------------------------------------------------------

AXE_RUN = """async (exceptions) => {
  const violations = [];
  const off = Object.fromEntries(Object.keys(exceptions).map(id => [id, {enabled: false}]));
  const everywhere = await axe.run(document, {resultTypes: ["violations"], rules: off});
  violations.push(...everywhere.violations);
  for (const [id, selectors] of Object.entries(exceptions)) {  // one rule, minus its exceptions
    const rest = await axe.run({exclude: selectors.map(s => [s])},
                               {resultTypes: ["violations"], runOnly: {type: "rule", values: [id]}});
    violations.push(...rest.violations);
  }
  return violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target, html: n.html, summary: n.failureSummary})),
  }));
}"""


def _axe(page, base_url: str) -> list[dict]:
    page.add_script_tag(url=base_url + AXE_ROUTE)
    return page.evaluate(AXE_RUN, UPSTREAM_EXCEPTIONS)


def _report(path: str, scheme: str, violations: list[dict]) -> str:
    lines = [f"{path} ({scheme}): serious or critical accessibility violations:"]
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}] {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:3]:
            lines.append(f"    {' '.join(node['target'])}: {node['html'][:160]}")
            lines.append("      " + (node["summary"] or "").replace("\n", "\n      "))
        if len(v["nodes"]) > 3:
            lines.append(f"    ... and {len(v['nodes']) - 3} more")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def axe_available() -> None:
    if not AXE.is_file():
        _missing(f"axe-core not found at {AXE.relative_to(ROOT)}: run `npm ci` (or `make node-tools`) "
                 "to run the accessibility audit")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violations(axe_available, site_page, base_url, path, scheme):
    page, traffic = site_page(path, scheme)
    expected = "slate" if scheme == "dark" else "default"
    assert page.locator("body").get_attribute("data-md-color-scheme") == expected
    violations = [v for v in _axe(page, base_url) if v["impact"] in ("serious", "critical")]
    assert violations == [], _report(path, scheme, violations)
    assert traffic.problems() == []

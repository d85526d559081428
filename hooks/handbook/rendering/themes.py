"""The themes page (`themes/`): what keeps coming back across the organisation's own incidents.

The figures come from `queries.themes`; this module turns them into plain rows and two static SVG
charts (the metrics page's kind: `charts.stacked_bars`, drawn for a column and for a phone), and the
template (templates/themes.html) makes every table the site's responsive kind (`data-pm-cards`).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from handbook.queries.themes import Repeat, Tally, Themes
from handbook.reading.model import Report
from handbook.reading.taxonomy import Taxonomy
from handbook.rendering.charts import Series, stacked_bars
from handbook.rendering.metrics import chart_svgs
from handbook.rendering.page import Page
from handbook.rendering.report_page import action_anchor
from handbook.rendering.routes import Routes
from handbook.rendering.templating import render_fragment


def _rows(tallies: tuple[Tally, ...], name: Any) -> list[dict[str, Any]]:
    return [{"name": name(t.name), "per_year": list(t.per_year), "total": t.total} for t in tallies]


def repeats_json(found: Themes, tax: Taxonomy, today: dt.date) -> str:
    """`themes/repeats.json`: every repeat the themes page counts, the latest first, whatever the page lists."""
    def incident(report: Report) -> dict[str, Any]:
        """A report as a repeat names it: id, title and date."""
        return {"id": report.id or report.key, "title": report.title,
                "date": report.date.isoformat() if report.date else None}

    def record(r: Repeat) -> dict[str, Any]:
        """One repeat: the later incident, the one it repeats, the days between, the services and layers."""
        return {"incident": incident(r.later), "repeats": incident(r.earlier), "days_apart": r.days,
                "services": list(r.services), "layers": [tax.label("layer", x) for x in r.layers]}

    document = {"generated_for": today.isoformat(), "window_days": tax.themes.repeat_window_days,
                "count": len(found.repeats), "repeats": [record(r) for r in found.repeats]}
    # One line: thousands of repeats at scale, and the compact form is the C encoder's
    # (0.07 s against 0.28 s indented, for 7,332).
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"


def _chart(caption: str, years: tuple[int, ...], tallies: tuple[Tally, ...], name: Any, y_label: str,
           desc: str) -> dict[str, Any]:
    """A stacked bar chart, a bar a year and a colour a layer or category, for `chart-figure.html`."""
    return {"caption": caption,
            "charts": chart_svgs(stacked_bars, caption, [str(y) for y in years],
                                 [Series(name(t.name), [float(n) for n in t.per_year]) for t in tallies],
                                 y_label=y_label, desc=desc)}


def themes_page(found: Themes, reports: list[Report], tax: Taxonomy, routes: Routes, today: dt.date) -> Page:
    """The page of `found`, the themes (`queries.themes.themes`) of `reports`, the organisation's own incidents
    (the caller leaves out the kinds not counted)."""
    src = routes.THEMES
    page = Page.start("Themes", "What keeps coming back across incidents: contributing-factor layers, services and "
                      "action categories over the years, repeat incidents and repeated action items.", listing=False)

    def layer(layer_id: str) -> str:
        """A layer's name."""
        return tax.label("layer", layer_id)

    def category(category_id: str) -> str:
        """A category's name."""
        return tax.label("category", category_id)

    links: dict[int, dict[str, Any]] = {}  # a report is in many rows: each is worked out once (and only read)

    def link(report: Report) -> dict[str, Any]:
        """A report as a row names it: id, title, link from this page and date."""
        found = links.get(id(report))
        if found is None:
            found = links[id(report)] = {"id": report.id or report.key, "title": report.title,
                                         "href": routes.href(src, routes.report(report.key)),
                                         "date": report.date.isoformat() if report.date else None}
        return found

    span = f"{found.years[0]} to {found.years[-1]}"
    in_years = sum(1 for r in reports if r.date and r.date.year in found.years)
    items_in_years = sum(sum(t.per_year) for t in found.categories)
    # Thousands of reports make thousands of repeats: the page lists the latest, and counts every one per
    # service; repeats.json holds them all.
    listed = found.repeats[:tax.themes.repeats_listed]
    repeats = [{"later": link(r.later), "earlier": link(r.earlier), "days": r.days, "services": list(r.services),
                "layers": [layer(x) for x in r.layers]} for r in listed]
    repeating = [{"name": name, "count": count} for name, count in found.repeats_per_service]
    repeated = [{"description": g.items[0][1].description, "count": len(g.reports),
                 "categories": sorted({category(item.category) for _, item in g.items if item.category}),
                 "entries": [{**link(report), "item": item.id,
                            "item_href": f"{link(report)['href']}#{action_anchor(item.id)}"}
                           for report, item in g.items]}
                for g in found.repeated_actions]
    page.lines += render_fragment(
        "themes.html", count=found.reports, today=today.isoformat(), years=list(found.years),
        window=tax.themes.repeat_window_days, overlap=f"{100 * tax.themes.action_min_overlap:.0f}%",
        metrics_href=routes.href(src, routes.METRICS),
        layers=_rows(found.layers, layer), services=_rows(found.services, str),
        categories=_rows(found.categories, category), repeats=repeats, repeats_total=len(found.repeats),
        repeating=repeating,
        repeats_json=routes.file_href(src, routes.REPEATS_JSON), repeated=repeated,
        # Stacked, a bar can be taller than its year's incidents: the caption says so, not only the description.
        layers_chart=_chart(f"Incidents per contributing-factor layer, per year, {span}: an incident counts once "
                            f"in each layer it has a factor in (n = {in_years} incident{'s' if in_years != 1 else ''})",
                            found.years, found.layers, layer, "incidents per layer",
                            "For each year, how many incidents had at least one contributing factor in each layer, "
                            "stacked; an incident with factors in several layers counts once in each."),
        categories_chart=_chart(f"Action items by category, per year, {span} (n = {items_in_years} item{'s' if items_in_years != 1 else ''})",
                                found.years, found.categories, category, "action items",
                                "For each year, how many action items of each category the incidents of that year "
                                "raised, stacked."))
    return page

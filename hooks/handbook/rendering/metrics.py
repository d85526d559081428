"""The metrics page: counts, detection and resolution times, closure rate, factor layers.

Charts are static SVG drawn at build time (charts.py): they need no network and no
JavaScript. Each is drawn once per layout (the page shows the one that fits), under a caption
that gives n, and is followed by the same numbers as a table, for screen readers and for copying.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter
from collections.abc import Callable

from handbook.core.timestamps import format_duration
from handbook.queries.effectiveness import held_reviews, reviews_due
from handbook.reading.model import Report
from handbook.reading.taxonomy import Taxonomy
from handbook.rendering.charts import LAYOUTS, Series, horizontal_bars, line_chart, stacked_bars
from handbook.rendering.page import Page
from handbook.rendering.routes import Routes
from handbook.rendering.templating import render_fragment

MONTHS = 24
QUARTERS = 8


def _months(today: dt.date, count: int) -> list[tuple[int, int]]:
    year, month = today.year, today.month
    out = []
    for _ in range(count):
        out.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _quarters(today: dt.date, count: int) -> list[tuple[int, int]]:
    year, quarter = today.year, (today.month - 1) // 3 + 1
    out = []
    for _ in range(count):
        out.append((year, quarter))
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return out[::-1]


def _quarter(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def _hours(delta: dt.timedelta | None) -> float | None:
    return delta.total_seconds() / 3600 if delta is not None else None


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def metrics_page(reports: list[Report], tax: Taxonomy, routes: Routes, today: dt.date) -> Page:
    """The metrics page: counts, durations, action-item closure and the charts."""
    page = Page.start("Metrics", "Incident trends: counts, time to detect and resolve, action-item closure, "
                      "contributing factors.", listing=False)
    lines = page.lines
    lines += _summary(reports, tax, today, routes.href(routes.METRICS, "handbook/metrics.md"))
    lines += _per_month(reports, tax, today)
    lines += _times(reports, today)
    lines += _closure(reports, tax, today)
    lines += _layers(reports, tax)
    return page


def chart_svgs(draw: Callable[..., str], caption: str, *args: object, **options: object) -> list[tuple[str, str]]:
    """The chart `draw(caption, *args, **options)` in each layout: (layout name, SVG) pairs."""
    return [(layout.name, draw(caption, *args, layout=layout, **options).strip()) for layout in LAYOUTS]


def chart_figure(draw: Callable[..., str], caption: str, *args: object, **options: object) -> list[str]:
    """The chart `draw(caption, *args, **options)` in each layout, in a figure under its caption."""
    return render_fragment("chart-figure.html", caption=caption, charts=chart_svgs(draw, caption, *args, **options))


def _count(n: int, noun: str, plural: str = "") -> str:
    """'1 incident', '7 incidents'."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def _median_duration(values: list[dt.timedelta]) -> dt.timedelta:
    """The median of durations (the mean of the middle two for an even count)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _verified(reports: list[Report], tax: Taxonomy, today: dt.date) -> dict[str, str | None]:
    """The tile of fixes verified as working: of the effectiveness reviews held, how many found them working,
    and how many are due or late."""
    held = held_reviews(reports, tax, today)
    working = sum(1 for e in held if e.outcome and e.outcome.working)
    waiting = len(reviews_due(reports, tax, today))
    note = f"{working} of {_count(len(held), 'review')} held" + (f"; {waiting} due or late" if waiting else "")
    return {"label": "Fixes verified as working", "value": f"{100 * working / len(held):.0f}%" if held else "—",
            "note": note}


def _summary(reports: list[Report], tax: Taxonomy, today: dt.date, definitions_href: str) -> list[str]:
    ttd = [r.time_to_detect for r in reports if r.time_to_detect is not None]
    ttr = [r.time_to_resolve for r in reports if r.time_to_resolve is not None]
    items = [a for r in reports for a in r.actions]
    closed = sum(1 for a in items if not a.open)
    tiles = [
        {"label": "Incidents", "value": str(len(reports)), "note": None},
        {"label": "Median time to detect", "value": format_duration(_median_duration(ttd)) if ttd else "—",
         "note": f"n = {_count(len(ttd), 'incident')}"},
        {"label": "Median time to resolve", "value": format_duration(_median_duration(ttr)) if ttr else "—",
         "note": f"n = {_count(len(ttr), 'incident')}"},
        {"label": "Action items closed", "value": f"{100 * closed / len(items):.0f}%" if items else "—",
         "note": f"{closed} of {_count(len(items), 'item')}"},
        _verified(reports, tax, today),
    ]
    severities = [{"id": s.id, "rank": rank, "count": sum(1 for r in reports if r.severity == s.id)}
                  for rank, s in enumerate(tax.severities, 1)]
    return ["## Summary", "", *render_fragment("metrics-summary.html", count=len(reports), today=today.isoformat(),
                                               definitions_href=definitions_href, tiles=tiles,
                                               severities=severities)]


def _per_month(reports: list[Report], tax: Taxonomy, today: dt.date) -> list[str]:
    months = _months(today, MONTHS)
    index = {m: i for i, m in enumerate(months)}
    counts = {s.id: [0.0] * len(months) for s in tax.severities}
    for r in reports:
        if r.date and (r.date.year, r.date.month) in index and r.severity in counts:
            counts[r.severity][index[(r.date.year, r.date.month)]] += 1
    labels = [f"{y}-{m:02d}" for y, m in months]
    total = int(sum(sum(values) for values in counts.values()))
    figure = chart_figure(stacked_bars, f"Incidents per month by severity, last {MONTHS} months "
                     f"(n = {_count(total, 'incident')})", labels,
                     [Series(s.id, counts[s.id], severity=rank) for rank, s in enumerate(tax.severities, 1)],
                     y_label="incidents",
                     desc=f"Incidents that started in each of the last {MONTHS} months, stacked by severity.")
    table = [[label, *(int(counts[s.id][i]) for s in tax.severities)] for i, label in enumerate(labels)
             if any(counts[s.id][i] for s in tax.severities)]
    return ["## Incidents per month", "", *figure, *_numbers(["Month", *(s.id for s in tax.severities)], table)]


def _numbers(head: list[str], rows: list[list[object]]) -> list[str]:
    """The figures behind a chart, as a folded table under it."""
    return render_fragment("metrics-numbers.html", head=head, rows=rows)


def _times(reports: list[Report], today: dt.date) -> list[str]:
    quarters = _quarters(today, QUARTERS)
    detect: dict[tuple[int, int], list[float]] = {q: [] for q in quarters}
    resolve: dict[tuple[int, int], list[float]] = {q: [] for q in quarters}
    for r in reports:
        if r.date is None or _quarter(r.date) not in detect:
            continue
        if (h := _hours(r.time_to_detect)) is not None:
            detect[_quarter(r.date)].append(h)
        if (h := _hours(r.time_to_resolve)) is not None:
            resolve[_quarter(r.date)].append(h)
    labels = [f"{y} Q{q}" for y, q in quarters]
    series = [Series("Median time to detect", [_median(detect[q]) for q in quarters]),
              Series("Median time to resolve", [_median(resolve[q]) for q in quarters])]
    timed = sum(max(len(detect[q]), len(resolve[q])) for q in quarters)
    figure = chart_figure(line_chart, f"Time to detect and to resolve, per quarter (n = {_count(timed, 'incident')})",
                     labels, series, y_label="hours", unit=" h",
                     desc="Median hours from start to detection and from detection to resolution, by the quarter "
                          "the incident started in. Gaps are quarters without incidents.")
    table = [[label, max(len(detect[q]), len(resolve[q])), _hours_text(_median(detect[q])),
              _hours_text(_median(resolve[q]))] for q, label in zip(quarters, labels) if detect[q] or resolve[q]]
    return ["## Time to detect and to resolve", "", *figure,
            *_numbers(["Quarter", "Incidents", "Median time to detect", "Median time to resolve"], table)]


def _hours_text(hours: float) -> str:
    return "—" if math.isnan(hours) else format_duration(dt.timedelta(hours=hours))


def _closure(reports: list[Report], tax: Taxonomy, today: dt.date) -> list[str]:
    quarters = _quarters(today, QUARTERS)
    due: dict[tuple[int, int], list[bool]] = {q: [] for q in quarters}
    unstated = long_term = 0  # `due: not stated` or `long-term`: no date, so in no quarter's denominator
    for r in reports:
        for a in r.actions:
            unstated += a.not_stated("due")
            long_term += a.long_term
            if a.due and _quarter(a.due) in due and a.due <= today:
                due[_quarter(a.due)].append(not a.open)
    labels = [f"{y} Q{q}" for y, q in quarters]
    rates = [100 * sum(v) / len(v) if v else math.nan for v in (due[q] for q in quarters)]
    items = sum(len(v) for v in due.values())
    left_out = "".join([f"; {_count(unstated, 'item')} whose due date is not stated left out"] * bool(unstated)
                       + [f"; {_count(long_term, 'long-term item')} left out"] * bool(long_term))
    figure = chart_figure(line_chart, f"Action items closed, by quarter due (n = {_count(items, 'item')} due{left_out})",
                     labels, [Series("Closed share", rates)], unit="%", y_label="percent closed",
                     desc="Of the action items due in each quarter (up to today), the share now done or dropped. "
                          "Items whose due date is not stated, and long-term items, have no quarter and are not "
                          "counted.")
    table = [[label, len(due[q]), sum(due[q]), f"{rate:.0f}%"] for q, label, rate in zip(quarters, labels, rates)
             if due[q]]
    return ["## Action-item closure", "", *figure,
            *_numbers(["Quarter due", "Items due", "Closed", "Share closed"], table)]


def _layers(reports: list[Report], tax: Taxonomy) -> list[str]:
    layers = {t.id for t in tax.contributing_factor_layers}
    counts = Counter(f.layer for r in reports for f in r.factors if f.layer in layers)
    sources = sum(1 for r in reports if any(f.layer in layers for f in r.factors))
    # largest first, equal counts by name: the order the chart draws its bars in
    rows = sorted(((counts.get(t.id, 0), t.name) for t in tax.contributing_factor_layers),
                  key=lambda row: (-row[0], row[1].casefold(), row[1]))
    caption = (f"Contributing factors by layer (n = {_count(counts.total(), 'factor')} "
               f"in {_count(sources, 'report')})")
    figure = chart_figure(horizontal_bars, caption, [name for _, name in rows], [float(n) for n, _ in rows],
                     desc="How many contributing factors across all reports sit in each layer, largest first.")
    return ["## Contributing-factor layers", "", *figure,
            *_numbers(["Layer", "Factors"], [[name, n] for n, name in rows])]

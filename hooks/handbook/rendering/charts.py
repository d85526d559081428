"""Static SVG charts for the handbook, rendered at build time.

The SVG needs no JavaScript, no fonts and no network. Axes and text use `currentColor`, so they
follow the light or dark theme. A series that is a severity takes its colour from the site's one
severity scale, the custom properties `--pm-sev-1` … `--pm-sev-5` of handbook.css (the report
pills use them too), with the light theme's colour as fallback; other series use a fixed palette
(Okabe-Ito based) whose colours keep at least 3:1 contrast against both white and Material's dark
slate background. Lines also differ by dash pattern, and stacked segments are parted by a line in
the page's background colour, so colour is never the only cue.

Each chart is drawn for a `Layout`: WIDE (640 units) for a column, NARROW (340) for a phone, text
at FONT_SIZE units in both, so that the page can show the one whose text renders at 11 px or more
(handbook.css picks it by the figure's width). The root scales with its container (viewBox, width
100%). Counts get whole-number axes that end at the first round value at or above the largest
value. Text widths are estimated from Helvetica's advance widths, widened for other fonts, so that
label columns and margins fit what they hold: labels are shown in full, wrapped onto a second
line when long, and cut (with an ellipsis, the whole label as a tooltip) only when even that is
too little. Every string that comes from the data is XML-escaped. The same input always gives
byte-identical output.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

TOP = 12
FONT_SIZE = 12
LEGEND_ROW, BAR_ROW, BAR_ROW_TWO_LINES, LINE_GAP = 18, 26, 36, 14
X_LABEL_GAP, LEGEND_GAP = 16, 34
"""From the plot's bottom edge to the middle of the x labels, and to the top of the legend."""
MAX_INTERVALS = 6
"""The most gridlines above 0 on a value axis."""
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#8E6BBF", "#A6761D")
DASHES = ("", "6 3", "2 3", "8 3 2 3")
SEVERITY_COLOURS = ("#9f1239", "#c2410c", "#a16207", "#4b5563", "#4b5563")
"""handbook.css's light `--pm-sev-1` … `--pm-sev-5`: the fallback where the site's CSS is absent."""
SEPARATOR = "var(--md-default-bg-color,#fff)"
"""The line between stacked segments: the page's background colour."""
_ADVANCE = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,  # space to /
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,  # 0 to ?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,  # @ to O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,  # P to _
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,  # ` to o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,  # p to ~
)
"""Helvetica's advance widths (thousandths of an em) of the printable ASCII characters."""
WIDEN = 1.12
"""Margin for fonts wider than Helvetica (DejaVu Sans, San Francisco)."""
_Rows = list[list[tuple[int, float]]]
"""Legend layout: rows of (series index, x)."""
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Layout:
    """What a chart is drawn for: a name (the root's class is `handbook-chart--<name>`), the
    viewBox width and the height of the plot area, in user units."""

    name: str
    width: int
    plot_height: int


WIDE = Layout("wide", 640, 220)
NARROW = Layout("narrow", 340, 200)
LAYOUTS = (WIDE, NARROW)


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float]
    """One value per category/x label; may contain 0 (and NaN in line charts)."""
    severity: int = 0
    """The series' place on the severity scale (1 = most severe), or 0 when it is not a severity."""


@dataclass(frozen=True)
class _Frame:
    """The plot area, in viewBox units."""

    left: float
    top: float
    width: float
    height: float

    @property
    def bottom(self) -> float:
        """The y of the plot's bottom edge."""
        return self.top + self.height

    def slot_centre(self, index: int, count: int) -> float:
        """x of the middle of category `index` out of `count`."""
        return self.left + (index + 0.5) * self.width / max(count, 1)


# --- text, numbers and elements ---------------------------------------------------------------


def _esc(text: object) -> str:
    """XML-escape text for element content or attribute values; drops characters XML forbids."""
    return escape(_NOT_XML.sub("", str(text)), {'"': "&quot;", "'": "&#39;"})


def _short(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _width(text: str) -> float:
    """The estimated width of `text` at FONT_SIZE, in user units (on the generous side)."""
    total = 0
    for char in text:
        base = unicodedata.normalize("NFD", char)[:1] or char  # é as e; … stays one character
        if " " <= base <= "~":
            total += _ADVANCE[ord(base) - 32]
        else:
            total += 1000 if unicodedata.east_asian_width(char) in "WF" or char in "—…" else 800
    return total * FONT_SIZE * WIDEN / 1000


def _fit(text: str, width: float) -> str:
    """`text` when it fits in `width`; else its first words and an ellipsis, or, when not even
    the first word fits, its first characters and an ellipsis."""
    if _width(text) <= width:
        return text
    words = text.split()
    while len(words) > 1 and _width(" ".join(words) + "…") > width:
        words.pop()
    if words and _width(words[0] + "…") <= width:
        return " ".join(words) + "…"
    cut = words[0] if words else text
    while cut and _width(cut + "…") > width:
        cut = cut[:-1]
    return cut + "…"


def _wrap(text: str, width: float, most: int = 2) -> list[str]:
    """`text` in at most `most` lines of at most `width`, broken between words; when that is not
    enough, the last line (or a word longer than a line) ends in an ellipsis."""
    lines: list[str] = []
    for word in text.split():
        if lines and _width(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    if len(lines) > most:  # the rest does not fit on the last line: it is cut there
        lines[most - 1:] = [" ".join(lines[most - 1:])]
    return [_fit(line, width) for line in lines] or [""]


def _fmt(value: float) -> str:
    """Compact number: integers without `.0`, anything else with one decimal."""
    if not math.isfinite(value):
        return "no data"
    rounded = round(float(value), 1)
    return str(int(rounded)) if rounded.is_integer() else f"{rounded:.1f}"


def _n(x: float) -> str:
    """A coordinate with at most two decimals."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _attrs(attrs: Mapping[str, object]) -> str:
    """Attributes: numbers become short coordinates, text is escaped (quotes included)."""
    return "".join(f' {k}="{_n(v) if isinstance(v, (int, float)) else _esc(str(v))}"' for k, v in attrs.items())


def _el(tag: str, attrs: Mapping[str, object], body: str = "") -> str:
    """One element; `body` is markup (already escaped)."""
    return f"<{tag}{_attrs(attrs)}>{body}</{tag}>" if body else f"<{tag}{_attrs(attrs)}/>"


def _text(x: float, y: float, text: str, anchor: str = "start", *, tip: str = "", **extra: str) -> str:
    """A line of text in the theme's colour, vertically centred on `y`; `tip` adds a tooltip."""
    attrs: dict[str, str | float] = {"x": x, "y": y, "text-anchor": anchor, "dominant-baseline": "middle"}
    body = _esc(text) + (f"<title>{_esc(tip)}</title>" if tip else "")
    return _el("text", {**attrs, "fill": "currentColor", **extra}, body)


def _tooltip(label: str, name: str, value: float, unit: str = "") -> str:
    """A <title> child: "label — series: value"."""
    return f"<title>{_esc(label)} — {_esc(name)}: {_esc(_fmt(value) + unit)}</title>"


def _dash(index: int) -> dict[str, object]:
    """The stroke-dasharray of series `index` (none for a solid line)."""
    dash = DASHES[index % len(DASHES)]
    return {"stroke-dasharray": dash} if dash else {}


def _paint(index: int, series: Series, prop: str, *, parted: bool = False) -> dict[str, object]:
    """The colour of series `index` as `prop` ("fill" or "stroke"): a severity's custom property
    (its light colour as the attribute, for viewers without the site's CSS), else the palette's.
    `parted` adds the separator's stroke around a stacked segment."""
    styles = [f"stroke:{SEPARATOR}"] if parted else []
    if series.severity > 0:
        rank = min(series.severity, len(SEVERITY_COLOURS))
        colour = SEVERITY_COLOURS[rank - 1]
        styles.insert(0, f"{prop}:var(--pm-sev-{rank},{colour})")
    else:
        colour = PALETTE[index % len(PALETTE)]
    return {prop: colour, **({"stroke": "#fff"} if parted else {}), **({"style": ";".join(styles)} if styles else {})}


# --- data and scale ---------------------------------------------------------------------------


def _value(values: list[float], index: int) -> float:
    """values[index], or NaN past the end of a short series."""
    return float(values[index]) if index < len(values) else math.nan


def _bar_value(values: list[float], index: int) -> float:
    """A bar's value: missing, negative and non-finite values count as 0."""
    value = _value(values, index)
    return value if math.isfinite(value) and value > 0 else 0.0


def _is_integral(series: list[Series]) -> bool:
    """Whether every finite value is a whole number (counts rather than measurements)."""
    return all(float(v).is_integer() for s in series for v in s.values if math.isfinite(v))


def _chart_id(kind: str, title: str, *data: object) -> str:
    """Short id prefix, stable for the same chart and distinct between charts on one page."""
    return "chart-" + hashlib.sha256(repr((kind, title, data)).encode()).hexdigest()[:10]


def _nice_scale(peak: float, integral: bool) -> tuple[float, int]:
    """(step, count): the axis runs from 0 to step × count, the smallest round value at or above
    `peak` that at most MAX_INTERVALS gridlines reach (a peak of 1 gives 0 to 1; of 11, 0 to 12).

    Steps are 1, 2, 2.5 or 5 times a power of ten: whole numbers for integral data, else never
    finer than one decimal, so that tick labels stay exact. Of the steps that reach the same top,
    the one with the most gridlines up to 5 wins (0, 2, 4 … 10 rather than 0, 5, 10).
    """
    if not (math.isfinite(peak) and peak > 0):
        return 1.0, 1
    exponent = math.floor(math.log10(peak))
    best: tuple[tuple[Decimal, bool, int], Decimal, int] | None = None
    for e in range(min(exponent - 1, -1), exponent + 2):
        for mantissa in ("1", "2", "2.5", "5"):
            step = Decimal(mantissa).scaleb(e)
            tidy = step % 1 == 0 if integral else step >= Decimal("0.1") and step * 10 % 1 == 0
            count = max(1, math.ceil(peak / float(step) - 1e-9))
            if not tidy or count > MAX_INTERVALS:
                continue
            key = (step * count, count > 5, -count if count <= 5 else count)
            if best is None or key < best[0]:
                best = (key, step, count)
    assert best is not None  # 10 ** (exponent + 1) in one step always qualifies
    return float(best[1]), best[2]


# --- chart parts ------------------------------------------------------------------------------


def _open(cid: str, title: str, desc: str, layout: Layout, height: float) -> list[str]:
    """Root element with its accessible name and description."""
    root: dict[str, str | float] = {"xmlns": "http://www.w3.org/2000/svg"}
    root |= {"viewBox": f"0 0 {layout.width} {_n(height)}", "width": "100%"}
    root |= {"role": "img", "aria-labelledby": f"{cid}-title", "aria-describedby": f"{cid}-desc"}
    root |= {"class": f"handbook-chart handbook-chart--{layout.name}"}
    root |= {"font-family": "inherit", "font-size": FONT_SIZE}
    return [
        f"<svg{_attrs(root)}>",
        _el("title", {"id": f"{cid}-title"}, _esc(title)),
        _el("desc", {"id": f"{cid}-desc"}, _esc(desc)),
    ]


def _axes(frame: _Frame, ticks: list[str], y_label: str = "") -> list[str]:
    """Axis lines, then gridlines and tick labels (ticks[i] labels gridline i, 0 at the bottom)."""
    right = frame.left + frame.width
    path = f"M{_n(frame.left)} {_n(frame.top)}V{_n(frame.bottom)}H{_n(right)}"
    parts = [_el("path", {"d": path, "fill": "none", "stroke": "currentColor"})]
    for i, tick in enumerate(ticks):
        y = frame.bottom - frame.height * i / max(len(ticks) - 1, 1)
        if i:
            line = {"x1": frame.left, "x2": right, "y1": y, "y2": y}
            parts.append(_el("line", {**line, "stroke": "currentColor", "stroke-opacity": "0.15"}))
        parts.append(_text(frame.left - 6, y, tick, "end"))
    if y_label:
        centre = f"translate(12 {_n(frame.top + frame.height / 2)}) rotate(-90)"
        parts.append(_text(0, 0, y_label, "middle", transform=centre))
    return parts


def _no_data(frame: _Frame) -> str:
    """Centred "No data" notice for an empty chart."""
    return _text(frame.left + frame.width / 2, frame.top + frame.height / 2, "No data", "middle")


def _x_labels(frame: _Frame, labels: list[str]) -> list[str]:
    """Category labels under the plot; with many labels only every k-th, so none overlap."""
    if not labels:
        return []
    shown = [_short(label, 14) for label in labels]
    every = math.ceil((max(_width(s) for s in shown) + 8) / (frame.width / len(labels)))
    return [
        _text(frame.slot_centre(i, len(labels)), frame.bottom + X_LABEL_GAP, shown[i], "middle")
        for i in range(0, len(labels), max(every, 1))
    ]


def _legend_rows(names: list[str], width: float) -> _Rows:
    """Legend items wrapped into rows of (series index, x)."""
    rows: _Rows = []
    x = width  # so that the first item starts a row
    for index, name in enumerate(names):
        item = 26 + _width(_short(name, 30))  # swatch, gap, name
        if x + item > width - 8:
            rows.append([])
            x = 8.0
        rows[-1].append((index, x))
        x += item + 16
    return rows


def _legend(rows: _Rows, series: list[Series], top: float, line: bool) -> list[str]:
    """Legend: a swatch (a square, or a dashed line with a point) and the name of each series.

    Swatches are not <rect>s, so that every <rect> in a chart is a data bar.
    """
    parts = []
    for r, row in enumerate(rows):
        y = top + r * LEGEND_ROW + 6
        for index, x in row:
            s = series[index]
            if line:
                stroke = {**_paint(index, s, "stroke"), "stroke-width": 2, **_dash(index)}
                parts.append(_el("line", {"x1": x, "x2": x + 20, "y1": y, "y2": y, **stroke}))
                parts.append(_el("circle", {"cx": x + 10, "cy": y, "r": 3, **_paint(index, s, "fill")}))
            else:
                square = f"M{_n(x + 5)} {_n(y - 5)}h10v10h-10z"
                parts.append(_el("path", {"d": square, **_paint(index, s, "fill")}))
            parts.append(_text(x + 26, y, _short(s.name, 30)))
    return parts


def _chart_frame(
    layout: Layout, ticks: list[str], y_label: str, labels: list[str], names: list[str]
) -> tuple[_Frame, _Rows, float]:
    """Plot area, legend rows, and the SVG height. The left margin fits the widest tick label
    (and the y label), the right one half the widest x label, so that nothing is cut at the edges."""
    left = max(max((_width(t) for t in ticks), default=0) + 10 + (20 if y_label else 0), 24)
    half = max((_width(_short(label, 14)) for label in labels), default=0) / 2
    slot = (layout.width - left - 8) / max(len(labels), 1)
    right = max(8.0, half - slot / 2 + 4)
    frame = _Frame(left, TOP, layout.width - left - right, layout.plot_height)
    rows = _legend_rows(names, layout.width)
    return frame, rows, frame.bottom + LEGEND_GAP + len(rows) * LEGEND_ROW + 2


def _finish(parts: list[str]) -> str:
    """The SVG document: one element per line, closed, ending in a newline."""
    return "\n".join([*parts, "</svg>"]) + "\n"


# --- charts -----------------------------------------------------------------------------------


def stacked_bars(
    title: str, labels: list[str], series: list[Series], *, y_label: str = "", desc: str = "",
    layout: Layout = WIDE,
) -> str:
    """Vertical stacked bar chart, one bar per label (e.g. months), stacked by series (e.g. severities).

    Legend included. The first series is at the bottom of each stack; zero cells draw nothing.
    """
    totals = [sum(_bar_value(s.values, i) for s in series) for i in range(len(labels))]
    step, count = _nice_scale(max(totals, default=0.0), _is_integral(series))
    ticks = [_fmt(step * i) for i in range(count + 1)] if any(totals) else []
    frame, rows, height = _chart_frame(layout, ticks, y_label, labels, [s.name for s in series])
    if not desc and any(totals):
        names = ", ".join(s.name for s in series)
        span = f"{len(labels)} periods, {labels[0]} to {labels[-1]}"
        desc = f"Stacked bars for {span}, by {names}; total {_fmt(sum(totals))}."
    cid = _chart_id("stacked", title, layout, labels, series, y_label)
    parts = _open(cid, title, desc or "Stacked bars: no data.", layout, height)
    parts += _axes(frame, ticks, y_label)
    if not any(totals):
        parts.append(_no_data(frame))
    width = min(frame.width / max(len(labels), 1) * 0.7, 48)
    for i, label in enumerate(labels):
        x, y = frame.slot_centre(i, len(labels)) - width / 2, frame.bottom
        for k, s in enumerate(series):
            if value := _bar_value(s.values, i):
                bar = frame.height * value / (step * count)
                y -= bar
                box = {"x": x, "y": y, "width": width, "height": bar, **_paint(k, s, "fill", parted=True)}
                parts.append(_el("rect", box, _tooltip(label, s.name, value)))
    return _finish(parts + _x_labels(frame, labels) + _legend(rows, series, frame.bottom + LEGEND_GAP, line=False))


def _y(frame: _Frame, value: float, top: float) -> float:
    """y of `value` on an axis from 0 to `top`, kept inside the plot; NaN for a missing value."""
    if not math.isfinite(value):
        return math.nan
    return frame.bottom - frame.height * min(max(value, 0.0), top) / top


def _line_series(frame: _Frame, labels: list[str], s: Series, k: int, top: float, unit: str) -> list[str]:
    """One series of a line chart: a polyline per run of values between NaNs, and a point per value."""
    values = [_value(s.values, i) for i in range(len(labels))]
    xs = [frame.slot_centre(i, len(labels)) for i in range(len(labels))]
    ys = [_y(frame, v, top) for v in values]
    parts = []
    for drawn, run in itertools.groupby(zip(xs, ys), key=lambda point: math.isfinite(point[1])):
        if drawn and len(segment := list(run)) > 1:
            points = " ".join(f"{_n(x)},{_n(y)}" for x, y in segment)
            style = {"fill": "none", **_paint(k, s, "stroke"), "stroke-width": 2, "stroke-linejoin": "round"}
            parts.append(_el("polyline", {"points": points, **style, **_dash(k)}))
    for x, y, label, value in zip(xs, ys, labels, values):
        if math.isfinite(value):
            point = {"cx": x, "cy": y, "r": 3, **_paint(k, s, "fill")}
            parts.append(_el("circle", point, _tooltip(label, s.name, value, unit)))
    return parts


def line_chart(
    title: str, labels: list[str], series: list[Series], *, y_label: str = "", desc: str = "", unit: str = "",
    layout: Layout = WIDE,
) -> str:
    """Line chart with points; values may be float('nan') for 'no data' (gap, no point).

    y axis from 0 to a 'nice' max at or above the largest value, tick labels with `unit` appended
    (e.g. ' h'). All zeros is data (a flat line); "No data" is shown when no value is finite.
    Values below 0 are drawn on the axis; their tooltips show them as they are.
    """
    finite = [v for s in series for v in s.values[: len(labels)] if math.isfinite(v)]
    step, count = _nice_scale(max(finite, default=0.0), _is_integral(series))
    ticks = [_fmt(step * i) + unit for i in range(count + 1)] if finite else []
    frame, rows, height = _chart_frame(layout, ticks, y_label, labels, [s.name for s in series])
    if not desc and finite:
        names = ", ".join(s.name for s in series)
        desc = f"Line chart of {names} for {len(labels)} periods, {labels[0]} to {labels[-1]}."
    cid = _chart_id("line", title, layout, labels, series, y_label, unit)
    parts = _open(cid, title, desc or "Line chart: no data.", layout, height)
    parts += _axes(frame, ticks, y_label)
    if not finite:
        parts.append(_no_data(frame))
    for k, s in enumerate(series if finite else []):
        parts += _line_series(frame, labels, s, k, step * count, unit)
    return _finish(parts + _x_labels(frame, labels) + _legend(rows, series, frame.bottom + LEGEND_GAP, line=True))


def horizontal_bars(
    title: str, labels: list[str], values: list[float], *, desc: str = "", unit: str = "",
    layout: Layout = WIDE,
) -> str:
    """One horizontal bar per label, largest first (equal values in label order), with the value
    printed at the end of the bar.

    For example contributing-factor layers. Bars are scaled to the largest value; a zero value
    prints its label and "0" without a bar. The label column is as wide as the longest label, up
    to 45% of the chart; a longer label wraps onto a second line.
    """
    order = sorted(range(len(labels)), key=lambda i: (-_bar_value(values, i), labels[i].casefold(), labels[i]))
    names = [labels[i] for i in order]
    amounts = [_bar_value(values, i) for i in order]
    peak = max(amounts, default=0.0)
    texts = [_fmt(v) + unit for v in amounts]
    limit = layout.width * 0.45
    lines = [_wrap(name, limit) for name in names]
    left = max((_width(line) for rows in lines for line in rows), default=0) + 16
    right = max((_width(t) for t in texts), default=0) + 14
    row = BAR_ROW if all(len(rows) == 1 for rows in lines) else BAR_ROW_TWO_LINES
    frame = _Frame(left, TOP, layout.width - left - right, row * len(labels) if peak else 80)
    if not desc and peak:
        desc = f"Horizontal bars for {len(labels)} items, largest first: {names[0]} ({texts[0]})."
    cid = _chart_id("hbars", title, layout, labels, values, unit)
    parts = _open(cid, title, desc or "Horizontal bars: no data.", layout, frame.bottom + TOP)
    parts += _axes(frame, [])
    if not peak:
        parts.append(_no_data(frame))
    for i, name in enumerate(names if peak else []):
        y, width = frame.top + (i + 0.5) * row, frame.width * amounts[i] / peak
        first = y - LINE_GAP * (len(lines[i]) - 1) / 2
        for j, line in enumerate(lines[i]):
            cut = j == len(lines[i]) - 1 and " ".join(lines[i]) != " ".join(name.split())
            parts.append(_text(left - 8, first + j * LINE_GAP, line, "end", tip=name if cut else ""))
        if width:
            box = {"x": left, "y": y - 8, "width": width, "height": 16, "fill": PALETTE[0]}
            parts.append(_el("rect", box, f"<title>{_esc(name)}: {_esc(texts[i])}</title>"))
        parts.append(_text(left + width + 6, y, texts[i]))
    return _finish(parts)

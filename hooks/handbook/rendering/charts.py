"""Static SVG charts for the handbook, rendered at build time.

The SVG needs no JavaScript, no fonts and no network. Axes and text use `currentColor`, so they
follow the light or dark theme; series use a fixed palette (Okabe-Ito based) whose colours keep
at least 3:1 contrast against both white and Material's dark slate background, and lines also
differ by dash pattern. The root scales with its container (viewBox, width 100%). Every string
that comes from the data is XML-escaped. The same input always gives byte-identical output.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

WIDTH, PLOT_HEIGHT = 640, 220
TOP, RIGHT = 12, 28
FONT_SIZE = 12
CHAR = 7.0
"""Rough width of one character at FONT_SIZE; used only for layout estimates."""
LEGEND_ROW, BAR_ROW = 18, 26
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#8E6BBF", "#A6761D")
DASHES = ("", "6 3", "2 3", "8 3 2 3")
_Rows = list[list[tuple[int, float]]]
"""Legend layout: rows of (series index, x)."""
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float]
    """One value per category/x label; may contain 0 (and NaN in line charts)."""


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


def _text(x: float, y: float, text: str, anchor: str = "start", **extra: str) -> str:
    """A line of text in the theme's colour, vertically centred on `y`."""
    attrs: dict[str, str | float] = {"x": x, "y": y, "text-anchor": anchor, "dominant-baseline": "middle"}
    return _el("text", {**attrs, "fill": "currentColor", **extra}, _esc(text))


def _tooltip(label: str, name: str, value: float, unit: str = "") -> str:
    """A <title> child: "label — series: value"."""
    return f"<title>{_esc(label)} — {_esc(name)}: {_esc(_fmt(value) + unit)}</title>"


def _dash(index: int) -> dict[str, object]:
    """The stroke-dasharray of series `index` (none for a solid line)."""
    dash = DASHES[index % len(DASHES)]
    return {"stroke-dasharray": dash} if dash else {}


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
    """(step, count): 4–5 gridlines above 0 at round values, the last at or above `peak`.

    Steps are 1, 2, 2.5 or 5 times a power of ten; whole numbers only for integral data, and
    never finer than one decimal, so that tick labels stay exact.
    """
    peak = peak if math.isfinite(peak) and peak > 0 else 1.0
    exponent = math.floor(math.log10(peak))
    mantissas = ("1", "2", "2.5", "5")
    steps = sorted(float(Decimal(m).scaleb(e)) for e in range(exponent - 2, exponent + 2) for m in mantissas)
    for step in steps:
        tidy = step >= 1 if integral else step >= 0.1 and round(step * 10, 9).is_integer()
        count = max(4, math.ceil(peak / step - 1e-9))
        if tidy and count <= 5:
            return step, count
    return float(Decimal(1).scaleb(exponent + 1)), 4


# --- chart parts ------------------------------------------------------------------------------


def _open(cid: str, title: str, desc: str, height: float) -> list[str]:
    """Root element with its accessible name and description."""
    root: dict[str, str | float] = {"xmlns": "http://www.w3.org/2000/svg"}
    root |= {"viewBox": f"0 0 {WIDTH} {_n(height)}", "width": "100%"}
    root |= {"role": "img", "aria-labelledby": f"{cid}-title", "aria-describedby": f"{cid}-desc"}
    root |= {"class": "handbook-chart", "font-family": "inherit", "font-size": FONT_SIZE}
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
    every = math.ceil((max(len(s) for s in shown) * CHAR + 8) / (frame.width / len(labels)))
    return [
        _text(frame.slot_centre(i, len(labels)), frame.bottom + 12, shown[i], "middle")
        for i in range(0, len(labels), max(every, 1))
    ]


def _legend_rows(names: list[str]) -> _Rows:
    """Legend items wrapped into rows of (series index, x)."""
    rows: _Rows = []
    x = float(WIDTH)  # so that the first item starts a row
    for index, name in enumerate(names):
        width = 40 + len(_short(name, 30)) * CHAR
        if x + width > WIDTH - RIGHT:
            rows.append([])
            x = 8.0
        rows[-1].append((index, x))
        x += width
    return rows


def _legend(rows: _Rows, series: list[Series], top: float, line: bool) -> list[str]:
    """Legend: a swatch (a square, or a dashed line with a point) and the name of each series.

    Swatches are not <rect>s, so that every <rect> in a chart is a data bar.
    """
    parts = []
    for r, row in enumerate(rows):
        y = top + r * LEGEND_ROW + 6
        for index, x in row:
            colour = PALETTE[index % len(PALETTE)]
            if line:
                stroke = {"stroke": colour, "stroke-width": 2, **_dash(index)}
                parts.append(_el("line", {"x1": x, "x2": x + 20, "y1": y, "y2": y, **stroke}))
                parts.append(_el("circle", {"cx": x + 10, "cy": y, "r": 3, "fill": colour}))
            else:
                parts.append(_el("path", {"d": f"M{_n(x + 5)} {_n(y - 5)}h10v10h-10z", "fill": colour}))
            parts.append(_text(x + 26, y, _short(series[index].name, 30)))
    return parts


def _chart_frame(ticks: list[str], y_label: str, names: list[str]) -> tuple[_Frame, _Rows, float]:
    """Plot area (its left margin fits the widest tick label), legend rows, and the SVG height."""
    left = max(max((len(t) for t in ticks), default=1) * CHAR + 12 + (20 if y_label else 0), 32)
    frame = _Frame(left, TOP, WIDTH - left - RIGHT, PLOT_HEIGHT)
    rows = _legend_rows(names)
    return frame, rows, frame.bottom + 30 + len(rows) * LEGEND_ROW


def _finish(parts: list[str]) -> str:
    """The SVG document: one element per line, closed, ending in a newline."""
    return "\n".join([*parts, "</svg>"]) + "\n"


# --- charts -----------------------------------------------------------------------------------


def stacked_bars(
    title: str, labels: list[str], series: list[Series], *, y_label: str = "", desc: str = ""
) -> str:
    """Vertical stacked bar chart, one bar per label (e.g. months), stacked by series (e.g. severities).

    Legend included. The first series is at the bottom of each stack; zero cells draw nothing.
    """
    totals = [sum(_bar_value(s.values, i) for s in series) for i in range(len(labels))]
    step, count = _nice_scale(max(totals, default=0.0), _is_integral(series))
    ticks = [_fmt(step * i) for i in range(count + 1)] if any(totals) else []
    frame, rows, height = _chart_frame(ticks, y_label, [s.name for s in series])
    if not desc and any(totals):
        names = ", ".join(s.name for s in series)
        span = f"{len(labels)} periods, {labels[0]} to {labels[-1]}"
        desc = f"Stacked bars for {span}, by {names}; total {_fmt(sum(totals))}."
    cid = _chart_id("stacked", title, labels, series, y_label)
    parts = _open(cid, title, desc or "Stacked bars: no data.", height)
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
                box = {"x": x, "y": y, "width": width, "height": bar, "fill": PALETTE[k % len(PALETTE)]}
                parts.append(_el("rect", box, _tooltip(label, s.name, value)))
    return _finish(parts + _x_labels(frame, labels) + _legend(rows, series, frame.bottom + 30, line=False))


def _y(frame: _Frame, value: float, top: float) -> float:
    """y of `value` on an axis from 0 to `top`, kept inside the plot; NaN for a missing value."""
    if not math.isfinite(value):
        return math.nan
    return frame.bottom - frame.height * min(max(value, 0.0), top) / top


def _line_series(frame: _Frame, labels: list[str], s: Series, k: int, top: float, unit: str) -> list[str]:
    """One series of a line chart: a polyline per run of values between NaNs, and a point per value."""
    colour = PALETTE[k % len(PALETTE)]
    values = [_value(s.values, i) for i in range(len(labels))]
    xs = [frame.slot_centre(i, len(labels)) for i in range(len(labels))]
    ys = [_y(frame, v, top) for v in values]
    parts = []
    for drawn, run in itertools.groupby(zip(xs, ys), key=lambda point: math.isfinite(point[1])):
        if drawn and len(segment := list(run)) > 1:
            points = " ".join(f"{_n(x)},{_n(y)}" for x, y in segment)
            style = {"fill": "none", "stroke": colour, "stroke-width": 2, "stroke-linejoin": "round"}
            parts.append(_el("polyline", {"points": points, **style, **_dash(k)}))
    for x, y, label, value in zip(xs, ys, labels, values):
        if math.isfinite(value):
            point = {"cx": x, "cy": y, "r": 3, "fill": colour}
            parts.append(_el("circle", point, _tooltip(label, s.name, value, unit)))
    return parts


def line_chart(
    title: str, labels: list[str], series: list[Series], *, y_label: str = "", desc: str = "", unit: str = ""
) -> str:
    """Line chart with points; values may be float('nan') for 'no data' (gap, no point).

    y axis from 0 to a 'nice' max with 4-5 gridlines and tick labels with `unit` appended (e.g. ' h').
    All zeros is data (a flat line); "No data" is shown when no value is finite. Values below 0
    are drawn on the axis; their tooltips show them as they are.
    """
    finite = [v for s in series for v in s.values[: len(labels)] if math.isfinite(v)]
    step, count = _nice_scale(max(finite, default=0.0), _is_integral(series))
    ticks = [_fmt(step * i) + unit for i in range(count + 1)] if finite else []
    frame, rows, height = _chart_frame(ticks, y_label, [s.name for s in series])
    if not desc and finite:
        names = ", ".join(s.name for s in series)
        desc = f"Line chart of {names} for {len(labels)} periods, {labels[0]} to {labels[-1]}."
    cid = _chart_id("line", title, labels, series, y_label, unit)
    parts = _open(cid, title, desc or "Line chart: no data.", height)
    parts += _axes(frame, ticks, y_label)
    if not finite:
        parts.append(_no_data(frame))
    for k, s in enumerate(series if finite else []):
        parts += _line_series(frame, labels, s, k, step * count, unit)
    return _finish(parts + _x_labels(frame, labels) + _legend(rows, series, frame.bottom + 30, line=True))


def horizontal_bars(
    title: str, labels: list[str], values: list[float], *, desc: str = "", unit: str = ""
) -> str:
    """One horizontal bar per label with the value printed at the end of the bar.

    For example contributing-factor layers. Bars are scaled to the largest value; a zero value
    prints its label and "0" without a bar.
    """
    amounts = [_bar_value(values, i) for i in range(len(labels))]
    peak = max(amounts, default=0.0)
    texts = [_fmt(v) + unit for v in amounts]
    shown = [_short(label, 28) for label in labels]
    left = max(max((len(s) for s in shown), default=0) * CHAR + 16, 32)
    right = max((len(t) for t in texts), default=0) * CHAR + 16
    frame = _Frame(left, TOP, WIDTH - left - right, BAR_ROW * len(labels) if peak else 80)
    if not desc and peak:
        top = amounts.index(peak)
        desc = f"Horizontal bars for {len(labels)} items; largest: {labels[top]} ({texts[top]})."
    cid = _chart_id("hbars", title, labels, values, unit)
    parts = _open(cid, title, desc or "Horizontal bars: no data.", frame.bottom + TOP) + _axes(frame, [])
    if not peak:
        parts.append(_no_data(frame))
    for i, label in enumerate(labels if peak else []):
        y, width = frame.top + (i + 0.5) * BAR_ROW, frame.width * amounts[i] / peak
        parts.append(_text(left - 8, y, shown[i], "end"))
        if width:
            box = {"x": left, "y": y - 8, "width": width, "height": 16, "fill": PALETTE[0]}
            parts.append(_el("rect", box, f"<title>{_esc(label)}: {_esc(texts[i])}</title>"))
        parts.append(_text(left + width + 6, y, texts[i]))
    return _finish(parts)

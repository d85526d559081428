"""The build-time SVG charts: well-formed, accessible, escaped, deterministic, and correct in shape."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

import pytest

from handbook.rendering.charts import Series, horizontal_bars, line_chart, stacked_bars

SVG = "{http://www.w3.org/2000/svg}"
NAN = math.nan
HOSTILE = ["<script>alert(1)</script>", '" onload="x', "R&D <b>"]
MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]


def parse(svg: str) -> ET.Element:
    """The root of `svg`, checked for what every chart must have."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%" and root.get("height") is None
    assert root.get("viewBox", "").startswith("0 0 ")
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None and desc.text
    assert root.get("aria-labelledby") == title.get("id")
    assert root.get("aria-describedby") == desc.get("id")
    return root


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def tooltips(root: ET.Element, tag: str) -> list[str]:
    return [el.findtext(f"{SVG}title") or "" for el in root.iter(f"{SVG}{tag}")]


def all_charts(title: str, labels: list[str], names: list[str]) -> list[str]:
    """One chart of each kind, built from the same strings."""
    series = [Series(name, [float(i + 1) for i in range(len(labels))]) for name in names]
    return [
        stacked_bars(title, labels, series, y_label=title, desc=title),
        line_chart(title, labels, series, y_label=title, unit=" h"),
        horizontal_bars(title, labels, [1.0] * len(labels), unit=" h"),
    ]


def test_every_chart_is_well_formed_and_titled() -> None:
    title = 'Incidents & "near misses" <2025>'
    escaped = escape(title, {'"': "&quot;"})
    for svg in all_charts(title, MONTHS, ["SEV1", "SEV2"]):
        root = parse(svg)
        assert root.findtext(f"{SVG}title") == title
        assert f">{escaped}</title>" in svg


def test_no_script_network_or_fixed_fonts() -> None:
    for svg in all_charts("Chart", MONTHS, ["SEV1"]):
        assert "<script" not in svg and "href" not in svg and "http" not in svg.replace(
            'xmlns="http://www.w3.org/2000/svg"', ""
        )
        assert "@font-face" not in svg and 'font-family="inherit"' in svg
        root = parse(svg)
        assert all(t.get("fill") == "currentColor" for t in root.iter(f"{SVG}text"))


def test_hostile_strings_appear_only_escaped() -> None:
    for svg in all_charts(HOSTILE[0], HOSTILE, HOSTILE):
        root = parse(svg)
        assert "<script" not in svg and "<b>" not in svg
        assert 'onload="' not in svg and "onload=&quot;x" in svg
        assert root.findtext(f"{SVG}title") == HOSTILE[0]
        assert not any(attr.startswith("on") for el in root.iter() for attr in el.attrib)
        assert any(HOSTILE[0] in tip for tag in ("rect", "circle") for tip in tooltips(root, tag))


def test_stacked_bars_draw_one_rect_per_non_zero_cell_in_proportion() -> None:
    series = [Series("SEV1", [2, 0, 1, 0]), Series("SEV2", [4, 3, 0, 0]), Series("SEV3", [0, 1, 1, 0])]
    root = parse(stacked_bars("By month", MONTHS[:4], series))
    rects = {r.findtext(f"{SVG}title"): r for r in root.iter(f"{SVG}rect")}
    assert len(list(root.iter(f"{SVG}rect"))) == len(rects) == 6
    sev1, sev2 = rects["2025-01 — SEV1: 2"], rects["2025-01 — SEV2: 4"]
    assert float(sev2.get("height")) / float(sev1.get("height")) == pytest.approx(2, rel=1e-3)
    assert float(sev2.get("y")) + float(sev2.get("height")) == pytest.approx(float(sev1.get("y")))
    assert float(rects["2025-02 — SEV3: 1"].get("height")) == pytest.approx(float(sev1.get("height")) / 2, rel=1e-3)


def test_stacked_bars_have_a_legend_and_a_tooltip_per_bar() -> None:
    root = parse(stacked_bars("By month", MONTHS[:2], [Series("SEV1", [1, 2.5]), Series("SEV2", [3, 0])]))
    assert {"SEV1", "SEV2"} <= set(texts(root))
    assert tooltips(root, "rect") == ["2025-01 — SEV1: 1", "2025-01 — SEV2: 3", "2025-02 — SEV1: 2.5"]


def test_line_chart_leaves_a_gap_for_nan() -> None:
    values = [1.5, 2.0, NAN, 3.0, 4.26, NAN]
    root = parse(line_chart("MTTR", MONTHS[:6], [Series("p50", values)], unit=" h"))
    assert len(list(root.iter(f"{SVG}polyline"))) == 2
    assert len(list(root.iter(f"{SVG}circle"))) == 4 + 1  # four points and the legend's marker
    assert [t for t in tooltips(root, "circle") if t] == [
        "2025-01 — p50: 1.5 h",
        "2025-02 — p50: 2 h",
        "2025-04 — p50: 3 h",
        "2025-05 — p50: 4.3 h",
    ]
    assert not any("2025-03" in t or "2025-06" in t for t in tooltips(root, "circle"))


def test_line_chart_point_count_equals_finite_values() -> None:
    series = [Series("p50", [1, NAN, 2, 3]), Series("p90", [NAN, NAN, 8, 9.5])]
    root = parse(line_chart("MTTR", MONTHS[:4], series, unit=" h"))
    points = [c for c in root.iter(f"{SVG}circle") if c.find(f"{SVG}title") is not None]
    assert len(points) == 5
    assert len(list(root.iter(f"{SVG}polyline"))) == 2  # p50's lone first point draws no line


def test_line_chart_axis_is_nice_with_units() -> None:
    root = parse(line_chart("MTTR", MONTHS[:3], [Series("p50", [1.5, 7.2, 16.2])], unit=" h"))
    assert [t for t in texts(root) if t.endswith(" h")] == ["0 h", "5 h", "10 h", "15 h", "20 h"]
    gridlines = [line for line in root.iter(f"{SVG}line") if line.get("stroke-opacity")]
    assert 4 <= len(gridlines) <= 5


def test_horizontal_bars_print_values() -> None:
    root = parse(horizontal_bars("Layers", ["Technology", "Process", "People"], [12, 3.5, 0]))
    assert len(list(root.iter(f"{SVG}rect"))) == 2
    assert {"Technology", "Process", "People", "12", "3.5", "0"} <= set(texts(root))
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] / widths[1] == pytest.approx(12 / 3.5, rel=1e-3)


@pytest.mark.parametrize(
    "svg",
    [
        stacked_bars("Empty", [], []),
        stacked_bars("Zeros", MONTHS[:3], [Series("SEV1", [0, 0, 0])]),
        line_chart("Empty", [], []),
        line_chart("Gaps", MONTHS[:2], [Series("p50", [NAN, NAN])]),
        horizontal_bars("Empty", [], []),
        horizontal_bars("Zeros", ["a", "b"], [0, 0]),
    ],
)
def test_empty_inputs_say_no_data(svg: str) -> None:
    root = parse(svg)
    assert "No data" in texts(root)
    assert not list(root.iter(f"{SVG}rect")) and not list(root.iter(f"{SVG}polyline"))
    assert root.find(f"{SVG}path") is not None  # the axes are still drawn


def test_many_labels_are_thinned() -> None:
    labels = [f"{2023 + m // 12}-{m % 12 + 1:02d}" for m in range(36)]
    root = parse(stacked_bars("Three years", labels, [Series("SEV1", [1.0] * 36)]))
    shown = [t for t in texts(root) if t in labels]
    assert 2 <= len(shown) < 36 and shown[0] == labels[0]
    step = labels.index(shown[1])
    assert shown == labels[::step]
    assert len(list(root.iter(f"{SVG}rect"))) == 36


def test_output_is_deterministic_and_ids_differ_between_charts() -> None:
    series = [Series("SEV1", [1, 2, NAN]), Series("SEV2", [0, 1, 3])]
    first = [stacked_bars("A", MONTHS[:3], series), line_chart("A", MONTHS[:3], series)]
    again = [stacked_bars("A", MONTHS[:3], series), line_chart("A", MONTHS[:3], series)]
    assert first == again
    ids = {ET.fromstring(svg).get("aria-labelledby") for svg in [*first, stacked_bars("B", MONTHS[:3], series)]}
    assert len(ids) == 3


def test_numbers_are_compact() -> None:
    root = parse(horizontal_bars("Hours", ["a", "b", "c"], [2.0, 2.34, 1234.0], unit=" h"))
    assert {"2 h", "2.3 h", "1234 h"} <= set(texts(root))

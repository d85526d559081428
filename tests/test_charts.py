"""The build-time SVG charts: well-formed, accessible, escaped, deterministic, and correct in shape."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

import pytest

from handbook.rendering.charts import (
    LAYOUTS, NARROW, PALETTE, SEVERITY_COLOURS, WIDE, Series, horizontal_bars, line_chart, stacked_bars,
)

from .conftest import ROOT

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
    """One chart of each kind in each layout, built from the same strings (a severity among the series)."""
    series = [Series(name, [float(i + 1) for i in range(len(labels))], severity=k % 2)
              for k, name in enumerate(names)]
    return [chart for layout in LAYOUTS for chart in (
        stacked_bars(title, labels, series, y_label=title, desc=title, layout=layout),
        line_chart(title, labels, series, y_label=title, unit=" h", layout=layout),
        horizontal_bars(title, labels, [1.0] * len(labels), unit=" h", layout=layout),
    )]


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


# --- axes fitted to the data -------------------------------------------------------------------

def ticks(root: ET.Element) -> list[str]:
    """The y axis's tick labels, bottom up: the texts right-aligned at the plot's left edge."""
    return [t.text or "" for t in root.iter(f"{SVG}text")
            if t.get("text-anchor") == "end" and t.get("transform") is None]


@pytest.mark.parametrize("peak, expected", [
    (1, ["0", "1"]),
    (2, ["0", "1", "2"]),
    (5, ["0", "1", "2", "3", "4", "5"]),
    (6, ["0", "2", "4", "6"]),
    (7, ["0", "2", "4", "6", "8"]),
    (10, ["0", "2", "4", "6", "8", "10"]),
    (11, ["0", "2", "4", "6", "8", "10", "12"]),
    (37, ["0", "10", "20", "30", "40"]),
])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_count_axes_end_at_the_first_round_value_at_or_above_the_largest(peak, expected, layout) -> None:
    counts = [0, peak, 1]  # the peak is the tallest bar, and the largest point
    stacked = parse(stacked_bars("Count", MONTHS[:3], [Series("SEV1", counts)], layout=layout))
    line = parse(line_chart("Count", MONTHS[:3], [Series("n", counts)], layout=layout))
    assert ticks(stacked) == ticks(line) == expected
    tallest = max(float(r.get("height")) for r in stacked.iter(f"{SVG}rect"))
    top = int(expected[-1])
    assert tallest == pytest.approx(WIDE.plot_height * peak / top if layout is WIDE
                                    else NARROW.plot_height * peak / top, rel=1e-3)


def test_stacked_count_axis_fits_the_tallest_stack_not_the_largest_cell() -> None:
    series = [Series("SEV1", [1, 0]), Series("SEV2", [1, 1]), Series("SEV3", [1, 0])]
    assert ticks(parse(stacked_bars("By month", MONTHS[:2], series))) == ["0", "1", "2", "3"]


def test_an_all_zero_count_chart_has_no_ticks_and_says_no_data() -> None:
    root = parse(stacked_bars("Count", MONTHS[:3], [Series("SEV1", [0, 0, 0])]))
    assert ticks(root) == [] and "No data" in texts(root)


def test_count_ticks_are_whole_numbers_and_measurements_may_have_one_decimal() -> None:
    for peak in range(1, 40):
        root = parse(stacked_bars("Count", MONTHS[:1], [Series("SEV1", [peak])]))
        labels = ticks(root)
        assert all(t.isdigit() for t in labels), (peak, labels)
        assert int(labels[-1]) >= peak and len(labels) - 1 <= 6, (peak, labels)
    root = parse(line_chart("Hours", MONTHS[:2], [Series("p50", [0.3, 0.15])], unit=" h"))
    assert ticks(root) == ["0 h", "0.1 h", "0.2 h", "0.3 h"]


# --- one colour scale: severities ---------------------------------------------------------------

def css_severity_colours() -> list[str]:
    """The light palette's --pm-sev-1 … --pm-sev-5 in handbook.css (its first :root block)."""
    css = (ROOT / "docs" / "assets" / "stylesheets" / "handbook.css").read_text(encoding="utf-8")
    root = css[css.index(":root {"):]
    root = root[: root.index("}")]
    return [re.search(rf"--pm-sev-{n}:\s*(#[0-9a-fA-F]{{6}})", root).group(1) for n in range(1, 6)]


def test_the_severity_fallbacks_are_the_stylesheets_light_colours() -> None:
    assert list(SEVERITY_COLOURS) == css_severity_colours()


def test_severity_series_take_the_sites_severity_scale() -> None:
    series = [Series("SEV1", [1, 1]), Series("SEV2", [1, 0]), Series("SEV7", [1, 1])]
    series = [Series(s.name, s.values, severity=rank) for rank, s in zip((1, 2, 7), series)]
    root = parse(stacked_bars("By month", MONTHS[:2], series))
    by_series = {r.findtext(f"{SVG}title").split(" — ")[1].split(":")[0]: r for r in root.iter(f"{SVG}rect")}
    for name, rank in (("SEV1", 1), ("SEV2", 2), ("SEV7", 5)):  # past the scale's end: its last colour
        rect = by_series[name]
        colour = SEVERITY_COLOURS[rank - 1]
        assert rect.get("fill") == colour  # without the site's CSS
        assert f"fill:var(--pm-sev-{rank},{colour})" in rect.get("style")  # with it: the theme's
    swatches = [p for p in root.iter(f"{SVG}path") if "h10v10" in (p.get("d") or "")]
    assert [p.get("style") for p in swatches] == [
        "fill:var(--pm-sev-1,#9f1239)", "fill:var(--pm-sev-2,#c2410c)", "fill:var(--pm-sev-5,#4b5563)"]


def test_other_series_keep_the_palette_and_lines_their_dashes() -> None:
    series = [Series("p50", [1, 2]), Series("p90", [2, 3])]
    root = parse(line_chart("Hours", MONTHS[:2], series))
    lines = list(root.iter(f"{SVG}polyline"))
    assert [line.get("stroke") for line in lines] == list(PALETTE[:2])
    assert [line.get("style") for line in lines] == [None, None]
    assert [line.get("stroke-dasharray") for line in lines] == [None, "6 3"]


def test_stacked_segments_are_parted_by_the_background_colour() -> None:
    series = [Series("SEV1", [1], severity=1), Series("other", [2])]
    rects = list(parse(stacked_bars("By month", MONTHS[:1], series)).iter(f"{SVG}rect"))
    assert len(rects) == 2
    for rect in rects:
        assert rect.get("stroke") == "#fff"
        assert "stroke:var(--md-default-bg-color,#fff)" in rect.get("style")


# --- layouts: a column and a phone ---------------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUTS)
def test_each_layout_has_its_width_class_and_the_same_text_size(layout) -> None:
    for svg in all_charts("Chart", MONTHS, ["SEV1", "SEV2"]):
        root = parse(svg)
        if f"handbook-chart--{layout.name}" not in root.get("class").split():
            continue
        assert root.get("class").split() == ["handbook-chart", f"handbook-chart--{layout.name}"]
        assert root.get("viewBox").split()[2] == str(layout.width)
        assert root.get("font-size") == "12"
        assert not [t for t in root.iter(f"{SVG}text") if t.get("font-size")]


def test_the_layouts_of_one_chart_have_distinct_ids() -> None:
    ids = {ET.fromstring(stacked_bars("A", MONTHS[:3], [Series("SEV1", [1, 2, 3])], layout=layout))
           .get("aria-labelledby") for layout in LAYOUTS}
    assert len(ids) == len(LAYOUTS)


def test_x_labels_stay_inside_the_view_box_on_a_phone() -> None:
    labels = [f"{2024 + m // 12}-{m % 12 + 1:02d}" for m in range(24)]
    root = parse(stacked_bars("Two years", labels, [Series("SEV1", [1.0] * 24)], layout=NARROW))
    shown = [t for t in root.iter(f"{SVG}text") if t.text in labels]
    assert 3 <= len(shown) <= 6
    # a month label is at most 53 units wide (7 characters of at most 7.5 units): its half fits
    assert all(27 <= float(t.get("x")) <= NARROW.width - 27 for t in shown)


# --- horizontal bars: sorted, full labels, n --------------------------------------------------------

def bar_rows(root: ET.Element) -> list[tuple[str, str]]:
    """(label, value) of each bar from the top, read from the bars' tooltips."""
    return [tuple(tip.rsplit(": ", 1)) for tip in tooltips(root, "rect")]


def test_horizontal_bars_are_sorted_largest_first_and_equal_values_by_label() -> None:
    labels = ["Process", "technology", "People", "Culture", "Tools"]
    root = parse(horizontal_bars("Layers", labels, [3, 5, 3, 0, 5]))
    assert bar_rows(root) == [("technology", "5"), ("Tools", "5"), ("People", "3"), ("Process", "3")]
    shown = [t.text for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert shown == ["technology", "Tools", "People", "Process", "Culture"]  # 0 last, with no bar
    values = [t.text for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "start"]
    assert values == ["5", "5", "3", "3", "0"]
    ys = [float(r.get("y")) for r in root.iter(f"{SVG}rect")]
    assert ys == sorted(ys)


def label_lines(root: ET.Element) -> list[ET.Element]:
    return [t for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end"]


def bar_left(root: ET.Element) -> float:
    (left,) = {float(r.get("x")) for r in root.iter(f"{SVG}rect")}
    return left


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_label_column_fits_the_longest_label(layout) -> None:
    short = parse(horizontal_bars("Layers", ["Tech", "Ops"], [2, 1], layout=layout))
    longer = parse(horizontal_bars("Layers", ["Tech", "Rollout or control gap"], [2, 1], layout=layout))
    assert [t.text for t in label_lines(longer)] == ["Tech", "Rollout or control gap"]  # whole, one line each
    assert bar_left(short) < 60 < bar_left(longer)
    assert bar_left(longer) <= layout.width * 0.45 + 16


def test_the_site_layers_are_whole_on_a_column_and_wrap_between_words_on_a_phone() -> None:
    labels = ["Technical trigger", "Detection gap", "Rollout or control gap", "Responsibility or runbook gap",
              "Organisational trade-off"]
    wide = parse(horizontal_bars("Layers", labels, [11, 5, 7, 4, 5]))
    assert sorted(t.text for t in label_lines(wide)) == sorted(labels)
    narrow = parse(horizontal_bars("Layers", labels, [11, 5, 7, 4, 5], layout=NARROW))
    lines = [t.text for t in label_lines(narrow)]
    assert "Responsibility or runbook gap" not in lines
    joined = " ".join(lines)
    assert all(label in joined for label in labels) and "…" not in joined


def test_a_long_label_wraps_onto_two_lines_and_only_a_longer_one_is_cut_visibly() -> None:
    two = "Responsibility, ownership or on-call runbook gap"
    root = parse(horizontal_bars("Layers", [two, "Tech"], [1, 2], layout=NARROW))
    first, second = [t for t in label_lines(root) if t.text != "Tech"]
    assert f"{first.text} {second.text}" == two
    assert float(first.get("x")) == float(second.get("x")) and float(second.get("y")) > float(first.get("y"))
    assert first.find(f"{SVG}title") is None and second.find(f"{SVG}title") is None

    three = two + " and the platform team, across three regions and two vendors"
    root = parse(horizontal_bars("Layers", [three], [1], layout=NARROW))
    lines = label_lines(root)
    assert len(lines) == 2 and lines[1].text.endswith("…")
    assert three.startswith(lines[0].text + " " + lines[1].text[:-1])  # cut between words
    assert lines[1].findtext(f"{SVG}title") == three  # the whole label as a tooltip
    assert tooltips(root, "rect") == [f"{three}: 1"]


def test_a_word_longer_than_the_column_is_cut_with_an_ellipsis() -> None:
    word = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 2
    root = parse(horizontal_bars("Layers", [word], [1], layout=NARROW))
    (line,) = label_lines(root)
    assert line.text.endswith("…") and word.startswith(line.text[:-1]) and len(line.text) > 10
    assert line.findtext(f"{SVG}title") == word


def test_hostile_labels_are_escaped_when_wrapped_and_cut() -> None:
    label = " ".join(HOSTILE * 6)
    svg = horizontal_bars(HOSTILE[0], [label], [1], layout=NARROW)
    root = parse(svg)
    assert "<script" not in svg and "<b>" not in svg
    assert label_lines(root)[-1].findtext(f"{SVG}title") == label

"""The run charts written directly as SVG: well-formed, escaped, complete, and stable."""

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from defusedxml.ElementTree import fromstring as parse
from sqlalchemy import Engine, inspect
from sqlmodel import Session

from app import charts, svg_charts
from app.charts import HistogramChart, Marker, SCurveChart, TornadoChart
from app.models import SimulationRun
from app.services import run_charts
from app.services.run_view import load_result
from app.vocabulary import AccessRole, Language
from tests.web.conftest import Browser, run_first_revision

Open = Callable[[AccessRole], Browser]
SVG = "{http://www.w3.org/2000/svg}"
# Everything a chart may contain: no script, no link, no foreign content, no image.
DRAWN = {"svg", "title", "rect", "line", "polyline", "circle", "text"}
MARKERS = (Marker("P50", 6_071_188.4), Marker("P80", 6_170_641.0), Marker("P90", 6_224_862.2))


def _histogram(**changes: Any) -> HistogramChart:
    edges = tuple(5_700_000 + 25_000 * step for step in range(41))
    counts = tuple(round(800 * math.exp(-(((step - 15) / 6) ** 2))) for step in range(40))
    chart = HistogramChart("报价 分布", "报价 (CNY)", "次数", edges, counts, MARKERS)
    return replace(chart, **changes)


def _s_curve(**changes: Any) -> SCurveChart:
    points = tuple((5_700_000 + 10_000 * step, step / 100) for step in range(101))
    chart = SCurveChart("报价 S 曲线", "报价 (CNY)", "累计概率 (%)", points, MARKERS)
    return replace(chart, **changes)


def _tornado(**changes: Any) -> TornadoChart:
    labels = ("项目管理 / Project management", "功能测试 / Functional testing", "接口联调")
    chart = TornadoChart("主要驱动因素", "Spearman 秩相关系数", labels, (0.34, 0.17, -0.05))
    return replace(chart, **changes)


def _parsed(chart: charts.Chart) -> ET.Element:
    return parse(svg_charts.to_svg(chart))


def _texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


@pytest.mark.parametrize("chart", [_histogram(), _s_curve(), _tornado()], ids=type)
def test_every_chart_is_well_formed_scalable_svg_with_only_drawing_elements(
    chart: charts.Chart,
) -> None:
    root = _parsed(chart)
    assert root.tag == f"{SVG}svg"
    assert re.fullmatch(r"0 0 504 [\d.]+", root.attrib["viewBox"])
    assert {element.tag.removeprefix(SVG) for element in root.iter()} <= DRAWN
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name)
            assert "href" not in name, (element.tag, name)
            assert "url(" not in value, (element.tag, name, value)


def test_text_uses_the_cjk_fonts_first_then_sans_serif() -> None:
    family = _parsed(_s_curve()).attrib["font-family"]
    names = [name.strip().strip("'") for name in family.split(",")]
    assert names == [*charts.CJK_FONTS, "sans-serif"]


def test_a_hostile_driver_label_comes_out_escaped_as_plain_text() -> None:
    hostile = '<script>x("&\'")</script>\x00'
    svg = svg_charts.to_svg(_tornado(labels=(hostile, "正常"), values=(0.3, 0.1)))
    assert b"<script" not in svg
    assert b"&lt;script&gt;x(&quot;&amp;&#x27;&quot;)&lt;/script&gt;\xef\xbf\xbd" in svg
    # Read back, it is the label itself (the NUL XML cannot carry becomes U+FFFD).
    assert '<script>x("&\'")</script>\ufffd' in _texts(parse(svg))


def test_long_driver_labels_are_shortened_like_the_document_charts() -> None:
    long = "标准业务功能页面 / Standard business function page"
    texts = _texts(_parsed(_tornado(labels=(long,), values=(0.3,))))
    assert charts.shorten(long) in texts
    assert charts.shorten(long).endswith("…")
    assert long not in texts


def test_histogram_markers_are_dashed_lines_in_their_colours_with_values_in_the_legend() -> None:
    root = _parsed(_histogram())
    lines = [line.attrib for line in root.iter(f"{SVG}line")]
    for marker, colour in zip(MARKERS, ("#2e7d32", "#ef6c00", "#c62828"), strict=True):
        dashed = [line for line in lines if line["stroke"] == colour and "stroke-dasharray" in line]
        assert len(dashed) == 2  # the line across the axes and its legend sample
        assert marker.text in _texts(root)
    assert "P80 6,170,641" in _texts(root)


def test_s_curve_markers_are_dots_on_the_curve_labelled_in_their_colours() -> None:
    root = _parsed(_s_curve())
    dots = {circle.attrib["fill"] for circle in root.iter(f"{SVG}circle")}
    assert dots == {"#2e7d32", "#ef6c00", "#c62828"}
    labels = {text.text: text.attrib["fill"] for text in root.iter(f"{SVG}text")}
    assert labels["P50 6,071,188"] == "#2e7d32"
    assert labels["P90 6,224,862"] == "#c62828"
    assert len(list(root.iter(f"{SVG}polyline"))) == 1


def test_a_marker_label_near_the_right_edge_goes_left_of_its_dot() -> None:
    last = Marker("P90", 6_700_000.0)
    root = _parsed(_s_curve(markers=(last,)))
    label = next(text for text in root.iter(f"{SVG}text") if text.text == last.text)
    dot = next(root.iter(f"{SVG}circle"))
    assert label.attrib["text-anchor"] == "end"
    assert float(label.attrib["x"]) < float(dot.attrib["cx"])


def test_a_description_whose_parts_do_not_match_is_refused_naming_them() -> None:
    with pytest.raises(ValueError, match="len"):
        _tornado(values=(0.1,))
    with pytest.raises(ValueError, match="edges"):
        _histogram(counts=(1, 2))


def test_the_same_chart_always_gives_the_same_bytes_whatever_was_drawn_in_between() -> None:
    first = svg_charts.to_svg(_histogram())
    svg_charts.to_svg(_tornado(values=(-0.5, 0.001, 0.2)))
    svg_charts.to_svg(_s_curve(points=((2_700_000.0, 0.0), (2_700_400.0, 1.0))))
    assert svg_charts.to_svg(_histogram()) == first


@pytest.mark.parametrize(
    "chart",
    [_histogram(), _s_curve(), _tornado()],
    ids=type,
)
def test_axes_limits_and_ticks_are_the_ones_matplotlib_draws_for_the_same_data(
    chart: charts.Chart,
) -> None:
    figure = charts.figure(chart)
    figure.canvas.draw()
    axes = figure.axes[0]
    low, high = axes.get_xlim()
    shown = [t for t in axes.get_xticklabels() if low <= t.get_position()[0] <= high]
    texts = _texts(_parsed(chart))
    # Ref: matplotlib's own chart. Drawn outside the charts' style here, its minus is U+2212;
    # the PNGs (in the style, unicode_minus off) and the SVGs use the ASCII one.
    for label in shown:
        assert label.get_text().replace("\u2212", "-") in texts
    offset = axes.xaxis.get_offset_text().get_text()
    assert (offset in texts) if offset else True


def test_texts_stay_on_the_canvas_even_with_long_english_titles_and_labels() -> None:
    title = "Top drivers (rank correlation with total effort) and a much longer tail of words"
    chart = _tornado(title=title, x_label="Spearman rank correlation with total effort, P-levels")
    root = _parsed(chart)
    width = float(root.attrib["viewBox"].split()[2])
    for text in root.iter(f"{SVG}text"):
        if text.attrib.get("transform"):
            continue
        size = float(text.attrib["font-size"])
        extent = svg_charts.text_width(text.text or "", size)
        x = float(text.attrib["x"])
        start = {"start": x, "middle": x - extent / 2, "end": x - extent}[
            text.attrib["text-anchor"]
        ]
        assert start >= 0, text.text
        assert start + extent <= width, text.text


@pytest.mark.parametrize(
    "chart",
    [
        _tornado(labels=(), values=()),
        _tornado(values=(math.nan, 0.0, 0.0)),
        _histogram(counts=(0,) * 40),
        _s_curve(points=((100.0, 0.0), (100.0, 1.0)), markers=(Marker("P80", math.inf),)),
    ],
    ids=["no drivers", "no spread", "no counts", "one value"],
)
def test_degenerate_data_still_gives_a_well_formed_chart(chart: charts.Chart) -> None:
    svg = svg_charts.to_svg(chart)
    parse(svg)
    assert b"nan" not in svg.lower()
    assert b"inf" not in svg.lower()


# --- A real run -----------------------------------------------------------------------------


def test_a_real_runs_charts_carry_their_texts_in_chinese_and_english(
    open_as: Open, seeded: Engine
) -> None:
    run_id = run_first_revision(open_as(AccessRole.PRESALES), seeded)
    with Session(seeded) as session:
        run = session.get(SimulationRun, run_id)
        assert run is not None
        zh = _texts(parse(run_charts.chart_svg(run, "s-curve-price", Language.ZH)))
        en = _texts(parse(run_charts.chart_svg(run, "histogram-effort", Language.EN)))
        tornado = run_charts.chart_data(run, "tornado", Language.ZH)
        assert isinstance(tornado, TornadoChart)
        drawn = charts.figure(tornado).axes[0]
        tornado_texts = _texts(parse(run_charts.chart_svg(run, "tornado", Language.ZH)))
    assert {"报价 S 曲线", "累计概率 (%)", "报价 (CNY)"} <= set(zh)
    assert {"Effort (person-days) distribution", "Iterations"} <= set(en)
    assert any(text.startswith("P80 ") for text in zh)
    # The document's PNG and the page's SVG draw the same description.
    assert [label.get_text() for label in drawn.get_yticklabels()] == list(tornado.shown_labels)
    assert set(tornado.shown_labels) <= set(tornado_texts)


def test_a_chart_request_reads_no_result_column_once_the_result_is_decoded(
    open_as: Open, seeded: Engine
) -> None:
    run_id = run_first_revision(open_as(AccessRole.PRESALES), seeded)
    with Session(seeded) as session:
        run = session.get(SimulationRun, run_id)
        assert run is not None
        load_result(run)  # the results page decoded it
    with Session(seeded) as session:
        run = session.get(SimulationRun, run_id)
        assert run is not None
        assert "result" in inspect(run).unloaded
        run_charts.chart_svg(run, "histogram-price", Language.EN)
        assert "result" in inspect(run).unloaded


def test_the_chart_route_serves_the_written_svg_in_the_viewers_language(
    open_as: Open, seeded: Engine
) -> None:
    run_id = run_first_revision(open_as(AccessRole.PRESALES), seeded)
    browser = open_as(AccessRole.SALES)
    response = browser.get(f"/runs/{run_id}/charts/tornado.svg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    root = parse(response.content)
    assert root.find(f"{SVG}title") is not None
    assert "主要驱动因素（与总工作量的秩相关）" in _texts(root)

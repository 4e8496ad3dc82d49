"""Charts of a run: histogram, S-curve with P-levels, tornado, delivery Gantt.

A run's charts are described once as plain data (:class:`HistogramChart`,
:class:`SCurveChart`, :class:`TornadoChart`): :func:`figure` draws a description with
matplotlib (PNG at print resolution for the documents), ``app.svg_charts`` writes the same
description as a small SVG for the pages. Inputs are plain numbers and labels, never engine
objects or ORM rows. The calibration charts are still matplotlib SVGs (``to_svg``).
"""

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import itertools

import numpy as np
from matplotlib import font_manager, ticker
from matplotlib.figure import Figure

CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Zen Hei"]
PRINT_DPI = 200
_P_COLOURS = {"P50": "#2e7d32", "P80": "#ef6c00", "P90": "#c62828"}
BAR_COLOUR = "#90caf9"
_STYLE: dict[Any, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": [*CJK_FONTS, "DejaVu Sans"],
    "axes.unicode_minus": False,
    "svg.fonttype": "path",
    "svg.hashsalt": "bidwright",  # stable ids: the same chart gives the same bytes
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def cjk_font_available() -> bool:
    names = {font.name for font in font_manager.fontManager.ttflist}
    return any(name in names for name in CJK_FONTS)


def _register_installed_cjk_fonts() -> None:
    """Add CJK fonts installed after matplotlib cached its font list.

    matplotlib reads its font list from a cache built on first use; fonts installed later
    (``make test`` installs fonts-noto-cjk on a fresh machine) stay invisible to it, and
    Chinese labels would come out as empty boxes.
    """
    if cjk_font_available():
        return
    for path in font_manager.findSystemFonts():
        if "CJK" in Path(path).name:
            font_manager.fontManager.addfont(path)


_register_installed_cjk_fonts()


@dataclass(frozen=True)
class Marker:
    label: str
    value: float

    @property
    def text(self) -> str:
        """As the chart labels it: ``P80 6,170,641``."""
        return f"{self.label} {self.value:,.0f}"

    @property
    def colour(self) -> str:
        return _P_COLOURS.get(self.label, "#555555")


@dataclass(frozen=True)
class HistogramChart:
    """Bars of ``counts`` over ``edges`` (one more edge than counts), P-levels as lines."""

    title: str
    x_label: str
    y_label: str
    edges: tuple[float, ...]
    counts: tuple[int, ...]
    markers: tuple[Marker, ...]

    def __post_init__(self) -> None:
        if len(self.edges) != len(self.counts) + 1:
            raise ValueError(f"{len(self.edges)=} must be {len(self.counts)=} + 1")


@dataclass(frozen=True)
class SCurveChart:
    """(value, cumulative probability in [0, 1]) points, P-levels as dots on the curve."""

    title: str
    x_label: str
    y_label: str
    points: tuple[tuple[float, float], ...]
    markers: tuple[Marker, ...]


@dataclass(frozen=True)
class TornadoChart:
    """Horizontal bars, first label on top (``values`` in [-1, 1] or shares in [0, 1])."""

    title: str
    x_label: str
    labels: tuple[str, ...]
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.labels) != len(self.values):
            raise ValueError(f"{len(self.labels)=} differs from {len(self.values)=}")

    @property
    def shown_labels(self) -> tuple[str, ...]:
        return tuple(shorten(label) for label in self.labels)

    @property
    def height_inches(self) -> float:
        return tornado_height(len(self.labels))


Chart = HistogramChart | SCurveChart | TornadoChart
FIGURE_WIDTH = 7.0
FIGURE_HEIGHT = 3.6
TORNADO_COLOURS = ("#ef6c00", "#1565c0")  # value >= 0, value < 0
S_CURVE_COLOUR = "#1565c0"


def tornado_height(bars: int) -> float:
    """Figure height in inches: room for every bar's label."""
    return max(2.5, 0.38 * bars + 1.2)


def figure(chart: Chart) -> Figure:
    """The chart drawn with matplotlib (for PNGs)."""
    if isinstance(chart, HistogramChart):
        return histogram(
            edges=chart.edges,
            counts=chart.counts,
            markers=chart.markers,
            x_label=chart.x_label,
            y_label=chart.y_label,
            title=chart.title,
        )
    if isinstance(chart, SCurveChart):
        return s_curve(
            points=chart.points,
            markers=chart.markers,
            x_label=chart.x_label,
            y_label=chart.y_label,
            title=chart.title,
        )
    return tornado(
        labels=chart.labels, values=chart.values, x_label=chart.x_label, title=chart.title
    )


def _figure(width: float = FIGURE_WIDTH, height: float = FIGURE_HEIGHT) -> Figure:
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(width, height), layout="constrained")
        figure.add_subplot()
    return figure


def histogram(
    *,
    edges: Sequence[float],
    counts: Sequence[int],
    markers: Sequence[Marker],
    x_label: str,
    y_label: str,
    title: str,
) -> Figure:
    with matplotlib.rc_context(_STYLE):
        figure = _figure()
        axes = figure.axes[0]
        widths = [high - low for low, high in itertools.pairwise(edges)]
        axes.bar(
            edges[:-1], counts, width=widths, align="edge", color=BAR_COLOUR, edgecolor="white"
        )
        _mark(axes, markers)
        axes.set(xlabel=x_label, ylabel=y_label, title=title)
        axes.legend(loc="upper right", frameon=False)
    return figure


def s_curve(
    *,
    points: Sequence[tuple[float, float]],
    markers: Sequence[Marker],
    x_label: str,
    y_label: str,
    title: str,
) -> Figure:
    with matplotlib.rc_context(_STYLE):
        figure = _figure()
        axes = figure.axes[0]
        axes.plot([v for v, _ in points], [p * 100 for _, p in points], color=S_CURVE_COLOUR)
        for marker in markers:
            level = marker_level(marker)
            colour = marker.colour
            axes.plot([marker.value], [level], "o", color=colour)
            axes.annotate(
                marker.text,
                (marker.value, level),
                textcoords="offset points",
                xytext=(6, -12),
                color=colour,
                fontsize=9,
            )
        axes.set(xlabel=x_label, ylabel=y_label, title=title, ylim=(0, 100))
        axes.grid(alpha=0.3)
    return figure


def tornado(*, labels: Sequence[str], values: Sequence[float], x_label: str, title: str) -> Figure:
    """Horizontal bars, largest driver on top (``values`` in [-1, 1] or shares in [0, 1])."""
    with matplotlib.rc_context(_STYLE):
        figure = _figure(height=tornado_height(len(labels)))
        axes = figure.axes[0]
        positions = list(range(len(labels)))[::-1]
        colours = [TORNADO_COLOURS[0] if value >= 0 else TORNADO_COLOURS[1] for value in values]
        axes.barh(positions, values, color=colours)
        axes.set_yticks(positions, labels=[shorten(label) for label in labels], fontsize=8)
        axes.axvline(0, color="#555555", linewidth=0.8)
        axes.set(xlabel=x_label, title=title)
    return figure


def gantt(*, rows: Sequence[tuple[str, float, float]], x_label: str, title: str) -> Figure:
    """Phases as bars: (label, start, length) in working days from the start."""
    height = max(2.5, 0.42 * len(rows) + 1.2)
    with matplotlib.rc_context(_STYLE):
        figure = _figure(height=height)
        axes = figure.axes[0]
        positions = list(range(len(rows)))[::-1]
        axes.barh(
            positions,
            [length for _, _, length in rows],
            left=[start for _, start, _ in rows],
            color="#1565c0",
        )
        axes.set_yticks(positions, labels=[label for label, _, _ in rows], fontsize=9)
        axes.set(xlabel=x_label, title=title)
        axes.grid(axis="x", alpha=0.3)
    return figure


def _mark(axes: object, markers: Sequence[Marker]) -> None:
    for marker in markers:
        axes.axvline(  # type: ignore[attr-defined]
            marker.value, color=marker.colour, linestyle="--", linewidth=1.2, label=marker.text
        )


def marker_level(marker: Marker) -> float:
    """The cumulative probability in percent a P-level marker sits at: P80 → 80."""
    return float(marker.label.removeprefix("P"))


def shorten(label: str, limit: int = 28) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def to_svg(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    with matplotlib.rc_context(_STYLE):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def to_png(figure: Figure, *, dpi: int = PRINT_DPI) -> bytes:
    buffer = io.BytesIO()
    with matplotlib.rc_context(_STYLE):
        figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def ratio_histogram(
    *,
    ratios: Sequence[float],
    markers: Sequence[Marker],
    x_label: str,
    y_label: str,
    title: str,
    bins: int = 40,
) -> Figure:
    """Distribution of actual/estimate ratios on a log axis, with 1.0 (on estimate) marked."""
    values = np.asarray([r for r in ratios if r > 0], dtype=float)
    low, high = (values.min(), values.max()) if values.size else (0.5, 2.0)
    edges = np.geomspace(min(low, 0.9) * 0.95, max(high, 1.1) * 1.05, bins + 1)
    counts, _ = np.histogram(values, bins=edges)
    with matplotlib.rc_context(_STYLE):
        figure = _figure()
        axes = figure.axes[0]
        axes.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color=BAR_COLOUR)
        axes.set_xscale("log")
        # Plain ratios on the log axis (0.5, 1, 2), not powers of ten.
        axes.xaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
        axes.xaxis.set_minor_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
        axes.axvline(1.0, color="#555555", linewidth=1.0)
        for marker in markers:
            axes.axvline(
                marker.value,
                color=_P_COLOURS.get(marker.label, "#555555"),
                linestyle="--",
                linewidth=1.2,
                label=f"{marker.label} {marker.value:.2f}",
            )
        axes.set(xlabel=x_label, ylabel=y_label, title=title)
        axes.legend(loc="upper right", frameon=False)
    return figure


def reliability(
    *,
    levels: Sequence[float],
    series: Sequence[tuple[str, Sequence[float]]],
    x_label: str,
    y_label: str,
    title: str,
) -> Figure:
    """Observed coverage against the nominal P-levels; calibrated forecasts sit on the diagonal."""
    colours = ("#c62828", "#2e7d32", "#1565c0")
    with matplotlib.rc_context(_STYLE):
        figure = _figure(width=5.0, height=4.0)
        axes = figure.axes[0]
        axes.plot([0, 100], [0, 100], color="#9e9e9e", linestyle="--", linewidth=1.0)
        nominal = [level * 100 for level in levels]
        for (label, observed), colour in zip(series, itertools.cycle(colours), strict=False):
            axes.plot(nominal, [value * 100 for value in observed], "o-", color=colour, label=label)
        axes.set(xlabel=x_label, ylabel=y_label, title=title, xlim=(0, 100), ylim=(0, 100))
        axes.set_xticks(nominal, labels=[f"P{level:.0f}" for level in nominal])
        axes.grid(alpha=0.3)
        axes.legend(loc="upper left", frameon=False)
    return figure

"""The run charts of ``app.charts`` written directly as small SVG documents, for the pages.

matplotlib needs 200-300 ms of CPU per SVG (layout, text as glyph paths); this writer
builds the same chart as text in about a millisecond. The look follows the matplotlib
charts: sizes in points on a 7 x 3.6 inch canvas, the same colours, ticks picked by
matplotlib's own locator and formatter (both cheap on their own), bottom and left spines.

Text stays text (``<text>``): the browser renders Chinese with the CJK fonts named first in
the font list. Every label is XML-escaped, characters XML cannot carry are replaced, and
the document has no scripts, links or external references (the route serves it under a
policy that allows inline styles only). The same chart always gives the same bytes.

Text widths are estimated from the characters (CJK full width, Latin narrower, on the wide
side of common sans-serif fonts) to leave room for labels; nothing is measured.
"""

import html
import itertools
import math
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from matplotlib import ticker

from app.charts import (
    BAR_COLOUR,
    CJK_FONTS,
    FIGURE_HEIGHT,
    FIGURE_WIDTH,
    S_CURVE_COLOUR,
    TORNADO_COLOURS,
    Chart,
    HistogramChart,
    Marker,
    SCurveChart,
    TornadoChart,
    marker_level,
)

POINTS_PER_INCH = 72
FONT_FAMILY = ", ".join([*(f"'{name}'" for name in CJK_FONTS), "sans-serif"])
TITLE_SIZE = 12.0
LABEL_SIZE = 10.0
TICK_SIZE = 10.0
NOTE_SIZE = 9.0
DRIVER_SIZE = 8.0
EDGE = 6.0  # blank border around everything
TICK_LENGTH = 3.5
TICK_PAD = 3.5
LABEL_PAD = 4.0
LINE_HEIGHT = 1.2  # text box height per font size
ASCENT = 0.8  # baseline below the top of the text box, per font size
MARGIN = 0.05  # matplotlib's axes margins around the data
DASHES = "4.44 1.92"  # matplotlib's "--" at linewidth 1.2
GRID = 'stroke="#b0b0b0" stroke-opacity="0.3" stroke-width="0.8"'
_FORMATTERS = threading.local()  # a formatter keeps the last ticks' state: one per thread
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def to_svg(chart: Chart) -> bytes:
    """The chart as a standalone SVG document (UTF-8)."""
    if isinstance(chart, HistogramChart):
        return _histogram(chart)
    if isinstance(chart, SCurveChart):
        return _s_curve(chart)
    return _tornado(chart)


# --- Text ----------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Text for XML content or a double-quoted attribute: markup and quotes escaped."""
    return html.escape(_NOT_XML.sub("\ufffd", text), quote=True)


def text_width(text: str, size: float) -> float:
    """Estimated advance of ``text`` at ``size`` points, rather too wide than too narrow."""
    return size * sum(_em(character) for character in text)


def _em(character: str) -> float:
    if unicodedata.east_asian_width(character) in "WFA":
        return 1.0
    if character in " .,:;'|!()[]/-":
        return 0.36
    if character.isupper() or character.isdigit() or character in "%&@#$":
        return 0.68
    return 0.6


def _number(value: float) -> str:
    """A coordinate: two decimals at most, no trailing zeros, never ``-0``."""
    shown = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if shown in {"-0", ""} else shown


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: float,
    anchor: str = "start",
    colour: str = "#000000",
    rotate: bool = False,
) -> str:
    turn = f' transform="rotate(-90 {_number(x)} {_number(y)})"' if rotate else ""
    return (
        f'<text x="{_number(x)}" y="{_number(y)}" font-size="{_number(size)}" '
        f'text-anchor="{anchor}" fill="{colour}"{turn}>{escape(text)}</text>'
    )


def _line(x1: float, y1: float, x2: float, y2: float, style: str) -> str:
    return (
        f'<line x1="{_number(x1)}" y1="{_number(y1)}" x2="{_number(x2)}" y2="{_number(y2)}" '
        f"{style}/>"
    )


def _centred(centre: float, width: float, canvas: float) -> float:
    """The centre moved just enough that a text ``width`` wide stays on the canvas."""
    return min(max(centre, EDGE + width / 2), canvas - EDGE - width / 2)


# --- Axes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ticks:
    values: tuple[float, ...]
    labels: tuple[str, ...]
    offset: str  # matplotlib's scale or offset text (``1e6``), empty when none


def _ticks(low: float, high: float, bins: int) -> _Ticks:
    """Nice tick values inside [low, high], formatted as matplotlib's default axis does."""
    locator = ticker.MaxNLocator(nbins=max(bins, 1), steps=[1, 2, 2.5, 5, 10])
    slack = (high - low) * 1e-9
    values = [float(v) for v in locator.tick_values(low, high) if low - slack <= v <= high + slack]
    formatter = _formatter()
    formatter.axis.set_view_interval(low, high)  # type: ignore[union-attr]
    labels = [label.replace("\u2212", "-") for label in formatter.format_ticks(values)]
    return _Ticks(tuple(values), tuple(labels), formatter.get_offset().replace("\u2212", "-"))


def _formatter() -> ticker.ScalarFormatter:
    """This thread's formatter: making one looks up fonts (a quarter of a millisecond)."""
    formatter: ticker.ScalarFormatter | None = getattr(_FORMATTERS, "formatter", None)
    if formatter is None:
        formatter = ticker.ScalarFormatter()
        formatter.create_dummy_axis()
        _FORMATTERS.formatter = formatter
    return formatter


def _x_ticks(low: float, high: float, width: float) -> _Ticks:
    """As many ticks as fit without their labels touching (matplotlib allows at most 9)."""
    bins = min(9, max(1, int(width // (3 * TICK_SIZE))))
    while True:
        ticks = _ticks(low, high, bins)
        spacing = width / (high - low) * _step(ticks.values) if len(ticks.values) > 1 else width
        widest = max((text_width(label, TICK_SIZE) for label in ticks.labels), default=0.0)
        if widest + TICK_SIZE <= spacing or bins == 1:
            return ticks
        bins -= 1


def _step(values: Sequence[float]) -> float:
    return min(abs(b - a) for a, b in itertools.pairwise(values))


def _limits(low: float, high: float, *, sticky: float | None = None) -> tuple[float, float]:
    """Data limits widened by matplotlib's 5 % margins; a bar base (``sticky``) stays put."""
    if not (math.isfinite(low) and math.isfinite(high)):
        low, high = 0.0, 1.0
    if high - low <= 0:
        pad = abs(low) * MARGIN or 1.0
        return (low - pad, high + pad) if sticky is None else (min(low, 0.0), max(high, 1.0))
    pad = (high - low) * MARGIN
    return (
        low if sticky is not None and low == sticky else low - pad,
        high if sticky is not None and high == sticky else high + pad,
    )


@dataclass(frozen=True)
class _Frame:
    """The axes box on the canvas (points, y down) and the data limits it shows."""

    left: float
    top: float
    right: float
    bottom: float
    x_low: float
    x_high: float
    y_low: float
    y_high: float

    def x(self, value: float) -> float:
        return self.left + (value - self.x_low) / (self.x_high - self.x_low) * self.width

    def y(self, value: float) -> float:
        return self.bottom - (value - self.y_low) / (self.y_high - self.y_low) * self.height

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


_TOP = EDGE + TITLE_SIZE * LINE_HEIGHT + 6.0
_BELOW_AXES = TICK_LENGTH + TICK_PAD + TICK_SIZE * LINE_HEIGHT + LABEL_PAD
_BOTTOM = _BELOW_AXES + LABEL_SIZE * LINE_HEIGHT + EDGE


def _y_ticks(low: float, high: float, height: float) -> _Ticks:
    return _ticks(low, high, min(9, max(1, int(height // (2 * TICK_SIZE)))))


def _left_of_axes(y_labels: Iterable[str], size: float, *, axis_label: bool) -> float:
    widest = max((text_width(label, size) for label in y_labels), default=0.0)
    room = LABEL_SIZE * LINE_HEIGHT + LABEL_PAD if axis_label else 0.0
    return EDGE + room + widest + TICK_PAD + TICK_LENGTH


def _frame(
    canvas: tuple[float, float],
    left: float,
    x_limits: tuple[float, float],
    y_limits: tuple[float, float],
) -> tuple[_Frame, _Ticks]:
    """The axes box right of ``left`` and its x ticks; room on the right for half of a last
    tick label sitting on the axes' end."""
    width, height = canvas
    x_ticks = _x_ticks(*x_limits, width - left - 2 * EDGE)
    frame = _Frame(left, _TOP, width - EDGE, height - _BOTTOM, *x_limits, *y_limits)
    if x_ticks.values:
        half = text_width(x_ticks.labels[-1], TICK_SIZE) / 2
        overhang = half - (frame.right - frame.x(x_ticks.values[-1]))
        frame = replace(frame, right=width - EDGE - max(overhang, 2.0))
    return frame, x_ticks


def _axes(frame: _Frame, x_ticks: _Ticks, y_ticks: _Ticks | None, *, grid: bool) -> list[str]:
    """Grid, ticks and tick labels (x below, y on the left), drawn under the data."""
    parts = []
    tick = 'stroke="#000000" stroke-width="0.8"'
    for value, label in zip(x_ticks.values, x_ticks.labels, strict=True):
        x = frame.x(value)
        if grid:
            parts.append(_line(x, frame.top, x, frame.bottom, GRID))
        parts.append(_line(x, frame.bottom, x, frame.bottom + TICK_LENGTH, tick))
        baseline = frame.bottom + TICK_LENGTH + TICK_PAD + TICK_SIZE * ASCENT
        parts.append(_text(x, baseline, label, size=TICK_SIZE, anchor="middle"))
    if x_ticks.offset:
        baseline = frame.bottom + _BELOW_AXES + LABEL_SIZE * ASCENT
        parts.append(_text(frame.right, baseline, x_ticks.offset, size=TICK_SIZE, anchor="end"))
    for value, label in zip(y_ticks.values, y_ticks.labels, strict=True) if y_ticks else ():
        y = frame.y(value)
        if grid:
            parts.append(_line(frame.left, y, frame.right, y, GRID))
        parts.append(_line(frame.left - TICK_LENGTH, y, frame.left, y, tick))
        x = frame.left - TICK_LENGTH - TICK_PAD
        parts.append(_text(x, y + TICK_SIZE * 0.35, label, size=TICK_SIZE, anchor="end"))
    return parts


def _spines(frame: _Frame) -> list[str]:
    """Left and bottom spines, drawn over the data as matplotlib does (bar edges are white)."""
    style = 'stroke="#000000" stroke-width="0.8" stroke-linecap="square"'
    return [
        _line(frame.left, frame.top, frame.left, frame.bottom, style),
        _line(frame.left, frame.bottom, frame.right, frame.bottom, style),
    ]


def _titles(
    frame: _Frame, canvas: tuple[float, float], *, title: str, x_label: str, y_label: str | None
) -> list[str]:
    """The title above the axes, the axis labels below and (turned) left of them.

    Centred on the axes but kept on the canvas; a text wider than the canvas gets smaller.
    """
    width, height = canvas
    centre = (frame.left + frame.right) / 2
    title_size = _fitted(title, TITLE_SIZE, width)
    label_size = _fitted(x_label, LABEL_SIZE, width)
    title_x = _centred(centre, text_width(title, title_size), width)
    label_x = _centred(centre, text_width(x_label, label_size), width)
    baseline = frame.bottom + _BELOW_AXES + LABEL_SIZE * ASCENT
    parts = [
        _text(title_x, EDGE + TITLE_SIZE * ASCENT, title, size=title_size, anchor="middle"),
        _text(label_x, baseline, x_label, size=label_size, anchor="middle"),
    ]
    if y_label:
        size = _fitted(y_label, LABEL_SIZE, height)
        middle = _centred((frame.top + frame.bottom) / 2, text_width(y_label, size), height)
        x = EDGE + LABEL_SIZE * ASCENT
        parts.append(_text(x, middle, y_label, size=size, anchor="middle", rotate=True))
    return parts


def _fitted(text: str, size: float, canvas: float) -> float:
    """``size``, or smaller when the text would not fit on the canvas at that size."""
    wide = text_width(text, size)
    return size if wide <= canvas - 2 * EDGE else size * (canvas - 2 * EDGE) / wide


def _document(width: float, height: float, title: str, parts: Iterable[str]) -> bytes:
    size = f'width="{_number(width)}pt" height="{_number(height)}pt"'
    box = f'viewBox="0 0 {_number(width)} {_number(height)}"'
    head = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" {size} {box} '
        f'font-family="{escape(FONT_FAMILY)}" role="img">'
        f"<title>{escape(title)}</title>"
        f'<rect width="{_number(width)}" height="{_number(height)}" fill="#ffffff"/>'
    )
    return "\n".join([head, *parts, "</svg>\n"]).encode("utf-8")


def _inside(markers: Iterable[Marker], frame: _Frame) -> list[Marker]:
    """The markers whose value lies on the x axis (a NaN or infinite one never does)."""
    return [marker for marker in markers if frame.x_low <= marker.value <= frame.x_high]


# --- The charts ----------------------------------------------------------------------------


def _histogram(chart: HistogramChart) -> bytes:
    width, height = FIGURE_WIDTH * POINTS_PER_INCH, FIGURE_HEIGHT * POINTS_PER_INCH
    edges = [edge for edge in chart.edges if math.isfinite(edge)]
    x_low, x_high = _limits(min(edges, default=0.0), max(edges, default=1.0))
    y_low, y_high = _limits(0.0, float(max(chart.counts, default=0)), sticky=0.0)
    y_ticks = _y_ticks(y_low, y_high, height - _BOTTOM - _TOP)
    left = _left_of_axes(y_ticks.labels, TICK_SIZE, axis_label=True)
    frame, x_ticks = _frame((width, height), left, (x_low, x_high), (y_low, y_high))
    parts = _axes(frame, x_ticks, y_ticks, grid=False)
    bar = f'fill="{BAR_COLOUR}" stroke="#ffffff" stroke-width="1"'
    for (low, high), count in zip(itertools.pairwise(chart.edges), chart.counts, strict=True):
        if count > 0 and math.isfinite(low) and math.isfinite(high):
            x, top = frame.x(low), frame.y(count)
            parts.append(
                f'<rect x="{_number(x)}" y="{_number(top)}" width="{_number(frame.x(high) - x)}" '
                f'height="{_number(frame.bottom - top)}" {bar}/>'
            )
    markers = _inside(chart.markers, frame)
    for marker in markers:
        x = frame.x(marker.value)
        style = f'stroke="{marker.colour}" stroke-width="1.2" stroke-dasharray="{DASHES}"'
        parts.append(_line(x, frame.top, x, frame.bottom, style))
    parts += _legend(frame, markers)
    parts += _spines(frame)
    parts += _titles(
        frame, (width, height), title=chart.title, x_label=chart.x_label, y_label=chart.y_label
    )
    return _document(width, height, chart.title, parts)


def _legend(frame: _Frame, markers: Sequence[Marker]) -> list[str]:
    """Frameless, in the upper right corner: a dashed line sample and the marker's text."""
    widest = max((text_width(marker.text, LABEL_SIZE) for marker in markers), default=0.0)
    sample_left = frame.right - 5 - widest - 8 - 20
    parts = []
    for row, marker in enumerate(markers):
        middle = frame.top + 5 + 4 + LABEL_SIZE * 0.6 + row * LABEL_SIZE * 1.5
        style = f'stroke="{marker.colour}" stroke-width="1.2" stroke-dasharray="{DASHES}"'
        parts.append(_line(sample_left, middle, sample_left + 20, middle, style))
        baseline = middle + LABEL_SIZE * 0.35
        parts.append(_text(sample_left + 28, baseline, marker.text, size=LABEL_SIZE))
    return parts


def _s_curve(chart: SCurveChart) -> bytes:
    width, height = FIGURE_WIDTH * POINTS_PER_INCH, FIGURE_HEIGHT * POINTS_PER_INCH
    points = [(v, p * 100) for v, p in chart.points if math.isfinite(v) and math.isfinite(p)]
    values = [v for v, _ in points]
    x_low, x_high = _limits(min(values, default=0.0), max(values, default=1.0))
    y_ticks = _y_ticks(0.0, 100.0, height - _BOTTOM - _TOP)
    left = _left_of_axes(y_ticks.labels, TICK_SIZE, axis_label=True)
    frame, x_ticks = _frame((width, height), left, (x_low, x_high), (0.0, 100.0))
    parts = _axes(frame, x_ticks, y_ticks, grid=True)
    if points:
        path = " ".join(f"{_number(frame.x(v))},{_number(frame.y(p))}" for v, p in points)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{S_CURVE_COLOUR}" '
            'stroke-width="1.5" stroke-linejoin="round" stroke-linecap="round"/>'
        )
    for marker in _inside(chart.markers, frame):
        x, y = frame.x(marker.value), frame.y(marker_level(marker))
        parts.append(f'<circle cx="{_number(x)}" cy="{_number(y)}" r="3" fill="{marker.colour}"/>')
        # Right of and below the dot, as matplotlib's annotation. Near the right edge: left of
        # and above it, which is off rising curve too.
        fits = x + 6 + text_width(marker.text, NOTE_SIZE) <= width - EDGE
        parts.append(
            _text(
                x + 6 if fits else x - 6,
                y + 12 if fits else y - 6,
                marker.text,
                size=NOTE_SIZE,
                anchor="start" if fits else "end",
                colour=marker.colour,
            )
        )
    parts += _spines(frame)
    parts += _titles(
        frame, (width, height), title=chart.title, x_label=chart.x_label, y_label=chart.y_label
    )
    return _document(width, height, chart.title, parts)


def _tornado(chart: TornadoChart) -> bytes:
    width, height = FIGURE_WIDTH * POINTS_PER_INCH, chart.height_inches * POINTS_PER_INCH
    labels = chart.shown_labels
    values = [value if math.isfinite(value) else 0.0 for value in chart.values]
    count = len(values)
    x_low, x_high = _limits(min([0.0, *values]), max([0.0, *values]), sticky=0.0)
    spread = max(count - 1 + 0.8, 0.8)
    y_low, y_high = -0.4 - spread * MARGIN, count - 1 + 0.4 + spread * MARGIN
    left = _left_of_axes(labels, DRIVER_SIZE, axis_label=False)
    frame, x_ticks = _frame((width, height), left, (x_low, x_high), (y_low, y_high))
    parts = _axes(frame, x_ticks, None, grid=False)
    tick = 'stroke="#000000" stroke-width="0.8"'
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        position = count - 1 - index  # the first (largest) driver on top
        top, base = frame.y(position + 0.4), frame.x(0.0)
        end = frame.x(value)
        colour = TORNADO_COLOURS[0] if value >= 0 else TORNADO_COLOURS[1]
        parts.append(
            f'<rect x="{_number(min(base, end))}" y="{_number(top)}" '
            f'width="{_number(abs(end - base))}" '
            f'height="{_number(frame.y(position - 0.4) - top)}" fill="{colour}"/>'
        )
        y = frame.y(position)
        parts.append(_line(frame.left - TICK_LENGTH, y, frame.left, y, tick))
        x = frame.left - TICK_LENGTH - TICK_PAD
        parts.append(_text(x, y + DRIVER_SIZE * 0.35, label, size=DRIVER_SIZE, anchor="end"))
    zero = frame.x(0.0)
    parts.append(_line(zero, frame.top, zero, frame.bottom, 'stroke="#555555" stroke-width="0.8"'))
    parts += _spines(frame)
    parts += _titles(frame, (width, height), title=chart.title, x_label=chart.x_label, y_label=None)
    return _document(width, height, chart.title, parts)

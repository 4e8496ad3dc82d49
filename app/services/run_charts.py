"""The charts of a stored run, as SVG (pages) or PNG (documents), cached per run.

Each chart is described once (:func:`chart_data`); the pages get it from the small SVG
writer (about a millisecond), the documents from matplotlib (a few hundred milliseconds, at
print resolution). A finished run never changes, so its charts are drawn once per process and
language.
"""

import threading

from app import charts, svg_charts
from app.caching import BoundedCache
from app.errors import NotFoundError
from app.models import SimulationRun
from app.services.run_view import LEVELS, load_result, run_currency, run_identity
from app.vocabulary import Language, RunStatus

CHART_NAMES = ("histogram-effort", "histogram-price", "s-curve-effort", "s-curve-price", "tornado")
_LABELS = {
    Language.ZH: {
        "effort": "工作量（人天）",
        "price": "报价",
        "count": "次数",
        "probability": "累计概率 (%)",
        "histogram": "分布",
        "s-curve": "S 曲线",
        "tornado": "主要驱动因素（与总工作量的秩相关）",
        "spearman": "Spearman 秩相关系数",
    },
    Language.EN: {
        "effort": "Effort (person-days)",
        "price": "Price",
        "count": "Iterations",
        "probability": "Cumulative probability (%)",
        "histogram": "distribution",
        "s-curve": "S-curve",
        "tornado": "Top drivers (rank correlation with total effort)",
        "spearman": "Spearman rank correlation",
    },
}


def chart_data(run: SimulationRun, name: str, language: Language) -> charts.Chart:
    """What the chart shows: one description for the page's SVG and the documents' PNG."""
    if name not in CHART_NAMES:
        raise NotFoundError(f"no chart named {name!r}")
    if run.status != RunStatus.SUCCEEDED:
        raise NotFoundError(f"run {run.id} has no results to chart")
    result = load_result(run)  # cached: a hit never reads the deferred result column
    labels = _LABELS[language]
    outcome = result.unmitigated
    if name == "tornado":
        drivers = result.sensitivity[:12]
        return charts.TornadoChart(
            title=labels["tornado"],
            x_label=labels["spearman"],
            labels=tuple(entry.name or entry.key for entry in drivers),
            values=tuple(entry.spearman_effort for entry in drivers),
        )
    kind, measure = name.rsplit("-", 1)
    series = outcome.effort if measure == "effort" else outcome.price
    markers = tuple(charts.Marker(level, series.percentiles[level]) for level in LEVELS)
    axis = labels[measure] + (f" ({run_currency(run)})" if measure == "price" else "")
    title = f"{labels[measure]} {labels[kind]}"
    if kind == "histogram":
        return charts.HistogramChart(
            title=title,
            x_label=axis,
            y_label=labels["count"],
            edges=tuple(series.histogram.edges),
            counts=tuple(series.histogram.counts),
            markers=markers,
        )
    return charts.SCurveChart(
        title=title,
        x_label=axis,
        y_label=labels["probability"],
        points=tuple(series.s_curve),
        markers=markers,
    )


# matplotlib keeps global state (rcParams, font cache): draw one chart at a time.
_DRAWING = threading.Lock()
_SVG_CACHE: BoundedCache[tuple[object, ...], bytes] = BoundedCache(256)


def chart_svg(run: SimulationRun, name: str, language: Language) -> bytes:
    """The page's chart, written directly as SVG (no matplotlib, so no drawing lock)."""
    return _SVG_CACHE.get_or_compute(
        (*run_identity(run), name, language),
        lambda: svg_charts.to_svg(chart_data(run, name, language)),
    )


def chart_png(run: SimulationRun, name: str, language: Language) -> bytes:
    chart = chart_data(run, name, language)
    with _DRAWING:
        return charts.to_png(charts.figure(chart))

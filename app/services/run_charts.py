"""The charts of a stored run, as SVG (pages) or PNG (documents), cached per run.

A finished run never changes, so its charts are drawn once per process and language.
"""

import threading

from matplotlib.figure import Figure

from app import charts
from app.errors import NotFoundError
from app.models import SimulationRun
from app.services.run_view import load_result, run_currency
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


def chart_figure(run: SimulationRun, name: str, language: Language) -> Figure:
    if name not in CHART_NAMES:
        raise NotFoundError(f"no chart named {name!r}")
    if run.status != RunStatus.SUCCEEDED or run.result is None:
        raise NotFoundError(f"run {run.id} has no results to chart")
    result = load_result(run)
    labels = _LABELS[language]
    outcome = result.unmitigated
    if name == "tornado":
        drivers = result.sensitivity[:12]
        return charts.tornado(
            labels=[entry.name or entry.key for entry in drivers],
            values=[entry.spearman_effort for entry in drivers],
            x_label=labels["spearman"],
            title=labels["tornado"],
        )
    kind, measure = name.rsplit("-", 1)
    series = outcome.effort if measure == "effort" else outcome.price
    markers = [charts.Marker(level, series.percentiles[level]) for level in ("P50", "P80", "P90")]
    axis = labels[measure] + (f" ({run_currency(run)})" if measure == "price" else "")
    title = f"{labels[measure]} {labels[kind]}"
    if kind == "histogram":
        return charts.histogram(
            edges=series.histogram.edges,
            counts=series.histogram.counts,
            markers=markers,
            x_label=axis,
            y_label=labels["count"],
            title=title,
        )
    return charts.s_curve(
        points=series.s_curve,
        markers=markers,
        x_label=axis,
        y_label=labels["probability"],
        title=title,
    )


_CACHE_SIZE = 256
# matplotlib keeps global state (rcParams, font cache): draw one chart at a time.
_DRAWING = threading.Lock()
_SVG_CACHE: dict[tuple[int, str, Language], bytes] = {}


def chart_svg(run: SimulationRun, name: str, language: Language) -> bytes:
    key = (run.id or 0, name, language)
    cached = _SVG_CACHE.get(key)
    if cached is None:
        with _DRAWING:
            cached = charts.to_svg(chart_figure(run, name, language))
        if len(_SVG_CACHE) >= _CACHE_SIZE:
            _SVG_CACHE.pop(next(iter(_SVG_CACHE)))
        _SVG_CACHE[key] = cached
    return cached


def chart_png(run: SimulationRun, name: str, language: Language) -> bytes:
    with _DRAWING:
        return charts.to_png(chart_figure(run, name, language))

"""Per-iteration storage of outputs and their summaries.

Totals are kept exactly (one value per iteration). Per-role and per-phase series are kept
as float32, or, when that would take too much memory, in a streaming histogram of 65,536
bins over bounds known before sampling (exact mean, sd, min and max; percentiles within
half a bin).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from estimation.results import PERCENTILE_LEVELS, Histogram, SeriesSummary

FloatArray = npt.NDArray[np.float64]
HISTOGRAM_BINS = 65_536


class ExactSeries:
    """Values of one output, one per iteration, in a preallocated array."""

    def __init__(self, capacity: int, dtype: npt.DTypeLike) -> None:
        self.data = np.empty(capacity, dtype=dtype)
        self.size = 0

    def add(self, values: FloatArray, block_rows: int) -> None:
        del block_rows
        self.data[self.size : self.size + len(values)] = values
        self.size += len(values)

    def values(self) -> npt.NDArray[Any]:
        """A view of the stored values (sorting it in place sorts the storage)."""
        return self.data[: self.size]

    def summary(self, bins: int) -> SeriesSummary:
        ordered = np.sort(self.values()).astype(np.float64)
        return summarize_sorted(ordered, bins)


class HistogramSeries:
    """Streaming summary of one output over fixed bounds."""

    def __init__(self, low: float, high: float) -> None:
        self.low = low
        self.width = max(high - low, 1e-12) / HISTOGRAM_BINS
        self.counts = np.zeros(HISTOGRAM_BINS, dtype=np.int64)
        self.total = 0.0
        self.squares = 0.0
        self.minimum = math.inf
        self.maximum = -math.inf
        self.size = 0

    def add(self, values: FloatArray, block_rows: int) -> None:
        index = np.clip((values - self.low) / self.width, 0, HISTOGRAM_BINS - 1).astype(np.int64)
        self.counts += np.bincount(index, minlength=HISTOGRAM_BINS)
        for start in range(0, len(values), block_rows):  # per block: chunk-size invariant
            part = values[start : start + block_rows] - self.low
            self.total += float(part.sum())
            self.squares += float(np.square(part).sum())
        if len(values):
            self.minimum = min(self.minimum, float(values.min()))
            self.maximum = max(self.maximum, float(values.max()))
        self.size += len(values)

    def quantiles(self, probabilities: FloatArray) -> FloatArray:
        """Percentiles read from the histogram, uniform within a bin, clamped to [min, max]."""
        cumulative = np.cumsum(self.counts)
        rank = probabilities * (self.size - 1)
        index = np.searchsorted(cumulative, rank, side="right")
        before = np.where(index > 0, cumulative[np.maximum(index - 1, 0)], 0)
        inside = (rank - before + 0.5) / np.maximum(self.counts[index], 1)
        values = self.low + (index + np.clip(inside, 0.0, 1.0)) * self.width
        return np.asarray(np.clip(values, self.minimum, self.maximum), dtype=np.float64)

    def summary(self, bins: int) -> SeriesSummary:
        mean_shift = self.total / self.size
        variance = (self.squares - self.total * mean_shift) / max(self.size - 1, 1)
        levels = self.quantiles(np.array(PERCENTILE_LEVELS) / 100.0).tolist()
        curve = self.quantiles(np.arange(101) / 100.0).tolist()
        centres = self.low + (np.arange(HISTOGRAM_BINS) + 0.5) * self.width
        np.clip(centres, self.minimum, self.maximum, out=centres)  # edge bins hold min and max
        if self.maximum > self.minimum:
            counts, edges = np.histogram(
                centres, bins=bins, range=(self.minimum, self.maximum), weights=self.counts
            )
        else:
            counts, edges = np.array([self.size]), np.array([self.minimum, self.maximum])
        return SeriesSummary(
            mean=self.low + mean_shift,
            sd=math.sqrt(max(variance, 0.0)),
            minimum=self.minimum,
            maximum=self.maximum,
            percentiles=_labelled(levels),
            histogram=Histogram(tuple(float(e) for e in edges), tuple(int(c) for c in counts)),
            s_curve=tuple((value, k / 100.0) for k, value in enumerate(curve)),
        )


def quantiles_sorted(ordered: FloatArray, probabilities: FloatArray) -> FloatArray:
    """Linear-interpolation percentiles of sorted data (numpy's default method)."""
    position = probabilities * (len(ordered) - 1)
    lower = np.floor(position).astype(np.int64)
    upper = np.minimum(lower + 1, len(ordered) - 1)
    fraction = position - lower
    return np.asarray(ordered[lower] + fraction * (ordered[upper] - ordered[lower]))


def _sorted_histogram(ordered: FloatArray, bins: int) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """``np.histogram`` of sorted data, read off by binary search instead of a pass.

    Same edges and the same half-open bins (the last one closed) as ``np.histogram``.
    """
    low, high = float(ordered[0]), float(ordered[-1])
    if high <= low:
        return np.array([len(ordered)]), np.array([low, high])
    edges = np.linspace(low, high, bins + 1)
    below = np.searchsorted(ordered, edges[1:-1], side="left")
    counts = np.diff(np.concatenate(([0], below, [len(ordered)])))
    return counts, edges


_CURVE_PROBABILITIES = np.arange(101) / 100.0
_CURVE_LABELS = tuple(k / 100.0 for k in range(101))
_LEVEL_PROBABILITIES = np.array(PERCENTILE_LEVELS) / 100.0


def summarize_sorted(ordered: FloatArray, bins: int) -> SeriesSummary:
    """Summary of sorted float64 data."""
    counts, edges = _sorted_histogram(ordered, bins)
    curve = quantiles_sorted(ordered, _CURVE_PROBABILITIES).tolist()
    return SeriesSummary(
        mean=float(ordered.mean()),
        sd=float(ordered.std(ddof=1)) if len(ordered) > 1 else 0.0,
        minimum=float(ordered[0]),
        maximum=float(ordered[-1]),
        percentiles=_labelled(quantiles_sorted(ordered, _LEVEL_PROBABILITIES).tolist()),
        histogram=Histogram(edges=tuple(edges.tolist()), counts=tuple(counts.tolist())),
        s_curve=tuple(zip(curve, _CURVE_LABELS, strict=True)),
    )


def _labelled(values: list[float]) -> dict[str, float]:
    return {f"P{level}": value for level, value in zip(PERCENTILE_LEVELS, values, strict=True)}

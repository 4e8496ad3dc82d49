"""Monte Carlo / Latin hypercube simulation of an :class:`EstimationModel`.

How it samples
--------------
- Every random quantity is drawn through its inverse-CDF table (see
  :mod:`estimation.distributions`): a uniform 12-bit integer picks one of 4,096
  equal-probability cells, and the table holds that cell's conditional mean.
- Iterations are processed in fixed blocks of :data:`BLOCK_ROWS` rows and work items in
  fixed tiles of 64; each (block, tile) has its own stream
  ``default_rng(SeedSequence(seed, spawn_key=(stream, block, tile)))`` (and each block one
  for copula factors, percent items and risks). Every reduction is done per block in a
  fixed order, so results do not depend on ``chunk_size``, which only sets how many rows
  are processed at once.
- Correlation uses a one-factor Gaussian copula per group (and a factor of the full matrix
  for named items): ``z = Σ √r_g F_g + √(1 − Σ r_g) ε``, then the cell ``⌊Φ(z)·K⌋``;
  marginals are unchanged.
- Latin hypercube sampling stratifies each block of iterations separately.

Duration model
--------------
A phase lasts ``max over roles(effort of the role in the phase / role FTE)`` working days.
Phases run finish-to-start along their dependencies and in parallel otherwise; the project
lasts as long as the longest path, plus ``max over roles(unplaced risk days / FTE)`` for
risks without a phase. The delivery date is the ``⌈duration⌉``-th working day from the
start date in the model's calendar, so date percentiles are the dates of duration
percentiles.

Statistics and memory
---------------------
Total effort, cost, price, margin and duration are kept per iteration in float64 (their
percentiles are exact); effort per role and per phase in float32, or, when that would take
more than 256 MB, in streaming histograms of 65,536 bins (exact mean, sd, min and max;
percentiles within half a bin). Memory is therefore about 16 KB of tables per random input,
32 bytes per iteration and scenario for the totals, 4 bytes per iteration for each role and
phase (capped as above) and a working set of about 64 MB (see ``chunk_size``); it does
not grow with iterations × inputs. Spearman correlations for
the sensitivity are computed within each block against the block's ranks of the totals,
using the uniform cell of each input as its rank, over the first
:func:`sensitivity_iterations` iterations (262,144, fewer for models with more than 2,048
random work items so that at most 2**29 samples are ranked, but never fewer than 65,536),
and averaged over the blocks.
"""

from __future__ import annotations

import math
import warnings as warnings_module
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import special

from estimation._plan import (
    NORMAL_LEVELS,
    TILE_VARIABLES,
    Z_BINS,
    Z_RANGE,
    Plan,
    Tile,
    compile_plan,
)
from estimation._storage import ExactSeries, HistogramSeries, quantiles_sorted, summarize_sorted
from estimation.analytic import analytic_from_plan
from estimation.calendar import working_dates_for, working_days_between
from estimation.calibration import CalibrationGroupBy, GroupFit
from estimation.distributions import TABLE_SIZE
from estimation.errors import CorrelationRepairWarning, EstimationInputError
from estimation.model import EstimationModel, Sampling
from estimation.results import (
    SCHEMA_VERSION,
    AnalyticSummary,
    CalibratedOutcome,
    CalibrationFactor,
    Contingency,
    Convergence,
    Outcome,
    QuantileEstimate,
    RiskSummary,
    SensitivityEntry,
    SeriesSummary,
    SimulationResult,
    TargetProbabilities,
)

__all__ = [
    "BLOCK_ROWS",
    "DEFAULT_CHUNK_SIZE",
    "ENGINE_VERSION",
    "MAX_ITERATIONS",
    "MIN_ITERATIONS",
    "SENSITIVITY_ITERATIONS",
    "sample_work_items",
    "sensitivity_iterations",
    "simulate",
]

FloatArray = npt.NDArray[np.float64]
Cells = npt.NDArray[np.uint16]

ENGINE_VERSION = "1.0.0"
BLOCK_ROWS = 8_192
DEFAULT_CHUNK_SIZE = 65_536
MIN_ITERATIONS = 1_000
MAX_ITERATIONS = 10_000_000
SENSITIVITY_ITERATIONS = 262_144
_SENSITIVITY_SAMPLES = 2**29
_SENSITIVITY_MINIMUM = 65_536
AUTO_BATCH = 16_384
_KEEP_CELLS_BYTES = 64 * 2**20
_WORKING_BYTES = 64 * 2**20
_STREAM_VARIABLES, _STREAM_FACTORS, _STREAM_MATRIX, _STREAM_PERCENT, _STREAM_RISKS = range(5)
# Calibration factors have their own stream: the raw draws are the same with or without
# calibration (common random numbers), so raw and calibrated results differ only by it.
_STREAM_CALIBRATION = 5
# Calibration uniforms stay within [1e-9, 1 − 1e-9] (|z| ≤ 6): bounded factors, bounded bins.
_CALIBRATION_EDGE = 1e-9
_Z_CI95 = 1.959963984540054


# --- random streams -------------------------------------------------------------------------


def _generator(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def _strata(rng: np.random.Generator, count: int, rows: int) -> FloatArray:
    """Latin hypercube positions in [0, rows): a random permutation plus a uniform jitter."""
    base = np.broadcast_to(np.arange(rows, dtype=np.int32), (count, rows))
    return np.asarray(rng.permuted(base, axis=1) + rng.random((count, rows)), dtype=np.float64)


def _cells(
    rng: np.random.Generator,
    count: int,
    rows: int,
    levels: int,
    *,
    lhs: bool,
    out: Cells | None = None,
) -> Cells:
    """``count × rows`` uniform integers in [0, levels) (levels a power of two ≤ 65,536)."""
    if out is None:
        out = np.empty((count, rows), dtype=np.uint16)
    if count == 0:
        return out
    if lhs:
        positions = _strata(rng, count, rows) * (levels / rows)
        out[...] = positions.astype(np.uint16)
        return out
    size = count * rows
    raw = np.asarray(rng.bit_generator.random_raw((size + 3) // 4), dtype=np.uint64)
    values = raw.view(np.uint16)[:size].reshape(count, rows)
    return np.right_shift(values, 16 - int(math.log2(levels)), out=out)


def _uniforms(rng: np.random.Generator, count: int, rows: int, *, lhs: bool) -> FloatArray:
    if lhs:
        return _strata(rng, count, rows) / rows
    return rng.random((count, rows))


def _normals(rng: np.random.Generator, count: int, rows: int, *, lhs: bool) -> FloatArray:
    if lhs:
        uniform = np.clip(_strata(rng, count, rows) / rows, 1e-300, 1.0 - 1e-16)
        return np.asarray(special.ndtri(uniform), dtype=np.float64)
    return rng.standard_normal((count, rows))


@dataclass
class _Chunk:
    """Rows ``[first_row, first_row + rows)``, made of whole blocks (the last may be short)."""

    first_block: int
    block_rows: list[int]

    @property
    def rows(self) -> int:
        return sum(self.block_rows)

    def blocks(self) -> list[tuple[int, slice]]:
        out, start = [], 0
        for offset, rows in enumerate(self.block_rows):
            out.append((self.first_block + offset, slice(start, start + rows)))
            start += rows
        return out


@dataclass
class _Draws:
    factors: npt.NDArray[np.float32]
    matrix: npt.NDArray[np.float32]
    percent: Cells
    risk_uniform: FloatArray
    risk_cells: Cells
    calibration: FloatArray  # factor per calibration group and iteration


@dataclass
class _CalibrationPlan:
    """Which calibration factor multiplies each phase-role cell of the effort."""

    keys: list[str]  # the group key each factor stands for
    fits: list[GroupFit]
    cell_group: npt.NDArray[np.int64]  # phase-role cell → factor index
    fallback: list[bool]  # the history had no such group: the overall fit applies
    low: float  # smallest and largest factor that can be drawn
    high: float


def _calibration_plan(model: EstimationModel, plan: Plan) -> _CalibrationPlan | None:
    calibration = model.calibration
    if calibration is None:
        return None
    by = calibration.group_by
    phases = np.repeat(np.arange(plan.phase_count), plan.role_count)
    roles = np.tile(np.arange(plan.role_count), plan.phase_count)
    if by is CalibrationGroupBy.ROLE:
        keys, cell_group = list(plan.roles), roles
    elif by is CalibrationGroupBy.PHASE:
        keys, cell_group = list(plan.phases), phases
    else:
        keys = [model.estimator if by is CalibrationGroupBy.ESTIMATOR else ""]
        cell_group = np.zeros(plan.role_count * plan.phase_count, dtype=np.int64)
    fits = [calibration.fit_for(key) for key in keys]
    fallback = [
        by is not CalibrationGroupBy.OVERALL and key not in calibration.groups for key in keys
    ]
    edges = np.array([_CALIBRATION_EDGE, 1.0 - _CALIBRATION_EDGE])
    bounds = np.array([fit.factors(edges) for fit in fits])
    return _CalibrationPlan(
        keys=keys,
        fits=fits,
        cell_group=np.asarray(cell_group, dtype=np.int64),
        fallback=fallback,
        low=float(bounds.min()),
        high=float(bounds.max()),
    )


class _Sampler:
    def __init__(
        self,
        plan: Plan,
        seed: int,
        *,
        lhs: bool,
        calibration: _CalibrationPlan | None = None,
    ) -> None:
        self.plan, self.seed, self.lhs = plan, seed, lhs
        self.calibration = calibration

    def draws(self, chunk: _Chunk) -> _Draws:
        plan, n = self.plan, chunk.rows
        matrix_size = 0 if plan.matrix_factor is None else plan.matrix_factor.shape[0]
        risk_count = plan.risks.count
        out = _Draws(
            factors=np.empty((plan.group_count, n), dtype=np.float32),
            matrix=np.empty((matrix_size, n), dtype=np.float32),
            percent=np.empty((len(plan.percent_targets), n), dtype=np.uint16),
            risk_uniform=np.empty((risk_count, n)),
            risk_cells=np.empty((risk_count, n), dtype=np.uint16),
            calibration=np.empty(
                (0 if self.calibration is None else len(self.calibration.fits), n)
            ),
        )
        for block, rows in chunk.blocks():
            width = rows.stop - rows.start
            if plan.group_count:
                rng = _generator(self.seed, _STREAM_FACTORS, block)
                out.factors[:, rows] = _normals(rng, plan.group_count, width, lhs=self.lhs)
            if plan.matrix_factor is not None:
                rng = _generator(self.seed, _STREAM_MATRIX, block)
                normals = _normals(rng, matrix_size, width, lhs=self.lhs)
                out.matrix[:, rows] = plan.matrix_factor @ normals
            if len(plan.percent_targets):
                rng = _generator(self.seed, _STREAM_PERCENT, block)
                _cells(
                    rng,
                    len(plan.percent_targets),
                    width,
                    TABLE_SIZE,
                    lhs=self.lhs,
                    out=out.percent[:, rows],
                )
            if risk_count:
                rng = _generator(self.seed, _STREAM_RISKS, block)
                out.risk_uniform[:, rows] = _uniforms(rng, risk_count, width, lhs=self.lhs)
                _cells(
                    rng, risk_count, width, TABLE_SIZE, lhs=self.lhs, out=out.risk_cells[:, rows]
                )
            if self.calibration is not None:
                rng = _generator(self.seed, _STREAM_CALIBRATION, block)
                uniforms = _uniforms(rng, len(self.calibration.fits), width, lhs=self.lhs)
                np.clip(uniforms, _CALIBRATION_EDGE, 1.0 - _CALIBRATION_EDGE, out=uniforms)
                for index, fit in enumerate(self.calibration.fits):
                    out.calibration[index, rows] = fit.factors(uniforms[index])
        return out

    def tile_cells(self, tile: Tile, chunk: _Chunk, draws: _Draws) -> Cells:
        cells = np.empty((tile.size, chunk.rows), dtype=np.uint16)
        grouped = slice(tile.independent, tile.independent + tile.grouped)
        for block, rows in chunk.blocks():
            width = rows.stop - rows.start
            rng = _generator(self.seed, _STREAM_VARIABLES, block, tile.index)
            _cells(
                rng,
                tile.independent,
                width,
                TABLE_SIZE,
                lhs=self.lhs,
                out=cells[: tile.independent, rows],
            )
            if tile.grouped:
                cells[grouped, rows] = self._grouped_cells(tile, rng, width, draws, rows)
        if tile.matrix:
            cells[tile.independent + tile.grouped :] = self._z_to_cells(
                draws.matrix[tile.matrix_rows].copy()
            )
        return cells

    def _grouped_cells(
        self, tile: Tile, rng: np.random.Generator, width: int, draws: _Draws, rows: slice
    ) -> Cells:
        assert self.plan.normal_table is not None
        indices = _cells(rng, tile.grouped, width, NORMAL_LEVELS, lhs=self.lhs)
        z = np.take(self.plan.normal_table, indices)
        z *= tile.idiosyncratic[:, None]
        for group, members, loadings in tile.loadings:
            z[members] += loadings[:, None] * draws.factors[group, rows][None, :]
        return self._z_to_cells(z)

    def _z_to_cells(self, z: npt.NDArray[np.float32]) -> Cells:
        assert self.plan.z_cells is not None
        z *= np.float32(Z_BINS / (2.0 * Z_RANGE))
        z += np.float32(Z_BINS / 2.0)
        np.clip(z, 0.0, Z_BINS - 1, out=z)
        return np.take(self.plan.z_cells, z.astype(np.int32))

    def tile_values(self, tile: Tile, cells: Cells) -> npt.NDArray[np.float32]:
        values = np.empty(cells.shape, dtype=np.float32)
        tables = self.plan.tables
        for local in range(tile.size):
            np.take(tables[tile.start + local], cells[local], out=values[local], mode="wrap")
        return values


# --- per-chunk computation -------------------------------------------------------------------


@dataclass
class _Scenario:
    effort: FloatArray
    cost: FloatArray
    price: FloatArray
    duration: FloatArray
    roles: FloatArray
    phases: FloatArray


@dataclass
class _RiskEffect:
    """What the risks add in one scenario, per iteration."""

    effort: FloatArray  # by phase-role
    unplaced: FloatArray  # by role: days of risks without a phase
    money: FloatArray
    days: FloatArray  # by risk and block of the chunk: sums of the days
    cost: FloatArray  # by risk and block: days at cost rates plus money


def _work_effort(
    plan: Plan, sampler: _Sampler, chunk: _Chunk, draws: _Draws, *, keep: bool
) -> tuple[FloatArray, list[Cells]]:
    work = np.repeat(plan.constant_effort[:, None], chunk.rows, axis=1)
    kept: list[Cells] = []
    for tile in plan.tiles:
        cells = sampler.tile_cells(tile, chunk, draws)
        values = sampler.tile_values(tile, cells)
        bounds = [*tile.segment_starts.tolist(), tile.size]
        for row, target in enumerate(tile.segment_targets):
            # add.reduce over axis 0 adds rows in order: the same sum for any chunk width
            work[target] += np.add.reduce(values[bounds[row] : bounds[row + 1]], axis=0)
        if keep:
            kept.append(cells)
    return work, kept


def _percent_effort(plan: Plan, work: FloatArray, draws: _Draws) -> FloatArray:
    phases = work.reshape(plan.phase_count, plan.role_count, -1).sum(axis=1)
    extra = np.zeros_like(work)
    for k, target in enumerate(plan.percent_targets):
        base = phases[plan.percent_bases[k]].sum(axis=0)
        ratio = np.take(plan.percent_tables[k], draws.percent[k])
        extra[target] += ratio * base
    return extra


def _risk_effects(
    plan: Plan, draws: _Draws, occurs: npt.NDArray[np.bool_], scale: FloatArray, chunk: _Chunk
) -> _RiskEffect:
    """Risk impacts of one scenario: ``occurs`` per risk and iteration, impacts × ``scale``."""
    risks, rows = plan.risks, chunk.rows
    starts = np.array([part.start for _, part in chunk.blocks()], dtype=np.int64)
    effect = _RiskEffect(
        effort=np.zeros((plan.role_count * plan.phase_count, rows)),
        unplaced=np.zeros((plan.role_count, rows)),
        money=np.zeros(rows),
        days=np.zeros((risks.count, len(starts))),
        cost=np.zeros((risks.count, len(starts))),
    )
    for i, risk in enumerate(risks.impact_risk):
        value = np.take(risks.impact_tables[i], draws.risk_cells[risk]).astype(np.float64)
        contribution = np.where(occurs[risk], value * scale[risk], 0.0)
        role, target = risks.impact_role[i], risks.impact_target[i]
        if target >= 0:
            effect.effort[target] += contribution
        else:
            effect.unplaced[role] += contribution
        per_block = np.add.reduceat(contribution, starts)  # fixed blocks: chunk-invariant
        effect.days[risk] += per_block
        effect.cost[risk] += plan.cost_rates[role] * per_block
    for j, risk in enumerate(risks.money_risk):
        value = np.take(risks.money_tables[j], draws.risk_cells[risk]).astype(np.float64)
        contribution = np.where(occurs[risk], value * scale[risk], 0.0)
        effect.money += contribution
        effect.cost[risk] += np.add.reduceat(contribution, starts)
    return effect


def _scenario(plan: Plan, base: FloatArray, risks: _RiskEffect, extra_cost: float) -> _Scenario:
    cube = (base + risks.effort).reshape(plan.phase_count, plan.role_count, -1)
    roles = cube.sum(axis=0) + risks.unplaced
    phases = cube.sum(axis=1)
    effort = roles.sum(axis=0)
    cost = risks.money + extra_cost
    price = np.zeros_like(effort)
    for role in range(plan.role_count):  # explicit order: identical for any chunk width
        cost = cost + plan.cost_rates[role] * roles[role]
        price = price + plan.sell_rates[role] * roles[role]
    return _Scenario(effort, cost, price, _duration(plan, cube, risks.unplaced), roles, phases)


def _duration(plan: Plan, cube: FloatArray, unplaced: FloatArray) -> FloatArray:
    per_phase = (cube / plan.fte[None, :, None]).max(axis=1)
    finish: list[FloatArray | None] = [None] * plan.phase_count
    for phase in plan.phase_order:
        start = np.zeros(cube.shape[2])
        for dependency in plan.phase_dependencies[phase]:
            previous = finish[dependency]
            assert previous is not None
            start = np.maximum(start, previous)
        finish[phase] = start + per_phase[phase]
    project = np.zeros(cube.shape[2])
    for value in finish:
        assert value is not None
        project = np.maximum(project, value)
    delay = (unplaced / plan.fte[:, None]).max(axis=0)
    return np.asarray(project + delay, dtype=np.float64)


# --- accumulation ----------------------------------------------------------------------------


_BREAKDOWN_BYTES = 256 * 2**20  # per-role/phase float32 storage beyond this → histograms

Store = ExactSeries | HistogramSeries


@dataclass
class _ScenarioStore:
    effort: ExactSeries
    cost: ExactSeries
    price: ExactSeries
    duration: ExactSeries
    by_role: list[Store]
    by_phase: list[Store]

    @classmethod
    def create(
        cls,
        plan: Plan,
        capacity: int,
        *,
        exact_breakdown: bool,
        scale: tuple[float, float] = (1.0, 1.0),
    ) -> _ScenarioStore:
        (role_low, role_high), (phase_low, phase_high) = _breakdown_bounds(plan)
        low, high = min(scale[0], 1.0), max(scale[1], 1.0)
        bounds = ((role_low * low, role_high * high), (phase_low * low, phase_high * high))

        def breakdown(low: FloatArray, high: FloatArray) -> list[Store]:
            if exact_breakdown:
                return [ExactSeries(capacity, np.float32) for _ in low]
            return [HistogramSeries(float(a), float(b)) for a, b in zip(low, high, strict=True)]

        return cls(
            effort=ExactSeries(capacity, np.float64),
            cost=ExactSeries(capacity, np.float64),
            price=ExactSeries(capacity, np.float64),
            duration=ExactSeries(capacity, np.float64),
            by_role=breakdown(*bounds[0]),
            by_phase=breakdown(*bounds[1]),
        )

    def add(self, scenario: _Scenario) -> None:
        pairs: list[tuple[Store, FloatArray]] = [
            (self.effort, scenario.effort),
            (self.cost, scenario.cost),
            (self.price, scenario.price),
            (self.duration, scenario.duration),
            *zip(self.by_role, scenario.roles, strict=True),
            *zip(self.by_phase, scenario.phases, strict=True),
        ]
        for store, values in pairs:
            store.add(values, BLOCK_ROWS)


def _breakdown_bounds(
    plan: Plan,
) -> tuple[tuple[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]:
    """Bounds of every per-role and per-phase series (tables are non-decreasing)."""
    low, high = plan.constant_effort.copy(), plan.constant_effort.copy()
    np.add.at(low, plan.variable_targets, plan.tables[:, 0].astype(np.float64))
    np.add.at(high, plan.variable_targets, plan.tables[:, -1].astype(np.float64))
    shape = (plan.phase_count, plan.role_count)
    phase_low, phase_high = low.reshape(shape).sum(axis=1), high.reshape(shape).sum(axis=1)
    for k, target in enumerate(plan.percent_targets):
        bases = plan.percent_bases[k]
        low[target] += float(plan.percent_tables[k, 0]) * phase_low[bases].sum()
        high[target] += float(plan.percent_tables[k, -1]) * phase_high[bases].sum()
    unplaced = np.zeros(plan.role_count)
    risks = plan.risks
    for i, risk in enumerate(risks.impact_risk):
        largest = float(risks.impact_tables[i, -1]) * max(1.0, float(risks.scale[risk]))
        if risks.impact_target[i] >= 0:
            high[risks.impact_target[i]] += largest
        else:
            unplaced[risks.impact_role[i]] += largest
    roles = (low.reshape(shape).sum(axis=0), high.reshape(shape).sum(axis=0) + unplaced)
    phases = (low.reshape(shape).sum(axis=1), high.reshape(shape).sum(axis=1))
    return roles, phases


class _Sensitivity:
    """Block-wise Spearman correlations of inputs with total effort and total cost."""

    def __init__(self, variables: int, percents: int, risks: int) -> None:
        self.work = np.zeros((variables, 2))
        self.percent = np.zeros((percents, 2))
        self.risk = np.zeros((risks, 2))
        self.rows = 0

    @staticmethod
    def ranks(effort: FloatArray, cost: FloatArray) -> npt.NDArray[np.int64]:
        """Doubled centred ranks ``2r − (n − 1)`` of both totals, ``(n, 2)`` integers."""
        rows = len(effort)
        out = np.empty((rows, 2), dtype=np.int64)
        for column, values in enumerate((effort, cost)):
            order = np.argsort(values, kind="stable")
            out[order, column] = 2 * np.arange(rows, dtype=np.int64) - (rows - 1)
        return out

    @staticmethod
    def uniform_cell_correlation(cells: Cells, ranks: npt.NDArray[np.int64]) -> FloatArray:
        """Σ_b n_b ρ_b contributions for inputs whose cells are uniform on 0..K−1."""
        rows = ranks.shape[0]
        # Integer matmul: exact, so independent of summation order, and it runs in numpy's
        # own loops (OpenBLAS threads stall badly when other processes load the cores).
        products = (cells.astype(np.int64) @ ranks).astype(np.float64)
        cell_sd = math.sqrt((TABLE_SIZE**2 - 1) / 12.0)
        rank_sd = math.sqrt((rows * rows - 1) / 12.0) if rows > 1 else 1.0
        return np.asarray(products / (2.0 * cell_sd * rank_sd), dtype=np.float64)

    @staticmethod
    def sample_correlation(values: FloatArray, ranks: npt.NDArray[np.int64]) -> FloatArray:
        rows = ranks.shape[0]
        sd = values.std(axis=1)
        rank_sd = math.sqrt((rows * rows - 1) / 12.0) if rows > 1 else 1.0
        centred = values - values.mean(axis=1, keepdims=True)
        products = np.stack([(centred * ranks[:, k]).sum(axis=1) for k in range(2)], axis=1)
        safe = np.where(sd > 0, sd, 1.0)[:, None]
        return np.asarray(np.where(sd[:, None] > 0, products / (2.0 * safe * rank_sd), 0.0))


@dataclass
class _RiskTotals:
    occurrences: npt.NDArray[np.int64]
    occurrences_mitigated: npt.NDArray[np.int64]
    days: FloatArray
    cost: FloatArray


class _Run:
    """State of one simulation while chunks are processed."""

    def __init__(
        self,
        plan: Plan,
        seed: int,
        *,
        lhs: bool,
        capacity: int,
        calibration: _CalibrationPlan | None = None,
    ) -> None:
        self.plan = plan
        self.calibration = calibration
        self.sampler = _Sampler(plan, seed, lhs=lhs, calibration=calibration)
        self.mitigable = bool(plan.risks.mitigable.any())
        scenarios = 2 if self.mitigable else 1
        copies = 1 if calibration is None else 2
        series = copies * scenarios * (plan.role_count + plan.phase_count)
        exact = capacity * series * 4 <= _BREAKDOWN_BYTES
        self.stores = [
            _ScenarioStore.create(plan, capacity, exact_breakdown=exact) for _ in range(scenarios)
        ]
        self.calibrated_stores = (
            []
            if calibration is None
            else [
                _ScenarioStore.create(
                    plan,
                    capacity,
                    exact_breakdown=exact,
                    scale=(calibration.low, calibration.high),
                )
                for _ in range(scenarios)
            ]
        )
        self.sensitivity = _Sensitivity(
            plan.variable_count, len(plan.percent_targets), plan.risks.count
        )
        count = plan.risks.count
        self.risk_totals = _RiskTotals(
            np.zeros(count, dtype=np.int64),
            np.zeros(count, dtype=np.int64),
            np.zeros((2, count)),
            np.zeros((2, count)),
        )
        self.rows = 0
        self.sensitivity_rows = sensitivity_iterations(plan.variable_count)

    def run(
        self,
        rows: int,
        chunk_size: int,
        progress: Callable[[int, int], None] | None = None,
        planned: int = 0,
    ) -> None:
        end = self.rows + rows
        while self.rows < end:
            width = min(chunk_size, end - self.rows)
            first = self.rows // BLOCK_ROWS
            sizes = [min(BLOCK_ROWS, width - k) for k in range(0, width, BLOCK_ROWS)]
            self._chunk(_Chunk(first, sizes))
            self.rows += width
            if progress is not None:
                progress(self.rows, planned)

    def _chunk(self, chunk: _Chunk) -> None:
        plan = self.plan
        draws = self.sampler.draws(chunk)
        sensitive = [
            (block, rows)
            for block, rows in chunk.blocks()
            if block * BLOCK_ROWS < self.sensitivity_rows
        ]
        keep = bool(sensitive) and plan.variable_count * chunk.rows * 2 <= _KEEP_CELLS_BYTES
        work, kept = _work_effort(plan, self.sampler, chunk, draws, keep=keep)
        base = work + _percent_effort(plan, work, draws)
        occurs = draws.risk_uniform < plan.risks.probability[:, None]
        effect = _risk_effects(plan, draws, occurs, np.ones(plan.risks.count), chunk)
        scenario = _scenario(plan, base, effect, 0.0)
        self.stores[0].add(scenario)
        calibrated = None
        if self.calibration is not None:
            # One factor per group and iteration, shared by every cell of the group.
            calibrated = base * draws.calibration[self.calibration.cell_group]
            self.calibrated_stores[0].add(_scenario(plan, calibrated, effect, 0.0))
        if self.mitigable:
            occurs_mitigated = draws.risk_uniform < plan.risks.post_probability[:, None]
            mitigated = _risk_effects(plan, draws, occurs_mitigated, plan.risks.scale, chunk)
            cost = plan.risks.mitigation_cost
            self.stores[1].add(_scenario(plan, base, mitigated, cost))
            if calibrated is not None:
                self.calibrated_stores[1].add(_scenario(plan, calibrated, mitigated, cost))
            self._risk_statistics(chunk, occurs_mitigated, mitigated, scenario=1)
        self._risk_statistics(chunk, occurs, effect, scenario=0)
        if sensitive:
            self._sensitivity(
                chunk, blocks=sensitive, draws=draws, occurs=occurs, scenario=scenario, kept=kept
            )

    def _risk_statistics(
        self, chunk: _Chunk, occurs: npt.NDArray[np.bool_], effect: _RiskEffect, *, scenario: int
    ) -> None:
        totals = self.risk_totals
        counts = totals.occurrences_mitigated if scenario else totals.occurrences
        for number, (_, rows) in enumerate(chunk.blocks()):
            counts += occurs[:, rows].sum(axis=1)
            totals.days[scenario] += effect.days[:, number]
            totals.cost[scenario] += effect.cost[:, number]

    def _sensitivity(
        self,
        chunk: _Chunk,
        *,
        blocks: Sequence[tuple[int, slice]],
        draws: _Draws,
        occurs: npt.NDArray[np.bool_],
        scenario: _Scenario,
        kept: list[Cells],
    ) -> None:
        plan, state = self.plan, self.sensitivity
        ranks = {
            block: _Sensitivity.ranks(scenario.effort[rows], scenario.cost[rows])
            for block, rows in blocks
        }
        for number, tile in enumerate(plan.tiles):
            cells = kept[number] if kept else self.sampler.tile_cells(tile, chunk, draws)
            for block, rows in blocks:
                state.work[tile.start : tile.stop] += _Sensitivity.uniform_cell_correlation(
                    cells[:, rows], ranks[block]
                )
        probability = plan.risks.probability[:, None]
        for block, rows in blocks:
            if len(plan.percent_targets):
                state.percent += _Sensitivity.uniform_cell_correlation(
                    draws.percent[:, rows], ranks[block]
                )
            if plan.risks.count:
                score = (draws.risk_cells[:, rows] + 0.5) / TABLE_SIZE
                proxy = np.where(
                    occurs[:, rows],
                    (1.0 - probability) + probability * score,
                    (1.0 - probability) / 2.0,
                )
                state.risk += _Sensitivity.sample_correlation(proxy, ranks[block])
            state.rows += rows.stop - rows.start

    def converged(self, tolerance: float) -> bool:
        effort = np.asarray(self.stores[0].effort.values(), dtype=np.float64)
        width = _relative_half_width(effort, 0.8)
        return width is not None and width <= tolerance


def _automatic_chunk(plan: Plan, *, calibrated: bool = False) -> int:
    """Rows per chunk keeping the per-chunk arrays near ``_WORKING_BYTES``."""
    matrix = 0 if plan.matrix_factor is None else plan.matrix_factor.shape[0]
    per_row = (
        (56 + 24 * calibrated) * plan.role_count * plan.phase_count  # float64 phase-role arrays
        + 12 * plan.risks.count
        + 2 * len(plan.percent_targets)
        + 4 * (plan.group_count + matrix)
        + 12 * TILE_VARIABLES
    )
    rows = _WORKING_BYTES // per_row // BLOCK_ROWS * BLOCK_ROWS
    return min(DEFAULT_CHUNK_SIZE, max(BLOCK_ROWS, rows))


def sensitivity_iterations(random_items: int) -> int:
    """Iterations whose ranks feed the sensitivity, for a model with ``random_items``.

    Examples
    --------
    >>> sensitivity_iterations(200), sensitivity_iterations(6_000)
    (262144, 81920)
    """
    budget = _SENSITIVITY_SAMPLES // max(random_items, 1)
    rows = max(_SENSITIVITY_MINIMUM, min(SENSITIVITY_ITERATIONS, budget))
    return rows - rows % BLOCK_ROWS


# --- public API ---------------------------------------------------------------------------


def simulate(
    model: EstimationModel,
    *,
    iterations: int | Literal["auto"],
    seed: int,
    sampling: Sampling | str = Sampling.MONTE_CARLO,
    chunk_size: int | None = None,
    tolerance: float = 0.005,
    max_iterations: int = 1_000_000,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Simulate a model and summarise every output.

    Parameters
    ----------
    model
        The estimate.
    iterations
        Number of iterations (1,000 to 10,000,000), or ``"auto"``: sample in batches of
        16,384 until the 95 % confidence interval of the P80 of total effort is within
        ``± tolerance`` of it (relative), or until ``max_iterations``.
    seed
        Non-negative integer; the same model and seed give a bit-identical result.
    sampling
        ``"mc"`` (Monte Carlo) or ``"lhs"`` (Latin hypercube within each block).
    chunk_size
        Rows processed at once: a positive multiple of 8,192, or ``None`` to pick one
        (≤ 65,536) that keeps the working set near 64 MB. Changes memory and speed, never
        the result.
    tolerance
        Relative precision wanted in auto mode (0.005 = ±0.5 %).
    max_iterations
        Cap of auto mode.
    progress
        Called after every chunk with (iterations done, iterations planned; the cap in
        auto mode). An exception raised by it stops the simulation (use it to cancel).

    Returns
    -------
    SimulationResult
        Person-days, money in the rates' currency, durations in working days.

    Examples
    --------
    >>> from estimation import reference_model
    >>> result = simulate(reference_model(items=20), iterations=2_000, seed=7)
    >>> result.unmitigated.effort.percentile(50) > result.analytic.sum_most_likely_effort
    True
    """
    auto = iterations == "auto"
    _check_arguments(
        iterations=iterations,
        seed=seed,
        chunk_size=chunk_size,
        tolerance=tolerance,
        max_iterations=max_iterations,
        auto=auto,
    )
    mode = _sampling(sampling)
    plan = compile_plan(model)
    for message in plan.warnings:
        if message.startswith("correlation matrix"):
            warnings_module.warn(message, CorrelationRepairWarning, stacklevel=2)
    capacity = max_iterations if auto else int(iterations)
    calibration = _calibration_plan(model, plan)
    run = _Run(
        plan,
        seed,
        lhs=mode is Sampling.LATIN_HYPERCUBE,
        capacity=capacity,
        calibration=calibration,
    )
    converged = True
    if auto:
        converged = False
        while run.rows < max_iterations and not converged:
            batch = min(AUTO_BATCH, max_iterations - run.rows)
            run.run(batch, AUTO_BATCH, progress, max_iterations)
            converged = run.converged(tolerance)
    else:
        assert isinstance(iterations, int)
        automatic = _automatic_chunk(plan, calibrated=calibration is not None)
        width = automatic if chunk_size is None else chunk_size
        run.run(iterations, width, progress, iterations)
    return _result(
        model,
        plan,
        run,
        seed=seed,
        sampling=mode,
        auto=auto,
        converged=converged,
        tolerance=tolerance if auto else None,
    )


def sample_work_items(
    model: EstimationModel,
    *,
    iterations: int,
    seed: int,
    sampling: Sampling | str = Sampling.MONTE_CARLO,
) -> tuple[tuple[str, ...], npt.NDArray[np.float32]]:
    """The per-iteration effort of every work item, as :func:`simulate` draws it.

    Meant for charts and checks on small runs: the array has ``iterations × items``
    float32 values (quantity and complexity included), so keep the product modest.

    Returns
    -------
    (ids, samples)
        Variable ids in model order and an ``(iterations, items)`` array.

    Examples
    --------
    >>> from estimation import reference_model
    >>> ids, samples = sample_work_items(reference_model(items=3), iterations=1_000, seed=1)
    >>> ids, samples.shape
    (('REF-001/DEV', 'REF-002/DEV', 'REF-003/DEV'), (1000, 3))
    """
    _check_arguments(
        iterations=iterations,
        seed=seed,
        chunk_size=DEFAULT_CHUNK_SIZE,
        tolerance=0.005,
        max_iterations=MAX_ITERATIONS,
        auto=False,
    )
    if iterations * len(model.items) > 200_000_000:
        raise EstimationInputError(
            f"sample_work_items: iterations={iterations} × {len(model.items)} items is too large"
        )
    plan = compile_plan(model)
    sampler = _Sampler(plan, seed, lhs=_sampling(sampling) is Sampling.LATIN_HYPERCUBE)
    out = np.empty((iterations, len(model.items)), dtype=np.float32)
    for index, marginal in enumerate(plan.work_marginals):
        out[:, index] = marginal.low * plan.work_multipliers[index]  # random ones overwritten
    for start in range(0, iterations, DEFAULT_CHUNK_SIZE):
        width = min(DEFAULT_CHUNK_SIZE, iterations - start)
        sizes = [min(BLOCK_ROWS, width - k) for k in range(0, width, BLOCK_ROWS)]
        chunk = _Chunk(start // BLOCK_ROWS, sizes)
        draws = sampler.draws(chunk)
        for tile in plan.tiles:
            values = sampler.tile_values(tile, sampler.tile_cells(tile, chunk, draws))
            columns = plan.variable_items[tile.start : tile.stop]
            out[start : start + width, columns] = values.T
    ids = tuple(item.variable_id for item in model.items)
    return ids, out


def _check_arguments(
    *,
    iterations: object,
    seed: object,
    chunk_size: object,
    tolerance: object,
    max_iterations: object,
    auto: bool,
) -> None:
    where = "simulation"
    if not auto and (
        isinstance(iterations, bool)
        or not isinstance(iterations, int)
        or not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS
    ):
        raise EstimationInputError(
            f"{where}: iterations={iterations!r} is not 'auto' or an integer in "
            f"{MIN_ITERATIONS:,}..{MAX_ITERATIONS:,}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise EstimationInputError(f"{where}: seed={seed!r} must be a non-negative integer")
    if chunk_size is not None and (
        isinstance(chunk_size, bool)
        or not isinstance(chunk_size, int)
        or chunk_size <= 0
        or chunk_size % BLOCK_ROWS
    ):
        raise EstimationInputError(
            f"{where}: chunk_size={chunk_size!r} must be a positive multiple of {BLOCK_ROWS}"
        )
    if isinstance(tolerance, bool) or not isinstance(tolerance, float | int):
        raise EstimationInputError(f"{where}: tolerance={tolerance!r} is not a number")
    if not 0.0 < float(tolerance) < 1.0:
        raise EstimationInputError(f"{where}: tolerance={tolerance!r} is outside (0, 1)")
    if (
        isinstance(max_iterations, bool)
        or not isinstance(max_iterations, int)
        or not AUTO_BATCH <= max_iterations <= MAX_ITERATIONS
    ):
        raise EstimationInputError(
            f"{where}: max_iterations={max_iterations!r} is not in "
            f"{AUTO_BATCH:,}..{MAX_ITERATIONS:,}"
        )


def _sampling(value: Sampling | str) -> Sampling:
    try:
        return Sampling(value)
    except ValueError:
        raise EstimationInputError(
            f"simulation: sampling={value!r} is not one of 'mc', 'lhs'"
        ) from None


# --- summaries ------------------------------------------------------------------------------


def _quantile_sorted(ordered: FloatArray, probability: float) -> float:
    return float(quantiles_sorted(ordered, np.array([probability]))[0])


def _quantile_interval(values: FloatArray, probability: float) -> QuantileEstimate:
    count = len(values)
    spread = _Z_CI95 * math.sqrt(count * probability * (1.0 - probability))
    lower_index = max(0, math.floor(count * probability - spread))
    upper_index = min(count - 1, math.ceil(count * probability + spread))
    middle = probability * (count - 1)
    kth = sorted(
        {lower_index, upper_index, math.floor(middle), min(count - 1, math.floor(middle) + 1)}
    )
    part = np.partition(values, kth)
    value = float(part[math.floor(middle)])
    following = float(part[min(count - 1, math.floor(middle) + 1)])
    value += (middle - math.floor(middle)) * (following - value)
    lower, upper = float(part[lower_index]), float(part[upper_index])
    return QuantileEstimate(
        level=probability,
        value=value,
        lower=lower,
        upper=upper,
        standard_error=(upper - lower) / (2.0 * _Z_CI95),
    )


def _relative_half_width(values: FloatArray, probability: float) -> float | None:
    """Half the 95 % interval over the estimate; ``None`` when the estimate is 0 but uncertain."""
    estimate = _quantile_interval(values, probability)
    if estimate.value == 0.0:
        return 0.0 if estimate.upper == estimate.lower else None
    return (estimate.upper - estimate.lower) / 2.0 / abs(estimate.value)


def _result(
    model: EstimationModel,
    plan: Plan,
    run: _Run,
    *,
    seed: int,
    sampling: Sampling,
    auto: bool,
    converged: bool,
    tolerance: float | None,
) -> SimulationResult:
    analytic = analytic_from_plan(model, plan)
    notes = list(plan.warnings)
    outcomes = [_outcome(model, plan, store, analytic, notes) for store in run.stores]
    calibrated = _calibrated_outcome(model, plan, run, analytic, notes)
    effort = np.asarray(run.stores[0].effort.values(), dtype=np.float64)  # sorted by now
    convergence = Convergence(
        iterations=run.rows,
        auto=auto,
        converged=converged,
        tolerance=tolerance,
        relative_half_width_p80=_relative_half_width(effort, 0.8),
        effort=tuple(_quantile_interval(effort, p) for p in (0.5, 0.8, 0.9)),
    )
    if auto and not converged:
        notes.append(
            f"auto mode stopped at the cap of {run.rows:,} iterations before reaching "
            f"±{tolerance:.2%} on the P80 of effort"
        )
    return SimulationResult(
        schema_version=SCHEMA_VERSION,
        engine_version=ENGINE_VERSION,
        iterations=run.rows,
        seed=seed,
        sampling=sampling,
        start_date=model.start_date,
        unmitigated=outcomes[0],
        mitigated=outcomes[1] if len(outcomes) > 1 else None,
        analytic=analytic,
        sensitivity=_sensitivity_entries(model, plan, run),
        risks=_risk_summaries(model, plan, run),
        convergence=convergence,
        warnings=tuple(dict.fromkeys(notes)),
        calibrated=calibrated,
    )


def _calibrated_outcome(
    model: EstimationModel,
    plan: Plan,
    run: _Run,
    analytic: AnalyticSummary,
    notes: list[str],
) -> CalibratedOutcome | None:
    calibration = run.calibration
    if calibration is None or model.calibration is None:
        return None
    outcomes = [_outcome(model, plan, store, analytic, notes) for store in run.calibrated_stores]
    by = model.calibration.group_by.value
    for key, fallback in zip(calibration.keys, calibration.fallback, strict=True):
        if fallback:
            notes.append(
                f"calibration: the history has no {by} {key!r}; the overall factor applies"
            )
    factors = tuple(
        CalibrationFactor(
            key=key,
            fit_key=fit.key,
            method=fit.method,
            points=fit.points,
            median=fit.quantile(0.5),
            p80=fit.quantile(0.8),
            p90=fit.quantile(0.9),
        )
        for key, fit in zip(calibration.keys, calibration.fits, strict=True)
    )
    return CalibratedOutcome(
        calibration=model.calibration,
        estimator=model.estimator,
        factors=factors,
        unmitigated=outcomes[0],
        mitigated=outcomes[1] if len(outcomes) > 1 else None,
    )


def _outcome(
    model: EstimationModel,
    plan: Plan,
    store: _ScenarioStore,
    analytic: AnalyticSummary,
    notes: list[str],
) -> Outcome:
    """Summaries of one scenario. Sorts the stored totals in place (to save memory)."""
    bins, confidence = model.settings.histogram_bins, model.settings.confidence
    effort, cost = store.effort.values(), store.cost.values()
    price, duration = store.price.values(), store.duration.values()
    targets = _targets(model, effort, cost, duration)
    margin = price - cost
    for values in (effort, cost, price, duration, margin):
        values.sort()
    effort_summary, cost_summary = summarize_sorted(effort, bins), summarize_sorted(cost, bins)
    duration_summary = summarize_sorted(duration, bins)
    effort_c, cost_c = _quantile_sorted(effort, confidence), _quantile_sorted(cost, confidence)
    return Outcome(
        effort=effort_summary,
        effort_by_role={
            role: series.summary(bins)
            for role, series in zip(plan.roles, store.by_role, strict=True)
        },
        effort_by_phase={
            phase: series.summary(bins)
            for phase, series in zip(plan.phases, store.by_phase, strict=True)
        },
        cost=cost_summary,
        price=summarize_sorted(price, bins),
        margin=summarize_sorted(margin, bins),
        duration=duration_summary,
        delivery_dates=_delivery_dates(model, duration_summary, notes),
        contingency=Contingency(
            confidence=confidence,
            effort_at_confidence=effort_c,
            effort_over_most_likely=effort_c - analytic.sum_most_likely_effort,
            effort_over_mean=effort_c - effort_summary.mean,
            cost_at_confidence=cost_c,
            cost_over_most_likely=cost_c - analytic.sum_most_likely_cost,
            cost_over_mean=cost_c - cost_summary.mean,
        ),
        targets=targets,
    )


def _delivery_dates(
    model: EstimationModel, duration: SeriesSummary, notes: list[str]
) -> dict[str, date] | None:
    if model.start_date is None:
        return None
    labels = list(duration.percentiles)
    counts = [max(0, math.ceil(duration.percentiles[label] - 1e-9)) for label in labels]
    if max(counts) > 1_000_000:  # ~4,000 years of working days: the plan is not a schedule
        notes.append(f"calendar: a duration of {max(counts):,} working days has no delivery date")
        return None
    dates = working_dates_for(model.calendar, model.start_date, counts)
    known = model.calendar.holiday_years
    if known:
        missing = sorted({d.year for d in dates} - set(known))
        if missing:
            notes.append(
                f"calendar: no holiday data for {', '.join(map(str, missing))}; delivery dates "
                "in those years count weekends only"
            )
    return dict(zip(labels, dates, strict=True))


def _targets(
    model: EstimationModel, effort: FloatArray, cost: FloatArray, duration: FloatArray
) -> TargetProbabilities:
    settings = model.settings
    effort_ok = None if settings.target_effort is None else effort <= settings.target_effort
    budget_ok = None if settings.target_budget is None else cost <= settings.target_budget
    date_ok = None
    if settings.target_date is not None and model.start_date is not None:
        available = working_days_between(model.calendar, model.start_date, settings.target_date)
        date_ok = duration <= available + 1e-9

    def share(mask: npt.NDArray[np.bool_] | None) -> float | None:
        return None if mask is None else float(np.count_nonzero(mask)) / len(mask)

    joint = None if budget_ok is None or date_ok is None else budget_ok & date_ok
    return TargetProbabilities(
        effort=share(effort_ok),
        budget=share(budget_ok),
        date=share(date_ok),
        budget_and_date=share(joint),
    )


def _sensitivity_entries(
    model: EstimationModel, plan: Plan, run: _Run
) -> tuple[SensitivityEntry, ...]:
    state = run.sensitivity
    rows = max(state.rows, 1)
    raw: list[tuple[str, str, str, float, float]] = []
    work = dict(zip(plan.variable_items.tolist(), state.work / rows, strict=True))
    for index, item in enumerate(model.items):
        effort, cost = work.get(index, (0.0, 0.0))
        raw.append(("work", item.variable_id, item.name, float(effort), float(cost)))
    for number, pct in enumerate(model.percent_items):
        effort, cost = state.percent[number] / rows
        raw.append(("percent", pct.variable_id, pct.name, float(effort), float(cost)))
    for number, risk in enumerate(model.risks):
        effort, cost = state.risk[number] / rows
        raw.append(("risk", risk.code, risk.name, float(effort), float(cost)))
    total = sum(entry[3] ** 2 for entry in raw)
    entries = [
        SensitivityEntry(
            kind=kind,
            key=key,
            name=name,
            spearman_effort=effort,
            spearman_cost=cost,
            variance_share=effort**2 / total if total > 0 else 0.0,
        )
        for kind, key, name, effort, cost in raw
    ]
    return tuple(sorted(entries, key=lambda e: (-abs(e.spearman_effort), e.kind, e.key)))


def _risk_summaries(model: EstimationModel, plan: Plan, run: _Run) -> tuple[RiskSummary, ...]:
    totals, rows = run.risk_totals, max(run.rows, 1)
    means = _risk_means(plan)
    summaries = []
    for number, risk in enumerate(model.risks):
        mean_days, mean_cost = means[number]
        probability = float(plan.risks.probability[number])
        post = float(plan.risks.post_probability[number])
        scale = float(plan.risks.scale[number])
        summaries.append(
            RiskSummary(
                code=risk.code,
                name=risk.name,
                probability=probability,
                frequency=float(totals.occurrences[number]) / rows,
                mean_impact_days=mean_days,
                mean_impact_cost=mean_cost,
                expected_impact_days=probability * mean_days,
                expected_impact_cost=probability * mean_cost,
                simulated_impact_days=float(totals.days[0][number]) / rows,
                simulated_impact_cost=float(totals.cost[0][number]) / rows,
                mitigable=risk.is_mitigable,
                post_mitigation_probability=post,
                post_mitigation_frequency=float(
                    totals.occurrences_mitigated[number]
                    if run.mitigable
                    else totals.occurrences[number]
                )
                / rows,
                expected_impact_days_mitigated=post * scale * mean_days,
                expected_impact_cost_mitigated=post * scale * mean_cost,
                mitigation_cost=float(risk.mitigation_cost or 0.0),
            )
        )
    return tuple(
        sorted(summaries, key=lambda s: (-s.expected_impact_cost, -s.expected_impact_days, s.code))
    )


def _risk_means(plan: Plan) -> list[tuple[float, float]]:
    """Mean days and mean cost of each risk's impact when it occurs."""
    risks = plan.risks
    days = np.zeros(risks.count)
    cost = np.zeros(risks.count)
    for i, risk in enumerate(risks.impact_risk):
        mean = risks.impact_marginals[i].mean()
        days[risk] += mean
        cost[risk] += plan.cost_rates[risks.impact_role[i]] * mean
    for j, risk in enumerate(risks.money_risk):
        cost[risk] += risks.money_marginals[j].mean()
    return [(float(d), float(c)) for d, c in zip(days, cost, strict=True)]

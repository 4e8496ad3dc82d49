"""Compile an :class:`EstimationModel` into the arrays the sampler works on."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import special

from estimation.correlation import (
    copula_factor,
    is_positive_semidefinite,
    nearest_correlation_matrix,
    spearman_matrix_to_copula,
)
from estimation.distributions import TABLE_SIZE, Marginal, fit_marginals, variable_tables
from estimation.model import (
    Distribution,
    EstimationModel,
    group_members,
    phase_order,
    spearman_to_copula,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

TILE_VARIABLES = 64
NORMAL_LEVELS = 65_536  # idiosyncratic normals come from 16-bit uniforms
Z_BINS = 131_072  # z → cell lookup resolution over [-Z_RANGE, Z_RANGE]
Z_RANGE = 8.0

KIND_INDEPENDENT, KIND_GROUPED, KIND_MATRIX = 0, 1, 2


@dataclass
class Tile:
    """A fixed run of ≤ 64 random work variables: the unit of random streams and gathers."""

    index: int
    start: int
    stop: int
    independent: int
    grouped: int
    matrix: int
    idiosyncratic: npt.NDArray[np.float32]
    loadings: list[tuple[int, IntArray, npt.NDArray[np.float32]]]
    matrix_rows: IntArray
    segment_starts: IntArray
    segment_targets: IntArray

    @property
    def size(self) -> int:
        return self.stop - self.start


@dataclass
class RiskPlan:
    probability: FloatArray
    post_probability: FloatArray
    scale: FloatArray
    mitigable: npt.NDArray[np.bool_]
    mitigation_cost: float
    impact_risk: IntArray  # per day impact: owning risk
    impact_role: IntArray
    impact_target: IntArray  # phase-role index, or -1 when the impact has no phase
    impact_tables: npt.NDArray[np.float32]
    money_risk: IntArray  # risks with a money impact
    money_tables: npt.NDArray[np.float32]
    impact_marginals: list[Marginal]
    money_marginals: list[Marginal]

    @property
    def count(self) -> int:
        return len(self.probability)


@dataclass
class Plan:
    roles: tuple[str, ...]
    phases: tuple[str, ...]
    variable_items: IntArray  # processing order → model item index
    variable_targets: IntArray  # processing order → phase-role index
    tables: npt.NDArray[np.float32]
    tiles: list[Tile]
    constant_effort: FloatArray  # per phase-role
    group_count: int
    matrix_factor: FloatArray | None
    normal_table: npt.NDArray[np.float32] | None
    z_cells: npt.NDArray[np.uint16] | None
    percent_tables: npt.NDArray[np.float32]
    percent_targets: IntArray
    percent_bases: list[IntArray]  # phase indices of each percent item's base
    risks: RiskPlan
    cost_rates: FloatArray
    sell_rates: FloatArray
    fte: FloatArray
    phase_order: list[int]
    phase_dependencies: list[list[int]]
    work_marginals: list[Marginal]
    work_multipliers: FloatArray
    percent_marginals: list[Marginal]
    warnings: list[str] = field(default_factory=list)

    @property
    def role_count(self) -> int:
        return len(self.roles)

    @property
    def phase_count(self) -> int:
        return len(self.phases)

    @property
    def variable_count(self) -> int:
        return len(self.variable_items)


def fit_item_marginals(
    model: EstimationModel,
    triples: list[tuple[float, float, float]],
    distributions: list[Distribution],
    lambdas: list[float | None],
) -> list[Marginal]:
    """Fit three-points of mixed distributions, in input order."""
    fitted: list[Marginal | None] = [None] * len(triples)
    by_distribution: dict[Distribution, list[int]] = defaultdict(list)
    for index, distribution in enumerate(distributions):
        by_distribution[distribution].append(index)
    default_lambda = model.settings.pert_lambda
    for distribution, indices in by_distribution.items():
        marginals = fit_marginals(
            np.array([triples[i] for i in indices], dtype=np.float64).reshape(-1, 3),
            distribution=distribution,
            pert_lambdas=np.array(
                [default_lambda if lambdas[i] is None else lambdas[i] for i in indices],
                dtype=np.float64,
            ),
            ranges=model.settings.range_interpretation,
        )
        for index, marginal in zip(indices, marginals, strict=True):
            fitted[index] = marginal
    return [marginal for marginal in fitted if marginal is not None]


def work_marginals(model: EstimationModel) -> list[Marginal]:
    """Fitted marginal of every work item, in model order."""
    return fit_item_marginals(
        model,
        [(i.optimistic, i.most_likely, i.pessimistic) for i in model.items],
        [i.distribution for i in model.items],
        [i.pert_lambda for i in model.items],
    )


def compile_plan(model: EstimationModel) -> Plan:
    """Arrays and tables for one model (built fresh per call: no shared state)."""
    roles, phases = model.role_codes, model.phase_codes
    role_index = {code: i for i, code in enumerate(roles)}
    phase_index = {code: i for i, code in enumerate(phases)}
    warnings: list[str] = []
    marginals = work_marginals(model)
    for item, marginal in zip(model.items, marginals, strict=True):
        if marginal.clamped:
            warnings.append(
                f"line {item.line!r} role {item.role!r}: the P10/P90 range would need a "
                "negative lower bound; it is clamped at 0 (P90 and mode kept)"
            )
    multipliers = np.array(
        [item.quantity * item.complexity for item in model.items], dtype=np.float64
    )
    target = np.array(
        [phase_index[i.phase] * len(roles) + role_index[i.role] for i in model.items],
        dtype=np.int64,
    )
    constant_effort = np.zeros(len(roles) * len(phases))
    random_items: list[int] = []
    for index, marginal in enumerate(marginals):
        if marginal.is_constant or multipliers[index] == 0.0:
            constant_effort[target[index]] += marginal.low * multipliers[index]
        else:
            random_items.append(index)
    kinds, loadings, matrix_factor, matrix_names = _correlation_structure(
        model, random_items, warnings
    )
    order = sorted(random_items, key=lambda i: (kinds[i], int(target[i]), i))
    variable_items = np.array(order, dtype=np.int64)
    tables = variable_tables([marginals[i] for i in order], multipliers[variable_items])
    tiles = _tiles(
        order=order,
        kinds=kinds,
        loadings=loadings,
        matrix_names=matrix_names,
        model=model,
        target=target,
    )
    correlated = any(kinds[i] != KIND_INDEPENDENT for i in order)
    percent_marginals, percent_tables, percent_targets, percent_bases = _percent_plan(
        model, role_index, phase_index, warnings
    )
    return Plan(
        roles=roles,
        phases=phases,
        variable_items=variable_items,
        variable_targets=target[variable_items],
        tables=tables,
        tiles=tiles,
        constant_effort=constant_effort,
        group_count=len(model.correlation_groups),
        matrix_factor=matrix_factor,
        normal_table=_normal_table() if correlated else None,
        z_cells=_z_cell_table() if correlated else None,
        percent_tables=percent_tables,
        percent_targets=percent_targets,
        percent_bases=percent_bases,
        risks=_risk_plan(model, role_index, phase_index, warnings),
        cost_rates=np.array([role.cost_day_rate for role in model.roles]),
        sell_rates=np.array([role.sell_day_rate for role in model.roles]),
        fte=np.array([role.fte for role in model.roles]),
        phase_order=phase_order(model.phases),
        phase_dependencies=[
            [phase_index[dep] for dep in phase.depends_on] for phase in model.phases
        ],
        work_marginals=marginals,
        work_multipliers=multipliers,
        percent_marginals=percent_marginals,
        warnings=warnings,
    )


def _correlation_structure(
    model: EstimationModel, random_items: list[int], warnings: list[str]
) -> tuple[dict[int, int], dict[int, list[tuple[int, float]]], FloatArray | None, list[str]]:
    random_set = set(random_items)
    kinds = dict.fromkeys(random_items, KIND_INDEPENDENT)
    loadings: dict[int, list[tuple[int, float]]] = defaultdict(list)
    matrix = model.correlation_matrix
    in_matrix: set[str] = set()
    matrix_factor: FloatArray | None = None
    matrix_names: list[str] = []
    if matrix is not None and matrix.size:
        ids = {model.items[i].variable_id: i for i in random_items}
        keep = [k for k, name in enumerate(matrix.variables) if name in ids]
        matrix_names = [matrix.variables[k] for k in keep]
        in_matrix = set(matrix_names)
        spearman = matrix.as_array()[np.ix_(keep, keep)]
        if not is_positive_semidefinite(spearman):
            warnings.append(
                "correlation matrix: not positive semi-definite; the nearest valid matrix "
                f"is used (largest change {_repair_change(spearman):.4f})"
            )
            spearman = nearest_correlation_matrix(spearman)
        copula = spearman_matrix_to_copula(spearman)
        if not is_positive_semidefinite(copula, tolerance=0.0):
            copula = nearest_correlation_matrix(copula)
        matrix_factor = copula_factor(copula)
        for name in matrix_names:
            kinds[ids[name]] = KIND_MATRIX
    for group_number, group in enumerate(model.correlation_groups):
        if group.rho == 0.0:
            continue
        loading = math.sqrt(spearman_to_copula(group.rho))
        for index in group_members(model, group):
            if index in random_set and model.items[index].variable_id not in in_matrix:
                kinds[index] = KIND_GROUPED
                loadings[index].append((group_number, loading))
    return kinds, loadings, matrix_factor, matrix_names


def _repair_change(spearman: FloatArray) -> float:
    return float(np.max(np.abs(nearest_correlation_matrix(spearman) - spearman)))


def _tiles(
    *,
    order: list[int],
    kinds: dict[int, int],
    loadings: dict[int, list[tuple[int, float]]],
    matrix_names: list[str],
    model: EstimationModel,
    target: IntArray,
) -> list[Tile]:
    matrix_row = {name: row for row, name in enumerate(matrix_names)}
    tiles: list[Tile] = []
    for number, start in enumerate(range(0, len(order), TILE_VARIABLES)):
        members = order[start : start + TILE_VARIABLES]
        tile_kinds = [kinds[i] for i in members]
        grouped = [i for i in members if kinds[i] == KIND_GROUPED]
        first_grouped = tile_kinds.count(KIND_INDEPENDENT)
        per_group: dict[int, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        idiosyncratic = []
        for offset, index in enumerate(grouped):
            shared = sum(value * value for _, value in loadings[index])
            idiosyncratic.append(math.sqrt(max(0.0, 1.0 - shared)))
            for group, value in loadings[index]:
                per_group[group][0].append(offset)
                per_group[group][1].append(value)
        targets = target[members]
        starts = [0, *(k for k in range(1, len(members)) if targets[k] != targets[k - 1])]
        tiles.append(
            Tile(
                index=number,
                start=start,
                stop=start + len(members),
                independent=first_grouped,
                grouped=len(grouped),
                matrix=tile_kinds.count(KIND_MATRIX),
                idiosyncratic=np.array(idiosyncratic, dtype=np.float32),
                loadings=[
                    (group, np.array(rows, dtype=np.int64), np.array(values, dtype=np.float32))
                    for group, (rows, values) in sorted(per_group.items())
                ],
                matrix_rows=np.array(
                    [
                        matrix_row[model.items[i].variable_id]
                        for i in members
                        if kinds[i] == KIND_MATRIX
                    ],
                    dtype=np.int64,
                ),
                segment_starts=np.array(starts, dtype=np.int64),
                segment_targets=np.array([targets[k] for k in starts], dtype=np.int64),
            )
        )
    return tiles


def _percent_plan(
    model: EstimationModel,
    role_index: dict[str, int],
    phase_index: dict[str, int],
    warnings: list[str],
) -> tuple[list[Marginal], npt.NDArray[np.float32], IntArray, list[IntArray]]:
    items = model.percent_items
    marginals = fit_item_marginals(
        model,
        [(p.optimistic, p.most_likely, p.pessimistic) for p in items],
        [p.distribution for p in items],
        [p.pert_lambda for p in items],
    )
    for item, marginal in zip(items, marginals, strict=True):
        if marginal.clamped:
            warnings.append(
                f"percent line {item.line!r} role {item.role!r}: the P10/P90 range is clamped at 0"
            )
    multipliers = np.array([p.quantity * p.complexity / 100.0 for p in items], dtype=np.float64)
    tables = (
        variable_tables(marginals, multipliers)
        if items
        else np.zeros((0, TABLE_SIZE), dtype=np.float32)
    )
    targets = np.array(
        [phase_index[p.phase] * len(role_index) + role_index[p.role] for p in items],
        dtype=np.int64,
    )
    bases = [np.array([phase_index[ph] for ph in p.of_phases], dtype=np.int64) for p in items]
    return marginals, tables, targets, bases


def _risk_plan(
    model: EstimationModel,
    role_index: dict[str, int],
    phase_index: dict[str, int],
    warnings: list[str],
) -> RiskPlan:
    risks = model.risks
    triples: list[tuple[float, float, float]] = []
    distributions: list[Distribution] = []
    lambdas: list[float | None] = []
    impact_risk, impact_role, impact_target, money_risk = [], [], [], []
    for number, risk in enumerate(risks):
        for role, triple in risk.impact_days.items():
            triples.append(triple)
            distributions.append(risk.distribution)
            lambdas.append(risk.pert_lambda)
            impact_risk.append(number)
            impact_role.append(role_index[role])
            impact_target.append(
                -1
                if risk.phase is None
                else phase_index[risk.phase] * len(role_index) + role_index[role]
            )
    for number, risk in enumerate(risks):
        if risk.impact_money is not None:
            triples.append(risk.impact_money)
            distributions.append(risk.distribution)
            lambdas.append(risk.pert_lambda)
            money_risk.append(number)
    marginals = fit_item_marginals(model, triples, distributions, lambdas)
    if any(marginal.clamped for marginal in marginals):
        warnings.append("risk impacts: a P10/P90 range is clamped at 0")
    tables = (
        variable_tables(marginals, np.ones(len(marginals)))
        if marginals
        else np.zeros((0, TABLE_SIZE), dtype=np.float32)
    )
    days = len(impact_risk)

    def value(risk_value: float | None, default: float) -> float:
        return default if risk_value is None else risk_value

    return RiskPlan(
        probability=np.array([r.probability for r in risks], dtype=np.float64),
        post_probability=np.array(
            [value(r.post_mitigation_probability, r.probability) for r in risks], dtype=np.float64
        ),
        scale=np.array([value(r.post_mitigation_impact_scale, 1.0) for r in risks]),
        mitigable=np.array([r.is_mitigable for r in risks], dtype=bool),
        mitigation_cost=float(sum(value(r.mitigation_cost, 0.0) for r in risks)),
        impact_risk=np.array(impact_risk, dtype=np.int64),
        impact_role=np.array(impact_role, dtype=np.int64),
        impact_target=np.array(impact_target, dtype=np.int64),
        impact_tables=tables[:days],
        money_risk=np.array(money_risk, dtype=np.int64),
        money_tables=tables[days:],
        impact_marginals=marginals[:days],
        money_marginals=marginals[days:],
    )


def _normal_table() -> npt.NDArray[np.float32]:
    """Cell means of N(0, 1) over 65,536 equal-probability cells."""
    with np.errstate(divide="ignore"):
        edges = special.ndtri(np.arange(NORMAL_LEVELS + 1) / NORMAL_LEVELS)
    density = np.exp(-0.5 * np.square(edges)) / math.sqrt(2.0 * math.pi)
    density[0] = density[-1] = 0.0
    return np.asarray((density[:-1] - density[1:]) * NORMAL_LEVELS, dtype=np.float32)


def _z_cell_table() -> npt.NDArray[np.uint16]:
    """Cell index floor(Φ(z)·K) for z at the midpoints of Z_BINS bins over [-8, 8]."""
    middle = -Z_RANGE + (np.arange(Z_BINS) + 0.5) * (2.0 * Z_RANGE / Z_BINS)
    cells = np.floor(special.ndtr(middle) * TABLE_SIZE)
    return np.asarray(np.clip(cells, 0, TABLE_SIZE - 1), dtype=np.uint16)

"""Deterministic references and the analytic normal approximation of the totals.

For a total ``T = Σ wᵢXᵢ + Σₖ wₖPₖSₖ + Σᵣ Yᵣ`` (work items, percent items applied to their
base effort ``Sₖ``, risks) the mean and variance are computed exactly under the model's
independence assumptions, with two approximations: rank correlations are used as
product-moment correlations of the values (through the copula correlations), and the
total is taken to be normal for its P50/P80/P90.

Risks: ``Yᵣ = 1{occurs} · s · Zᵣ`` where ``Zᵣ`` is the event's weighted impact (its
impacts move together, so ``E[Zᵣ²]`` is integrated over the common uniform).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from estimation._plan import Plan, compile_plan
from estimation.correlation import (
    is_positive_semidefinite,
    nearest_correlation_matrix,
    spearman_matrix_to_copula,
)
from estimation.model import Distribution, EstimationModel, group_members, spearman_to_copula
from estimation.results import AnalyticSummary, NormalApproximation

__all__ = ["analytic_summary"]

FloatArray = npt.NDArray[np.float64]
_Z80 = 0.8416212335729143
_Z90 = 1.2815515655446004


def analytic_summary(model: EstimationModel, *, mitigated: bool = False) -> AnalyticSummary:
    """Sums of most-likely values and of PERT means, and the normal approximation.

    Parameters
    ----------
    model
        The estimate.
    mitigated
        Use the post-mitigation probabilities, impacts and mitigation costs.

    Returns
    -------
    AnalyticSummary
        Person-days and money in the rates' currency.

    Examples
    --------
    >>> from estimation import EstimationModel, Phase, Role, WorkItem
    >>> model = EstimationModel(items=(WorkItem("A", "BE", "build", 2, 4, 9),
    ...                                WorkItem("B", "BE", "build", 1, 2, 6)),
    ...                         roles=(Role("BE", 100, 150),), phases=(Phase("build"),))
    >>> summary = analytic_summary(model)
    >>> summary.sum_most_likely_effort, round(summary.effort.mean, 4)  # 4.5 + 2.5
    (6.0, 7.0)
    >>> round(summary.effort.sd ** 2, 4)  # (2.5·4.5 + 1.5·3.5)/7
    2.3571
    """
    return analytic_from_plan(model, compile_plan(model), mitigated=mitigated)


def analytic_from_plan(
    model: EstimationModel, plan: Plan, *, mitigated: bool = False
) -> AnalyticSummary:
    """:func:`analytic_summary` from an already compiled plan (saves fitting twice).

    Examples
    --------
    >>> from estimation import reference_model
    >>> model = reference_model(items=10)
    >>> analytic_from_plan(model, compile_plan(model)) == analytic_summary(model)
    True
    """
    roles = {code: i for i, code in enumerate(model.role_codes)}
    item_roles = np.array([roles[item.role] for item in model.items], dtype=np.int64)
    ones = np.ones(len(roles))
    weights = {"effort": ones, "cost": plan.cost_rates, "price": plan.sell_rates}
    covariance = _Covariance(model, plan)
    approximations = {
        name: _normal(
            model,
            plan,
            covariance,
            role_weights[item_roles],
            role_weights,
            include_money=name == "cost",
            mitigated=mitigated,
        )
        for name, role_weights in weights.items()
    }
    most_likely = _most_likely_by_role(model, pert=False)
    pert = _most_likely_by_role(model, pert=True)
    risk_days, risk_cost = _expected_risk(plan, mitigated=mitigated)
    return AnalyticSummary(
        sum_most_likely_effort=float(most_likely.sum()),
        sum_pert_means_effort=float(pert.sum()),
        expected_risk_effort=risk_days,
        sum_most_likely_cost=float(most_likely @ plan.cost_rates),
        sum_most_likely_price=float(most_likely @ plan.sell_rates),
        expected_risk_cost=risk_cost,
        effort=approximations["effort"],
        cost=approximations["cost"],
        price=approximations["price"],
    )


def _point(optimistic: float, mode: float, pessimistic: float, lam: float, *, pert: bool) -> float:
    return (optimistic + lam * mode + pessimistic) / (lam + 2.0) if pert else mode


def _most_likely_by_role(model: EstimationModel, *, pert: bool) -> FloatArray:
    """Effort per role with every estimate at its most likely value (or PERT mean), no risks."""
    roles = {code: i for i, code in enumerate(model.role_codes)}
    by_role = np.zeros(len(roles))
    by_phase: dict[str, float] = {}
    default = model.settings.pert_lambda
    for item in model.items:
        lam = default if item.pert_lambda is None else item.pert_lambda
        value = (
            item.most_likely
            if item.distribution is Distribution.FIXED
            else _point(item.optimistic, item.most_likely, item.pessimistic, lam, pert=pert)
        )
        effort = value * item.quantity * item.complexity
        by_role[roles[item.role]] += effort
        by_phase[item.phase] = by_phase.get(item.phase, 0.0) + effort
    for pct in model.percent_items:
        lam = default if pct.pert_lambda is None else pct.pert_lambda
        share = (
            pct.most_likely
            if pct.distribution is Distribution.FIXED
            else _point(pct.optimistic, pct.most_likely, pct.pessimistic, lam, pert=pert)
        )
        base = sum(by_phase.get(phase, 0.0) for phase in pct.of_phases)
        by_role[roles[pct.role]] += share / 100.0 * pct.quantity * pct.complexity * base
    return by_role


def _expected_risk(plan: Plan, *, mitigated: bool) -> tuple[float, float]:
    risks = plan.risks
    probability = risks.post_probability if mitigated else risks.probability
    scale = risks.scale if mitigated else np.ones(risks.count)
    days = cost = 0.0
    for i, risk in enumerate(risks.impact_risk):
        mean = risks.impact_marginals[i].mean() * probability[risk] * scale[risk]
        days += mean
        cost += mean * plan.cost_rates[risks.impact_role[i]]
    for j, risk in enumerate(risks.money_risk):
        cost += risks.money_marginals[j].mean() * probability[risk] * scale[risk]
    return float(days), float(cost)


class _Covariance:
    """Cov(Σ uᵢXᵢ, Σ vᵢXᵢ) over work items under the copula correlation structure."""

    def __init__(self, model: EstimationModel, plan: Plan) -> None:
        marginals, multipliers = plan.work_marginals, plan.work_multipliers
        self.sd = np.array([math.sqrt(m.variance()) for m in marginals]) * multipliers
        self.mean = np.array([m.mean() for m in marginals]) * multipliers
        matrix = model.correlation_matrix
        names = list(matrix.variables) if matrix is not None else []
        ids = {item.variable_id: i for i, item in enumerate(model.items)}
        self.matrix_items = np.array([ids[name] for name in names], dtype=np.int64)
        self.matrix = np.zeros((0, 0))
        if matrix is not None and names:
            spearman = matrix.as_array()
            if not is_positive_semidefinite(spearman):
                spearman = nearest_correlation_matrix(spearman)
            self.matrix = spearman_matrix_to_copula(spearman)
        in_matrix = set(self.matrix_items.tolist())
        self.groups: list[tuple[float, npt.NDArray[np.int64]]] = []
        for group in model.correlation_groups:
            members = [i for i in group_members(model, group) if i not in in_matrix]
            if group.rho > 0 and members:
                self.groups.append(
                    (spearman_to_copula(group.rho), np.array(members, dtype=np.int64))
                )

    def __call__(self, u: FloatArray, v: FloatArray) -> float:
        a, b = u * self.sd, v * self.sd
        total = float(a @ b)
        for r, members in self.groups:
            total += r * (
                float(a[members].sum() * b[members].sum()) - float(a[members] @ b[members])
            )
        if len(self.matrix_items):
            am, bm = a[self.matrix_items], b[self.matrix_items]
            total += float(am @ self.matrix @ bm) - float(am @ bm)
        return total


def _normal(
    model: EstimationModel,
    plan: Plan,
    covariance: _Covariance,
    w: FloatArray,
    role_weights: FloatArray,
    *,
    include_money: bool,
    mitigated: bool,
) -> NormalApproximation:
    """Normal approximation of Σ wᵢXᵢ + percent items + risks (weights per item and role)."""
    mean = float(w @ covariance.mean)
    variance = covariance(w, w)
    phases = np.array([item.phase for item in model.items], dtype=object)
    bases = [np.isin(phases, list(pct.of_phases)).astype(np.float64) for pct in model.percent_items]
    roles = {code: i for i, code in enumerate(model.role_codes)}
    shares = []
    for k, pct in enumerate(model.percent_items):
        marginal = plan.percent_marginals[k]
        factor = pct.quantity * pct.complexity / 100.0
        first = marginal.mean() * factor
        second = (marginal.variance() + marginal.mean() ** 2) * factor**2
        shares.append((role_weights[roles[pct.role]], first, second))
    for k, (weight_k, first_k, second_k) in enumerate(shares):
        base_mean = float(bases[k] @ covariance.mean)
        base_second = covariance(bases[k], bases[k]) + base_mean**2
        mean += weight_k * first_k * base_mean
        variance += weight_k**2 * (second_k * base_second - (first_k * base_mean) ** 2)
        variance += 2.0 * weight_k * first_k * covariance(w, bases[k])
        for j, (weight_j, first_j, _) in enumerate(shares):
            if j != k:
                variance += weight_k * weight_j * first_k * first_j * covariance(bases[k], bases[j])
    risk_mean, risk_variance = _risk_moments(
        plan, role_weights, include_money=include_money, mitigated=mitigated
    )
    mean += risk_mean + (plan.risks.mitigation_cost if include_money and mitigated else 0.0)
    sd = math.sqrt(max(variance + risk_variance, 0.0))
    return NormalApproximation(
        mean=mean, sd=sd, p50=mean, p80=mean + _Z80 * sd, p90=mean + _Z90 * sd
    )


def _risk_moments(
    plan: Plan, role_weights: FloatArray, *, include_money: bool, mitigated: bool
) -> tuple[float, float]:
    """Mean and variance of the risks' total, from the impact tables (common uniform)."""
    risks = plan.risks
    impact = np.zeros((risks.count, risks.impact_tables.shape[1] if risks.count else 0))
    for i, risk in enumerate(risks.impact_risk):
        impact[risk] += role_weights[risks.impact_role[i]] * risks.impact_tables[i]
    if include_money:
        for j, risk in enumerate(risks.money_risk):
            impact[risk] += risks.money_tables[j]
    probability = risks.post_probability if mitigated else risks.probability
    scale = risks.scale if mitigated else np.ones(risks.count)
    first = impact.mean(axis=1) * scale if risks.count else np.zeros(0)
    second = (impact**2).mean(axis=1) * scale**2 if risks.count else np.zeros(0)
    mean = probability * first
    variance = probability * second - mean**2
    return float(mean.sum()), float(variance.sum())

"""Strip cost-derived figures from data shown to roles that may not see cost.

Works on the JSON forms of run summaries and engine results, by key: anything about cost,
margin, cost-based budgets or cost rates is removed, recursively.
"""

from typing import Any

COST_KEYS = frozenset(
    {
        "cost",
        "margin",
        "cost_at_confidence",
        "cost_over_most_likely",
        "cost_over_mean",
        "spearman_cost",
        "mean_impact_cost",
        "expected_impact_cost",
        "simulated_impact_cost",
        "expected_impact_cost_mitigated",
        "mitigation_cost",
        "sum_most_likely_cost",
        "expected_risk_cost",
        "budget",
        "budget_and_date",
        "cost_day_rate",
        "roles",
    }
)
COST_PREFIXES = ("cost_", "margin_")


def _is_cost_key(key: str) -> bool:
    return key in COST_KEYS or key.startswith(COST_PREFIXES)


def price_level(data: Any) -> Any:
    """A copy of ``data`` without any cost or margin figure."""
    if isinstance(data, dict):
        return {key: price_level(value) for key, value in data.items() if not _is_cost_key(key)}
    if isinstance(data, list):
        return [price_level(value) for value in data]
    return data

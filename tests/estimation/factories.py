"""Plain functions that build engine inputs for the estimation tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from estimation import (
    Distribution,
    EstimationModel,
    PercentItem,
    Phase,
    RiskEvent,
    Role,
    Settings,
    WorkCalendar,
    WorkItem,
)


def role(code: str = "BE", *, cost: float = 800.0, sell: float = 1_500.0, fte: float = 1.0) -> Role:
    return Role(code, cost_day_rate=cost, sell_day_rate=sell, fte=fte)


def item(
    line: str = "DEV-001",
    optimistic: float = 2.0,
    most_likely: float = 4.0,
    pessimistic: float = 9.0,
    *,
    role_code: str = "BE",
    phase: str = "build",
    distribution: Distribution = Distribution.PERT,
    quantity: float = 1.0,
    complexity: float = 1.0,
    tags: tuple[str, ...] = (),
    pert_lambda: float | None = None,
) -> WorkItem:
    return WorkItem(
        line,
        role_code,
        phase,
        optimistic,
        most_likely,
        pessimistic,
        quantity=quantity,
        complexity=complexity,
        distribution=distribution,
        tags=tags,
        pert_lambda=pert_lambda,
    )


def model(
    items: Sequence[WorkItem] = (),
    *,
    roles: Sequence[Role] = (),
    phases: Sequence[Phase] = (),
    percent_items: Sequence[PercentItem] = (),
    risks: Sequence[RiskEvent] = (),
    settings: Settings | None = None,
    start_date: date | None = None,
    calendar: WorkCalendar | None = None,
    **extra: object,
) -> EstimationModel:
    """A model with sensible defaults: one item, role BE, phase build."""
    items = tuple(items) or (item(),)
    roles = tuple(roles) or tuple(role(code) for code in sorted({i.role for i in items}))
    if not phases:
        used = [i.phase for i in items] + [p.phase for p in percent_items]
        used += [phase for p in percent_items for phase in p.of_phases]
        phases = tuple(Phase(code) for code in dict.fromkeys(used))
    return EstimationModel(
        items=tuple(items),
        roles=tuple(roles),
        phases=tuple(phases),
        percent_items=tuple(percent_items),
        risks=tuple(risks),
        settings=settings or Settings(),
        start_date=start_date,
        calendar=calendar or WorkCalendar(),
        **extra,  # type: ignore[arg-type]
    )


def single(
    optimistic: float,
    most_likely: float,
    pessimistic: float,
    distribution: Distribution = Distribution.PERT,
    **settings: object,
) -> EstimationModel:
    """One work item, for oracle checks of a single distribution."""
    return model(
        [item("X", optimistic, most_likely, pessimistic, distribution=distribution)],
        settings=Settings(**settings),  # type: ignore[arg-type]
    )

"""The seeded reference model used by golden tests and the benchmark.

200 PERT items with a ~ U[1, 5], m = a + U[0.5, 5], b = m + U[1, 15], each rounded to 0.1
person-day (as specified in issue 3), one role and one phase unless asked otherwise.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from estimation.calendar import WorkCalendar
from estimation.model import (
    CorrelationGroup,
    EstimationModel,
    GroupBy,
    Phase,
    RiskEvent,
    Role,
    WorkItem,
)

__all__ = ["reference_model"]

_PHASES = ("design", "build", "test")


def reference_model(
    *,
    items: int = 200,
    roles: tuple[str, ...] = ("DEV",),
    correlation_groups: int = 0,
    rho: float = 0.3,
    risks: int = 0,
    seed: int = 20_240_601,
    start_date: date | None = date(2025, 1, 6),
    calendar: WorkCalendar | None = None,
) -> EstimationModel:
    """Build the reference model.

    Parameters
    ----------
    items
        Number of estimate lines; each has one three-point estimate per role.
    roles
        Role codes (cost 800, sell 1,400 per day, 5 FTE each).
    correlation_groups
        0 for one phase and independent items; 1 to 3 for that many sequential phases
        (design → build → test) with items dealt round-robin and one group of rank
        correlation ``rho`` per phase.
    risks
        Number of risk events (probability 5–40 %, days on the first role, money on every
        other one, mitigation on every third).
    seed
        Seed of the generator that draws the values.

    Examples
    --------
    >>> model = reference_model(items=3)
    >>> [(i.optimistic, i.most_likely, i.pessimistic) for i in model.items]
    [(4.2, 9.0, 18.4), (3.3, 4.4, 13.0), (2.7, 5.3, 17.4)]
    """
    rng = np.random.default_rng(seed)
    phase_count = max(1, min(correlation_groups, len(_PHASES)))
    phases = (
        (Phase("build"),)
        if correlation_groups == 0
        else tuple(
            Phase(code, depends_on=(_PHASES[k - 1],) if k else ())
            for k, code in enumerate(_PHASES[:phase_count])
        )
    )
    work: list[WorkItem] = []
    for role in roles:
        optimistic = np.round(rng.uniform(1.0, 5.0, items), 1)
        most_likely = np.round(optimistic + rng.uniform(0.5, 5.0, items), 1)
        pessimistic = np.round(most_likely + rng.uniform(1.0, 15.0, items), 1)
        for k in range(items):
            work.append(
                WorkItem(
                    line=f"REF-{k + 1:03d}",
                    role=role,
                    phase=phases[k % len(phases)].code,
                    optimistic=float(optimistic[k]),
                    most_likely=float(most_likely[k]),
                    pessimistic=float(pessimistic[k]),
                )
            )
    work.sort(key=lambda item: item.line)
    groups = tuple(
        CorrelationGroup(GroupBy.PHASE, phase.code, rho) for phase in phases[:correlation_groups]
    )
    return EstimationModel(
        items=tuple(work),
        roles=tuple(Role(code, 800.0, 1_400.0, fte=5.0) for code in roles),
        phases=phases,
        risks=_risks(rng, risks, roles[0], phases[-1].code),
        correlation_groups=groups,
        calendar=calendar or WorkCalendar(),
        start_date=start_date,
    )


def _risks(rng: np.random.Generator, count: int, role: str, phase: str) -> tuple[RiskEvent, ...]:
    events = []
    for k in range(count):
        low = round(float(rng.uniform(2.0, 10.0)), 1)
        mode = round(low + float(rng.uniform(1.0, 10.0)), 1)
        high = round(mode + float(rng.uniform(5.0, 30.0)), 1)
        money = (5_000.0, 15_000.0, 50_000.0) if k % 2 else None
        mitigated = k % 3 == 0
        events.append(
            RiskEvent(
                code=f"RISK-{k + 1:02d}",
                probability=round(float(rng.uniform(0.05, 0.4)), 2),
                impact_days={role: (low, mode, high)},
                impact_money=money,
                phase=phase if k % 4 else None,
                name=f"Reference risk {k + 1}",
                mitigation_cost=2_000.0 if mitigated else None,
                post_mitigation_probability=0.05 if mitigated else None,
                post_mitigation_impact_scale=0.5 if mitigated else None,
            )
        )
    return tuple(events)

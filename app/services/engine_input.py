"""Estimate revision ⇄ engine input.

A run stores a JSON *snapshot* of exactly what went into the engine; the engine model is
always rebuilt from that snapshot, so a stored run can be re-run bit for bit years later,
whatever happened to the catalog, the rate card or the holiday file since.
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

import estimation as engine
from app.errors import BidwrightError, NotFoundError
from app.models import EstimateLine, EstimateRevision, RateCard, Role
from app.services import history
from app.services.catalog import roles_by_code
from app.services.estimates import effective_roles_by_line
from app.vocabulary import Distribution, ItemKind, Phase

SNAPSHOT_FORMAT = "bidwright-run-input/1"
HOLIDAY_FILE = "holidays/cn.json"

# Finish-to-start plan of a typical delivery; project management runs alongside everything
# and support starts once the system is deployed.
PHASE_DEPENDENCIES: dict[Phase, tuple[Phase, ...]] = {
    Phase.DISCOVERY: (),
    Phase.DESIGN: (Phase.DISCOVERY,),
    Phase.BUILD: (Phase.DESIGN,),
    Phase.INTEGRATION: (Phase.BUILD,),
    Phase.TEST: (Phase.INTEGRATION,),
    Phase.DEPLOY: (Phase.TEST,),
    Phase.TRAINING: (Phase.DEPLOY,),
    Phase.PM: (),
    Phase.SUPPORT: (Phase.DEPLOY,),
}


class RunInputError(BidwrightError):
    """The revision cannot be simulated as it stands; the message says what to fix."""

    status_code = 422


class KeyedLine(Protocol):
    @property
    def id(self) -> int | None: ...
    @property
    def code(self) -> str: ...


def _line_keys(lines: Sequence[KeyedLine]) -> dict[int, str]:
    """A unique engine line id per estimate line: its code, numbered when repeated."""
    seen: dict[str, int] = {}
    keys: dict[int, str] = {}
    for line in lines:
        seen[line.code] = seen.get(line.code, 0) + 1
        keys[line.id or 0] = line.code if seen[line.code] == 1 else f"{line.code}#{seen[line.code]}"
    return keys


@dataclass(frozen=True)
class SnapshotLine:
    """What a run's snapshot takes from an estimate line, read as plain column rows: a
    200-line revision has ~700 line and role rows, and ORM objects for them cost a run
    ~15 ms."""

    id: int
    code: str
    kind: ItemKind
    phase: Phase
    distribution: Distribution
    quantity: float
    complexity_factor: float
    name_zh: str
    name_en: str
    percent_of: list[str]
    tags: list[str]
    roles: list[tuple[int, tuple[float, float, float]]]  # (role id, effective triple)


_SNAPSHOT_LINE_COLUMNS = tuple(
    getattr(EstimateLine, name)
    for name in (
        "id", "code", "kind", "phase", "distribution", "quantity", "complexity_factor",
        "name_zh", "name_en", "percent_of", "tags",
    )
)  # fmt: skip


def snapshot_lines(session: Session, revision_id: int) -> list[SnapshotLine]:
    """The revision's lines in editor order, each with its roles' effective triples."""
    roles = effective_roles_by_line(session, revision_id)
    return [
        SnapshotLine(
            **line._mapping, roles=[(role.role_id, role.values) for role in roles[line.id]]
        )
        for line in session.exec(
            select(*_SNAPSHOT_LINE_COLUMNS)
            .where(EstimateLine.revision_id == revision_id)
            .order_by(col(EstimateLine.position), col(EstimateLine.id))
        )
    ]


def load_revision_for_run(session: Session, revision_id: int) -> EstimateRevision:
    """The revision with its risks and staffing (its lines: :func:`snapshot_lines`)."""
    revision = session.exec(
        select(EstimateRevision)
        .where(EstimateRevision.id == revision_id)
        .options(
            selectinload(EstimateRevision.risks),  # type: ignore[arg-type]
            selectinload(EstimateRevision.staffing),  # type: ignore[arg-type]
        )
    ).first()
    if revision is None:
        raise NotFoundError(f"estimate revision {revision_id} does not exist")
    return revision


def build_snapshot(
    session: Session, revision: EstimateRevision, *, data_dir: Path
) -> dict[str, Any]:
    """The engine input for ``revision`` as plain JSON data."""
    lines = snapshot_lines(session, revision.id or 0)
    if not lines:
        raise RunInputError("the estimate has no lines yet: add work items before running")
    roles = {role.id or 0: role for role in roles_by_code(session).values()}
    card = session.get(RateCard, revision.rate_card_id)
    if card is None:
        raise RunInputError("the estimate's rate card no longer exists")
    return {
        "format": SNAPSHOT_FORMAT,
        "currency": card.currency,
        "roles": _roles(card, roles, revision),
        "phases": [
            {"code": phase.value, "depends_on": [d.value for d in deps]}
            for phase, deps in PHASE_DEPENDENCIES.items()
        ],
        **_lines(lines, roles),
        "risks": _risks(revision, roles),
        "correlation_groups": _correlation_groups(revision, lines, roles),
        "calendar": _calendar(data_dir),
        "start_date": revision.start_date.isoformat() if revision.start_date else None,
        **_calibration(session, revision),
        "settings": {
            "confidence": revision.confidence_level,
            "range_interpretation": revision.ranges_are.value,
            "pert_lambda": revision.pert_lambda,
            "target_effort": revision.target_effort_days,
            "target_budget": float(revision.target_budget) if revision.target_budget else None,
            "target_date": revision.target_date.isoformat() if revision.target_date else None,
        },
    }


def _calibration(session: Session, revision: EstimateRevision) -> dict[str, Any]:
    """The calibration fitted on today's history, stored whole so the run can be reproduced."""
    price_basis = revision.price_basis
    if revision.calibration == "off":
        return {"calibration": None, "estimator": "", "price_basis": "raw"}
    if revision.calibration == "estimator" and not revision.calibration_estimator.strip():
        raise RunInputError(
            "per-estimator calibration needs the estimator whose history applies: "
            "fill in the estimator in the run settings"
        )
    calibration, coverage = history.revision_calibration(session, revision)
    if calibration is None:
        raise RunInputError(
            "calibration needs at least 3 past projects with estimates and actuals: "
            "record history on the Calibration page, or turn calibration off"
        )
    return {
        "calibration": calibration.to_dict(),
        "calibration_source": history.calibration_source(calibration),
        "calibration_coverage": coverage,
        "estimator": revision.calibration_estimator,
        "price_basis": price_basis,
    }


def _roles(
    card: RateCard, roles: dict[int, Role], revision: EstimateRevision
) -> list[dict[str, Any]]:
    fte = {staff.role_id: staff.fte for staff in revision.staffing}
    return [
        {
            "code": roles[entry.role_id].code,
            "cost_day_rate": float(entry.cost_day_rate),
            "sell_day_rate": float(entry.sell_day_rate),
            "fte": fte.get(entry.role_id, 1.0),
        }
        for entry in card.entries
    ]


def _lines(lines: list[SnapshotLine], roles: dict[int, Role]) -> dict[str, list[dict[str, Any]]]:
    keys = _line_keys(lines)
    items: list[dict[str, Any]] = []
    percent_items: list[dict[str, Any]] = []
    for line in lines:
        for role_id, (optimistic, most_likely, pessimistic) in line.roles:
            entry = {
                "line": keys[line.id],
                "role": roles[role_id].code,
                "phase": line.phase.value,
                "optimistic": optimistic,
                "most_likely": most_likely,
                "pessimistic": pessimistic,
                "quantity": line.quantity,
                "complexity": line.complexity_factor,
                "distribution": line.distribution.value,
                "name": f"{line.name_zh} / {line.name_en}",
            }
            if line.kind == ItemKind.PERCENT:
                percent_items.append({**entry, "of_phases": list(line.percent_of)})
            else:
                items.append({**entry, "tags": list(line.tags)})
    if not items:
        raise RunInputError(
            "the estimate has only percent-of lines: add work items to base them on"
        )
    return {"items": items, "percent_items": percent_items}


def _risks(revision: EstimateRevision, roles: dict[int, Role]) -> list[dict[str, Any]]:
    risks = []
    for number, risk in enumerate(revision.risks, start=1):
        days = (
            risk.impact_days_optimistic,
            risk.impact_days_most_likely,
            risk.impact_days_pessimistic,
        )
        has_days = None not in days
        if has_days and risk.affected_role_id is None:
            raise RunInputError(f"risk {risk.title!r}: choose the role whose days it affects")
        money = (
            risk.impact_money_optimistic,
            risk.impact_money_most_likely,
            risk.impact_money_pessimistic,
        )
        risks.append(
            {
                "code": risk.code or f"R{number}",
                "name": risk.title,
                "probability": risk.probability,
                "impact_days": {roles[risk.affected_role_id or 0].code: list(days)}
                if has_days
                else {},
                "impact_money": [float(v) for v in money] if None not in money else None,  # type: ignore[arg-type]
                "phase": risk.affected_phase.value if risk.affected_phase else None,
                "mitigation_cost": float(risk.mitigation_cost) if risk.mitigation_cost else None,
                "post_mitigation_probability": risk.post_mitigation_probability,
                "post_mitigation_impact_scale": risk.post_mitigation_impact_scale,
            }
        )
    return risks


def _correlation_groups(
    revision: EstimateRevision, lines: list[SnapshotLine], roles: dict[int, Role]
) -> list[dict[str, Any]]:
    """Expand the "every phase/role is a group" settings into one group per key in use."""
    groups = []
    for setting in revision.correlation_groups:
        by, rho = setting["by"], float(setting["rho"])
        if setting.get("key") != "*":
            groups.append({"by": by, "key": setting["key"], "rho": rho})
            continue
        work_lines = [line for line in lines if line.kind == ItemKind.DAYS]
        keys = sorted(
            {line.phase.value for line in work_lines}
            if by == "phase"
            else {roles[role_id].code for line in work_lines for role_id, _ in line.roles}
        )
        groups.extend({"by": by, "key": key, "rho": rho} for key in keys)
    return groups


@lru_cache(maxsize=4)
def _holiday_text(path: Path, modified: float) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


def _calendar(data_dir: Path) -> dict[str, Any]:
    path = data_dir / HOLIDAY_FILE
    text = _holiday_text(path, path.stat().st_mtime if path.exists() else 0.0)
    if text is None:
        return {"weekend_days": [5, 6], "holidays": [], "makeup_workdays": [], "holiday_years": []}
    calendar = engine.parse_holiday_schedule(text).to_calendar()
    return {
        "weekend_days": sorted(calendar.weekend_days),
        "holidays": sorted(day.isoformat() for day in calendar.holidays),
        "makeup_workdays": sorted(day.isoformat() for day in calendar.makeup_workdays),
        "holiday_years": sorted(calendar.holiday_years),
    }


def snapshot_digest(snapshot: dict[str, Any]) -> str:
    canonical = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def model_from_snapshot(snapshot: dict[str, Any]) -> engine.EstimationModel:
    """Rebuild the engine model; the engine validates every value again."""
    if snapshot.get("format") != SNAPSHOT_FORMAT:
        raise RunInputError(f"unknown run input format {snapshot.get('format')!r}")
    settings = snapshot["settings"]
    calendar = snapshot["calendar"]
    roles = snapshot["roles"]
    return engine.EstimationModel(
        items=tuple(
            engine.WorkItem(**{**item, "tags": tuple(item["tags"])}) for item in snapshot["items"]
        ),
        percent_items=tuple(
            engine.PercentItem(**{**item, "of_phases": tuple(item["of_phases"])})
            for item in snapshot["percent_items"]
        ),
        roles=tuple(engine.Role(**role) for role in roles),
        phases=tuple(
            engine.Phase(phase["code"], depends_on=tuple(phase["depends_on"]))
            for phase in snapshot["phases"]
        ),
        risks=tuple(_risk_event(risk) for risk in snapshot["risks"]),
        correlation_groups=tuple(
            engine.CorrelationGroup(engine.GroupBy(group["by"]), group["key"], group["rho"])
            for group in snapshot["correlation_groups"]
        ),
        calendar=engine.WorkCalendar(
            weekend_days=frozenset(calendar["weekend_days"]),
            holidays=frozenset(date.fromisoformat(d) for d in calendar["holidays"]),
            makeup_workdays=frozenset(date.fromisoformat(d) for d in calendar["makeup_workdays"]),
            holiday_years=frozenset(calendar["holiday_years"]),
        ),
        start_date=date.fromisoformat(snapshot["start_date"]) if snapshot["start_date"] else None,
        calibration=engine.Calibration.from_dict(snapshot["calibration"])
        if snapshot.get("calibration")
        else None,
        estimator=snapshot.get("estimator", ""),
        settings=engine.Settings(
            confidence=settings["confidence"],
            range_interpretation=engine.RangeInterpretation(settings["range_interpretation"]),
            pert_lambda=settings["pert_lambda"],
            target_effort=settings["target_effort"],
            target_budget=settings["target_budget"],
            target_date=date.fromisoformat(settings["target_date"])
            if settings["target_date"]
            else None,
        ),
    )


def _risk_event(risk: dict[str, Any]) -> engine.RiskEvent:
    return engine.RiskEvent(
        **{
            **risk,
            "impact_days": {role: tuple(triple) for role, triple in risk["impact_days"].items()},
            "impact_money": tuple(risk["impact_money"]) if risk["impact_money"] else None,
        }
    )

"""Side-by-side comparison of two revisions: what changed in the inputs, how results moved."""

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from app.models import SimulationRun
from app.services.engine_input import RunInputError, build_snapshot
from app.services.estimates import get_revision
from app.vocabulary import Language, RunStatus

_SETTINGS_LABELS = {
    "confidence": ("置信水平", "Confidence level"),
    "range_interpretation": ("区间含义", "Ranges are"),
    "pert_lambda": ("PERT λ", "PERT λ"),
    "target_effort": ("目标工作量", "Target effort"),
    "target_budget": ("目标预算", "Target budget"),
    "target_date": ("目标日期", "Target date"),
}
_FIGURES = ("effort", "duration", "price", "cost", "margin")
_COST_FIGURES = frozenset({"cost", "margin"})


@dataclass(frozen=True)
class Change:
    subject: str
    before: str
    after: str


@dataclass(frozen=True)
class FigureDelta:
    figure: str
    level: str
    left: float
    right: float

    @property
    def change(self) -> float:
        return self.right - self.left

    @property
    def change_ratio(self) -> float | None:
        return None if self.left == 0 else self.change / self.left


@dataclass
class Comparison:
    left_id: int
    right_id: int
    left_label: str
    right_label: str
    left_run_id: int | None
    right_run_id: int | None
    currency: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    figures: list[FigureDelta] = field(default_factory=list)


def _snapshot(session: Session, revision_id: int, data_dir: Path) -> dict[str, Any]:
    try:
        return build_snapshot(session, get_revision(session, revision_id), data_dir=data_dir)
    except RunInputError:
        return {"items": [], "percent_items": [], "risks": [], "settings": {}, "roles": []}


def _lines(snapshot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    lines: dict[str, dict[str, Any]] = {}
    for entry in [*snapshot["items"], *snapshot["percent_items"]]:
        line = lines.setdefault(
            entry["line"],
            {
                "name": entry["name"],
                "quantity": entry["quantity"],
                "complexity": entry["complexity"],
                "roles": {},
            },
        )
        line["roles"][entry["role"]] = (
            entry["optimistic"],
            entry["most_likely"],
            entry["pessimistic"],
        )
    return lines


def _latest_run(session: Session, revision_id: int) -> SimulationRun | None:
    return session.exec(
        select(SimulationRun)
        .where(
            SimulationRun.revision_id == revision_id, SimulationRun.status == RunStatus.SUCCEEDED
        )
        .order_by(col(SimulationRun.id).desc())
    ).first()


def compare_revisions(
    session: Session,
    *,
    left_id: int,
    right_id: int,
    data_dir: Path,
    sees_cost: bool,
    language: Language,
) -> Comparison:
    left, right = get_revision(session, left_id), get_revision(session, right_id)
    left_run, right_run = _latest_run(session, left_id), _latest_run(session, right_id)
    zh = language == Language.ZH
    word = "版本" if zh else "Revision"
    comparison = Comparison(
        left_id=left_id,
        right_id=right_id,
        left_label=f"{left.estimate.name} · {word} {left.number}",
        right_label=f"{right.estimate.name} · {word} {right.number}",
        left_run_id=left_run.id if left_run else None,
        right_run_id=right_run.id if right_run else None,
        currency=right.estimate.opportunity.currency,
    )
    before, after = _snapshot(session, left_id, data_dir), _snapshot(session, right_id, data_dir)
    _diff_lines(comparison, _lines(before), _lines(after), zh=zh)
    _diff_settings(comparison, before.get("settings", {}), after.get("settings", {}), zh=zh)
    _diff_risks(comparison, before.get("risks", []), after.get("risks", []), zh=zh)
    if left_run and right_run:
        comparison.figures = _figure_deltas(left_run, right_run, sees_cost=sees_cost)
    return comparison


def _diff_lines(
    comparison: Comparison, before: dict[str, Any], after: dict[str, Any], *, zh: bool
) -> None:
    comparison.added = [f"{key} {after[key]['name']}" for key in after if key not in before]
    comparison.removed = [f"{key} {before[key]['name']}" for key in before if key not in after]
    for key in before.keys() & after.keys():
        old, new = before[key], after[key]
        for name, label in (
            ("quantity", "数量" if zh else "quantity"),
            ("complexity", "复杂度" if zh else "complexity"),
        ):
            if old[name] != new[name]:
                comparison.changed.append(
                    Change(f"{key} {label}", f"{old[name]:g}", f"{new[name]:g}")
                )
        for role in sorted(old["roles"].keys() | new["roles"].keys()):
            if old["roles"].get(role) != new["roles"].get(role):
                comparison.changed.append(
                    Change(
                        f"{key} {role}",
                        _triple(old["roles"].get(role)),
                        _triple(new["roles"].get(role)),
                    )
                )
    comparison.changed.sort(key=lambda change: change.subject)


def _triple(values: tuple[float, float, float] | None) -> str:
    return "—" if values is None else " / ".join(f"{value:g}" for value in values)


def _diff_settings(
    comparison: Comparison, before: dict[str, Any], after: dict[str, Any], *, zh: bool
) -> None:
    for key, (label_zh, label_en) in _SETTINGS_LABELS.items():
        if before.get(key) != after.get(key):
            comparison.changed.append(
                Change(
                    label_zh if zh else label_en,
                    str(before.get(key) or "—"),
                    str(after.get(key) or "—"),
                )
            )


def _diff_risks(
    comparison: Comparison, before: list[dict[str, Any]], after: list[dict[str, Any]], *, zh: bool
) -> None:
    old = {risk["name"]: risk for risk in before}
    new = {risk["name"]: risk for risk in after}
    label = "风险" if zh else "Risk"
    for name in new.keys() - old.keys():
        comparison.added.append(f"{label}: {name}")
    for name in old.keys() - new.keys():
        comparison.removed.append(f"{label}: {name}")
    for name in old.keys() & new.keys():
        if (
            old[name]["probability"] != new[name]["probability"]
            or old[name]["impact_days"] != new[name]["impact_days"]
        ):
            comparison.changed.append(
                Change(
                    f"{label}: {name}",
                    f"p={old[name]['probability']:g}",
                    f"p={new[name]['probability']:g}",
                )
            )


def _figure_deltas(
    left: SimulationRun, right: SimulationRun, *, sees_cost: bool
) -> list[FigureDelta]:
    deltas = []
    for figure in _FIGURES:
        if figure in _COST_FIGURES and not sees_cost:
            continue
        for level in ("p50", "p80", "p90"):
            key = f"{figure}_{level}"
            a, b = (left.summary or {}).get(key), (right.summary or {}).get(key)
            if a is not None and b is not None:
                deltas.append(
                    FigureDelta(
                        figure, level.upper(), float(Decimal(str(a))), float(Decimal(str(b)))
                    )
                )
    return deltas

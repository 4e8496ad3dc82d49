"""Load the default roles, rate card, catalog and demo opportunity from ``data/``.

Idempotent and conservative: anything that already exists (by its natural key) is left
exactly as it is, so running the seed again never duplicates data nor undoes a user's edit.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from sqlmodel import Session, select

from app.errors import BidwrightError
from app.models import (
    Catalog,
    CatalogVersion,
    Customer,
    Estimate,
    EstimateRevision,
    Opportunity,
    RateCard,
    RateCardEntry,
    Risk,
    Role,
    Staffing,
    Statement,
    WorkItemCreate,
    utcnow,
)
from app.services import catalog as catalog_service
from app.services import estimates as estimate_service
from app.services.history_seed import seed_history
from app.vocabulary import OpportunityStatus, StatementKind, VersionStatus


class SeedDataError(BidwrightError):
    """A seed file in ``data/`` is invalid; the message names the file and the entry."""


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"created: {name}" for name in self.created]
        lines += [f"already present, left unchanged: {name}" for name in self.kept]
        return "\n".join(lines)


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise SeedDataError(f"{path}: {error}") from error
    if not isinstance(document, dict):
        raise SeedDataError(f"{path}: expected a mapping at the top level")
    return document


class CatalogFile(BaseModel):
    code: str
    name_zh: str
    name_en: str
    version: int
    items: list[WorkItemCreate]


def load_catalog_file(path: Path) -> CatalogFile:
    """Read and validate a catalog YAML file (estimates given as ``ROLE: [o, m, p]``)."""
    document = read_yaml(path)
    items = []
    for index, entry in enumerate(document.get("items") or []):
        raw = dict(entry)
        raw["estimates"] = {
            role: dict(zip(("optimistic", "most_likely", "pessimistic"), triple, strict=True))
            for role, triple in (raw.get("estimates") or {}).items()
        }
        raw.setdefault("kind", "days")
        try:
            items.append(WorkItemCreate.model_validate(raw))
        except ValidationError as error:
            raise SeedDataError(
                f"{path}: item #{index + 1} ({raw.get('code')}): {error}"
            ) from error
    header = document.get("catalog") or {}
    try:
        return CatalogFile(**header, items=items)
    except (TypeError, ValidationError) as error:
        raise SeedDataError(f"{path}: catalog header: {error}") from error


def seed_all(session: Session, data_dir: Path) -> SeedReport:
    report = SeedReport()
    seed_roles(session, data_dir / "roles.yaml", report)
    for path in sorted((data_dir / "rate_cards").glob("*.yaml")):
        seed_rate_card(session, path, report)
    for path in sorted((data_dir / "catalog").glob("*.yaml")):
        seed_catalog(session, path, report)
    demo = data_dir / "demo.yaml"
    if demo.exists():
        seed_demo(session, demo, report)
    created, kept = seed_history(session, data_dir / "history")
    report.created += created
    report.kept += kept
    return report


def seed_roles(session: Session, path: Path, report: SeedReport) -> None:
    existing = catalog_service.roles_by_code(session)
    for order, raw in enumerate(read_yaml(path).get("roles") or []):
        if raw["code"] in existing:
            report.kept.append(f"role {raw['code']}")
            continue
        session.add(Role(sort_order=order, **raw))
        report.created.append(f"role {raw['code']}")
    session.flush()


def seed_rate_card(session: Session, path: Path, report: SeedReport) -> None:
    document = read_yaml(path)
    header = document["rate_card"]
    label = f"rate card {header['code']} v{header['version']}"
    exists = session.exec(
        select(RateCard).where(
            RateCard.code == header["code"], RateCard.version == header["version"]
        )
    ).first()
    if exists:
        report.kept.append(label)
        return
    roles = catalog_service.roles_by_code(session)
    card = RateCard(**header)
    for role_code, rates in (document.get("rates") or {}).items():
        if role_code not in roles:
            raise SeedDataError(f"{path}: unknown role {role_code!r}")
        card.entries.append(
            RateCardEntry(
                role_id=catalog_service.role_id(roles, role_code),
                cost_day_rate=Decimal(str(rates["cost"])),
                sell_day_rate=Decimal(str(rates["sell"])),
            )
        )
    session.add(card)
    session.flush()
    card.status = VersionStatus.PUBLISHED
    card.published_at = utcnow()
    session.flush()
    report.created.append(label)


def seed_catalog(session: Session, path: Path, report: SeedReport) -> None:
    document = load_catalog_file(path)
    label = f"catalog {document.code} v{document.version}"
    catalog = session.exec(select(Catalog).where(Catalog.code == document.code)).first()
    if catalog is not None and any(v.number == document.version for v in catalog.versions):
        report.kept.append(label)
        return
    unknown = {
        role for item in document.items for role in item.estimates
    } - catalog_service.roles_by_code(session).keys()
    if unknown:
        raise SeedDataError(f"{path}: unknown roles {sorted(unknown)}")
    catalog = catalog_service.get_or_create_catalog(
        session, code=document.code, name_zh=document.name_zh, name_en=document.name_en
    )
    version = catalog_service.create_catalog_version(
        session,
        catalog=catalog,
        items=document.items,
        number=document.version,
        notes=f"seeded from {path.name}",
    )
    catalog_service.publish_catalog_version(
        session, version_id=version.id or 0, expected_lock_version=version.lock_version
    )
    report.created.append(f"{label} ({len(document.items)} items)")


def seed_demo(session: Session, path: Path, report: SeedReport) -> None:
    document = read_yaml(path)
    opportunity_data = document["opportunity"]
    label = f"demo opportunity {opportunity_data['bid_number']}"
    exists = session.exec(
        select(Opportunity).where(Opportunity.bid_number == opportunity_data["bid_number"])
    ).first()
    if exists:
        report.kept.append(label)
        return
    customer = session.exec(
        select(Customer).where(Customer.name == document["customer"]["name"])
    ).first() or Customer(**document["customer"])
    opportunity = Opportunity(
        customer=customer,
        name=opportunity_data["name"],
        bid_number=opportunity_data["bid_number"],
        bid_deadline=date.fromisoformat(str(opportunity_data["bid_deadline"])),
        status=OpportunityStatus(opportunity_data.get("status", "bidding")),
        description=opportunity_data.get("description", ""),
    )
    session.add(opportunity)
    session.flush()
    _seed_demo_estimate(session, opportunity, document["estimate"], path)
    report.created.append(label)


def _seed_demo_estimate(
    session: Session, opportunity: Opportunity, data: dict[str, Any], path: Path
) -> None:
    version = catalog_service.find_catalog_version(
        session, catalog_code=data["catalog"], number=data.get("catalog_version")
    )
    card = session.exec(
        select(RateCard).where(RateCard.code == data["rate_card"]).order_by(RateCard.version.desc())  # type: ignore[attr-defined]
    ).first()
    if card is None:
        raise SeedDataError(f"{path}: unknown rate card {data['rate_card']!r}")
    estimate = Estimate(opportunity_id=opportunity.id or 0, name=data["name"])
    session.add(estimate)
    session.flush()
    settings = data.get("settings") or {}
    revision = EstimateRevision(
        estimate_id=estimate.id or 0,
        number=1,
        catalog_version_id=version.id or 0,
        rate_card_id=card.id or 0,
        start_date=date.fromisoformat(str(settings["start_date"]))
        if "start_date" in settings
        else None,
        confidence_level=settings.get("confidence_level", 0.8),
        iterations=settings.get("iterations", 10_000),
        seed=settings.get("seed", 20_261_122),
        target_budget=Decimal(str(settings["target_budget"]))
        if "target_budget" in settings
        else None,
    )
    session.add(revision)
    session.flush()
    _seed_demo_contents(session, revision, version, data, path)


def _seed_demo_contents(
    session: Session,
    revision: EstimateRevision,
    version: CatalogVersion,
    data: dict[str, Any],
    path: Path,
) -> None:
    items = {item.code: item for item in version.items}
    roles = catalog_service.roles_by_code(session)
    for entry in data.get("lines") or []:
        item = items.get(entry["code"])
        if item is None:
            raise SeedDataError(f"{path}: line {entry['code']!r} is not in the catalog")
        estimate_service.add_line_from_item(
            session, revision=revision, item=item, quantity=float(entry.get("quantity", 1))
        )
    for position, entry in enumerate(data.get("risks") or []):
        raw = dict(entry)
        role_code = raw.pop("affected_role", None)
        money = raw.pop("impact_money", None)
        days = raw.pop("impact_days", None)
        risk = Risk(revision_id=revision.id or 0, position=position, **raw)
        if role_code:
            risk.affected_role_id = catalog_service.role_id(roles, role_code)
        if days:
            (
                risk.impact_days_optimistic,
                risk.impact_days_most_likely,
                risk.impact_days_pessimistic,
            ) = days
        if money:
            (
                risk.impact_money_optimistic,
                risk.impact_money_most_likely,
                risk.impact_money_pessimistic,
            ) = (Decimal(str(value)) for value in money)
        session.add(risk)
    for kind in StatementKind:
        for position, text in enumerate(data.get(f"{kind.value}s") or []):
            session.add(
                Statement(revision_id=revision.id or 0, kind=kind, text=text, position=position)
            )
    for role_code, fte in (data.get("team") or {}).items():
        session.add(
            Staffing(
                revision_id=revision.id or 0,
                role_id=catalog_service.role_id(roles, role_code),
                fte=fte,
            )
        )
    session.flush()

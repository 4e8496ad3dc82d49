"""All tables and schemas (SQLModel).

Conventions:
- every table has ``created_at``/``updated_at`` (UTC);
- editable tables carry ``lock_version``, SQLAlchemy's ``version_id_col``: an UPDATE whose
  version no longer matches affects no row and raises ``StaleDataError``, so two people
  editing the same row cannot silently overwrite each other;
- enums are stored as their string values (VARCHAR), not database enum types, so adding a
  value is not a schema migration;
- published catalog and rate-card versions, frozen revisions and finished runs are
  immutable; :mod:`app.immutability` enforces it at flush time.
"""

import math
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

import orjson
from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    cast,
    type_coerce,
)
from sqlalchemy.orm import deferred
from sqlmodel import Field, Relationship, SQLModel

from app.intake.types import Compliance
from app.vocabulary import (
    AccessRole,
    Distribution,
    ItemKind,
    Language,
    OpportunityStatus,
    Phase,
    RangeInterpretation,
    RevisionStatus,
    RunStatus,
    Sampling,
    StatementKind,
    Unit,
    VersionStatus,
)

# Named constraints, so that later migrations can alter them (SQLite needs batch mode, which
# cannot drop an unnamed constraint).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MONEY_DIGITS = 16
MONEY_PLACES = 2


# Seeds are stored in INTEGER columns, 32-bit on PostgreSQL.
MAX_SEED = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


def _lock_version_column() -> Column[int]:
    return Column("lock_version", Integer, nullable=False, default=1)


class EnumAsString(TypeDecorator[Any]):
    """Store a ``StrEnum`` as VARCHAR and load it back as the enum (never a bare str)."""

    impl = String(20)
    cache_ok = True

    def __init__(self, enum_class: type[StrEnum]) -> None:
        super().__init__()
        self.enum_class = enum_class

    def process_bind_param(self, value: Any, _dialect: Any) -> str | None:
        return None if value is None else self.enum_class(value).value

    def process_result_value(self, value: Any, _dialect: Any) -> StrEnum | None:
        return None if value is None else self.enum_class(value)


class ResultJSON(TypeDecorator[Any]):
    """A JSON column read as text and parsed with orjson: a 200-line run's result parses in
    2.6 ms against 12 ms with the standard library, the engine's reader for JSON columns.

    Only for values whose integers fit in 64 bits (a result's counts, iterations and seed
    below 2³¹): orjson reads a larger one as a rounded float, which is why the other JSON
    columns keep the standard library. Written like any JSON column.
    """

    impl = JSON
    cache_ok = True

    def column_expression(self, column: Any) -> Any:
        # As text on every database: psycopg would otherwise decode PostgreSQL's json itself.
        return type_coerce(cast(column, Text), self)

    def result_processor(self, _dialect: Any, _coltype: Any) -> Any:
        return lambda text: None if text is None else orjson.loads(text)


class Timestamped(SQLModel):
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False
    )
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        nullable=False,
        sa_column_kwargs={"onupdate": utcnow},
    )


# --- Roles and rate cards ---------------------------------------------------------------


class Role(Timestamped, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True, index=True)
    name_zh: str = Field(max_length=100)
    name_en: str = Field(max_length=100)
    sort_order: int = 0


_rate_card_lock = _lock_version_column()


class RateCard(Timestamped, table=True):
    __tablename__ = "rate_card"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_rate_card_code_version"),)
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _rate_card_lock}

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, index=True)
    version: int = Field(default=1, ge=1)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    currency: str = Field(default="CNY", max_length=3)
    status: VersionStatus = Field(default=VersionStatus.DRAFT, sa_type=EnumAsString(VersionStatus))
    published_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    lock_version: int = Field(default=1, sa_column=_rate_card_lock)

    entries: list["RateCardEntry"] = Relationship(
        back_populates="rate_card",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "RateCardEntry.id"},
    )


_rate_entry_lock = _lock_version_column()


class RateCardEntry(Timestamped, table=True):
    """Per-role day rates. ``cost_day_rate`` is confidential (see ``can_see_cost``)."""

    __tablename__ = "rate_card_entry"
    __table_args__ = (
        UniqueConstraint("rate_card_id", "role_id", name="uq_rate_card_entry_role"),
        CheckConstraint("cost_day_rate >= 0", name="cost_nonnegative"),
        CheckConstraint("sell_day_rate >= 0", name="sell_nonnegative"),
    )
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _rate_entry_lock}

    id: int | None = Field(default=None, primary_key=True)
    rate_card_id: int | None = Field(
        default=None,
        sa_column=Column(
            ForeignKey("rate_card.id", ondelete="CASCADE"), nullable=False, index=True
        ),
    )
    role_id: int = Field(foreign_key="role.id", index=True)
    cost_day_rate: Decimal = Field(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    sell_day_rate: Decimal = Field(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    lock_version: int = Field(default=1, sa_column=_rate_entry_lock)

    rate_card: "RateCard" = Relationship(back_populates="entries")
    role: "Role" = Relationship()


class RateCardEntryPricePublic(BaseModel):
    """What anyone allowed to see prices sees of a rate (sales included)."""

    role_code: str
    sell_day_rate: Decimal


class RateCardEntryCostPublic(RateCardEntryPricePublic):
    """Adds the confidential cost and margin: only for roles that may see cost."""

    cost_day_rate: Decimal
    margin_ratio: Decimal | None


# --- Catalogs ------------------------------------------------------------------------------


class Catalog(Timestamped, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(max_length=200)

    versions: list["CatalogVersion"] = Relationship(
        back_populates="catalog", sa_relationship_kwargs={"order_by": "CatalogVersion.number"}
    )


_catalog_version_lock = _lock_version_column()


class CatalogVersion(Timestamped, table=True):
    """A version of a catalog: a draft is editable, a published version never changes."""

    __tablename__ = "catalog_version"
    __table_args__ = (UniqueConstraint("catalog_id", "number", name="uq_catalog_version_number"),)
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _catalog_version_lock}

    id: int | None = Field(default=None, primary_key=True)
    catalog_id: int = Field(foreign_key="catalog.id", index=True)
    number: int = Field(ge=1)
    status: VersionStatus = Field(default=VersionStatus.DRAFT, sa_type=EnumAsString(VersionStatus))
    published_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    based_on_id: int | None = Field(default=None, foreign_key="catalog_version.id")
    notes: str = Field(default="", sa_type=Text)
    lock_version: int = Field(default=1, sa_column=_catalog_version_lock)

    catalog: "Catalog" = Relationship(back_populates="versions")
    items: list["WorkItem"] = Relationship(
        back_populates="catalog_version",
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan",
            "order_by": "WorkItem.position, WorkItem.id",
        },
    )


_work_item_lock = _lock_version_column()


class WorkItemBase(SQLModel):
    code: str = Field(max_length=64)
    name_zh: str = Field(max_length=300)
    name_en: str = Field(max_length=300)
    description_zh: str = Field(default="", sa_type=Text)
    description_en: str = Field(default="", sa_type=Text)
    phase: Phase = Field(sa_type=EnumAsString(Phase))
    unit: Unit = Field(default=Unit.ITEM, sa_type=EnumAsString(Unit))
    kind: ItemKind = Field(default=ItemKind.DAYS, sa_type=EnumAsString(ItemKind))
    distribution: Distribution = Field(
        default=Distribution.PERT, sa_type=EnumAsString(Distribution)
    )
    # For ``percent`` items: the phases whose effort the percentage applies to.
    percent_of: list[str] = Field(default_factory=list, sa_type=JSON)
    tags: list[str] = Field(default_factory=list, sa_type=JSON)


def work_item_fields(record: WorkItemBase) -> dict[str, Any]:
    """The descriptive fields shared by catalog items, their inputs and estimate lines."""
    values = {name: getattr(record, name) for name in WorkItemBase.model_fields}
    values["percent_of"] = list(record.percent_of)
    values["tags"] = list(record.tags)
    return values


class WorkItem(WorkItemBase, Timestamped, table=True):
    __tablename__ = "work_item"
    __table_args__ = (
        UniqueConstraint("catalog_version_id", "code", name="uq_work_item_version_code"),
    )
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _work_item_lock}

    id: int | None = Field(default=None, primary_key=True)
    catalog_version_id: int | None = Field(
        default=None,
        sa_column=Column(
            ForeignKey("catalog_version.id", ondelete="CASCADE"), nullable=False, index=True
        ),
    )
    position: int = 0
    lock_version: int = Field(default=1, sa_column=_work_item_lock)

    catalog_version: "CatalogVersion" = Relationship(back_populates="items")
    estimates: list["WorkItemEstimate"] = Relationship(
        back_populates="work_item",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "WorkItemEstimate.id"},
    )


_THREE_POINT_CHECKS = "optimistic >= 0 AND optimistic <= most_likely AND most_likely <= pessimistic"


class WorkItemEstimate(Timestamped, table=True):
    """Three-point estimate of one role for one unit of a work item (person-days or %)."""

    __tablename__ = "work_item_estimate"
    __table_args__ = (
        UniqueConstraint("work_item_id", "role_id", name="uq_work_item_estimate_role"),
        CheckConstraint(_THREE_POINT_CHECKS, name="order"),
    )

    id: int | None = Field(default=None, primary_key=True)
    work_item_id: int | None = Field(
        default=None,
        sa_column=Column(
            ForeignKey("work_item.id", ondelete="CASCADE"), nullable=False, index=True
        ),
    )
    role_id: int = Field(foreign_key="role.id", index=True)
    optimistic: float
    most_likely: float
    pessimistic: float

    work_item: "WorkItem" = Relationship(back_populates="estimates")
    role: "Role" = Relationship()


# --- Validated inputs (importers, seed, forms) ----------------------------------------------


class ThreePoint(BaseModel):
    """A validated (optimistic, most likely, pessimistic) triple; finite and ordered."""

    model_config = ConfigDict(frozen=True)

    optimistic: float
    most_likely: float
    pessimistic: float

    @field_validator("optimistic", "most_likely", "pessimistic")
    @classmethod
    def _finite_nonnegative(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError(f"{value} is not a finite number")
        if value < 0:
            raise ValueError(f"{value} is negative")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> "ThreePoint":
        if self.optimistic > self.most_likely:
            raise ValueError(
                f"optimistic={self.optimistic:g} is above most_likely={self.most_likely:g}"
            )
        if self.most_likely > self.pessimistic:
            raise ValueError(
                f"most_likely={self.most_likely:g} is above pessimistic={self.pessimistic:g}"
            )
        return self


class WorkItemCreate(WorkItemBase):
    estimates: dict[str, ThreePoint]

    @field_validator("code", "name_zh", "name_en")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @model_validator(mode="after")
    def _consistent(self) -> "WorkItemCreate":
        if not self.estimates:
            raise ValueError(f"work item {self.code!r} has no role estimates")
        if self.kind == ItemKind.PERCENT and not self.percent_of:
            raise ValueError(f"percent item {self.code!r} needs percent_of phases")
        if self.kind == ItemKind.DAYS and self.percent_of:
            raise ValueError(f"item {self.code!r} has percent_of but is not a percent item")
        for phase in self.percent_of:
            Phase(phase)
        return self


# --- Customers, opportunities, estimates -------------------------------------------------


_customer_lock = _lock_version_column()


class Customer(Timestamped, table=True):
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _customer_lock}

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=300, index=True)
    name_en: str = Field(default="", max_length=300)
    industry: str = Field(default="", max_length=100)
    contact_name: str = Field(default="", max_length=100)
    contact_email: str = Field(default="", max_length=200)
    contact_phone: str = Field(default="", max_length=50)
    address: str = Field(default="", max_length=500)
    lock_version: int = Field(default=1, sa_column=_customer_lock)


_opportunity_lock = _lock_version_column()


class Opportunity(Timestamped, table=True):
    """A bid: one customer, one deadline, any number of estimates."""

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _opportunity_lock}

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int | None = Field(
        default=None, foreign_key="customer.id", index=True, nullable=False
    )
    name: str = Field(max_length=300)
    bid_number: str = Field(default="", max_length=100, index=True)
    bid_deadline: date | None = None
    status: OpportunityStatus = Field(
        default=OpportunityStatus.PROSPECT, sa_type=EnumAsString(OpportunityStatus)
    )
    currency: str = Field(default="CNY", max_length=3)
    description: str = Field(default="", sa_type=Text)
    lock_version: int = Field(default=1, sa_column=_opportunity_lock)

    customer: "Customer" = Relationship()
    estimates: list["Estimate"] = Relationship(back_populates="opportunity")


_estimate_lock = _lock_version_column()


class Estimate(Timestamped, table=True):
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _estimate_lock}

    id: int | None = Field(default=None, primary_key=True)
    opportunity_id: int = Field(foreign_key="opportunity.id", index=True)
    name: str = Field(max_length=300)
    lock_version: int = Field(default=1, sa_column=_estimate_lock)

    opportunity: "Opportunity" = Relationship(back_populates="estimates")
    revisions: list["EstimateRevision"] = Relationship(
        back_populates="estimate", sa_relationship_kwargs={"order_by": "EstimateRevision.number"}
    )


_revision_lock = _lock_version_column()


class EstimateRevision(Timestamped, table=True):
    """One revision of an estimate with its settings; frozen revisions never change."""

    __tablename__ = "estimate_revision"
    __table_args__ = (
        UniqueConstraint("estimate_id", "number", name="uq_estimate_revision_number"),
        CheckConstraint("confidence_level > 0 AND confidence_level < 1", name="confidence"),
        CheckConstraint("iterations >= 1000 AND iterations <= 10000000", name="iterations_range"),
        CheckConstraint("pert_lambda > 0", name="pert_lambda"),
    )
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _revision_lock}

    id: int | None = Field(default=None, primary_key=True)
    estimate_id: int = Field(foreign_key="estimate.id", index=True)
    number: int = Field(ge=1)
    status: RevisionStatus = Field(
        default=RevisionStatus.DRAFT, sa_type=EnumAsString(RevisionStatus)
    )
    based_on_id: int | None = Field(default=None, foreign_key="estimate_revision.id")
    catalog_version_id: int = Field(foreign_key="catalog_version.id", index=True)
    rate_card_id: int = Field(foreign_key="rate_card.id", index=True)
    confidence_level: float = 0.8
    iterations: int = 10_000
    seed: int = Field(default=20_261_122, ge=0, le=MAX_SEED)
    sampling: Sampling = Field(default=Sampling.MONTE_CARLO, sa_type=EnumAsString(Sampling))
    ranges_are: RangeInterpretation = Field(
        default=RangeInterpretation.ABSOLUTE, sa_type=EnumAsString(RangeInterpretation)
    )
    pert_lambda: float = 4.0
    start_date: date | None = None
    target_effort_days: float | None = None
    target_budget: Decimal | None = Field(
        default=None, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES
    )
    target_date: date | None = None
    # Rank-correlation groups for the engine: [{"by": "phase"|"role"|"tag", "key": ..., "rho": ...}]
    correlation_groups: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    # Calibration from history (see "Calibration history" below): off or a grouping, whose
    # estimator (for the estimator grouping), and which result the quote is priced on.
    calibration: str = Field(default="off", max_length=20)
    calibration_estimator: str = Field(default="", max_length=100)
    price_basis: str = Field(default="raw", max_length=20)
    notes: str = Field(default="", sa_type=Text)
    frozen_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    lock_version: int = Field(default=1, sa_column=_revision_lock)

    estimate: "Estimate" = Relationship(back_populates="revisions")
    lines: list["EstimateLine"] = Relationship(
        back_populates="revision",
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan",
            "order_by": "EstimateLine.position, EstimateLine.id",
        },
    )
    risks: list["Risk"] = Relationship(
        back_populates="revision",
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan",
            "order_by": "Risk.position, Risk.id",
        },
    )
    statements: list["Statement"] = Relationship(
        back_populates="revision",
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan",
            "order_by": "Statement.position, Statement.id",
        },
    )
    staffing: list["Staffing"] = Relationship(
        back_populates="revision",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "Staffing.id"},
    )


_line_lock = _lock_version_column()


class EstimateLine(WorkItemBase, Timestamped, table=True):
    """A catalog item as it was when added to the estimate, plus quantity and overrides."""

    __tablename__ = "estimate_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("complexity_factor > 0", name="complexity_positive"),
    )
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _line_lock}

    id: int | None = Field(default=None, primary_key=True)
    revision_id: int | None = Field(
        default=None,
        sa_column=Column(
            ForeignKey("estimate_revision.id", ondelete="CASCADE"), nullable=False, index=True
        ),
    )
    work_item_id: int | None = Field(
        default=None,
        sa_column=Column(ForeignKey("work_item.id", ondelete="SET NULL"), nullable=True),
    )
    source_catalog_version_id: int | None = Field(
        default=None, foreign_key="catalog_version.id", index=True
    )
    quantity: float = 1.0
    complexity_factor: float = 1.0
    note: str = Field(default="", sa_type=Text)
    position: int = 0
    lock_version: int = Field(default=1, sa_column=_line_lock)

    revision: "EstimateRevision" = Relationship(back_populates="lines")
    roles: list["EstimateLineRole"] = Relationship(
        back_populates="line",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "EstimateLineRole.id"},
    )


class EstimateLineRole(Timestamped, table=True):
    """Per-role values of a line: the catalog's copy and the user's overrides, if any."""

    __tablename__ = "estimate_line_role"
    __table_args__ = (
        UniqueConstraint("line_id", "role_id", name="uq_estimate_line_role"),
        CheckConstraint(_THREE_POINT_CHECKS, name="order"),
        CheckConstraint(
            "(override_optimistic IS NULL AND override_most_likely IS NULL"
            " AND override_pessimistic IS NULL) OR (override_optimistic >= 0"
            " AND override_optimistic <= override_most_likely"
            " AND override_most_likely <= override_pessimistic)",
            name="override_order",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    line_id: int | None = Field(
        default=None,
        sa_column=Column(
            ForeignKey("estimate_line.id", ondelete="CASCADE"), nullable=False, index=True
        ),
    )
    role_id: int = Field(foreign_key="role.id", index=True)
    optimistic: float
    most_likely: float
    pessimistic: float
    override_optimistic: float | None = None
    override_most_likely: float | None = None
    override_pessimistic: float | None = None

    line: "EstimateLine" = Relationship(back_populates="roles")
    role: "Role" = Relationship()

    @property
    def is_overridden(self) -> bool:
        return self.override_most_likely is not None

    @property
    def effective(self) -> tuple[float, float, float]:
        if self.override_optimistic is not None:
            assert self.override_most_likely is not None
            assert self.override_pessimistic is not None
            return (self.override_optimistic, self.override_most_likely, self.override_pessimistic)
        return (self.optimistic, self.most_likely, self.pessimistic)


_risk_lock = _lock_version_column()


class Risk(Timestamped, table=True):
    """A risk-register entry: a Bernoulli event with a three-point impact in days and/or money."""

    __table_args__ = (
        CheckConstraint("probability >= 0 AND probability <= 1", name="probability"),
        CheckConstraint(
            "post_mitigation_probability IS NULL OR"
            " (post_mitigation_probability >= 0 AND post_mitigation_probability <= 1)",
            name="post_probability",
        ),
        CheckConstraint(
            "post_mitigation_impact_scale IS NULL OR post_mitigation_impact_scale >= 0",
            name="post_scale",
        ),
    )
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _risk_lock}

    id: int | None = Field(default=None, primary_key=True)
    revision_id: int | None = Field(
        default=None,
        sa_column=Column(
            ForeignKey("estimate_revision.id", ondelete="CASCADE"), nullable=False, index=True
        ),
    )
    code: str = Field(default="", max_length=32)
    title: str = Field(max_length=300)
    description: str = Field(default="", sa_type=Text)
    probability: float
    impact_days_optimistic: float | None = None
    impact_days_most_likely: float | None = None
    impact_days_pessimistic: float | None = None
    impact_money_optimistic: Decimal | None = Field(
        default=None, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES
    )
    impact_money_most_likely: Decimal | None = Field(
        default=None, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES
    )
    impact_money_pessimistic: Decimal | None = Field(
        default=None, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES
    )
    affected_role_id: int | None = Field(default=None, foreign_key="role.id")
    affected_phase: Phase | None = Field(default=None, sa_type=EnumAsString(Phase))
    mitigation: str = Field(default="", sa_type=Text)
    mitigation_cost: Decimal | None = Field(
        default=None, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES
    )
    post_mitigation_probability: float | None = None
    # Share of the impact that remains once mitigated (1 = unchanged, 0 = removed).
    post_mitigation_impact_scale: float | None = None
    owner: str = Field(default="", max_length=100)
    position: int = 0
    lock_version: int = Field(default=1, sa_column=_risk_lock)

    revision: "EstimateRevision" = Relationship(back_populates="risks")


_statement_lock = _lock_version_column()


class Statement(Timestamped, table=True):
    """An assumption or an exclusion of a revision."""

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _statement_lock}

    id: int | None = Field(default=None, primary_key=True)
    revision_id: int | None = Field(
        default=None,
        sa_column=Column(
            ForeignKey("estimate_revision.id", ondelete="CASCADE"), nullable=False, index=True
        ),
    )
    kind: StatementKind = Field(sa_type=EnumAsString(StatementKind))
    text: str = Field(sa_type=Text)
    position: int = 0
    lock_version: int = Field(default=1, sa_column=_statement_lock)

    revision: "EstimateRevision" = Relationship(back_populates="statements")


_staffing_lock = _lock_version_column()


class Staffing(Timestamped, table=True):
    """Team capacity of a revision: full-time equivalents per role."""

    __table_args__ = (
        UniqueConstraint("revision_id", "role_id", name="uq_staffing_role"),
        CheckConstraint("fte > 0", name="fte_positive"),
    )
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _staffing_lock}

    id: int | None = Field(default=None, primary_key=True)
    revision_id: int | None = Field(
        default=None,
        sa_column=Column(
            ForeignKey("estimate_revision.id", ondelete="CASCADE"), nullable=False, index=True
        ),
    )
    role_id: int = Field(foreign_key="role.id")
    fte: float
    lock_version: int = Field(default=1, sa_column=_staffing_lock)

    revision: "EstimateRevision" = Relationship(back_populates="staffing")
    role: "Role" = Relationship()


# --- Simulation runs ------------------------------------------------------------------------


_run_snapshot_column = Column("input_snapshot", JSON, nullable=False)
_run_result_column = Column("result", ResultJSON, nullable=True)


class SimulationRun(Timestamped, table=True):
    """An immutable record of one engine run: exactly what went in and what came out.

    The snapshot and the full result are hundreds of kilobytes of JSON: they load only when
    read (``deferred``), so listing runs or reading a summary never decodes them.
    """

    __tablename__ = "simulation_run"
    __mapper_args__: ClassVar[dict[str, Any]] = {
        "properties": {
            "input_snapshot": deferred(_run_snapshot_column),
            "result": deferred(_run_result_column),
        }
    }

    id: int | None = Field(default=None, primary_key=True)
    revision_id: int = Field(foreign_key="estimate_revision.id", index=True)
    status: RunStatus = Field(default=RunStatus.QUEUED, sa_type=EnumAsString(RunStatus))
    engine_version: str = Field(max_length=32)
    seed: int
    iterations: int
    sampling: Sampling = Field(default=Sampling.MONTE_CARLO, sa_type=EnumAsString(Sampling))
    input_sha256: str = Field(max_length=64)
    error: str = Field(default="", sa_type=Text)
    progress: float = 0.0
    requested_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    started_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # Large columns last: SQLite reaches a column by walking a long row's overflow pages up
    # to it (migration 0005).
    summary: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    result: dict[str, Any] | None = Field(default=None, sa_column=_run_result_column)
    input_snapshot: dict[str, Any] = Field(sa_column=_run_snapshot_column)


FINISHED_RUN_STATUSES = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED})


# --- Accounts, sessions, tokens, audit ---------------------------------------------------


_user_lock = _lock_version_column()


class User(Timestamped, table=True):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _user_lock}

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(default="", max_length=100)
    password_hash: str = Field(max_length=255)
    role: AccessRole = Field(sa_type=EnumAsString(AccessRole))
    language: Language = Field(default=Language.ZH, sa_type=EnumAsString(Language))
    is_active: bool = True
    must_change_password: bool = False
    last_login_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    lock_version: int = Field(default=1, sa_column=_user_lock)


class UserSession(Timestamped, table=True):
    """A server-side login session; the cookie holds a random token, the table its hash."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    csrf_token: str = Field(max_length=64)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    client_address: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=300)


class ApiToken(Timestamped, table=True):
    """A per-user API token; only its hash is stored, and an admin can revoke it."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=12)
    last_used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class LoginAttempt(SQLModel, table=True):
    """Every login attempt, for per-account and per-address rate limiting."""

    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, index=True)
    client_address: str = Field(max_length=64, index=True)
    succeeded: bool
    attempted_at: datetime = Field(
        default_factory=utcnow, sa_type=DateTime(timezone=True), index=True
    )


class AuditEvent(SQLModel, table=True):
    """Who changed what, and when: estimates, catalogs, rate cards, users."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    action: str = Field(max_length=64)
    entity_type: str = Field(max_length=64, index=True)
    entity_id: int | None = Field(default=None, index=True)
    summary: str = Field(default="", sa_type=Text)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    occurred_at: datetime = Field(
        default_factory=utcnow, sa_type=DateTime(timezone=True), index=True
    )


# --- Calibration history --------------------------------------------------------------------


class CalibrationGrouping(StrEnum):
    """How a revision's run is calibrated from history: not at all, or per which group."""

    OFF = "off"
    OVERALL = "overall"
    ROLE = "role"
    PHASE = "phase"
    ESTIMATOR = "estimator"


class PriceBasis(StrEnum):
    """Which result the quote is priced on when a run is calibrated."""

    RAW = "raw"
    CALIBRATED = "calibrated"


class HistorySource(StrEnum):
    """Where a past project's figures came from."""

    OPPORTUNITY = "opportunity"
    TIMESHEET = "timesheet"
    PROJECTS = "projects"
    TASKS = "tasks"
    DEMO = "demo"


CLOSED_OUTCOMES = (OpportunityStatus.WON, OpportunityStatus.LOST, OpportunityStatus.CANCELLED)


class HistoryImport(Timestamped, table=True):
    """One confirmed import of history (a timesheet export or external history)."""

    __tablename__ = "history_import"

    id: int | None = Field(default=None, primary_key=True)
    kind: HistorySource = Field(sa_type=EnumAsString(HistorySource))
    file_name: str = Field(default="", max_length=300)
    file_sha256: str = Field(default="", max_length=64, index=True)
    rows_read: int = 0
    rows_imported: int = 0
    rows_skipped: int = 0
    imported_by_id: int | None = Field(default=None, foreign_key="app_user.id")


_outcome_lock = _lock_version_column()


class OpportunityOutcome(Timestamped, table=True):
    """How an opportunity closed: won, lost or cancelled, with the final price."""

    __tablename__ = "opportunity_outcome"
    __table_args__ = (
        CheckConstraint("outcome IN ('won', 'lost', 'cancelled')", name="outcome"),
        CheckConstraint("final_price IS NULL OR final_price >= 0", name="price_nonnegative"),
    )
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _outcome_lock}

    id: int | None = Field(default=None, primary_key=True)
    opportunity_id: int | None = Field(
        default=None,
        sa_column=Column(
            ForeignKey("opportunity.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
            index=True,
        ),
    )
    outcome: OpportunityStatus = Field(sa_type=EnumAsString(OpportunityStatus))
    final_price: Decimal | None = Field(
        default=None, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES
    )
    closed_on: date
    revision_id: int | None = Field(default=None, foreign_key="estimate_revision.id")
    run_id: int | None = Field(default=None, foreign_key="simulation_run.id")
    note: str = Field(default="", sa_type=Text)
    recorded_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    lock_version: int = Field(default=1, sa_column=_outcome_lock)


_history_project_lock = _lock_version_column()


class HistoryProject(Timestamped, table=True):
    """A delivered project with its estimate and actual effort (person-days).

    Either whole-project figures (``estimated_days``/``actual_days``, external history) or
    tasks (:class:`HistoryTask`), whose sums then stand for the project. ``raw_p*_days`` keep
    the raw forecast of the run the bid was priced on, when it came from Bidwright.
    """

    __tablename__ = "history_project"
    __table_args__ = (
        CheckConstraint("estimated_days IS NULL OR estimated_days > 0", name="estimate_positive"),
        CheckConstraint("actual_days IS NULL OR actual_days > 0", name="actual_positive"),
    )
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _history_project_lock}

    id: int | None = Field(default=None, primary_key=True)
    source: HistorySource = Field(sa_type=EnumAsString(HistorySource))
    import_id: int | None = Field(
        default=None,
        sa_column=Column(
            ForeignKey("history_import.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    opportunity_id: int | None = Field(
        default=None,
        sa_column=Column(
            ForeignKey("opportunity.id", ondelete="CASCADE"), nullable=True, unique=True
        ),
    )
    name: str = Field(max_length=300)
    reference: str = Field(default="", max_length=100, index=True)
    estimator: str = Field(default="", max_length=100)
    category: str = Field(default="", max_length=100)
    estimated_days: float | None = None
    actual_days: float | None = None
    raw_p50_days: float | None = None
    raw_p80_days: float | None = None
    raw_p90_days: float | None = None
    finished_on: date | None = Field(default=None, index=True)
    lock_version: int = Field(default=1, sa_column=_history_project_lock)

    tasks: list["HistoryTask"] = Relationship(
        back_populates="project",
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan",
            "order_by": "HistoryTask.position, HistoryTask.id",
        },
    )


class HistoryTask(SQLModel, table=True):
    """One task (or phase × role) of a past project: its estimate and actual person-days."""

    __tablename__ = "history_task"
    __table_args__ = (
        CheckConstraint("estimated_days > 0", name="estimate_positive"),
        CheckConstraint("actual_days > 0", name="actual_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int | None = Field(
        default=None,
        sa_column=Column(
            ForeignKey("history_project.id", ondelete="CASCADE"), nullable=False, index=True
        ),
    )
    name: str = Field(default="", max_length=300)
    # A phase code when the task or its category names one of ours, else "".
    phase: str = Field(default="", max_length=20)
    category: str = Field(default="", max_length=100)
    role: str = Field(default="", max_length=64)
    estimator: str = Field(default="", max_length=100)
    estimated_days: float
    actual_days: float
    performed_on: date | None = None
    position: int = 0

    project: "HistoryProject" = Relationship(back_populates="tasks")


# --- Bid intake ------------------------------------------------------------------------------


class IntakeStatus(StrEnum):
    """A requirement list is a draft (uploaded, mapping not yet confirmed) or confirmed."""

    DRAFT = "draft"
    CONFIRMED = "confirmed"


class MatchDecision(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


_requirement_list_content = Column("content", LargeBinary, nullable=False)
_requirement_list_lock = _lock_version_column()


class RequirementList(Timestamped, table=True):
    """A customer's requirement workbook, kept byte for byte to write the answers back into.

    A draft holds the upload and the mapping being edited, and no requirements; confirming
    the mapping stores the requirements. The original bytes never change (``content`` is
    deferred: listing lists never loads them).
    """

    __tablename__ = "requirement_list"
    __mapper_args__: ClassVar[dict[str, Any]] = {
        "version_id_col": _requirement_list_lock,
        "properties": {"content": deferred(_requirement_list_content)},
    }

    id: int | None = Field(default=None, primary_key=True)
    opportunity_id: int | None = Field(
        default=None,
        sa_column=Column(
            ForeignKey("opportunity.id", ondelete="CASCADE"), nullable=False, index=True
        ),
    )
    file_name: str = Field(max_length=255)
    kind: str = Field(max_length=8)  # xlsx | xlsm | xls | csv
    size_bytes: int = Field(ge=0)
    file_sha256: str = Field(max_length=64, index=True)
    content: bytes = Field(sa_column=_requirement_list_content)
    fingerprint: str = Field(max_length=64, index=True)
    # WorkbookMapping.to_json() as JSON: proposed or being edited while a draft, confirmed after.
    mapping: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    mapping_remembered: bool = False  # the mapping came from an earlier confirmed upload
    status: IntakeStatus = Field(default=IntakeStatus.DRAFT, sa_type=EnumAsString(IntakeStatus))
    language: Language = Field(default=Language.ZH, sa_type=EnumAsString(Language))
    uploaded_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    confirmed_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    confirmed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    lock_version: int = Field(default=1, sa_column=_requirement_list_lock)

    requirements: list["Requirement"] = Relationship(
        back_populates="requirement_list",
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan",
            "passive_deletes": True,
            "order_by": "Requirement.position",
        },
    )


class MappingMemory(Timestamped, table=True):
    """The last confirmed mapping of a workbook layout (fingerprint: sheet names + headers)."""

    __tablename__ = "mapping_memory"

    id: int | None = Field(default=None, primary_key=True)
    fingerprint: str = Field(max_length=64, unique=True, index=True)
    mapping: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    confirmed_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    confirmed_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    times_used: int = 0


_requirement_lock = _lock_version_column()


class Requirement(Timestamped, table=True):
    """One requirement row of a confirmed list, and the bid team's answer to it."""

    __table_args__ = (UniqueConstraint("list_id", "sheet", "row", name="uq_requirement_cell"),)
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _requirement_lock}

    id: int | None = Field(default=None, primary_key=True)
    list_id: int | None = Field(
        default=None,
        sa_column=Column(
            ForeignKey("requirement_list.id", ondelete="CASCADE"), nullable=False, index=True
        ),
    )
    position: int = 0
    sheet: str = Field(max_length=100)
    row: int = Field(ge=1)
    key: str = Field(max_length=100)
    section: str = Field(default="", max_length=500)
    text: str = Field(sa_type=Text)
    priority: str = Field(default="", max_length=50)
    mandatory: bool = False  # ★: a negative deviation invalidates the bid
    scored: bool = False  # ▲
    existing_answer: str = Field(default="", sa_type=Text)
    compliance: Compliance | None = Field(default=None, sa_type=EnumAsString(Compliance))
    response: str = Field(default="", sa_type=Text)
    reference: str = Field(default="", max_length=500)
    deviation_note: str = Field(default="", sa_type=Text)  # 说明 / remarks
    needs_manual_estimate: bool = False
    answer_entry_id: int | None = Field(
        default=None,
        sa_column=Column(ForeignKey("answer_library_entry.id", ondelete="SET NULL"), nullable=True),
    )
    answered_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    answered_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    lock_version: int = Field(default=1, sa_column=_requirement_lock)

    requirement_list: "RequirementList" = Relationship(back_populates="requirements")


class RequirementMatch(Timestamped, table=True):
    """A decision on one catalog item for one requirement.

    Accepted: the item is (or joined) an estimate line that covers the requirement; one line
    may cover many requirements and a requirement many lines. Rejected: the item is not
    suggested for that requirement again.
    """

    __tablename__ = "requirement_match"
    __table_args__ = (
        UniqueConstraint("requirement_id", "item_code", name="uq_requirement_match_item"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    requirement_id: int | None = Field(
        default=None,
        sa_column=Column(
            ForeignKey("requirement.id", ondelete="CASCADE"), nullable=False, index=True
        ),
    )
    decision: MatchDecision = Field(sa_type=EnumAsString(MatchDecision))
    line_id: int | None = Field(
        default=None,
        sa_column=Column(
            ForeignKey("estimate_line.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    work_item_id: int | None = Field(
        default=None,
        sa_column=Column(ForeignKey("work_item.id", ondelete="SET NULL"), nullable=True),
    )
    item_code: str = Field(max_length=64)
    quantity: float = 1.0
    score: float = 0.0
    decided_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class CatalogItemAlias(Timestamped, table=True):
    """A requirement text accepted for a catalog item: the customer's words for it.

    Keyed by catalog and item code, so aliases carry over to later catalog versions.
    """

    __tablename__ = "catalog_item_alias"
    __table_args__ = (
        UniqueConstraint("catalog_id", "item_code", "text_sha256", name="uq_catalog_item_alias"),
    )

    id: int | None = Field(default=None, primary_key=True)
    catalog_id: int | None = Field(
        default=None,
        sa_column=Column(ForeignKey("catalog.id", ondelete="CASCADE"), nullable=False, index=True),
    )
    item_code: str = Field(max_length=64)
    text: str = Field(sa_type=Text)
    text_sha256: str = Field(max_length=64)
    language: Language = Field(default=Language.ZH, sa_type=EnumAsString(Language))
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")


_answer_entry_lock = _lock_version_column()


class AnswerLibraryEntry(Timestamped, table=True):
    """A reusable response text (zh and en), suggested for requirements by the matcher."""

    __tablename__ = "answer_library_entry"
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _answer_entry_lock}

    id: int | None = Field(default=None, primary_key=True)
    question: str = Field(sa_type=Text)  # the requirement wording it answers, or keywords
    keywords: str = Field(default="", max_length=500)
    text_zh: str = Field(default="", sa_type=Text)
    text_en: str = Field(default="", sa_type=Text)
    compliance: Compliance | None = Field(default=None, sa_type=EnumAsString(Compliance))
    reference: str = Field(default="", max_length=500)
    owner_id: int | None = Field(
        default=None,
        sa_column=Column(ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True),
    )
    last_reviewed_on: date | None = None
    usage_count: int = Field(default=0, ge=0)
    lock_version: int = Field(default=1, sa_column=_answer_entry_lock)

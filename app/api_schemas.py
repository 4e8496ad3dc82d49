"""Request and response bodies of the JSON API (``/api/v1``).

Every numeric input refuses NaN and infinity (pydantic's ``float`` accepts both by default).
"""

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.models import ThreePoint

_STRICT_NUMBERS = ConfigDict(allow_inf_nan=False, extra="forbid")
# Row ids are INTEGER columns: 32-bit on PostgreSQL (64 on SQLite); a larger number made
# the driver raise (500).
MAX_ID = 2**31 - 1
DatabaseId = Annotated[int, Field(ge=1, le=MAX_ID)]


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# Timestamps are stored as UTC without a zone (SQLite keeps none); the API says so, since
# a date-time without an offset is not RFC 3339.
UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


class EstimateCreate(BaseModel):
    model_config = _STRICT_NUMBERS

    opportunity_id: DatabaseId
    name: str = Field(min_length=1, max_length=300)
    catalog_version_id: DatabaseId
    rate_card_id: DatabaseId


class EstimatePublic(BaseModel):
    id: int
    opportunity_id: int
    opportunity_name: str
    customer: str
    name: str
    revision_ids: list[int]


class LineRolePublic(BaseModel):
    role: str
    optimistic: float
    most_likely: float
    pessimistic: float
    overridden: bool


class LinePublic(BaseModel):
    id: int
    lock_version: int
    code: str
    name_zh: str
    name_en: str
    phase: str
    unit: str
    kind: str
    quantity: float
    complexity_factor: float
    roles: list[LineRolePublic]


class LineCreate(BaseModel):
    model_config = _STRICT_NUMBERS

    item_id: DatabaseId
    quantity: float = Field(default=1.0, gt=0, le=1_000_000)


class LineUpdate(BaseModel):
    """Changes to a line; ``lock_version`` is the version the client last read."""

    model_config = _STRICT_NUMBERS

    lock_version: int = Field(ge=1)
    quantity: float | None = Field(default=None, gt=0, le=1_000_000)
    complexity_factor: float | None = Field(default=None, gt=0, le=100)
    note: str | None = Field(default=None, max_length=1000)
    overrides: dict[str, ThreePoint | None] | None = None


class RevisionPublic(BaseModel):
    id: int
    estimate_id: int
    number: int
    status: str
    lock_version: int
    confidence_level: float
    iterations: int
    seed: int
    lines: list[LinePublic]


class RunPublic(BaseModel):
    id: int
    revision_id: int
    status: str
    error: str
    iterations: int
    seed: int
    engine_version: str
    input_sha256: str
    created_at: UtcDatetime
    summary: dict[str, Any] | None
    result: dict[str, Any] | None = Field(
        description="The engine's SimulationResult; price-level roles get it without cost or margin"
    )


class ProblemDetail(BaseModel):
    detail: str | list[dict[str, str]]

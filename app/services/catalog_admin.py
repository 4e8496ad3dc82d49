"""Catalog pages and draft editing: overviews, item views, and changes to draft versions.

Every change checks first that the version is a draft, for a clear message (the flush-time
listener in :mod:`app.immutability` is the guarantee), and records an audit event.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from app.errors import ConcurrentEditError, FieldError, ImmutableRecordError, NotFoundError
from app.models import (
    Catalog,
    CatalogVersion,
    Role,
    ThreePoint,
    User,
    WorkItem,
    WorkItemEstimate,
    utcnow,
)
from app.services import catalog as catalog_service
from app.services.audit import record_event
from app.services.revision_view import phase_label, unit_label
from app.vocabulary import Distribution, ItemKind, Language, Phase, Unit, VersionStatus

TRIPLE_PARTS = ("optimistic", "most_likely", "pessimistic")
MAX_ITEMS_SHOWN = 1_000


@dataclass(frozen=True)
class VersionRow:
    id: int
    number: int
    status: str
    item_count: int
    created_at: datetime
    published_at: datetime | None
    based_on_number: int | None
    notes: str


@dataclass(frozen=True)
class CatalogRow:
    id: int
    code: str
    name: str
    versions: list[VersionRow]


@dataclass(frozen=True)
class Option:
    code: str
    name: str


@dataclass(frozen=True)
class RoleTriple:
    role_code: str
    optimistic: float
    most_likely: float
    pessimistic: float


@dataclass(frozen=True)
class ItemView:
    id: int
    version_id: int
    lock_version: int
    code: str
    name: str
    other_name: str
    phase: str
    unit: str
    distribution: str
    is_percent: bool
    tags: list[str]
    estimates: list[RoleTriple]


@dataclass(frozen=True)
class VersionView:
    id: int
    number: int
    status: str
    editable: bool
    lock_version: int
    catalog_code: str
    catalog_name: str
    notes: str
    created_at: datetime
    published_at: datetime | None
    item_count: int


@dataclass(frozen=True)
class ItemChanges:
    """Validated new values of a draft item's editable fields (estimates by role code)."""

    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    phase: Phase
    unit: Unit
    distribution: Distribution
    tags: list[str]
    estimates: dict[str, ThreePoint]


# --- Views -----------------------------------------------------------------------------------


def _localised(zh: str, en: str, language: Language) -> str:
    return zh if language == Language.ZH else en


def _item_counts(session: Session) -> dict[int, int]:
    version_id = col(WorkItem.catalog_version_id)
    rows = session.exec(select(version_id, func.count()).group_by(version_id)).all()
    return {version or 0: int(count) for version, count in rows}


def catalog_overview(session: Session, language: Language) -> list[CatalogRow]:
    """Every catalog with its versions, newest version first."""
    counts = _item_counts(session)
    catalogs = session.exec(
        select(Catalog).options(selectinload(Catalog.versions)).order_by(col(Catalog.code))  # type: ignore[arg-type]
    ).all()
    return [
        CatalogRow(
            id=catalog.id or 0,
            code=catalog.code,
            name=_localised(catalog.name_zh, catalog.name_en, language),
            versions=[_version_row(version, catalog, counts) for version in catalog.versions[::-1]],
        )
        for catalog in catalogs
    ]


def _version_row(version: CatalogVersion, catalog: Catalog, counts: dict[int, int]) -> VersionRow:
    numbers = {other.id: other.number for other in catalog.versions}
    return VersionRow(
        id=version.id or 0,
        number=version.number,
        status=version.status.value,
        item_count=counts.get(version.id or 0, 0),
        created_at=version.created_at,
        published_at=version.published_at,
        based_on_number=numbers.get(version.based_on_id) if version.based_on_id else None,
        notes=version.notes,
    )


def catalog_choices(session: Session, language: Language) -> list[Option]:
    """Existing catalogs as (code, name), for the import form's target."""
    catalogs = session.exec(select(Catalog).order_by(col(Catalog.code))).all()
    return [
        Option(catalog.code, _localised(catalog.name_zh, catalog.name_en, language))
        for catalog in catalogs
    ]


def role_choices(session: Session, language: Language) -> list[Option]:
    return [
        Option(role.code, _localised(role.name_zh, role.name_en, language))
        for role in catalog_service.roles_by_code(session).values()
    ]


def version_view(session: Session, version_id: int, language: Language) -> VersionView:
    version = catalog_service.get_catalog_version(session, version_id)
    catalog = version.catalog
    return VersionView(
        id=version.id or 0,
        number=version.number,
        status=version.status.value,
        editable=version.status == VersionStatus.DRAFT,
        lock_version=version.lock_version,
        catalog_code=catalog.code,
        catalog_name=_localised(catalog.name_zh, catalog.name_en, language),
        notes=version.notes,
        created_at=version.created_at,
        published_at=version.published_at,
        item_count=_item_counts(session).get(version.id or 0, 0),
    )


def browse_items(
    session: Session, version_id: int, query: str, language: Language
) -> list[ItemView]:
    """The version's items matching ``query`` (all of them for an empty query)."""
    version = session.exec(
        select(CatalogVersion)
        .where(CatalogVersion.id == version_id)
        .options(selectinload(CatalogVersion.items).selectinload(WorkItem.estimates))  # type: ignore[arg-type]
    ).first()
    if version is None:
        raise NotFoundError(f"catalog version {version_id} does not exist")
    roles = _roles_by_id(session)
    found = catalog_service.search_items(version.items, query, limit=MAX_ITEMS_SHOWN)
    return [item_view(item, roles, language) for item in found]


def _roles_by_id(session: Session) -> dict[int, Role]:
    return {role.id or 0: role for role in catalog_service.roles_by_code(session).values()}


def item_view(item: WorkItem, roles: dict[int, Role], language: Language) -> ItemView:
    estimates = sorted(item.estimates, key=lambda estimate: roles[estimate.role_id].sort_order)
    return ItemView(
        id=item.id or 0,
        version_id=item.catalog_version_id or 0,
        lock_version=item.lock_version,
        code=item.code,
        name=_localised(item.name_zh, item.name_en, language),
        other_name=_localised(item.name_en, item.name_zh, language),
        phase=phase_label(item.phase, language),
        unit=unit_label(item.unit, language),
        distribution=item.distribution.value,
        is_percent=item.kind == ItemKind.PERCENT,
        tags=list(item.tags),
        estimates=[
            RoleTriple(
                roles[estimate.role_id].code,
                estimate.optimistic,
                estimate.most_likely,
                estimate.pessimistic,
            )
            for estimate in estimates
        ],
    )


def item_view_by_id(session: Session, item_id: int, language: Language) -> ItemView:
    return item_view(get_item(session, item_id), _roles_by_id(session), language)


def item_form_values(session: Session, item_id: int) -> dict[str, str]:
    """The item as the edit form shows it: text fields and ``role_<CODE>_<part>`` values."""
    item = get_item(session, item_id)
    roles = _roles_by_id(session)
    values = {
        "name_zh": item.name_zh,
        "name_en": item.name_en,
        "description_zh": item.description_zh,
        "description_en": item.description_en,
        "phase": item.phase.value,
        "unit": item.unit.value,
        "distribution": item.distribution.value,
        "tags": ", ".join(item.tags),
    }
    for estimate in item.estimates:
        for part in TRIPLE_PARTS:
            values[f"role_{roles[estimate.role_id].code}_{part}"] = f"{getattr(estimate, part):g}"
    return values


def get_item(session: Session, item_id: int) -> WorkItem:
    item = session.get(WorkItem, item_id)
    if item is None:
        raise NotFoundError(f"work item {item_id} does not exist")
    return item


def export_file_name(session: Session, version_id: int, language: Language) -> tuple[str, str]:
    """The download's name in the reader's language, and a plain-ASCII fallback."""
    version = catalog_service.get_catalog_version(session, version_id)
    catalog = version.catalog
    name = _localised(catalog.name_zh, catalog.name_en, language)
    return f"{name}-v{version.number}.xlsx", f"{catalog.code}-v{version.number}.xlsx"


# --- Changes to drafts -----------------------------------------------------------------------


def draft_version(session: Session, version_id: int) -> CatalogVersion:
    version = catalog_service.get_catalog_version(session, version_id)
    if version.status != VersionStatus.DRAFT:
        raise ImmutableRecordError(
            f"catalog version {version.number} is published and read-only; "
            "start a new draft from it to make changes"
        )
    return version


def editable_item(session: Session, item_id: int) -> WorkItem:
    item = get_item(session, item_id)
    draft_version(session, item.catalog_version_id or 0)
    return item


def _item_conflict(item: WorkItem) -> ConcurrentEditError:
    return ConcurrentEditError(
        f"item {item.code!r} was changed by someone else while you were editing "
        f"(now at version {item.lock_version}); your save was refused: the current values "
        "are shown"
    )


def update_item(
    session: Session, *, user: User, item_id: int, expected_lock_version: int, changes: ItemChanges
) -> WorkItem:
    """Apply ``changes`` to a draft item unless someone saved it since it was loaded."""
    item = editable_item(session, item_id)
    if item.lock_version != expected_lock_version:
        raise _item_conflict(item)
    with session.no_autoflush:  # one UPDATE: an autoflush mid-way would bump lock_version twice
        _apply(session, item, changes)
        item.updated_at = utcnow()  # bumps lock_version even when only estimates changed
    session.add(item)
    try:
        session.flush()
    except StaleDataError as error:
        session.rollback()
        raise _item_conflict(get_item(session, item_id)) from error
    _record(session, user, "update_item", item.catalog_version_id, item.code)
    return item


def _apply(session: Session, item: WorkItem, changes: ItemChanges) -> None:
    roles = catalog_service.roles_by_code(session)
    for name in ("name_zh", "name_en", "description_zh", "description_en", "phase", "unit"):
        setattr(item, name, getattr(changes, name))
    item.distribution = changes.distribution
    item.tags = list(changes.tags)
    wanted = {catalog_service.role_id(roles, code): v for code, v in changes.estimates.items()}
    for estimate in list(item.estimates):
        triple = wanted.pop(estimate.role_id, None)
        if triple is None:
            item.estimates.remove(estimate)
            continue
        estimate.optimistic = triple.optimistic
        estimate.most_likely = triple.most_likely
        estimate.pessimistic = triple.pessimistic
    for role_id, triple in wanted.items():
        item.estimates.append(WorkItemEstimate(role_id=role_id, **triple.model_dump()))


def add_item(
    session: Session, *, user: User, version_id: int, code: str, changes: ItemChanges
) -> WorkItem:
    """Append a new (person-days) item to a draft; codes are unique within a version."""
    version = draft_version(session, version_id)
    taken = session.exec(
        select(WorkItem.id).where(WorkItem.catalog_version_id == version_id, WorkItem.code == code)
    ).first()
    if taken is not None:
        raise FieldError("code", f"{code!r} already exists in version {version.number}")
    last = session.exec(
        select(func.max(WorkItem.position)).where(WorkItem.catalog_version_id == version_id)
    ).one()
    item = WorkItem(
        catalog_version_id=version_id, code=code, name_zh="", name_en="", phase=changes.phase
    )
    item.position = (last or 0) + 1
    item.estimates = []
    _apply(session, item, changes)
    session.add(item)
    session.flush()
    _record(session, user, "add_item", version_id, code)
    return item


def delete_item(session: Session, *, user: User, item_id: int, expected_lock_version: int) -> int:
    """Remove a draft item; returns its version's id."""
    item = editable_item(session, item_id)
    if item.lock_version != expected_lock_version:
        raise _item_conflict(item)
    version_id = item.catalog_version_id or 0
    _record(session, user, "delete_item", version_id, item.code)
    session.delete(item)
    session.flush()
    return version_id


def publish(
    session: Session, *, user: User, version_id: int, expected_lock_version: int
) -> CatalogVersion:
    version = catalog_service.publish_catalog_version(
        session, version_id=version_id, expected_lock_version=expected_lock_version
    )
    _record(session, user, "publish", version_id, f"version {version.number}")
    return version


def new_draft(session: Session, *, user: User, version_id: int) -> CatalogVersion:
    draft = catalog_service.new_draft_from(session, version_id=version_id)
    _record(session, user, "new_draft", draft.id, draft.notes)
    return draft


def import_workbook(
    session: Session,
    *,
    user: User,
    data: bytes,
    file_name: str,
    max_bytes: int,
    catalog_code: str | None,
) -> CatalogVersion:
    """A new draft version from a workbook; :class:`ImportRejectedError` lists every problem."""
    version = catalog_service.import_catalog_workbook(
        session, data=data, file_name=file_name, max_bytes=max_bytes, catalog_code=catalog_code
    )
    _record(session, user, "import", version.id, f"{file_name} as version {version.number}")
    return version


def _record(
    session: Session, user: User, action: str, version_id: int | None, summary: str
) -> None:
    record_event(
        session,
        user=user,
        action=action,
        entity_type="catalog_version",
        entity_id=version_id,
        summary=summary,
    )

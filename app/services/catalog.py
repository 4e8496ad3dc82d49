"""Catalog use-cases: versions, publishing, drafts, and conversion to validated items."""

from collections.abc import Sequence
from typing import Protocol, TypeVar, cast

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.errors import (
    CellProblem,
    ConcurrentEditError,
    ImmutableRecordError,
    ImportRejectedError,
    NotFoundError,
)
from app.models import (
    Catalog,
    CatalogVersion,
    Role,
    ThreePoint,
    WorkItem,
    WorkItemCreate,
    WorkItemEstimate,
    utcnow,
    work_item_fields,
)
from app.services.catalog_excel import (
    INFO_SHEET,
    CatalogInfo,
    export_catalog_xlsx,
    parse_catalog_xlsx,
)
from app.vocabulary import VersionStatus


def roles_by_code(session: Session) -> dict[str, Role]:
    return {role.code: role for role in session.exec(select(Role).order_by(col(Role.sort_order)))}


def get_or_create_catalog(
    session: Session, *, code: str, name_zh: str = "", name_en: str = ""
) -> Catalog:
    catalog = session.exec(select(Catalog).where(Catalog.code == code)).first()
    if catalog is None:
        catalog = Catalog(code=code, name_zh=name_zh or code, name_en=name_en or code)
        session.add(catalog)
        session.flush()
    return catalog


def next_version_number(session: Session, catalog_id: int) -> int:
    current = session.exec(
        select(func.max(CatalogVersion.number)).where(CatalogVersion.catalog_id == catalog_id)
    ).one()
    return (current or 0) + 1


def create_catalog_version(
    session: Session,
    *,
    catalog: Catalog,
    items: Sequence[WorkItemCreate],
    number: int | None = None,
    notes: str = "",
    based_on_id: int | None = None,
) -> CatalogVersion:
    """Add a new draft version holding ``items``; role codes must exist (validated earlier)."""
    assert catalog.id is not None
    roles = roles_by_code(session)
    version = CatalogVersion(
        catalog_id=catalog.id,
        number=number or next_version_number(session, catalog.id),
        notes=notes,
        based_on_id=based_on_id,
    )
    session.add(version)
    session.flush()
    assert version.id is not None
    for position, item in enumerate(items):
        work_item = WorkItem(
            **work_item_fields(item),
            catalog_version_id=version.id,
            position=position,
        )
        work_item.estimates = [
            WorkItemEstimate(role_id=role_id(roles, code), **triple.model_dump())
            for code, triple in item.estimates.items()
        ]
        session.add(work_item)
    session.flush()
    return version


def role_id(roles: dict[str, Role], code: str) -> int:
    role = roles.get(code)
    if role is None or role.id is None:
        raise NotFoundError(f"unknown role {code!r}")
    return role.id


def get_catalog_version(session: Session, version_id: int) -> CatalogVersion:
    version = session.get(CatalogVersion, version_id)
    if version is None:
        raise NotFoundError(f"catalog version {version_id} does not exist")
    return version


def find_catalog_version(
    session: Session, *, catalog_code: str, number: int | None
) -> CatalogVersion:
    """A version by catalog code and number; without a number, the latest published one."""
    query = select(CatalogVersion).join(Catalog).where(Catalog.code == catalog_code)
    if number is not None:
        query = query.where(CatalogVersion.number == number)
    else:
        query = query.where(CatalogVersion.status == VersionStatus.PUBLISHED)
    version = session.exec(query.order_by(CatalogVersion.number.desc())).first()  # type: ignore[attr-defined]
    if version is None:
        wanted = f"version {number}" if number is not None else "published version"
        raise NotFoundError(f"catalog {catalog_code!r} has no {wanted}")
    return version


def publish_catalog_version(
    session: Session, *, version_id: int, expected_lock_version: int
) -> CatalogVersion:
    version = get_catalog_version(session, version_id)
    if version.status == VersionStatus.PUBLISHED:
        raise ImmutableRecordError(f"catalog version {version.number} is already published")
    if version.lock_version != expected_lock_version:
        raise ConcurrentEditError(
            f"catalog version {version.number} was changed by someone else "
            f"(version {version.lock_version}, you had {expected_lock_version}); reload it"
        )
    version.status = VersionStatus.PUBLISHED
    version.published_at = utcnow()
    session.add(version)
    session.flush()
    return version


def new_draft_from(session: Session, *, version_id: int) -> CatalogVersion:
    """Start editing a published version: copy it into a new draft version."""
    source = get_catalog_version(session, version_id)
    return create_catalog_version(
        session,
        catalog=source.catalog,
        items=items_of(source),
        notes=f"draft based on version {source.number}",
        based_on_id=source.id,
    )


def items_of(version: CatalogVersion) -> list[WorkItemCreate]:
    """The version's items as validated inputs (the form export and comparisons use)."""
    return [
        WorkItemCreate(
            **work_item_fields(item),
            estimates={
                estimate.role.code: ThreePoint(
                    optimistic=estimate.optimistic,
                    most_likely=estimate.most_likely,
                    pessimistic=estimate.pessimistic,
                )
                for estimate in item.estimates
            },
        )
        for item in version.items
    ]


def export_catalog_workbook(session: Session, *, version: CatalogVersion) -> bytes:
    catalog = version.catalog
    info = CatalogInfo(
        code=catalog.code,
        name_zh=catalog.name_zh,
        name_en=catalog.name_en,
        version=version.number,
        status=version.status.value,
    )
    return export_catalog_xlsx(
        info=info, items=items_of(version), role_codes=list(roles_by_code(session))
    )


def import_catalog_workbook(
    session: Session,
    *,
    data: bytes,
    file_name: str,
    max_bytes: int,
    catalog_code: str | None = None,
) -> CatalogVersion:
    """Import a workbook as a new draft version; any problem refuses the whole file."""
    parsed = parse_catalog_xlsx(
        data, known_roles=roles_by_code(session), file_name=file_name, max_bytes=max_bytes
    )
    info = parsed.info
    code = catalog_code or (info.code if info else None)
    if not code:
        raise ImportRejectedError(
            [CellProblem(INFO_SHEET, None, None, "no catalog code: name the target catalog")]
        )
    catalog = get_or_create_catalog(
        session,
        code=code,
        name_zh=info.name_zh if info else code,
        name_en=info.name_en if info else code,
    )
    return create_catalog_version(
        session, catalog=catalog, items=parsed.items, notes=f"imported from {file_name}"
    )


class SearchableItem(Protocol):
    code: str
    name_zh: str
    name_en: str
    tags: list[str]
    description_zh: str
    description_en: str


_Item = TypeVar("_Item", bound=SearchableItem)


def search_items(items: Sequence[_Item], query: str, *, limit: int = 20) -> list[_Item]:
    """Items whose code, names, tags or descriptions contain every term of ``query``.

    Plain substring matching, case-folded: Chinese needs no word breaks, so two-character
    terms such as 登录 match (SQLite's FTS5 trigram tokenizer finds nothing under three
    characters). Name matches rank before description-only matches.
    """
    terms = [term.casefold() for term in query.split() if term.strip()]
    if not terms:
        return list(items[:limit])
    ranked: list[tuple[int, int, _Item]] = []
    for position, item in enumerate(items):
        names = " ".join([item.code, item.name_zh, item.name_en, *item.tags]).casefold()
        everything = f"{names} {item.description_zh} {item.description_en}".casefold()
        if all(term in everything for term in terms):
            in_names = sum(term in names for term in terms)
            ranked.append((-in_names, position, item))
    ranked.sort(key=lambda entry: entry[:2])
    return [item for _, _, item in ranked[:limit]]


_SEARCH_COLUMNS = tuple(
    getattr(WorkItem, name)
    for name in ("id", "code", "name_zh", "name_en", "tags", "description_zh", "description_en")
)


def search_version(
    session: Session, version_id: int, query: str, *, limit: int = 20
) -> list[SearchableItem]:
    """:func:`search_items` over a catalog version's items read as plain column rows
    (the search-as-you-type box asks on every keystroke; ORM items cost it ~8 ms)."""
    rows = session.exec(
        select(*_SEARCH_COLUMNS)
        .where(WorkItem.catalog_version_id == version_id)
        .order_by(col(WorkItem.position), col(WorkItem.id))
    ).all()
    return search_items(cast(Sequence[SearchableItem], rows), query, limit=limit)

"""The history import as the pages drive it: upload → column mapping → preview → confirm."""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.utils import get_column_letter
from sqlmodel import Session, col, select

from app.errors import FieldError
from app.models import HistoryImport, HistoryProject, Opportunity, User
from app.services import history
from app.services.history_import import (
    CheckedFile,
    Grid,
    HistoryField,
    PendingUpload,
    RowKind,
    check_rows,
    drop_upload,
    find_header,
    keep_upload,
    load_upload,
    propose_mapping,
    read_grid,
)

SAMPLE_ROWS = 5
PREVIEW_ROWS = 20


@dataclass(frozen=True)
class Column:
    index: int
    letter: str
    header: str
    samples: tuple[str, ...]


@dataclass
class MappingStep:
    """What the mapping form shows: the file's columns and the proposed field of each."""

    token: str
    file_name: str
    sheet: str
    header_row: int
    columns: list[Column]
    mapping: dict[str, int]  # field → column index
    kind: str
    opportunity_id: int | None
    already_imported: HistoryImport | None


def _columns(grid: Grid, header: int) -> list[Column]:
    width = max((len(row) for row in grid.rows[: header + 1 + SAMPLE_ROWS]), default=0)
    columns = []
    for index in range(width):
        head = grid.rows[header] if header < len(grid.rows) else []
        text = str(head[index]).strip() if index < len(head) and head[index] is not None else ""
        samples = tuple(
            str(row[index])
            for row in grid.rows[header + 1 : header + 1 + SAMPLE_ROWS]
            if index < len(row) and row[index] not in (None, "")
        )
        columns.append(Column(index, get_column_letter(index + 1), text, samples))
    return columns


def mapping_step(
    session: Session,
    upload: PendingUpload,
    grid: Grid,
    *,
    kind: RowKind,
    opportunity_id: int | None,
    mapping: dict[str, int] | None = None,
) -> MappingStep:
    header = find_header(grid.rows)
    header = 0 if header is None else header
    if mapping is None:
        proposed = propose_mapping(grid.rows[header]) if grid.rows else {}
        mapping = {field.value: index for index, field in proposed.items()}
    return MappingStep(
        token=upload.token,
        file_name=upload.file_name,
        sheet=grid.sheet,
        header_row=header + 1,
        columns=_columns(grid, header),
        mapping=mapping,
        kind=kind.value,
        opportunity_id=opportunity_id,
        already_imported=history.previous_import(session, upload.sha256),
    )


def start(
    session: Session,
    *,
    user: User,
    data: bytes,
    file_name: str,
    max_bytes: int,
    kind: RowKind,
    opportunity_id: int | None,
) -> MappingStep:
    """Check and read the upload (refused whole when unsafe), keep it, propose a mapping."""
    grid = read_grid(data, file_name, max_bytes=max_bytes)
    check_target(session, opportunity_id)
    upload = keep_upload(data, file_name, user_id=user.id or 0)
    return mapping_step(session, upload, grid, kind=kind, opportunity_id=opportunity_id)


def check_target(session: Session, opportunity_id: int | None) -> None:
    if opportunity_id is None:
        return
    project = history.opportunity_project(session, opportunity_id)
    if project is None:
        raise FieldError("opportunity_id", "only a won opportunity can receive a timesheet")


def parse_mapping(form: dict[str, str]) -> dict[str, int]:
    """``column_<field>`` form values (column indices, "" for none) → field → index."""
    mapping: dict[str, int] = {}
    for field in HistoryField:
        raw = form.get(f"column_{field.value}", "").strip()
        if not raw:
            continue
        if not raw.isdigit():
            raise FieldError(f"column_{field.value}", f"{raw!r} is not a column")
        mapping[field.value] = int(raw)
    return mapping


@dataclass
class PreviewStep:
    mapping_step: MappingStep
    checked: CheckedFile

    @property
    def sample(self) -> list[object]:
        return list(self.checked.rows[:PREVIEW_ROWS])


def load_step(
    session: Session,
    *,
    user: User,
    token: str,
    max_bytes: int,
    kind: RowKind,
    opportunity_id: int | None,
    mapping: dict[str, int],
) -> tuple[MappingStep, Grid]:
    """Re-read the kept upload (only its uploader may) with the mapping as submitted."""
    upload = load_upload(token, user_id=user.id or 0)
    grid = read_grid(upload.data, upload.file_name, max_bytes=max_bytes)
    step = mapping_step(
        session, upload, grid, kind=kind, opportunity_id=opportunity_id, mapping=mapping
    )
    return step, grid


def check(session: Session, step: MappingStep, grid: Grid) -> CheckedFile:
    """Every row checked with the step's mapping (a ``FieldError`` for a wrong mapping)."""
    check_target(session, step.opportunity_id)
    return check_rows(
        grid,
        file_name=step.file_name,
        kind=RowKind(step.kind),
        mapping={HistoryField(name): index for name, index in step.mapping.items()},
        role_codes=history.role_lookup(session),
    )


def confirm(
    session: Session, *, user: User, step: MappingStep, checked: CheckedFile
) -> HistoryImport:
    upload = load_upload(step.token, user_id=user.id or 0)
    return history.store_import(
        session,
        user=user,
        checked=checked,
        sha256=upload.sha256,
        opportunity_id=step.opportunity_id,
    )


def forget(token: str, *, user: User) -> None:
    drop_upload(token, user_id=user.id or 0)


def won_opportunities(session: Session) -> list[tuple[int, str]]:
    """Won opportunities (with a history project) that a timesheet can be attached to."""
    rows = session.exec(
        select(Opportunity.id, Opportunity.name)
        .join(HistoryProject, col(HistoryProject.opportunity_id) == col(Opportunity.id))
        .order_by(col(Opportunity.name))
    ).all()
    return [(int(oid or 0), name) for oid, name in rows]

"""Bid intake use-cases: upload → mapper → confirm, the lists of an opportunity, export.

Nothing about a customer's requirements is stored until the bid team confirms the mapping.
Between upload and confirmation the upload waits as a *draft* :class:`RequirementList`
row: the original bytes and the mapping being edited, no requirements. A row rather than
a temporary file because every web process and worker sees the same database (a temp file
lives on one machine), the bytes must be kept byte for byte for the write-back anyway, and
SQLite and PostgreSQL teams then behave the same. Drafts older than
``Settings.intake_draft_hours`` are purged at the next upload.

Refused files (encrypted, not a workbook, too big, bombs, entity attacks, too many rows)
raise :class:`IntakeRefusedError` before anything is added to the session.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import PurePosixPath

from sqlalchemy import case, delete, insert
from sqlmodel import Session, col, func, select

from app.config import get_settings
from app.errors import BidwrightError, ConcurrentEditError, FieldError, NotFoundError
from app.intake import detect, extract, matrix, reader, writeback
from app.intake import types as intake
from app.models import (
    EstimateRevision,
    IntakeStatus,
    MappingMemory,
    Opportunity,
    Requirement,
    RequirementList,
    User,
    utcnow,
)
from app.services.audit import record_event
from app.vocabulary import Language

PREVIEW_ROWS = 6
_CJK = re.compile(r"[\u3400-\u9fff]")


class IntakeProblemsError(BidwrightError):
    """Confirming found problems in the file; nothing was stored. ``problems`` lists them."""

    status_code = 422

    def __init__(self, problems: list[intake.Problem], message: str = "") -> None:
        super().__init__(message or f"{len(problems)} problem(s) in the workbook")
        self.problems = problems


# --- Parsing, with a small cache (the mapper re-reads the same upload on every click) ------


class _ParsedCache:
    """The last two parsed uploads, by content hash (parsing is pure, so sharing is safe);
    two, because a 100,000-row workbook holds a few hundred MB of cell values."""

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, str], intake.ParsedWorkbook] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, data: bytes, file_name: str) -> intake.ParsedWorkbook:
        key = (hashlib.sha256(data).hexdigest(), file_name)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        settings = get_settings()
        parsed = reader.read_workbook(
            data, file_name, max_bytes=settings.max_upload_bytes, max_rows=settings.intake_max_rows
        )
        with self._lock:
            self._entries[key] = parsed
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return parsed


_parsed = _ParsedCache()


def parse(requirement_list: RequirementList) -> intake.ParsedWorkbook:
    return _parsed.get(requirement_list.content, requirement_list.file_name)


_extractions: OrderedDict[tuple[str, str, str], intake.Extraction] = OrderedDict()
_extractions_lock = threading.Lock()
EXTRACTIONS_KEPT = 2


def extraction_of(
    requirement_list: RequirementList, mapping: intake.WorkbookMapping
) -> intake.Extraction:
    """The requirements the mapping reads from the upload; the mapper shows the count on
    every click and confirm needs the same rows, so the last few results are kept
    (extracting 100,000 rows takes seconds)."""
    key = (requirement_list.file_sha256, requirement_list.file_name, mapping.to_json())
    with _extractions_lock:
        if key in _extractions:
            _extractions.move_to_end(key)
            return _extractions[key]
    found = extract.extract_requirements(parse(requirement_list), mapping)
    with _extractions_lock:
        _extractions[key] = found
        while len(_extractions) > EXTRACTIONS_KEPT:
            _extractions.popitem(last=False)
    return found


def mapping_of(requirement_list: RequirementList) -> intake.WorkbookMapping:
    return intake.WorkbookMapping.from_json(json.dumps(requirement_list.mapping))


def _stored(mapping: intake.WorkbookMapping) -> dict[str, object]:
    stored: dict[str, object] = json.loads(mapping.to_json())
    return stored


# --- Upload ------------------------------------------------------------------------------


def upload(
    session: Session, *, user: User, opportunity_id: int, data: bytes, file_name: str
) -> RequirementList:
    """Read the upload and keep it as a draft with a proposed (or remembered) mapping.

    Raises :class:`IntakeRefusedError` (nothing added to the session) for refused files.
    """
    if session.get(Opportunity, opportunity_id) is None:
        raise NotFoundError(f"opportunity {opportunity_id} does not exist")
    name = _clean_file_name(file_name)
    limit = get_settings().max_upload_bytes
    if len(data) > limit:
        raise intake.IntakeRefusedError(
            f"{name}: the file is {len(data):,} bytes; the limit is {limit:,} bytes"
        )
    parsed = _parsed.get(data, name)
    remembered = session.exec(
        select(MappingMemory).where(MappingMemory.fingerprint == parsed.fingerprint)
    ).first()
    mapping = _remembered_mapping(remembered, parsed) if remembered else None
    _purge_old_drafts(session)
    draft = RequirementList(
        opportunity_id=opportunity_id,
        file_name=name,
        kind=parsed.kind,
        size_bytes=len(data),
        file_sha256=hashlib.sha256(data).hexdigest(),
        content=data,
        fingerprint=parsed.fingerprint,
        mapping=_stored(mapping or detect.propose_mapping(parsed)),
        mapping_remembered=mapping is not None,
        language=_language_of_sheets(parsed),
        uploaded_by_id=user.id,
    )
    session.add(draft)
    session.flush()
    return draft


def _clean_file_name(file_name: str) -> str:
    """The base name only (browsers may send a path), at most 200 characters."""
    base = PurePosixPath((file_name or "").replace("\\", "/")).name.strip() or "upload.xlsx"
    if len(base) <= 200:
        return base
    suffix = PurePosixPath(base).suffix[:10]
    return base[: 200 - len(suffix)] + suffix


def _remembered_mapping(
    memory: MappingMemory, parsed: intake.ParsedWorkbook
) -> intake.WorkbookMapping | None:
    """The remembered mapping, its row ranges adapted to this file's blocks (rows grow)."""
    mapping = intake.WorkbookMapping.from_json(json.dumps(memory.mapping))
    proposed = {(b.sheet, b.header_rows): b for b in detect.propose_mapping(parsed).blocks}
    blocks = []
    for block in mapping.blocks:
        fresh = proposed.get((block.sheet, block.header_rows))
        if fresh is None:
            return None  # the layout moved after all: propose afresh rather than misread
        blocks.append(replace(block, first_data_row=fresh.first_data_row, last_row=fresh.last_row))
    return intake.WorkbookMapping(fingerprint=parsed.fingerprint, blocks=tuple(blocks))


def _purge_old_drafts(session: Session) -> None:
    cutoff = utcnow() - timedelta(hours=get_settings().intake_draft_hours)
    session.execute(
        delete(RequirementList).where(
            col(RequirementList.status) == IntakeStatus.DRAFT,
            col(RequirementList.created_at) < cutoff,
        )
    )


def _language_of_texts(texts: list[str]) -> Language:
    sample = "".join(texts)[:20_000]
    letters = sum(char.isalpha() for char in sample) or 1
    return Language.ZH if len(_CJK.findall(sample)) / letters > 0.2 else Language.EN


def _language_of_sheets(parsed: intake.ParsedWorkbook) -> Language:
    texts = [
        str(value)
        for sheet in parsed.data
        for row in sheet.rows[:200]
        for value in row
        if isinstance(value, str)
    ]
    return _language_of_texts(texts)


# --- The mapper ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapperColumn:
    column: int
    letter: str
    header: str
    role: str
    option: str


@dataclass(frozen=True)
class MapperBlock:
    index: int
    sheet: str
    header_rows: tuple[int, ...]
    first_data_row: int
    last_row: int
    included: bool
    answer_options: tuple[str, ...]
    columns: list[MapperColumn]
    # (row number, cell texts in column order), header rows first
    header: list[tuple[int, list[str]]]
    preview: list[tuple[int, list[str]]]


@dataclass(frozen=True)
class MapperSheet:
    name: str
    visible: bool
    rows: int
    blocks: int
    included: bool


@dataclass(frozen=True)
class MapperView:
    id: int
    opportunity_id: int
    opportunity_name: str
    file_name: str
    kind: str
    status: str
    lock_version: int
    remembered: bool
    sheets: list[MapperSheet]
    blocks: list[MapperBlock]
    requirement_count: int
    problems: list[intake.Problem]


def get_list(session: Session, list_id: int) -> RequirementList:
    found = session.get(RequirementList, list_id)
    if found is None:
        raise NotFoundError(f"requirement list {list_id} does not exist")
    return found


def draft_list(session: Session, list_id: int) -> RequirementList:
    found = get_list(session, list_id)
    if found.status != IntakeStatus.DRAFT:
        raise ConcurrentEditError(
            f"{found.file_name} is already confirmed; upload it again to map it differently"
        )
    return found


def _cell_text(value: intake.CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)[:200]


def _mapper_block(
    parsed: intake.ParsedWorkbook, index: int, block: intake.BlockMapping
) -> MapperBlock:
    sheet = parsed.sheet(block.sheet)
    columns = [c.column for c in block.columns]
    last = min(block.last_row, block.first_data_row + PREVIEW_ROWS - 1)

    def row_cells(row: int) -> tuple[int, list[str]]:
        return row, [_cell_text(sheet.cell(row, column)) for column in columns]

    return MapperBlock(
        index=index,
        sheet=block.sheet,
        header_rows=block.header_rows,
        first_data_row=block.first_data_row,
        last_row=block.last_row,
        included=block.included,
        answer_options=block.answer_options,
        columns=[
            MapperColumn(
                column=c.column,
                letter=intake.column_letters(c.column),
                header=c.header,
                role=c.role.value,
                option=c.option.value if c.option else "",
            )
            for c in block.columns
        ],
        header=[row_cells(row) for row in block.header_rows],
        preview=[row_cells(row) for row in range(block.first_data_row, last + 1)],
    )


def mapper_view(session: Session, list_id: int) -> MapperView:
    requirement_list = get_list(session, list_id)
    parsed = parse(requirement_list)
    mapping = mapping_of(requirement_list)
    extraction = extraction_of(requirement_list, mapping)
    per_sheet: dict[str, list[intake.BlockMapping]] = {}
    for block in mapping.blocks:
        per_sheet.setdefault(block.sheet, []).append(block)
    opportunity = session.get(Opportunity, requirement_list.opportunity_id)
    return MapperView(
        id=requirement_list.id or 0,
        opportunity_id=requirement_list.opportunity_id or 0,
        opportunity_name=opportunity.name if opportunity else "",
        file_name=requirement_list.file_name,
        kind=requirement_list.kind,
        status=requirement_list.status.value,
        lock_version=requirement_list.lock_version,
        remembered=requirement_list.mapping_remembered,
        sheets=[
            MapperSheet(
                name=sheet.name,
                visible=sheet.visible,
                rows=sheet.rows,
                blocks=len(per_sheet.get(sheet.name, [])),
                included=any(b.included for b in per_sheet.get(sheet.name, [])),
            )
            for sheet in parsed.sheets
        ],
        blocks=[_mapper_block(parsed, i, block) for i, block in enumerate(mapping.blocks)],
        requirement_count=len(extraction.requirements),
        problems=list(extraction.problems) + _mapping_problems(mapping),
    )


def _mapping_problems(mapping: intake.WorkbookMapping) -> list[intake.Problem]:
    """What the mapping itself lacks; extraction cannot work around these."""
    included = [block for block in mapping.blocks if block.included]
    if not included:
        return [intake.Problem("", None, None, "no table is included: include at least one")]
    problems = []
    for block in included:
        texts = [c for c in block.columns if c.role == intake.ColumnRole.TEXT]
        where = block.header_rows[0] if block.header_rows else None
        if len(texts) != 1:
            count = "no column" if not texts else f"{len(texts)} columns"
            problems.append(
                intake.Problem(
                    block.sheet,
                    where,
                    None,
                    f"{count} hold the requirement text; choose exactly one (role 'text')",
                )
            )
        for column in block.columns:
            if column.role == intake.ColumnRole.OPTION and column.option is None:
                problems.append(
                    intake.Problem(
                        block.sheet,
                        where,
                        column.column,
                        f"column {column.header!r} is an answer option but says for which answer",
                    )
                )
    return problems


def _check_version(requirement_list: RequirementList, expected_lock_version: int) -> None:
    if requirement_list.lock_version != expected_lock_version:
        raise ConcurrentEditError(
            f"the mapping of {requirement_list.file_name} was changed by someone else; "
            "reload to see it (your change was not saved)"
        )


def _save_mapping(requirement_list: RequirementList, mapping: intake.WorkbookMapping) -> None:
    requirement_list.mapping = _stored(mapping)
    requirement_list.updated_at = utcnow()  # bumps lock_version


def set_column_role(
    session: Session,
    *,
    list_id: int,
    expected_lock_version: int,
    block_index: int,
    column: int,
    role: intake.ColumnRole,
    option: intake.Compliance | None,
) -> RequirementList:
    requirement_list = draft_list(session, list_id)
    _check_version(requirement_list, expected_lock_version)
    mapping = mapping_of(requirement_list)
    block = _block(mapping, block_index)
    if not any(c.column == column for c in block.columns):
        raise FieldError("column", f"column {column} is not part of the table on {block.sheet}")
    if role == intake.ColumnRole.OPTION and option is None:
        raise FieldError("option", "choose which answer a mark in this column stands for")
    columns = tuple(
        replace(c, role=role, option=option if role == intake.ColumnRole.OPTION else None)
        if c.column == column
        else c
        for c in block.columns
    )
    _save_mapping(requirement_list, _with_block(mapping, block_index, columns=columns))
    session.add(requirement_list)
    session.flush()
    return requirement_list


def set_included(
    session: Session,
    *,
    list_id: int,
    expected_lock_version: int,
    included: dict[int, bool],
) -> RequirementList:
    """Include or exclude blocks by index (a whole sheet is all of its blocks)."""
    requirement_list = draft_list(session, list_id)
    _check_version(requirement_list, expected_lock_version)
    mapping = mapping_of(requirement_list)
    for index, flag in included.items():
        _block(mapping, index)
        mapping = _with_block(mapping, index, included=flag)
    _save_mapping(requirement_list, mapping)
    session.add(requirement_list)
    session.flush()
    return requirement_list


def _block(mapping: intake.WorkbookMapping, index: int) -> intake.BlockMapping:
    if not 0 <= index < len(mapping.blocks):
        raise FieldError("block", f"there is no table number {index + 1}")
    return mapping.blocks[index]


def _with_block(
    mapping: intake.WorkbookMapping, index: int, **changes: object
) -> intake.WorkbookMapping:
    blocks = list(mapping.blocks)
    blocks[index] = replace(blocks[index], **changes)  # type: ignore[arg-type]
    return replace(mapping, blocks=tuple(blocks))


# --- Confirm ----------------------------------------------------------------------------


def confirm(
    session: Session,
    *,
    user: User,
    list_id: int,
    expected_lock_version: int,
    accept_problems: bool = False,
) -> RequirementList:
    """Store the mapping, remember it for the fingerprint, and store the requirements.

    All of it in the caller's one write transaction. With problems in the file and
    without ``accept_problems``, raise :class:`IntakeProblemsError` and store nothing;
    problems of the mapping itself (no requirement column …) always refuse.
    """
    requirement_list = draft_list(session, list_id)
    _check_version(requirement_list, expected_lock_version)
    mapping = mapping_of(requirement_list)
    blocking = _mapping_problems(mapping)
    if blocking:
        raise IntakeProblemsError(blocking, "the mapping is incomplete; nothing was stored")
    extraction = extraction_of(requirement_list, mapping)
    if not extraction.requirements:
        problems = [*extraction.problems, intake.Problem("", None, None, "no requirement found")]
        raise IntakeProblemsError(problems, "no requirement was found; nothing was stored")
    if extraction.problems and not accept_problems:
        raise IntakeProblemsError(list(extraction.problems))
    _store_requirements(session, requirement_list, extraction.requirements)
    requirement_list.status = IntakeStatus.CONFIRMED
    requirement_list.confirmed_by_id = user.id
    requirement_list.confirmed_at = utcnow()
    requirement_list.language = _language_of_texts([r.text for r in extraction.requirements])
    session.add(requirement_list)
    _remember(session, user=user, mapping=mapping, used=requirement_list.mapping_remembered)
    record_event(
        session,
        user=user,
        action="confirm_requirements",
        entity_type="opportunity",
        entity_id=requirement_list.opportunity_id,
        summary=f"{requirement_list.file_name}: {len(extraction.requirements)} requirements",
        details={"problems_accepted": len(extraction.problems)},
    )
    session.flush()
    return requirement_list


def _store_requirements(
    session: Session, requirement_list: RequirementList, found: tuple[intake.Requirement, ...]
) -> None:
    """One multi-row INSERT: building 20,000 ORM objects took 8 s, this takes well under 1 s."""
    now = utcnow()
    rows = [
        {
            "created_at": now,
            "updated_at": now,
            "lock_version": 1,
            "list_id": requirement_list.id,
            "position": position,
            "sheet": row.sheet[:100],
            "row": row.row,
            "key": row.key[:100],
            "section": row.section[:500],
            "text": row.text,
            "priority": row.priority[:50],
            "mandatory": row.mandatory,
            "scored": row.scored,
            "existing_answer": row.existing_answer,
            "compliance": intake.parse_compliance(row.existing_answer)
            if row.existing_answer
            else None,
            "response": "",
            "reference": "",
            "deviation_note": "",
            "needs_manual_estimate": False,
        }
        for position, row in enumerate(found)
    ]
    table = Requirement.__table__  # type: ignore[attr-defined]
    session.connection().execute(insert(table), rows)


def _remember(session: Session, *, user: User, mapping: intake.WorkbookMapping, used: bool) -> None:
    memory = session.exec(
        select(MappingMemory).where(MappingMemory.fingerprint == mapping.fingerprint)
    ).first()
    if memory is None:
        memory = MappingMemory(fingerprint=mapping.fingerprint)
    memory.mapping = _stored(mapping)
    memory.confirmed_by_id = user.id
    memory.confirmed_at = utcnow()
    memory.times_used += int(used)
    session.add(memory)


def discard(session: Session, *, user: User, list_id: int) -> int:
    """Delete a list (draft or confirmed) and its requirements; returns the opportunity id."""
    requirement_list = get_list(session, list_id)
    opportunity_id = requirement_list.opportunity_id or 0
    record_event(
        session,
        user=user,
        action="delete_requirement_list",
        entity_type="opportunity",
        entity_id=opportunity_id,
        summary=requirement_list.file_name,
    )
    session.delete(requirement_list)
    session.flush()
    return opportunity_id


# --- The lists of an opportunity -------------------------------------------------------------


@dataclass(frozen=True)
class ListRow:
    id: int
    file_name: str
    kind: str
    status: str
    uploaded_at: datetime
    requirements: int
    answered: int
    covered: int
    manual: int
    remembered: bool


def lists_of(session: Session, opportunity_id: int) -> list[ListRow]:
    """The opportunity's lists with their counts (aggregated in SQL, not row by row)."""
    from app.services.intake_matches import covered_counts  # noqa: PLC0415

    lists = session.exec(
        select(RequirementList)
        .where(RequirementList.opportunity_id == opportunity_id)
        .order_by(col(RequirementList.created_at).desc(), col(RequirementList.id).desc())
    ).all()
    ids = [found.id or 0 for found in lists]
    counts = (
        {
            list_id: (int(total), int(answered), int(manual or 0))
            for list_id, total, answered, manual in session.exec(
                select(
                    Requirement.list_id,
                    func.count(col(Requirement.id)),
                    func.count(col(Requirement.compliance)),
                    func.sum(case((col(Requirement.needs_manual_estimate), 1), else_=0)),
                )
                .where(col(Requirement.list_id).in_(ids))
                .group_by(col(Requirement.list_id))
            )
        }
        if ids
        else {}
    )
    covered = covered_counts(session, ids)
    return [
        ListRow(
            id=found.id or 0,
            file_name=found.file_name,
            kind=found.kind,
            status=found.status.value,
            uploaded_at=found.created_at,
            requirements=counts.get(found.id or 0, (0, 0, 0))[0],
            answered=counts.get(found.id or 0, (0, 0, 0))[1],
            covered=covered.get(found.id or 0, 0),
            manual=counts.get(found.id or 0, (0, 0, 0))[2],
            remembered=found.mapping_remembered,
        )
        for found in lists
    ]


def confirmed_list(session: Session, list_id: int) -> RequirementList:
    found = get_list(session, list_id)
    if found.status == IntakeStatus.DRAFT:
        raise ConcurrentEditError(f"{found.file_name} is not confirmed yet: confirm its mapping")
    return found


def requirements_of(session: Session, list_id: int) -> list[Requirement]:
    return list(
        session.exec(
            select(Requirement)
            .where(Requirement.list_id == list_id)
            .order_by(col(Requirement.position))
        )
    )


# --- Export -----------------------------------------------------------------------------------


def answers_of(rows: list[Requirement]) -> list[intake.Answer]:
    return [
        intake.Answer(
            sheet=row.sheet,
            row=row.row,
            compliance=row.compliance,
            response=row.response,
            reference=row.reference,
            remarks=row.deviation_note,
        )
        for row in rows
    ]


def as_extracted(rows: list[Requirement]) -> list[intake.Requirement]:
    return [
        intake.Requirement(
            sheet=row.sheet,
            row=row.row,
            key=row.key,
            section=row.section,
            text=row.text,
            priority=row.priority,
            mandatory=row.mandatory,
            scored=row.scored,
            existing_answer=row.existing_answer,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Download:
    file_name: str
    fallback_name: str
    media_type: str
    content: bytes


MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    "csv": "text/csv; charset=utf-8",
}


def export_answered(session: Session, list_id: int) -> Download:
    """The customer's own file with the answers written in (xlsx, xlsm, csv).

    Raises :class:`IntakeRefusedError` for kinds that cannot be written back (.xls).
    """
    requirement_list = confirmed_list(session, list_id)
    rows = requirements_of(session, list_id)
    content = writeback.write_answers(
        requirement_list.content,
        requirement_list.file_name,
        mapping_of(requirement_list),
        answers_of(rows),
        language=requirement_list.language.value,
    )
    path = PurePosixPath(requirement_list.file_name)
    suffix = "-应答" if requirement_list.language == Language.ZH else "-answered"
    kind = requirement_list.kind if requirement_list.kind in MEDIA_TYPES else "xlsx"
    return Download(
        file_name=f"{path.stem}{suffix}.{kind}",
        fallback_name=f"requirements-{list_id}-answered.{kind}",
        media_type=MEDIA_TYPES[kind],
        content=content,
    )


def export_matrix(session: Session, list_id: int, *, language: Language) -> Download:
    """The standalone compliance matrix (技术偏离表) as .xlsx."""
    requirement_list = confirmed_list(session, list_id)
    rows = requirements_of(session, list_id)
    opportunity = session.get(Opportunity, requirement_list.opportunity_id)
    project = opportunity.name if opportunity else requirement_list.file_name
    title = f"{project} 技术偏离表" if language == Language.ZH else f"{project} compliance matrix"
    content = matrix.compliance_matrix_xlsx(
        as_extracted(rows), answers_of(rows), language=language.value, title=title
    )
    stem = PurePosixPath(requirement_list.file_name).stem
    name = (
        f"{stem}-技术偏离表.xlsx" if language == Language.ZH else f"{stem}-compliance-matrix.xlsx"
    )
    return Download(
        file_name=name,
        fallback_name=f"requirements-{list_id}-compliance-matrix.xlsx",
        media_type=MEDIA_TYPES["xlsx"],
        content=content,
    )


# --- For documents: the requirements an estimate answers ---------------------------------------


@dataclass(frozen=True)
class AnsweredRequirement:
    """One requirement with its answer, worded for a document (技术偏离表 / 需求理解)."""

    number: str  # 序号: position in the opportunity's confirmed lists, from 1
    clause: str  # 招标文件条款号: the customer's ID
    section: str
    text: str
    mandatory: bool
    scored: bool
    compliance: str  # 满足 / Comply … or ""
    deviation: str  # 无偏离 / 正偏离 / 负偏离 (or the English wording) or ""
    response: str
    reference: str
    note: str


def requirements_for_revision(
    session: Session, revision_id: int, *, language: Language = Language.ZH
) -> list[AnsweredRequirement]:
    """Every confirmed requirement of the revision's opportunity, with its answer."""
    revision = session.get(EstimateRevision, revision_id)
    if revision is None:
        raise NotFoundError(f"estimate revision {revision_id} does not exist")
    rows = session.exec(
        select(Requirement)
        .join(RequirementList, col(RequirementList.id) == col(Requirement.list_id))
        .where(
            RequirementList.opportunity_id == revision.estimate.opportunity_id,
            RequirementList.status == IntakeStatus.CONFIRMED,
        )
        .order_by(
            col(RequirementList.created_at), col(RequirementList.id), col(Requirement.position)
        )
    ).all()
    return [
        AnsweredRequirement(
            number=str(number),
            clause=row.key,
            section=row.section,
            text=row.text,
            mandatory=row.mandatory,
            scored=row.scored,
            compliance=intake.compliance_label(row.compliance, language.value)
            if row.compliance
            else "",
            deviation=intake.deviation_label(row.compliance, language.value)
            if row.compliance
            else "",
            response=row.response,
            reference=row.reference,
            note=row.deviation_note,
        )
        for number, row in enumerate(rows, start=1)
    ]

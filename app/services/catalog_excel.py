"""Catalog ⇄ Excel: one row per work item and role, bilingual headers.

Import validates every row and collects every problem (sheet, row, column) before anything
is written; a file with any problem changes nothing.
"""

import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import openpyxl
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import ValidationError

from app.errors import CellProblem, ImportRejectedError
from app.models import ThreePoint, WorkItemCreate
from app.services.upload_guard import check_xlsx_archive
from app.vocabulary import PHASE_LABELS, UNIT_LABELS, Distribution, ItemKind, Phase, Unit

ITEMS_SHEET = "工作项 Items"
INFO_SHEET = "目录信息 Catalog"
MAX_DATA_ROWS = 50_000
# openpyxl's read-only mode walks every formatted empty row; stop after this many.
MAX_TRAILING_EMPTY_ROWS = 1_000
_LIST_SPLIT = re.compile(r"\s*[,，;；、]\s*")


@dataclass(frozen=True)
class ColumnSpec:
    key: str
    header: str
    width: int


COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("code", "编码 Code", 12),
    ColumnSpec("name_zh", "名称（中文） Name (zh)", 28),
    ColumnSpec("name_en", "名称（英文） Name (en)", 34),
    ColumnSpec("phase", "阶段 Phase", 13),
    ColumnSpec("unit", "单位 Unit", 11),
    ColumnSpec("kind", "类型 Kind", 10),
    ColumnSpec("percent_of", "百分比基数 Percent of", 22),
    ColumnSpec("distribution", "分布 Distribution", 14),
    ColumnSpec("role", "角色 Role", 9),
    ColumnSpec("optimistic", "乐观 Optimistic", 11),
    ColumnSpec("most_likely", "最可能 Most likely", 11),
    ColumnSpec("pessimistic", "悲观 Pessimistic", 11),
    ColumnSpec("tags", "标签 Tags", 26),
    ColumnSpec("description_zh", "描述（中文） Description (zh)", 48),
    ColumnSpec("description_en", "描述（英文） Description (en)", 56),
)
_ITEM_FIELDS = (
    "name_zh",
    "name_en",
    "phase",
    "unit",
    "kind",
    "percent_of",
    "distribution",
    "tags",
    "description_zh",
    "description_en",
)
_REQUIRED_TEXT = {"code": "编码 Code", "name_zh": "名称（中文）", "name_en": "名称（英文）"}


@dataclass(frozen=True)
class CatalogInfo:
    code: str
    name_zh: str
    name_en: str
    version: int | None = None
    status: str = ""


@dataclass(frozen=True)
class ParsedCatalog:
    info: CatalogInfo | None
    items: list[WorkItemCreate]


# --- Export ----------------------------------------------------------------------------------


def export_catalog_xlsx(
    *, info: CatalogInfo, items: Sequence[WorkItemCreate], role_codes: Sequence[str]
) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = ITEMS_SHEET
    _write_header(sheet)
    row_number = 1
    for item in items:
        for role_code, triple in item.estimates.items():
            row_number += 1
            _write_row(sheet, row_number, _row_values(item, role_code, triple))
    _add_validations(sheet, last_row=max(row_number, 2) + 500, role_codes=role_codes)
    _write_info_sheet(workbook.create_sheet(INFO_SHEET), info)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _row_values(item: WorkItemCreate, role_code: str, triple: ThreePoint) -> dict[str, Any]:
    return {
        "code": item.code,
        "name_zh": item.name_zh,
        "name_en": item.name_en,
        "phase": item.phase.value,
        "unit": item.unit.value,
        "kind": item.kind.value,
        "percent_of": ", ".join(item.percent_of),
        "distribution": item.distribution.value,
        "role": role_code,
        "optimistic": triple.optimistic,
        "most_likely": triple.most_likely,
        "pessimistic": triple.pessimistic,
        "tags": ", ".join(item.tags),
        "description_zh": item.description_zh,
        "description_en": item.description_en,
    }


def _write_text(cell: Cell, value: str) -> None:
    # Text is always text: a name like "=HYPERLINK(...)" must not become a formula.
    cell.value = value
    cell.data_type = "s"


def _write_row(sheet: Worksheet, row_number: int, values: dict[str, Any]) -> None:
    for column_index, spec in enumerate(COLUMNS, start=1):
        value = values[spec.key]
        cell = sheet.cell(row=row_number, column=column_index)
        if isinstance(value, str):
            _write_text(cell, value)
        else:
            cell.value = value


def _write_header(sheet: Worksheet) -> None:
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for column_index, spec in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=column_index, value=spec.header)
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(column_index)].width = spec.width
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}1"


def _column_letter(key: str) -> str:
    index = next(i for i, spec in enumerate(COLUMNS, start=1) if spec.key == key)
    return str(get_column_letter(index))


def _add_validations(sheet: Worksheet, *, last_row: int, role_codes: Sequence[str]) -> None:
    choices = {
        "distribution": [d.value for d in Distribution],
        "phase": [p.value for p in Phase],
        "unit": [u.value for u in Unit],
        "kind": [k.value for k in ItemKind],
        "role": list(role_codes),
    }
    for key, values in choices.items():
        validation = DataValidation(
            type="list",
            formula1='"' + ",".join(values) + '"',
            allow_blank=False,
            showErrorMessage=True,
            errorTitle="无效值 Invalid value",
            error="请从下拉列表选择 Choose a value from the list: " + ", ".join(values),
        )
        letter = _column_letter(key)
        validation.add(f"{letter}2:{letter}{last_row}")
        sheet.add_data_validation(validation)
    numbers = DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        showErrorMessage=True,
        error="请输入非负数 Enter a number ≥ 0",
    )
    numbers.add(f"{_column_letter('optimistic')}2:{_column_letter('pessimistic')}{last_row}")
    sheet.add_data_validation(numbers)


def _write_info_sheet(sheet: Worksheet, info: CatalogInfo) -> None:
    rows = [
        ("目录编码 Catalog code", info.code),
        ("名称（中文） Name (zh)", info.name_zh),
        ("名称（英文） Name (en)", info.name_en),
        ("版本 Version", info.version),
        ("状态 Status", info.status),
        ("阶段 Phases", "; ".join(f"{p.value}={zh}/{en}" for p, (zh, en) in PHASE_LABELS.items())),
        ("单位 Units", "; ".join(f"{u.value}={zh}/{en}" for u, (zh, en) in UNIT_LABELS.items())),
    ]
    for row_number, (label, value) in enumerate(rows, start=1):
        sheet.cell(row=row_number, column=1, value=label).font = Font(bold=True)
        cell = sheet.cell(row=row_number, column=2)
        if isinstance(value, str):
            _write_text(cell, value)
        else:
            cell.value = value
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 60


# --- Import ----------------------------------------------------------------------------------


def parse_catalog_xlsx(
    data: bytes, *, known_roles: Iterable[str], file_name: str = "upload.xlsx", max_bytes: int
) -> ParsedCatalog:
    """Parse and validate a catalog workbook; raise :class:`ImportRejectedError` listing all
    problems if there is any."""
    check_xlsx_archive(data, file_name=file_name, max_bytes=max_bytes)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for damaged packages
        raise ImportRejectedError(
            [CellProblem(file_name, None, None, f"the workbook cannot be read: {error}")]
        ) from error
    try:
        if ITEMS_SHEET not in workbook.sheetnames:
            raise ImportRejectedError(
                [CellProblem(file_name, None, None, f"no sheet named {ITEMS_SHEET!r}")]
            )
        rows = _read_rows(workbook[ITEMS_SHEET])
        info = _read_info(workbook[INFO_SHEET]) if INFO_SHEET in workbook.sheetnames else None
    except ImportRejectedError:
        raise
    except Exception as error:  # read-only mode parses a damaged sheet part only now
        raise ImportRejectedError(
            [CellProblem(file_name, None, None, f"the workbook cannot be read: {error}")]
        ) from error
    finally:
        workbook.close()
    return ParsedCatalog(info=info, items=_RowValidator(set(known_roles)).validate(rows))


def _read_rows(sheet: Any) -> list[tuple[int, tuple[Any, ...]]]:
    rows: list[tuple[int, tuple[Any, ...]]] = []
    empty_run = 0
    for row_number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if all(value is None or (isinstance(value, str) and not value.strip()) for value in values):
            empty_run += 1
            if empty_run > MAX_TRAILING_EMPTY_ROWS:
                break
            continue
        empty_run = 0
        rows.append((row_number, tuple(values)))
        if len(rows) > MAX_DATA_ROWS + 1:
            raise ImportRejectedError(
                [
                    CellProblem(
                        ITEMS_SHEET, row_number, None, f"more than {MAX_DATA_ROWS:,} rows; refused"
                    )
                ]
            )
    return rows


def _read_info(sheet: Any) -> CatalogInfo | None:
    values: dict[str, Any] = {}
    for row in sheet.iter_rows(min_row=1, max_row=10, max_col=2, values_only=True):
        if row and isinstance(row[0], str) and row[0].split():
            values[row[0].split()[-1].lower()] = row[1] if len(row) > 1 else None
    code = values.get("code")
    if not isinstance(code, str) or not code.strip():
        return None
    version = values.get("version")
    return CatalogInfo(
        code=code.strip(),
        name_zh=str(values.get("(zh)") or code),
        name_en=str(values.get("(en)") or code),
        version=version if isinstance(version, int) else None,
        status=str(values.get("status") or ""),
    )


def _normalise_header(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().lower()


_PHASE_BY_LABEL = {
    **{phase.value: phase for phase in Phase},
    **{zh: phase for phase, (zh, _) in PHASE_LABELS.items()},
    **{en.lower(): phase for phase, (_, en) in PHASE_LABELS.items()},
}
_UNIT_BY_LABEL = {
    **{unit.value: unit for unit in Unit},
    **{zh: unit for unit, (zh, _) in UNIT_LABELS.items()},
    **{en.lower(): unit for unit, (_, en) in UNIT_LABELS.items()},
}


class _RowValidator:
    """Collects every problem of the item rows, then builds the items if there is none."""

    def __init__(self, known_roles: set[str]) -> None:
        self.known_roles = known_roles
        self.problems: list[CellProblem] = []
        self.columns: dict[str, int] = {}
        self.rejected_codes: set[str] = set()

    def problem(self, row: int | None, key: str | None, message: str) -> None:
        column = get_column_letter(self.columns[key] + 1) if key in self.columns else None
        self.problems.append(CellProblem(ITEMS_SHEET, row, column, message))

    def validate(self, rows: list[tuple[int, tuple[Any, ...]]]) -> list[WorkItemCreate]:
        if not rows:
            raise ImportRejectedError([CellProblem(ITEMS_SHEET, None, None, "the sheet is empty")])
        header_row, header = rows[0]
        self._map_header(header_row, header)
        if self.problems:
            raise ImportRejectedError(self.problems)
        items: dict[str, dict[str, Any]] = {}
        seen: dict[tuple[str, str], int] = {}
        for row_number, values in rows[1:]:
            self._validate_row(row_number, values, items, seen)
        if not items and not self.problems:
            self.problem(None, None, "no work item rows below the header")
        built = self._build(items)
        if self.problems:
            raise ImportRejectedError(self.problems)
        return built

    def _map_header(self, row_number: int, header: tuple[Any, ...]) -> None:
        normalised = [_normalise_header(text) for text in header]
        for spec in COLUMNS:
            wanted = _normalise_header(spec.header)
            english = wanted.split(" ", 1)[1] if " " in wanted else wanted
            matches = [i for i, text in enumerate(normalised) if text in (wanted, english)]
            if matches:
                self.columns[spec.key] = matches[0]
            else:
                self.problems.append(
                    CellProblem(ITEMS_SHEET, row_number, None, f"missing column {spec.header!r}")
                )

    def _cell(self, values: tuple[Any, ...], key: str) -> Any:
        index = self.columns[key]
        return values[index] if index < len(values) else None

    def _text(self, values: tuple[Any, ...], key: str) -> str:
        value = self._cell(values, key)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip()

    def _validate_row(
        self,
        row: int,
        values: tuple[Any, ...],
        items: dict[str, dict[str, Any]],
        seen: dict[tuple[str, str], int],
    ) -> None:
        code = self._text(values, "code")
        for key, label in _REQUIRED_TEXT.items():
            if not self._text(values, key):
                self.problem(row, key, f"{label} is empty")
                self.rejected_codes.add(code)
        fields = self._item_fields(row, values)
        role = self._text(values, "role").upper()
        if role not in self.known_roles:
            self.problem(row, "role", f"unknown role {role or '(empty)'!r}")
        triple = self._triple(row, values)
        if not code:
            return
        if (code, role) in seen:
            self.problem(
                row,
                "role",
                f"duplicate code {code!r} for role {role!r} (first on row {seen[code, role]})",
            )
            return
        seen[code, role] = row
        entry = items.setdefault(code, {"row": row, "fields": fields, "estimates": {}})
        self._check_consistent(row, code, entry, fields)
        if triple is not None and role in self.known_roles:
            entry["estimates"][role] = triple

    def _item_fields(self, row: int, values: tuple[Any, ...]) -> dict[str, Any]:
        fields: dict[str, Any] = {key: self._text(values, key) for key in _ITEM_FIELDS}
        fields["phase"] = self._choice(row, "phase", fields["phase"], _PHASE_BY_LABEL)
        fields["unit"] = self._choice(row, "unit", fields["unit"], _UNIT_BY_LABEL)
        fields["kind"] = self._choice(
            row, "kind", fields["kind"] or "days", {k.value: k for k in ItemKind}
        )
        fields["distribution"] = self._choice(
            row,
            "distribution",
            fields["distribution"] or "pert",
            {d.value: d for d in Distribution},
        )
        fields["tags"] = [tag for tag in _LIST_SPLIT.split(fields["tags"]) if tag]
        phases = [p for p in _LIST_SPLIT.split(fields["percent_of"]) if p]
        fields["percent_of"] = [self._choice(row, "percent_of", p, _PHASE_BY_LABEL) for p in phases]
        return fields

    def _choice(self, row: int, key: str, text: str, allowed: dict[str, Any]) -> Any:
        value = allowed.get(text) or allowed.get(text.lower())
        if value is None:
            options = ", ".join(sorted({str(v.value) for v in allowed.values()}))
            self.problem(row, key, f"{text or '(empty)'!r} is not one of: {options}")
        return value

    def _triple(self, row: int, values: tuple[Any, ...]) -> ThreePoint | None:
        numbers: dict[str, float] = {}
        for key in ("optimistic", "most_likely", "pessimistic"):
            value = self._cell(values, key)
            number = _as_number(value)
            if number is None:
                shown = "(empty)" if value is None or value == "" else repr(value)
                self.problem(row, key, f"{key}={shown} is not a number")
            elif not math.isfinite(number):
                self.problem(row, key, f"{key}={value!r} is not a finite number")
            elif number < 0:
                self.problem(row, key, f"{key}={number:g} is negative")
            else:
                numbers[key] = number
        if len(numbers) < 3:
            return None
        try:
            return ThreePoint(**numbers)
        except ValidationError as error:
            message = error.errors()[0]["msg"].removeprefix("Value error, ")
            key = "optimistic" if numbers["optimistic"] > numbers["most_likely"] else "most_likely"
            self.problem(row, key, message)
            return None

    def _check_consistent(
        self, row: int, code: str, entry: dict[str, Any], fields: dict[str, Any]
    ) -> None:
        first = entry["fields"]
        for key in _ITEM_FIELDS:
            if fields[key] != first[key] and fields[key] is not None and first[key] is not None:
                self.problem(
                    row,
                    key,
                    f"item {code!r}: {key} differs from row {entry['row']} "
                    f"({fields[key]!r} vs {first[key]!r})",
                )

    def _build(self, items: dict[str, dict[str, Any]]) -> list[WorkItemCreate]:
        built: list[WorkItemCreate] = []
        for code, entry in items.items():
            fields = entry["fields"]
            reported = code in self.rejected_codes or any(v is None for v in fields.values())
            if reported or not entry["estimates"]:
                continue
            try:
                built.append(WorkItemCreate(code=code, estimates=entry["estimates"], **fields))
            except ValidationError as error:
                for detail in error.errors():
                    message = detail["msg"].removeprefix("Value error, ")
                    self.problem(entry["row"], None, f"item {code!r}: {message}")
        return built


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", ""))
        except ValueError:
            return None
    return None

"""Importing history: timesheet exports and external estimate-versus-actual records.

Three steps, nothing stored before the last:

1. **upload** – the file is checked (size, zip bomb, real workbook) and read into a grid;
   its header row is found and each column is proposed a field from English and Chinese
   header synonyms (``项目``/``project``, ``估算``/``estimate``, ``实际工时``/``actual`` …).
2. **preview** – with the mapping the user confirmed or corrected, every row is checked:
   missing or non-numeric estimates and actuals, estimates or actuals of zero or less and
   unreadable dates are reported with their sheet, row and column and left out (never
   guessed); the good rows are summarised.
3. **confirm** – the good rows are stored in one transaction, as one ``HistoryImport``.

Between the steps the uploaded bytes wait in a private temporary directory under a random
token bound to the user who uploaded them; they are deleted once imported and pruned after
a day.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
import secrets
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from app.errors import CellProblem, FieldError, ImportRejectedError, NotFoundError
from app.services.upload_guard import check_xlsx_archive
from app.vocabulary import PHASE_LABELS

MAX_ROWS = 100_000
MAX_COLUMNS = 60
HEADER_SEARCH_ROWS = 15
# openpyxl read-only trusts the sheet's declared size: stop after this many empty rows.
MAX_EMPTY_RUN = 1_000
UPLOAD_TTL_SECONDS = 24 * 3600
_UPLOAD_DIR_NAME = "bidwright-history-uploads"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class HistoryField(StrEnum):
    """What a column of a history file can hold."""

    PROJECT = "project"
    TASK = "task"
    PHASE = "phase"
    CATEGORY = "category"
    ROLE = "role"
    ESTIMATE = "estimate"
    ACTUAL = "actual"
    ESTIMATOR = "estimator"
    DATE = "date"


class RowKind(StrEnum):
    """What one row of the file is: a task (or phase × role line) or a whole project."""

    TASKS = "tasks"
    PROJECTS = "projects"


REQUIRED = (HistoryField.ESTIMATE, HistoryField.ACTUAL)

# Normalised header texts (lower case, no spaces, units in brackets removed) per field.
SYNONYMS: dict[HistoryField, tuple[str, ...]] = {
    HistoryField.PROJECT: (
        "project",
        "projectname",
        "projectcode",
        "projectid",
        "项目",
        "项目名称",
        "项目编号",
        "项目代码",
    ),
    HistoryField.TASK: (
        "task",
        "taskname",
        "activity",
        "workitem",
        "item",
        "任务",
        "任务名称",
        "工作项",
        "活动",
        "事项",
    ),
    HistoryField.PHASE: ("phase", "stage", "阶段", "项目阶段"),
    HistoryField.CATEGORY: ("category", "type", "module", "类别", "分类", "类型", "模块"),
    HistoryField.ROLE: ("role", "position", "jobrole", "角色", "岗位", "职位", "人员角色"),
    HistoryField.ESTIMATE: (
        "estimate",
        "estimated",
        "estimateddays",
        "estimatedeffort",
        "estimatedays",
        "planned",
        "planneddays",
        "plan",
        "budget",
        "估算",
        "预估",
        "估算工时",
        "预估工时",
        "预计工时",
        "计划工时",
        "估算人天",
        "计划人天",
        "计划",
        "估算工作量",
    ),
    HistoryField.ACTUAL: (
        "actual",
        "actuals",
        "actualdays",
        "actualeffort",
        "spent",
        "logged",
        "实际",
        "实际工时",
        "实际人天",
        "实际工作量",
        "已用工时",
    ),
    HistoryField.ESTIMATOR: (
        "estimator",
        "estimatedby",
        "estimateowner",
        "估算人",
        "评估人",
        "估算者",
    ),
    HistoryField.DATE: (
        "date",
        "finished",
        "finishedon",
        "finishdate",
        "completed",
        "completedon",
        "enddate",
        "日期",
        "完成日期",
        "结束日期",
        "完工日期",
    ),
}

_BRACKETS = re.compile(r"[（(\[【].*?[)）\]】]")
_NOISE = re.compile(r"[\s_\-./:：·]+")


def normalise_header(text: str) -> str:
    """Header text as compared with the synonyms.

    >>> normalise_header("  Estimated Days (人天) "), normalise_header("实际工时（天）")
    ('estimateddays', '实际工时')
    """
    return _NOISE.sub("", _BRACKETS.sub("", text)).lower()


# --- reading the file ----------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """One sheet's cell values (rows of Python values), with where it came from."""

    sheet: str
    rows: list[list[Any]]


def _refuse(file_name: str, message: str) -> ImportRejectedError:
    return ImportRejectedError(
        [CellProblem(sheet=file_name, row=None, column=None, message=message)]
    )


def _decode_csv(data: bytes, file_name: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _refuse(file_name, "the file is neither UTF-8 nor GB18030 text")


def read_csv(data: bytes, file_name: str) -> Grid:
    text = _decode_csv(data, file_name)
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows: list[list[Any]] = []
    for row in csv.reader(io.StringIO(text), dialect):
        if len(rows) >= MAX_ROWS + HEADER_SEARCH_ROWS:
            raise _refuse(file_name, f"the file has more than {MAX_ROWS:,} rows")
        rows.append(list(row[:MAX_COLUMNS]))
    return Grid(sheet=file_name, rows=rows)


def _sheet_rows(worksheet: Any) -> Iterator[list[Any]]:
    empty_run = 0
    for row in worksheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
        values = list(row)
        if all(value is None or (isinstance(value, str) and not value.strip()) for value in values):
            empty_run += 1
            if empty_run > MAX_EMPTY_RUN:
                return
        else:
            empty_run = 0
        yield values


def read_xlsx(data: bytes, file_name: str, *, max_bytes: int) -> Grid:
    """The first visible sheet whose header row names an estimate and an actual column."""
    check_xlsx_archive(data, file_name=file_name, max_bytes=max_bytes)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged package
        raise _refuse(file_name, f"the workbook cannot be read ({error})") from error
    try:
        fallback: Grid | None = None
        for worksheet in workbook.worksheets:
            if worksheet.sheet_state != "visible":
                continue
            rows = _read_sheet(worksheet, file_name)
            grid = Grid(sheet=worksheet.title, rows=_trim(rows))
            header = find_header(grid.rows)
            if header is not None and set(REQUIRED) <= set(
                propose_mapping(grid.rows[header]).values()
            ):
                return grid
            fallback = fallback or grid
        if fallback is None:
            raise _refuse(file_name, "the workbook has no visible sheet")
        return fallback
    finally:
        workbook.close()


def _read_sheet(worksheet: Any, file_name: str) -> list[list[Any]]:
    rows: list[list[Any]] = []
    try:
        for values in _sheet_rows(worksheet):
            if len(rows) >= MAX_ROWS + HEADER_SEARCH_ROWS:
                raise _refuse(file_name, f"sheet '{worksheet.title}' has over {MAX_ROWS:,} rows")
            rows.append(values)
    except ImportRejectedError:
        raise
    except Exception as error:  # read-only mode parses a damaged sheet part only now
        raise _refuse(file_name, f"sheet '{worksheet.title}' cannot be read ({error})") from error
    return rows


def _trim(rows: list[list[Any]]) -> list[list[Any]]:
    while rows and all(value in (None, "") for value in rows[-1]):
        rows.pop()
    return rows


def read_grid(data: bytes, file_name: str, *, max_bytes: int) -> Grid:
    """Read a .csv or .xlsx upload (refused whole when too large or not what it claims)."""
    if len(data) > max_bytes:
        raise _refuse(file_name, f"file is {len(data):,} bytes; the limit is {max_bytes:,} bytes")
    if not data:
        raise _refuse(file_name, "the file is empty")
    suffix = Path(file_name).suffix.lower()
    if suffix in {".xlsx", ".xlsm"} or data[:2] == b"PK":
        return read_xlsx(data, file_name, max_bytes=max_bytes)
    if suffix in {".csv", ".txt", ""}:
        return read_csv(data, file_name)
    raise _refuse(file_name, f"'{suffix}' files are not supported: upload .xlsx or .csv")


# --- the header and the mapping ----------------------------------------------------------------


def _field_for(header: str) -> tuple[HistoryField, int] | None:
    """The field a header names and how sure: 2 for an exact synonym, 1 for a containment."""
    text = normalise_header(header)
    if not text:
        return None
    for kind, words in SYNONYMS.items():
        if text in words:
            return kind, 2
    best: tuple[HistoryField, int] | None = None
    longest = 0
    for kind, words in SYNONYMS.items():
        for word in words:
            if len(word) >= 2 and word in text and len(word) > longest:
                best, longest = (kind, 1), len(word)
    return best


def find_header(rows: Sequence[Sequence[Any]]) -> int | None:
    """Index of the first row (of the first few) naming at least two fields."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        named = {found[0] for cell in row if isinstance(cell, str) and (found := _field_for(cell))}
        if len(named) >= 2:
            return index
    return None


def propose_mapping(header: Sequence[Any]) -> dict[int, HistoryField]:
    """Column index → field, each field at most once (exact synonyms win, then leftmost)."""
    candidates = []
    for index, cell in enumerate(header):
        found = _field_for(str(cell)) if cell not in (None, "") else None
        if found is not None:
            candidates.append((-found[1], index, found[0]))
    mapping: dict[int, HistoryField] = {}
    for _, index, kind in sorted(candidates):
        if kind not in mapping.values():
            mapping[index] = kind
    return dict(sorted(mapping.items()))


# --- checking the rows --------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryRow:
    """One good row of a history file (person-days)."""

    row: int
    project: str
    task: str
    phase: str
    category: str
    role: str
    estimator: str
    estimate: float
    actual: float
    finished: date | None


@dataclass
class CheckedFile:
    """The outcome of checking every row with one mapping."""

    file_name: str
    sheet: str
    header_row: int  # 1-based
    kind: RowKind
    mapping: dict[HistoryField, int]
    rows: list[HistoryRow] = field(default_factory=list)
    problems: list[CellProblem] = field(default_factory=list)
    skipped_rows: int = 0

    @property
    def projects(self) -> int:
        if self.kind is RowKind.PROJECTS or HistoryField.PROJECT not in self.mapping:
            return len(self.rows)
        return len({row.project for row in self.rows})

    @property
    def date_range(self) -> tuple[date | None, date | None]:
        dates = [row.finished for row in self.rows if row.finished is not None]
        return (min(dates), max(dates)) if dates else (None, None)


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_UNITS = re.compile(r"(人天|人日|天|days?|d|h|小时|hours?)$", re.IGNORECASE)
_CN_DATE = re.compile(r"^(\d{4})[年/.-](\d{1,2})[月/.-](\d{1,2})日?$")


def parse_number(value: Any) -> float | None:
    """A finite number from a cell, or ``None`` when it is not one ("12.5", "1,200 人天")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
        return number if math.isfinite(number) else None
    if not isinstance(value, str):
        return None
    text = _UNITS.sub("", value.strip().replace(",", "").replace("，", "")).strip()
    return float(text) if _NUMBER.match(text) else None


def parse_date(value: Any) -> date | None:
    """A date from a cell (a date, or text like 2024-05-31, 2024/5/31, 2024年5月31日)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date")
    match = _CN_DATE.match(value.strip())
    if match is None:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")
    year, month, day = (int(part) for part in match.groups())
    return date(year, month, day)


def _text(value: Any, limit: int) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()[:limit]


def _phase_code(*texts: str) -> str:
    """Our phase code when a task's phase or category names one (in either language)."""
    lookup: dict[str, str] = {}
    for phase, (zh, en) in PHASE_LABELS.items():
        for name in (phase.value, zh, en):
            lookup[normalise_header(name)] = phase.value
    for text in texts:
        found = lookup.get(normalise_header(text))
        if found:
            return found
    return ""


@dataclass
class _RowChecker:
    checked: CheckedFile
    role_codes: dict[str, str]  # normalised role code or name → code

    def cell(self, values: Sequence[Any], kind: HistoryField) -> Any:
        index = self.checked.mapping.get(kind)
        return values[index] if index is not None and index < len(values) else None

    def problem(self, row: int, kind: HistoryField, message: str) -> None:
        column = get_column_letter(self.checked.mapping[kind] + 1)
        sheet = self.checked.sheet
        self.checked.problems.append(
            CellProblem(sheet=sheet, row=row, column=column, message=message)
        )

    def days(self, values: Sequence[Any], row: int, kind: HistoryField) -> float | None:
        raw = self.cell(values, kind)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            self.problem(row, kind, f"the {kind.value} is missing")
            return None
        number = parse_number(raw)
        if number is None:
            self.problem(row, kind, f"{kind.value} {raw!r} is not a number")
            return None
        if number <= 0:
            self.problem(row, kind, f"{kind.value} {number:g} must be above zero")
            return None
        return number

    def finished(self, values: Sequence[Any], row: int) -> tuple[bool, date | None]:
        raw = self.cell(values, HistoryField.DATE)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return True, None
        try:
            return True, parse_date(raw)
        except ValueError as error:
            self.problem(row, HistoryField.DATE, str(error))
            return False, None

    def check(self, values: Sequence[Any], row: int) -> None:
        if all(value is None or (isinstance(value, str) and not value.strip()) for value in values):
            return
        estimate = self.days(values, row, HistoryField.ESTIMATE)
        actual = self.days(values, row, HistoryField.ACTUAL)
        date_ok, finished = self.finished(values, row)
        if estimate is None or actual is None or not date_ok:
            self.checked.skipped_rows += 1
            return
        phase_text = _text(self.cell(values, HistoryField.PHASE), 100)
        category = _text(self.cell(values, HistoryField.CATEGORY), 100) or phase_text
        task = _text(self.cell(values, HistoryField.TASK), 300)
        role = _text(self.cell(values, HistoryField.ROLE), 64)
        self.checked.rows.append(
            HistoryRow(
                row=row,
                project=_text(self.cell(values, HistoryField.PROJECT), 100),
                task=task,
                phase=_phase_code(phase_text, category, task),
                category=category,
                role=self.role_codes.get(normalise_header(role), role),
                estimator=_text(self.cell(values, HistoryField.ESTIMATOR), 100),
                estimate=estimate,
                actual=actual,
                finished=finished,
            )
        )


def check_rows(
    grid: Grid,
    *,
    file_name: str,
    kind: RowKind,
    mapping: dict[HistoryField, int],
    role_codes: dict[str, str] | None = None,
) -> CheckedFile:
    """Check every row below the header with ``mapping`` (field → column index)."""
    header = find_header(grid.rows)
    header = 0 if header is None else header
    width = max((len(row) for row in grid.rows), default=0)
    for kind_needed in REQUIRED:
        if kind_needed not in mapping:
            raise FieldError(f"column_{kind_needed.value}", "choose the column that holds it")
    if kind is RowKind.PROJECTS and HistoryField.PROJECT not in mapping:
        raise FieldError("column_project", "a file of whole projects needs the project column")
    seen: dict[int, HistoryField] = {}
    for name, index in mapping.items():
        if not 0 <= index < max(width, 1):
            raise FieldError(f"column_{name.value}", f"column {index + 1} is not in the file")
        if index in seen:
            letter = get_column_letter(index + 1)
            raise FieldError(
                f"column_{name.value}", f"column {letter} is already used for {seen[index].value}"
            )
        seen[index] = name
    checked = CheckedFile(
        file_name=file_name, sheet=grid.sheet, header_row=header + 1, kind=kind, mapping=mapping
    )
    checker = _RowChecker(checked, role_codes or {})
    for offset, values in enumerate(grid.rows[header + 1 :], start=header + 2):
        checker.check(values, offset)
    if not checked.rows and not checked.problems:
        checked.problems.append(
            CellProblem(sheet=grid.sheet, row=None, column=None, message="no rows below the header")
        )
    return checked


# --- the waiting upload ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingUpload:
    token: str
    file_name: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _upload_dir() -> Path:
    directory = Path(tempfile.gettempdir()) / _UPLOAD_DIR_NAME
    directory.mkdir(mode=0o700, exist_ok=True)
    return directory


def _prune(directory: Path) -> None:
    cutoff = time.time() - UPLOAD_TTL_SECONDS
    for path in directory.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue


def _paths(token: str, user_id: int) -> tuple[Path, Path]:
    if not _TOKEN.match(token):
        raise NotFoundError("this upload does not exist or has expired; upload the file again")
    base = _upload_dir() / f"{user_id}-{token}"
    return base.with_suffix(".bin"), base.with_suffix(".name")


def keep_upload(data: bytes, file_name: str, *, user_id: int) -> PendingUpload:
    directory = _upload_dir()
    _prune(directory)
    token = secrets.token_urlsafe(24)
    content, name = _paths(token, user_id)
    content.write_bytes(data)
    name.write_text(file_name, encoding="utf-8")
    return PendingUpload(token=token, file_name=file_name, data=data)


def load_upload(token: str, *, user_id: int) -> PendingUpload:
    content, name = _paths(token, user_id)
    try:
        return PendingUpload(token, name.read_text(encoding="utf-8"), content.read_bytes())
    except OSError:
        raise NotFoundError(
            "this upload does not exist or has expired; upload the file again"
        ) from None


def drop_upload(token: str, *, user_id: int) -> None:
    for path in _paths(token, user_id):
        path.unlink(missing_ok=True)

"""Turn the confirmed mapping into requirement rows, reporting every problem at once.

Rows are read as the customer wrote them: formula cells give their cached values, an ID
comes from the ID column or from the start of the text ("AC-030 The system shall…",
"3.2.1 系统应…"), ★ marks a mandatory clause and ▲ a scored one wherever they stand, and
section headings (a merged cell across the table, or a lone label) carry down to the rows
below. A bad row becomes a :class:`Problem` with its sheet, row and column; nothing raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from app.intake.detect import display_width
from app.intake.types import (
    BlockMapping,
    CellValue,
    ColumnMapping,
    ColumnRole,
    Extraction,
    ParsedWorkbook,
    Problem,
    Requirement,
    SheetData,
    WorkbookMapping,
    compliance_label,
    parse_compliance,
)

EMBEDDED_ID = re.compile(
    r"^\s*(?P<id>[A-Za-z]{1,8}(?:[-_][A-Za-z]{1,8})*[-_]?\d+(?:[-_.]\d+)*|\d+(?:\.\d+)+|\d+(?=[.、)）]))"
    r"[.、)）:：\s]*(?=[^\s.、)）:：])"
)
_LEADING_MARKS = re.compile(r"^[\s★☆▲△]+")
_CROSSES = frozenset({"x", "✓", "√", "✔", "●", "•", "■", "y", "yes", "1", "true", "是", "v"})
_MANDATORY_WORDS = frozenset(
    {
        "m",
        "must",
        "musthave",
        "mandatory",
        "required",
        "yes",
        "y",
        "是",
        "必须",
        "必选",
        "强制",
        "★",
        "实质性",
    }
)
_ERROR_VALUES = frozenset({"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!"})
SECTION_MAX_WIDTH = 60
# calamine reads an error cell (#REF!) and a formula never calculated as empty.
EMPTY_TEXT = (
    "the requirement text is empty (a formula cell shows here only after Excel has "
    "calculated and saved it)"
)


def extract_requirements(workbook: ParsedWorkbook, mapping: WorkbookMapping) -> Extraction:
    """Every requirement of every included block, and every problem found on the way."""
    requirements: list[Requirement] = []
    problems: list[Problem] = []
    seen_ids: dict[tuple[str, str], int] = {}  # (sheet, ID) → first row; IDs restart per sheet
    for block in mapping.blocks:
        if not block.included:
            continue
        if block.sheet not in {sheet.name for sheet in workbook.sheets}:
            problems.append(Problem(block.sheet, None, None, "the workbook has no such sheet"))
            continue
        found = _BlockReader(workbook.sheet(block.sheet), block, seen_ids=seen_ids)
        requirements.extend(found.requirements())
        problems.extend(found.problems)
    return Extraction(tuple(requirements), tuple(problems))


@dataclass
class _BlockReader:
    sheet: SheetData
    block: BlockMapping
    seen_ids: dict[tuple[str, str], int]
    problems: list[Problem] = field(default_factory=list)
    section: str = ""

    def __post_init__(self) -> None:
        self._by_role: dict[ColumnRole, list[ColumnMapping]] = {}
        for column in self.block.columns:
            self._by_role.setdefault(column.role, []).append(column)

    def columns(self, role: ColumnRole) -> list[ColumnMapping]:
        return self._by_role.get(role, [])

    def first(self, role: ColumnRole) -> ColumnMapping | None:
        found = self._by_role.get(role)
        return found[0] if found else None

    def requirements(self) -> Iterator[Requirement]:
        if not self.columns(ColumnRole.TEXT):
            self.problems.append(
                Problem(
                    self.sheet.name,
                    self.block.header_rows[0],
                    None,
                    "no column is mapped as the requirement text; choose one in the mapper",
                )
            )
            return
        last = min(self.block.last_row, len(self.sheet.rows))
        for row in range(self.block.first_data_row, last + 1):
            values = self.sheet.rows[row - 1]
            if all(value is None for value in values):
                continue
            if (heading := self._section_heading(row, values)) is not None:
                self.section = heading
                continue
            requirement = self._requirement(row)
            if requirement is not None:
                yield requirement

    def text(self, row: int, column: ColumnMapping | None) -> str:
        if column is None:
            return ""
        value = self.sheet.cell(row, column.column)
        if isinstance(value, str) and value.strip() in _ERROR_VALUES:
            self.problems.append(
                Problem(self.sheet.name, row, column.column, f"the cell shows the error {value}")
            )
            return ""
        return _as_text(value)

    def _section_heading(self, row: int, values: tuple[CellValue, ...]) -> str | None:
        """A merged cell across the table, or one lone label left of the text, is a heading."""
        filled = [(column, value) for column, value in enumerate(values, 1) if value is not None]
        if len(filled) != 1:
            return None
        column, value = filled[0]
        text = _as_text(value)
        area = self.sheet.merged_at(row, column)
        if area is not None and area.last_column - area.first_column >= 1:
            return _strip_marks(text)
        role = next((c.role for c in self.block.columns if c.column == column), None)
        if role in {ColumnRole.SECTION, ColumnRole.IGNORE, None} or (
            role == ColumnRole.ID and not _is_plain_id(text)
        ):
            return _strip_marks(text) if display_width(text) <= SECTION_MAX_WIDTH else None
        return None

    def _requirement(self, row: int) -> Requirement | None:
        texts = [self.text(row, column) for column in self.columns(ColumnRole.TEXT)]
        text = _strip_marks("\n".join(t for t in texts if t))
        row_text = [_as_text(value) for value in self.sheet.rows[row - 1] if value is not None]
        mandatory = any("★" in t for t in row_text) or self._says_mandatory(row)
        identifier = self.text(row, self.first(ColumnRole.ID))
        if not identifier and (embedded := EMBEDDED_ID.match(text)):
            identifier = embedded.group("id")
        text_column = self.columns(ColumnRole.TEXT)[0].column
        if not text:
            self.problems.append(Problem(self.sheet.name, row, text_column, EMPTY_TEXT))
            return None
        if identifier:
            self._check_unique(row, identifier)
        marks = "".join(mark for mark in "★▲" if any(mark in t for t in row_text))
        return Requirement(
            sheet=self.sheet.name,
            row=row,
            key=identifier or f"{self.sheet.name}!{row}",
            section=self._section(row),
            text=text,
            priority=self.text(row, self.first(ColumnRole.PRIORITY)) or marks,
            mandatory=mandatory,
            scored="▲" in marks,
            existing_answer=self._existing_answer(row),
        )

    def _check_unique(self, row: int, identifier: str) -> None:
        first = self.seen_ids.setdefault((self.sheet.name, identifier), row)
        if first != row:
            column = self.first(ColumnRole.ID) or self.columns(ColumnRole.TEXT)[0]
            self.problems.append(
                Problem(
                    self.sheet.name,
                    row,
                    column.column,
                    f"the ID {identifier} is used again (first in row {first})",
                )
            )

    def _says_mandatory(self, row: int) -> bool:
        for role in (ColumnRole.MANDATORY, ColumnRole.PRIORITY):
            value = _key(self.text(row, self.first(role)))
            if value in _MANDATORY_WORDS and (role == ColumnRole.MANDATORY or value != "yes"):
                return True
        return False

    def _section(self, row: int) -> str:
        column = self.first(ColumnRole.SECTION)
        value = self.text(row, column)
        if value:
            self.section = value  # a vertically merged category holds only its top cell
        return self.section

    def _existing_answer(self, row: int) -> str:
        parts = []
        for column in self.columns(ColumnRole.COMPLIANCE):
            value = self.text(row, column)
            if value and parse_compliance(value) is None:
                self.problems.append(
                    Problem(
                        self.sheet.name,
                        row,
                        column.column,
                        f"'{value}' is not an answer word we recognise",
                    )
                )
            parts.append(value)
        marked = [c for c in self.columns(ColumnRole.OPTION) if is_cross(self.text(row, c))]
        if len(marked) > 1:
            labels = ", ".join(_option_name(column) for column in marked)
            self.problems.append(
                Problem(
                    self.sheet.name,
                    row,
                    marked[1].column,
                    f"more than one answer is marked ({labels})",
                )
            )
        parts.extend(_option_name(column) for column in marked[:1])
        parts.append(self.text(row, self.first(ColumnRole.RESPONSE)))
        return " — ".join(part for part in parts if part)


def _as_text(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).strip()


def _strip_marks(text: str) -> str:
    return _LEADING_MARKS.sub("", text).strip()


def _key(text: str) -> str:
    return re.sub(r"[\s'’\-]+", "", text).casefold()


def _is_plain_id(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z]{0,8}[-_.]?\d+(?:[-_.]\d+)*\.?", text.strip()))


def is_cross(text: str) -> bool:
    """An answer mark in an X-column: X, ✓, √, ●, 1, Yes…"""
    return _key(text) in _CROSSES


def _option_name(column: ColumnMapping) -> str:
    label = column.header.split(" / ")[-1]
    if label:
        return label
    return compliance_label(column.option, "en") if column.option else ""

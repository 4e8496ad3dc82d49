"""The plain data of bid intake: what a customer's workbook holds and what we answer.

Frozen dataclasses and string enums only, so the web layer, the matcher and the
write-back all speak the same vocabulary without importing each other.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

from app.errors import BidwrightError

CellValue = str | float | int | bool | None


class IntakeRefusedError(BidwrightError):
    """The whole file is refused (encrypted, not a workbook, too big, bomb, entities, rows).

    ``message`` is written for the bid team and names the file and the reason.
    """

    status_code = 422

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ColumnRole(StrEnum):
    ID = "id"
    SECTION = "section"
    TEXT = "text"
    PRIORITY = "priority"  # MoSCoW, 高/中/低, a ★▲ column
    MANDATORY = "mandatory"
    COMPLIANCE = "compliance"  # one column holding Yes/No/满足/无偏离… (dropdown or free)
    OPTION = "option"  # one of several X-columns; ColumnMapping.option says which answer
    RESPONSE = "response"
    REMARKS = "remarks"
    REFERENCE = "reference"
    IGNORE = "ignore"


class Compliance(StrEnum):
    COMPLY = "comply"
    PARTIAL = "partial"
    NON_COMPLY = "non_comply"
    NOT_APPLICABLE = "not_applicable"
    EXCEEDS = "exceeds"  # 正偏离: better than asked


_LABELS: dict[str, dict[Compliance, str]] = {
    "en": {
        Compliance.COMPLY: "Comply",
        Compliance.PARTIAL: "Partial",
        Compliance.NON_COMPLY: "Non-comply",
        Compliance.NOT_APPLICABLE: "N/A",
        Compliance.EXCEEDS: "Exceeds",
    },
    "zh": {
        Compliance.COMPLY: "满足",
        Compliance.PARTIAL: "部分满足",
        Compliance.NON_COMPLY: "不满足",
        Compliance.NOT_APPLICABLE: "不适用",
        Compliance.EXCEEDS: "优于要求",
    },
}

_DEVIATIONS: dict[str, dict[Compliance, str]] = {
    "zh": {
        Compliance.COMPLY: "无偏离",
        Compliance.EXCEEDS: "正偏离",
        Compliance.PARTIAL: "负偏离",
        Compliance.NON_COMPLY: "负偏离",
        Compliance.NOT_APPLICABLE: "不适用",
    },
    "en": {
        Compliance.COMPLY: "No deviation",
        Compliance.EXCEEDS: "Positive deviation",
        Compliance.PARTIAL: "Negative deviation",
        Compliance.NON_COMPLY: "Negative deviation",
        Compliance.NOT_APPLICABLE: "N/A",
    },
}


def _each(words: str, value: Compliance) -> dict[str, Compliance]:
    return dict.fromkeys(words.split(), value)


# Keys are normalised (see _normalise): lower case, no spaces or punctuation.
_SYNONYMS: dict[str, Compliance] = {
    **_each(
        "yes y comply complies compliant fullycomply fullycompliant full fully "
        "meets met meet c fc supported support ok true 满足 完全满足 符合 完全符合 无偏离 "
        "是 支持 具备 ✓ √ ✔",
        Compliance.COMPLY,
    ),
    **_each(
        "partial partially partly part inpart partialcomply partiallycomply "
        "partiallycompliant partialcompliance pc p 部分满足 部分符合 部分支持 部分",
        Compliance.PARTIAL,
    ),
    **_each(
        "no n noncomply noncompliant notcomply notcompliant doesnotcomply nc "
        "notsupported false 不满足 不符合 负偏离 否 不支持 不具备 ✗ × ✘",
        Compliance.NON_COMPLY,
    ),
    **_each("na notapplicable nap 不适用 不涉及", Compliance.NOT_APPLICABLE),
    **_each(
        "exceeds exceed exceeded exceedsrequirement better 正偏离 优于 优于要求 超出 超出要求",
        Compliance.EXCEEDS,
    ),
}
# Longest first so 部分满足 and 不满足 win over 满足 when a cell starts with them.
_PREFIXES = sorted((key for key in _SYNONYMS if len(key) >= 2), key=len, reverse=True)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s\-_./,;:()（）、，。：；]+", "", text)


def compliance_label(value: Compliance, language: str) -> str:
    """The word shown for an answer: ``Comply`` in English, ``满足`` in Chinese.

    >>> compliance_label(Compliance.PARTIAL, "zh")
    '部分满足'
    """
    return _LABELS["zh" if language.startswith("zh") else "en"][value]


def deviation_label(value: Compliance, language: str = "zh") -> str:
    """The 偏离情况 wording Chinese tenders use: 无偏离 / 正偏离 / 负偏离.

    >>> deviation_label(Compliance.NON_COMPLY)
    '负偏离'
    """
    return _DEVIATIONS["zh" if language.startswith("zh") else "en"][value]


def parse_compliance(text: str, *, whole: bool = False) -> Compliance | None:
    """Read an answer in whatever words the customer's file uses; None if it is not one.

    With ``whole=True`` the entire cell must be an answer word ("Yes", "部分满足"), not
    merely start with one ("Yes, via SSO"): that is what tells an answer column apart.

    >>> [str(parse_compliance(text)) for text in ("In-Part", "部分满足，见说明", "N/A")]
    ['partial', 'partial', 'not_applicable']
    """
    key = _normalise(text)
    if not key:
        return None
    if key in _SYNONYMS or whole:
        return _SYNONYMS.get(key)
    first_word = re.split(r"[\s,;:.()（），。：；\-]+", unicodedata.normalize("NFKC", text).strip())
    if first_word and _normalise(first_word[0]) in _SYNONYMS:
        return _SYNONYMS[_normalise(first_word[0])]
    for prefix in _PREFIXES:
        if key.startswith(prefix) and not prefix.isascii():
            return _SYNONYMS[prefix]
    return None


@dataclass(frozen=True)
class Problem:
    """One problem in the customer's file; row and column are 1-based, None if whole-sheet.

    >>> Problem("Req", 12, 3, "empty").location, Problem("Req", 12, None, "x").location
    ('Req!C12', 'Req, row 12')
    """

    sheet: str
    row: int | None
    column: int | None
    message: str

    @property
    def location(self) -> str:
        """``Sheet1!C12`` style, the way a bid team finds the cell in Excel."""
        if self.row is None:
            return self.sheet
        if self.column is None:
            return f"{self.sheet}, row {self.row}"
        return f"{self.sheet}!{column_letters(self.column)}{self.row}"

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


def column_letters(column: int) -> str:
    """1 → A, 27 → AA (Excel's bijective base 26).

    >>> column_letters(1), column_letters(28), column_letters(16384)
    ('A', 'AB', 'XFD')
    """
    letters = ""
    while column > 0:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


@dataclass(frozen=True)
class SheetInfo:
    name: str
    index: int  # 0-based position in the workbook
    visible: bool
    rows: int  # after trimming trailing empty rows
    columns: int


@dataclass(frozen=True)
class CellRange:
    """A 1-based inclusive rectangle, as in a merged range or a validation's sqref."""

    first_row: int
    first_column: int
    last_row: int
    last_column: int

    def contains(self, row: int, column: int) -> bool:
        return (
            self.first_row <= row <= self.last_row
            and self.first_column <= column <= self.last_column
        )


@dataclass(frozen=True)
class Validation:
    """A list data validation (dropdown) and the option texts it offers."""

    ranges: tuple[CellRange, ...]
    options: tuple[str, ...]


@dataclass(frozen=True)
class SheetData:
    """The cached values of one sheet, trimmed, plus the structure detection needs."""

    name: str
    rows: tuple[tuple[CellValue, ...], ...]  # rows[r - 1][c - 1]; may be ragged
    merged: tuple[CellRange, ...] = ()
    validations: tuple[Validation, ...] = ()

    def cell(self, row: int, column: int) -> CellValue:
        if row < 1 or column < 1 or row > len(self.rows):
            return None
        values = self.rows[row - 1]
        return values[column - 1] if column <= len(values) else None

    def merged_at(self, row: int, column: int) -> CellRange | None:
        return next((area for area in self.merged if area.contains(row, column)), None)

    def options_at(self, row: int, column: int) -> tuple[str, ...]:
        for validation in self.validations:
            if any(area.contains(row, column) for area in validation.ranges):
                return validation.options
        return ()


@dataclass(frozen=True)
class ColumnMapping:
    column: int  # 1-based
    header: str
    role: ColumnRole
    option: Compliance | None = None  # for OPTION columns: the answer an X here means


@dataclass(frozen=True)
class BlockMapping:
    """One table (header block) on a sheet and the role of each of its columns."""

    sheet: str
    header_rows: tuple[int, ...]
    first_data_row: int
    last_row: int
    columns: tuple[ColumnMapping, ...]
    included: bool = True
    answer_options: tuple[str, ...] = ()  # the compliance column's dropdown list, if any

    def column_for(self, role: ColumnRole) -> ColumnMapping | None:
        return next((mapping for mapping in self.columns if mapping.role == role), None)


@dataclass(frozen=True)
class WorkbookMapping:
    fingerprint: str
    blocks: tuple[BlockMapping, ...]

    def to_json(self) -> str:
        """Stable JSON, so a confirmed mapping can be stored and reused by fingerprint."""
        return json.dumps(
            {"fingerprint": self.fingerprint, "blocks": [_block_dict(b) for b in self.blocks]},
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> WorkbookMapping:
        data = json.loads(text)
        return cls(
            fingerprint=str(data["fingerprint"]),
            blocks=tuple(_block_from_dict(block) for block in data["blocks"]),
        )


def _block_dict(block: BlockMapping) -> dict[str, Any]:
    return {
        "sheet": block.sheet,
        "header_rows": list(block.header_rows),
        "first_data_row": block.first_data_row,
        "last_row": block.last_row,
        "included": block.included,
        "answer_options": list(block.answer_options),
        "columns": [
            {
                "column": column.column,
                "header": column.header,
                "role": column.role.value,
                "option": column.option.value if column.option else None,
            }
            for column in block.columns
        ],
    }


def _block_from_dict(data: Mapping[str, Any]) -> BlockMapping:
    return BlockMapping(
        sheet=str(data["sheet"]),
        header_rows=tuple(int(row) for row in data["header_rows"]),
        first_data_row=int(data["first_data_row"]),
        last_row=int(data["last_row"]),
        included=bool(data.get("included", True)),
        answer_options=tuple(str(option) for option in data.get("answer_options", ())),
        columns=tuple(
            ColumnMapping(
                column=int(column["column"]),
                header=str(column["header"]),
                role=ColumnRole(column["role"]),
                option=Compliance(column["option"]) if column.get("option") else None,
            )
            for column in data["columns"]
        ),
    )


@dataclass(frozen=True)
class ParsedWorkbook:
    """Result of ``reader.read_workbook``: every sheet's cached values, trimmed."""

    file_name: str
    kind: str  # "xlsx" | "xlsm" | "xls" | "csv"
    sheets: tuple[SheetInfo, ...]
    fingerprint: str  # sha256 of sheet names + detected header texts
    data: tuple[SheetData, ...] = field(default=(), repr=False)
    # The header blocks the reader found (it needs them for the fingerprint); the
    # proposal starts from them instead of detecting twice.
    detected: tuple[BlockMapping, ...] = field(default=(), repr=False, compare=False)

    @cached_property
    def _by_name(self) -> dict[str, SheetData]:
        return {sheet.name: sheet for sheet in self.data}

    def sheet(self, name: str) -> SheetData:
        return self._by_name[name]

    def cell(self, sheet: str, row: int, column: int) -> CellValue:
        """The cached value at a 1-based cell; None outside the used area."""
        return self._by_name[sheet].cell(row, column)


@dataclass(frozen=True)
class Requirement:
    """One extracted requirement row."""

    sheet: str
    row: int
    key: str  # the requirement ID, or "Sheet!row" when the file gives none
    section: str
    text: str
    priority: str
    mandatory: bool  # ★, "mandatory", 必须, MoSCoW Must
    scored: bool  # ▲
    existing_answer: str  # what the customer's file already holds, if anything


@dataclass(frozen=True)
class Extraction:
    requirements: tuple[Requirement, ...]
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Answer:
    """The bid team's answer to one requirement row."""

    sheet: str
    row: int
    compliance: Compliance | None
    response: str
    reference: str
    remarks: str = ""

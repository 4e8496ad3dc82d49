"""Find every requirement table on every visible sheet and propose each column's role.

Customers lay requirement lists out however they like: several tables per sheet, cover
sheets, two-row headers with X-columns under a merged "Response", Chinese 偏离表. A header
row is a row of short texts of which at least two name a known column (English or Chinese
synonyms) or that carries a run of answer words (Yes | No | N/A, 满足 | 不满足). The rows
below then vote on what the header left open: ID patterns, long free text, ★▲ marks,
MoSCoW words, answer words and dropdown lists. The bid team confirms or corrects the
proposal in the mapper; this only has to be a good first guess.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from app.intake.types import (
    BlockMapping,
    CellValue,
    ColumnMapping,
    ColumnRole,
    Compliance,
    ParsedWorkbook,
    SheetData,
    WorkbookMapping,
    parse_compliance,
)

HEADER_CELL_MAX = 40  # characters; a header cell is a label, not a sentence
DATA_SAMPLE_ROWS = 300
LONG_TEXT = 30  # display width (a Chinese character counts two) of free requirement text


def _keys(*words: str) -> tuple[str, ...]:
    return tuple(_normalise(word) for word in words)


_BRACKETED = re.compile(r"[(\[（【][^)\]）】]*[)\]）】]")  # "Compliance (Y/N)" → "compliance"
_SEPARATORS = re.compile(r"[\s\-_./:：#*★▲?？]+")


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return _SEPARATORS.sub("", _BRACKETED.sub("", text))


# Whole-cell synonyms per role (normalised). Longer phrases are tried first when a header
# only contains a synonym, so 偏离说明 is a remark while 偏离 alone is the compliance.
SYNONYMS: dict[ColumnRole, tuple[str, ...]] = {
    ColumnRole.ID: _keys(
        "ID",
        "Req ID",
        "Requirement ID",
        "Requirement No",
        "Requirement Number",
        "Req No",
        "Req #",
        "Ref",
        "Ref No",
        "Reference No",
        "RFP Ref",
        "Clause",
        "Clause No",
        "Section No",
        "Item No",
        "Item",
        "No",
        "No.",
        "#",
        "S/N",
        "SN",
        "Serial",
        "Number",
        "Nr",
        "序号",
        "编号",
        "条款号",
        "条款编号",
        "招标文件条款号",
        "需求编号",
        "需求序号",
        "条目编号",
        "章节号",
        "标号",
    ),
    ColumnRole.SECTION: _keys(
        "Section",
        "Category",
        "Area",
        "Module",
        "Group",
        "Heading",
        "Topic",
        "Domain",
        "Functional Area",
        "类别",
        "分类",
        "模块",
        "功能模块",
        "章节",
        "子系统",
        "大类",
        "系统模块",
    ),
    ColumnRole.TEXT: _keys(
        "Requirement",
        "Requirements",
        "Requirement Description",
        "Requirement Text",
        "Description",
        "Specification",
        "Specifications",
        "Functional Requirement",
        "Technical Requirement",
        "Feature",
        "Question",
        "Criteria",
        "Criterion",
        "Requirement Detail",
        "Details",
        "招标要求",
        "技术要求",
        "需求描述",
        "需求",
        "要求",
        "技术规格",
        "规格要求",
        "技术参数",
        "参数要求",
        "功能要求",
        "需求内容",
        "招标文件要求",
        "采购需求",
        "功能描述",
        "技术规格要求",
        "招标技术要求",
        "指标要求",
        "技术指标",
    ),
    ColumnRole.PRIORITY: _keys(
        "Priority",
        "MoSCoW",
        "Importance",
        "Weight",
        "Weighting",
        "Must/Should",
        "Criticality",
        "优先级",
        "重要性",
        "重要程度",
        "权重",
        "星级",
        "级别",
    ),
    ColumnRole.MANDATORY: _keys(
        "Mandatory",
        "Mandatory/Optional",
        "M/O",
        "Required",
        "Mandatory (Y/N)",
        "必须",
        "是否必须",
        "强制",
        "实质性要求",
        "是否实质性",
        "是否必须满足",
        "必选",
        "是否★",
    ),
    ColumnRole.COMPLIANCE: _keys(
        "Compliance",
        "Comply",
        "Compliant",
        "Compliance Status",
        "Compliance Level",
        "Complies",
        "Conformance",
        "Status",
        "偏离情况",
        "偏离",
        "是否偏离",
        "偏离程度",
        "响应情况",
        "满足情况",
        "是否满足",
        "符合性",
        "符合情况",
        "满足程度",
        "是否响应",
    ),
    ColumnRole.RESPONSE: _keys(
        "Response",
        "Vendor Response",
        "Bidder Response",
        "Supplier Response",
        "Answer",
        "Proposed Solution",
        "Solution",
        "How Met",
        "Explanation",
        "Response Detail",
        "投标响应",
        "投标人响应",
        "响应",
        "应答",
        "应答说明",
        "响应内容",
        "实际响应",
        "技术响应",
        "响应说明",
        "投标文件响应",
        "投标规格",
        "投标人技术响应",
        "响应描述",
    ),
    ColumnRole.REMARKS: _keys(
        "Remarks",
        "Comments",
        "Comment",
        "Notes",
        "Note",
        "Remark",
        "Vendor Comments",
        "说明",
        "备注",
        "偏离说明",
        "补充说明",
        "备注说明",
    ),
    ColumnRole.REFERENCE: _keys(
        "Reference",
        "Proposal Reference",
        "Document Reference",
        "Evidence",
        "Supporting Document",
        "Page",
        "投标文件页码",
        "页码",
        "对应页码",
        "应答页码",
        "证明材料",
        "佐证材料",
        "证明文件",
        "索引",
    ),
}
# Row numbers rather than the customer's own requirement numbers.
WEAK_ID = frozenset(_keys("No", "No.", "#", "S/N", "SN", "Serial", "Number", "Nr", "序号", "Item"))
_EXACT = {key: role for role, keys in SYNONYMS.items() for key in keys}
# One alternation, longest synonym first, so a header is searched once in C, not 200 times.
_CONTAINED = re.compile(
    "|".join(
        re.escape(key)
        for key in sorted(_EXACT, key=len, reverse=True)
        if len(key) >= (5 if key.isascii() else 2)
    )
)
ID_VALUE = re.compile(
    r"^(?:[A-Za-z]{1,8}(?:[-_][A-Za-z]{1,8})*[-_.]?\d+(?:[-_.]\d+)*[A-Za-z]?"
    r"|\d+(?:\.\d+)*\.?)$"
)
_MARKS = re.compile(r"^[★☆▲△*\s]+$")
_MOSCOW = frozenset(
    _keys(
        "Must",
        "Should",
        "Could",
        "Won't",
        "Wont",
        "M",
        "S",
        "C",
        "W",
        "High",
        "Medium",
        "Low",
        "Must have",
        "Should have",
        "Could have",
        "高",
        "中",
        "低",
        "必须",
        "可选",
        "重要",
        "一般",
        "H",
        "L",
    )
)


@lru_cache(maxsize=8192)
def header_role(text: str) -> ColumnRole | None:
    """The role a header names, from English and Chinese synonyms.

    >>> header_role("招标文件条款号"), header_role("Compliance (Y/N)"), header_role("偏离说明")
    (<ColumnRole.ID: 'id'>, <ColumnRole.COMPLIANCE: 'compliance'>, <ColumnRole.REMARKS: 'remarks'>)
    """
    if len(text) > HEADER_CELL_MAX:
        return None
    key = _normalise(text)
    if not key:
        return None
    if key in _EXACT:
        return _EXACT[key]
    found = _CONTAINED.search(key)
    return _EXACT[found.group()] if found else None


def display_width(text: str) -> int:
    """Characters, counting a CJK ideograph twice: 招标要求 is as long as "Requirement"."""
    return len(text) + sum(1 for char in text if "\u3000" <= char <= "\u9fff")


def propose_mapping(workbook: ParsedWorkbook) -> WorkbookMapping:
    """Every header block on every visible sheet, with each column's proposed role."""
    blocks = workbook.detected or detect_blocks(workbook)
    return WorkbookMapping(workbook.fingerprint or fingerprint(workbook, blocks), blocks)


def fingerprint(workbook: ParsedWorkbook, blocks: Sequence[BlockMapping]) -> str:
    """sha256 of the sheet names and header texts: the next version of a file maps itself."""
    content = {
        "sheets": [sheet.name for sheet in workbook.sheets],
        "headers": [[block.sheet, [c.header for c in block.columns]] for block in blocks],
    }
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


def detect_blocks(workbook: ParsedWorkbook) -> tuple[BlockMapping, ...]:
    blocks: list[BlockMapping] = []
    for info in workbook.sheets:
        if info.visible:
            blocks.extend(sheet_blocks(workbook.sheet(info.name)))
    return tuple(blocks)


def sheet_blocks(sheet: SheetData) -> list[BlockMapping]:
    """The tables on one sheet, top to bottom; a sheet without a table yields none."""
    groups = _header_groups(sheet)
    blocks = []
    for index, header_rows in enumerate(groups):
        following = groups[index + 1][0] - 1 if index + 1 < len(groups) else len(sheet.rows)
        last_row = _last_filled_row(sheet, header_rows[-1] + 1, following)
        if index + 1 < len(groups):
            last_row = _without_next_title(sheet, header_rows[-1] + 1, last_row)
        if last_row > header_rows[-1]:
            block = _propose_block(sheet, header_rows, last_row)
            if block is not None:
                blocks.append(block)
    return blocks


def _header_groups(sheet: SheetData) -> list[tuple[int, ...]]:
    groups: list[tuple[int, ...]] = []
    for row in range(1, len(sheet.rows) + 1):
        if groups and row <= groups[-1][-1]:
            continue
        # Past the first table, a header needs a fresh start above it (a blank or title
        # row); otherwise answered data rows ("Comply", "Response: …") would qualify.
        # Checked first, it also skips the costly test on every contiguous data row.
        if groups and not _starts_table(sheet, row) and not _starts_table(sheet, row - 1):
            continue
        if not _is_header_row(sheet.rows[row - 1]):
            continue
        group = _with_option_row(sheet, row)
        if not groups or _starts_table(sheet, group[0]):
            groups.append(group)
    return groups or _fallback_header(sheet)


def _starts_table(sheet: SheetData, row: int) -> bool:
    above = sheet.rows[row - 2] if 1 < row <= len(sheet.rows) + 1 else ()
    return sum(value is not None for value in above) <= 1


def _is_header_row(values: Sequence[CellValue]) -> bool:
    texts = [value for value in values if isinstance(value, str)]
    if len(texts) < 2 or any(len(text) > 2 * HEADER_CELL_MAX for text in texts):
        return False
    named = sum(
        1
        for text in texts
        if header_role(text) is not None and parse_compliance(text, whole=True) is None
    )
    return named >= 2 or (named >= 1 and len(option_run(values)) >= 2)


def option_run(values: Sequence[CellValue]) -> list[int]:
    """1-based columns of the longest run of adjacent, distinct answer words in a row."""
    best: list[int] = []
    run: list[int] = []
    seen: set[Compliance] = set()
    for column, value in enumerate(values, start=1):
        answer = _option_label(value)
        if answer is not None and answer not in seen:
            run.append(column)
            seen.add(answer)
        else:
            run, seen = ([column], {answer}) if answer is not None else ([], set())
        best = run if len(run) > len(best) else best
    return best if len(best) >= 2 else []


def _option_label(value: CellValue) -> Compliance | None:
    if not isinstance(value, str) or len(value.strip()) > 14:
        return None
    return parse_compliance(value, whole=True)


def _with_option_row(sheet: SheetData, row: int) -> tuple[int, ...]:
    """A header row plus the row of answer words under (or the group row over) it."""
    below = option_run(sheet.rows[row]) if row < len(sheet.rows) else []
    if below and all(_empty_or_spanned(sheet, row, column) for column in below):
        return (row, row + 1)
    own = option_run(sheet.rows[row - 1])
    if own and row > 1 and any(_spans_columns(sheet, row - 1, column) for column in own):
        return (row - 1, row)
    return (row,)


def _empty_or_spanned(sheet: SheetData, row: int, column: int) -> bool:
    return sheet.cell(row, column) is None or _spans_columns(sheet, row, column)


def _spans_columns(sheet: SheetData, row: int, column: int) -> bool:
    area = sheet.merged_at(row, column)
    return area is not None and area.last_column > area.first_column


def _fallback_header(sheet: SheetData) -> list[tuple[int, ...]]:
    """No known header words: short labels over at least three rows of long free text."""
    for row, values in enumerate(sheet.rows[:200], start=1):
        labels = [c for c, v in enumerate(values, 1) if isinstance(v, str) and len(v) <= 30]
        if len(labels) < 3 or len(labels) != sum(v is not None for v in values):
            continue
        below = sheet.rows[row : row + 3]
        for column in labels:
            cells = [r[column - 1] if column <= len(r) else None for r in below]
            if len(below) == 3 and all(_is_long_text(cell) for cell in cells):
                return [(row,)]
    return []


def _is_long_text(value: CellValue) -> bool:
    return isinstance(value, str) and display_width(value) >= LONG_TEXT


def _without_next_title(sheet: SheetData, first: int, last: int) -> int:
    """A lone title after a blank row ("Non-functional requirements") heads the next table."""
    values = sheet.rows[last - 1] if last >= first else ()
    if sum(value is not None for value in values) == 1 and last - 1 >= first:
        above = sheet.rows[last - 2]
        if all(value is None for value in above):
            return _last_filled_row(sheet, first, last - 1)
    return last


def _last_filled_row(sheet: SheetData, first: int, last: int) -> int:
    for row in range(min(last, len(sheet.rows)), first - 1, -1):
        if any(value is not None for value in sheet.rows[row - 1]):
            return row
    return first - 1


@dataclass
class _Column:
    """What the header and the rows below say about one column."""

    column: int
    header: str
    role: ColumnRole | None = None
    option: Compliance | None = None
    options: tuple[str, ...] = ()
    values: list[CellValue] = field(default_factory=list)

    def share(self, test: object) -> float:
        filled = [value for value in self.values if value is not None]
        if not filled:
            return 0.0
        assert callable(test)
        return sum(1 for value in filled if test(value)) / len(filled)

    @property
    def filled(self) -> int:
        return sum(1 for value in self.values if value is not None)

    @property
    def mean_width(self) -> float:
        texts = [display_width(str(value)) for value in self.values if value is not None]
        return sum(texts) / len(texts) if texts else 0.0


def _propose_block(
    sheet: SheetData, header_rows: tuple[int, ...], last_row: int
) -> BlockMapping | None:
    first_data_row = header_rows[-1] + 1
    columns = _header_columns(sheet, header_rows, first_data_row, last_row)
    for column in columns:
        _apply_dropdown(sheet, column, first_data_row, last_row)
        _apply_content(column, sample_rows=min(last_row - first_data_row + 1, DATA_SAMPLE_ROWS))
    _settle_duplicates(columns)
    if not any(column.role == ColumnRole.TEXT for column in columns):
        return None  # a table without requirement text is not a requirement list
    options = next(
        (c.options for c in columns if c.role == ColumnRole.COMPLIANCE and c.options), ()
    )
    return BlockMapping(
        sheet=sheet.name,
        header_rows=header_rows,
        first_data_row=first_data_row,
        last_row=last_row,
        columns=tuple(
            ColumnMapping(c.column, c.header, c.role or ColumnRole.IGNORE, c.option)
            for c in columns
        ),
        answer_options=options,
    )


def _header_columns(
    sheet: SheetData, header_rows: tuple[int, ...], first_data_row: int, last_row: int
) -> list[_Column]:
    sample = sheet.rows[first_data_row - 1 : min(last_row, first_data_row + DATA_SAMPLE_ROWS - 1)]
    width = max(len(sheet.rows[row - 1]) for row in header_rows)
    width = max([width, *(len(values) for values in sample)])
    options = {
        c: _option_label(sheet.cell(header_rows[-1], c))
        for c in option_run(sheet.rows[header_rows[-1] - 1])
    }
    columns = []
    for number in range(1, width + 1):
        texts = [_header_text(sheet, row, number) for row in header_rows]
        header = " / ".join(dict.fromkeys(text for text in texts if text))
        values = [values[number - 1] if number <= len(values) else None for values in sample]
        if not header and all(value is None for value in values):
            continue
        column = _Column(number, header, values=values)
        if number in options:
            column.role, column.option = ColumnRole.OPTION, options[number]
        else:
            column.role = next((header_role(t) for t in reversed(texts) if header_role(t)), None)
        columns.append(column)
    return columns


def _header_text(sheet: SheetData, row: int, column: int) -> str:
    value = sheet.cell(row, column)
    area = sheet.merged_at(row, column)
    if value is None and area is not None:
        value = sheet.cell(area.first_row, area.first_column)
    return " ".join(str(value).split()) if value is not None else ""


def _apply_dropdown(sheet: SheetData, column: _Column, first: int, last: int) -> None:
    """A column whose dropdown offers answer words is where the compliance answer goes."""
    if column.role not in {None, ColumnRole.RESPONSE, ColumnRole.COMPLIANCE}:
        return
    for row in range(first, min(last, first + 5) + 1):
        options = sheet.options_at(row, column.column)
        if sum(1 for option in options if parse_compliance(option, whole=True)) >= 2:
            column.role, column.options = ColumnRole.COMPLIANCE, options
            return


def _apply_content(column: _Column, *, sample_rows: int) -> None:
    """Let the values decide where the header did not (or said only "Response")."""
    is_answer = column.filled >= 2 and column.share(_is_answer_word) >= 0.6
    if column.role == ColumnRole.RESPONSE and is_answer:
        column.role = ColumnRole.COMPLIANCE
    if column.role is not None or column.filled == 0:
        return
    if column.share(lambda v: isinstance(v, str) and _MARKS.match(v)) >= 0.5:
        marks = "".join(str(value) for value in column.values if value is not None)
        column.role = ColumnRole.PRIORITY if "▲" in marks else ColumnRole.MANDATORY
    elif column.share(lambda v: _normalise(str(v)) in _MOSCOW) >= 0.6:
        column.role = ColumnRole.PRIORITY
    elif is_answer:
        column.role = ColumnRole.COMPLIANCE
    elif column.share(_is_id_value) >= 0.8 and column.filled * 2 >= sample_rows:
        column.role = ColumnRole.ID
    elif column.mean_width >= LONG_TEXT:
        column.role = ColumnRole.TEXT


def _is_answer_word(value: CellValue) -> bool:
    return isinstance(value, str) and parse_compliance(value, whole=True) is not None


def _is_id_value(value: CellValue) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or bool(ID_VALUE.match(str(value).strip()))


def _settle_duplicates(columns: list[_Column]) -> None:
    """One ID column (the customer's clause number beats a row number); some text column."""
    ids = [column for column in columns if column.role == ColumnRole.ID]
    if len(ids) > 1:
        ids.sort(key=lambda column: (_normalise(column.header) in WEAK_ID, -column.filled))
        for column in ids[1:]:
            column.role = ColumnRole.IGNORE
    if not any(column.role == ColumnRole.TEXT for column in columns):
        free = [c for c in columns if c.role is None and c.mean_width >= LONG_TEXT / 2]
        if free:
            max(free, key=lambda column: column.mean_width).role = ColumnRole.TEXT

"""Write the bid team's answers into the customer's own workbook, changing nothing else.

Loading and saving with openpyxl drops x14 data validations, x14 conditional formats,
extension lists, printer settings and more, so the package is edited directly: every zip
member except the sheets that receive answers is copied unchanged (same order, same
compression), and in those sheets only the target ``<c>`` elements change. Answers are
inline strings (``t="inlineStr"``), so sharedStrings stays untouched and an answer that
starts with "=" is text, never a formula; each cell keeps its ``s=`` style. X-columns get
an "X" in the right option column, merged cells are written at their top-left cell, and a
dropdown column gets the workbook's own wording (满足 or Comply or Yes).
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

from defusedxml import ElementTree

from app.intake.extract import is_cross
from app.intake.package import MAIN_NS, column_number, parse_range, sheet_parts, sheet_tail
from app.intake.reader import csv_sheet_name, decode_text, sniff_dialect
from app.intake.safety import refuse, sniff_kind
from app.intake.types import (
    Answer,
    BlockMapping,
    CellRange,
    ColumnMapping,
    ColumnRole,
    Compliance,
    Problem,
    WorkbookMapping,
    column_letters,
    compliance_label,
    deviation_label,
    parse_compliance,
)

CLEAR_CROSS = None  # a planned write that empties an option cell only if it holds an X
EXCEL_TEXT_LIMIT = 32_767
_FALLBACK = {Compliance.EXCEEDS: Compliance.COMPLY}
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
_ROW = re.compile(rb"<row\b([^>]*?)(/?)>")
# A cell: its column letters when the reference comes first (as Excel writes it), the
# other attributes, and its content.
_CELL = re.compile(rb'<c\b(?: r="([A-Z]{1,3})[0-9]+")?([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_R = re.compile(rb'\br="([^"]*)"')
_R_LETTERS = re.compile(rb'\br="\$?([A-Za-z]{1,3})')
_S = re.compile(rb'\bs="([^"]*)"')
_T = re.compile(rb'\bt="([^"]*)"')
_SPANS = re.compile(rb'\s+spans="[^"]*"')


@dataclass
class WritePlan:
    """The cells each answer fills, per sheet → row → column; and what could not be done."""

    cells: dict[str, dict[int, dict[int, str | None]]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def put(self, sheet: str, row: int, column: int, text: str | None) -> None:
        self.cells.setdefault(sheet, {}).setdefault(row, {})[column] = text


def write_answers(
    original: bytes,
    file_name: str,
    mapping: WorkbookMapping,
    answers: Sequence[Answer],
    *,
    language: str,
) -> bytes:
    """The customer's file with the answers filled in (.xlsx, .xlsm or .csv).

    A legacy .xls cannot be edited in place: ``IntakeRefusedError`` says to use the
    standalone compliance matrix instead. :func:`write_answers_reporting` also returns
    what could not be written (an answer outside every table, a formula in an answer cell).
    """
    content, _ = write_answers_reporting(original, file_name, mapping, answers, language=language)
    return content


def write_answers_reporting(
    original: bytes,
    file_name: str,
    mapping: WorkbookMapping,
    answers: Sequence[Answer],
    *,
    language: str,
) -> tuple[bytes, tuple[Problem, ...]]:
    """Like :func:`write_answers`, plus every answer cell that was left unchanged and why."""
    kind = sniff_kind(original, file_name)
    if kind == "xls":
        raise refuse(
            file_name,
            "answers cannot be written into a legacy .xls workbook; download the compliance "
            "matrix (.xlsx) instead, or save the file as .xlsx in Excel and import it again",
        )
    plan = plan_answers(mapping, answers, language=language)
    content = (
        write_csv(original, file_name, plan) if kind == "csv" else write_package(original, plan)
    )
    return content, tuple(plan.problems)


def plan_answers(
    mapping: WorkbookMapping, answers: Sequence[Answer], *, language: str
) -> WritePlan:
    """Decide which cell gets which text, without touching the file."""
    plan = WritePlan()
    roles = [_roles(block) for block in mapping.blocks]
    for answer in answers:
        index = _block_for(mapping, answer)
        if index is None:
            plan.problems.append(
                Problem(answer.sheet, answer.row, None, "no included table covers this row")
            )
            continue
        block = mapping.blocks[index]
        for column, text in _answer_cells(block, roles[index], answer, language, plan.problems):
            plan.put(answer.sheet, answer.row, column, text)
    return plan


def _block_for(mapping: WorkbookMapping, answer: Answer) -> int | None:
    return next(
        (
            index
            for index, block in enumerate(mapping.blocks)
            if block.included
            and block.sheet == answer.sheet
            and block.first_data_row <= answer.row <= block.last_row
        ),
        None,
    )


def _answer_cells(
    block: BlockMapping,
    roles: dict[ColumnRole, tuple[ColumnMapping, ...]],
    answer: Answer,
    language: str,
    problems: list[Problem],
) -> Iterator[tuple[int, str | None]]:
    def columns(role: ColumnRole) -> tuple[ColumnMapping, ...]:
        return roles.get(role, ())

    response = answer.response
    if answer.compliance is not None:
        if not columns(ColumnRole.COMPLIANCE) and not columns(ColumnRole.OPTION):
            label = compliance_label(answer.compliance, language)
            response = f"{label}. {response}" if response else label
        for column in columns(ColumnRole.COMPLIANCE):
            yield column.column, _compliance_word(answer.compliance, column, block, language)
        yield from _option_cells(columns(ColumnRole.OPTION), answer, problems)
    remarks = answer.remarks
    if response and not columns(ColumnRole.RESPONSE):
        remarks = "\n".join(part for part in (response, remarks) if part)
    for role, text in (
        (ColumnRole.RESPONSE, response),
        (ColumnRole.REMARKS, remarks),
        (ColumnRole.REFERENCE, answer.reference),
    ):
        target = columns(role)
        if text and target:
            yield target[0].column, text


def _roles(block: BlockMapping) -> dict[ColumnRole, tuple[ColumnMapping, ...]]:
    roles: dict[ColumnRole, tuple[ColumnMapping, ...]] = {}
    for column in block.columns:
        roles[column.role] = (*roles.get(column.role, ()), column)
    return roles


@lru_cache(maxsize=256)
def _dropdown_word(options: tuple[str, ...], value: Compliance) -> str | None:
    for candidate in (value, _FALLBACK.get(value)):
        for option in options:
            if candidate is not None and parse_compliance(option) == candidate:
                return option
    return None


def _compliance_word(
    value: Compliance, column: ColumnMapping, block: BlockMapping, language: str
) -> str:
    """The dropdown's own word for the answer, else the deviation or compliance label."""
    word = _dropdown_word(block.answer_options, value)
    if word is not None:
        return word
    if "偏离" in column.header or "deviation" in column.header.casefold():
        return deviation_label(value, language)
    return compliance_label(value, language)


def _option_cells(
    options: Sequence[ColumnMapping], answer: Answer, problems: list[Problem]
) -> Iterator[tuple[int, str | None]]:
    if not options or answer.compliance is None:
        return
    wanted = answer.compliance
    chosen = next((c for c in options if c.option == wanted), None) or next(
        (c for c in options if c.option == _FALLBACK.get(wanted)), None
    )
    if chosen is None:
        problems.append(
            Problem(
                answer.sheet,
                answer.row,
                None,
                f"the table has no answer column for '{compliance_label(wanted, 'en')}'",
            )
        )
        return
    for column in options:
        yield column.column, "X" if column is chosen else CLEAR_CROSS


# ---------------------------------------------------------------- .xlsx / .xlsm


def write_package(original: bytes, plan: WritePlan) -> bytes:
    """Copy the package, replacing only the sheet parts that receive answers."""
    with zipfile.ZipFile(io.BytesIO(original)) as archive:
        parts = {part.name: part.part for part in sheet_parts(archive)}
        strings = _SharedStrings(archive)
        changed: dict[str, bytes] = {}
        for sheet, rows in plan.cells.items():
            part = parts.get(sheet)
            if part is None or part not in archive.NameToInfo:
                plan.problems.append(Problem(sheet, None, None, "the workbook has no such sheet"))
                continue
            editor = _SheetEditor(sheet, strings, plan.problems)
            targets = _at_top_left(rows, _merged_ranges(archive, part))
            changed[part] = editor.patch(archive.read(part), targets)
        return _repackage(archive, changed)


def _repackage(archive: zipfile.ZipFile, changed: Mapping[str, bytes]) -> bytes:
    """Same members, same order, same compression method; only ``changed`` differ."""
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as target:
        for info in archive.infolist():
            copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            copy.compress_type = info.compress_type
            copy.external_attr = info.external_attr
            copy.comment = info.comment
            content = changed.get(info.filename)
            target.writestr(copy, archive.read(info) if content is None else content)
    return output.getvalue()


def _merged_ranges(archive: zipfile.ZipFile, part: str) -> list[CellRange]:
    tail: Element = sheet_tail(archive, part)
    return [
        parse_range(merge.get("ref", ""))
        for merge in tail.iter(f"{{{MAIN_NS}}}mergeCell")
        if merge.get("ref")
    ]


def _at_top_left(
    rows: dict[int, dict[int, str | None]], merged: list[CellRange]
) -> dict[int, dict[int, str | None]]:
    """Excel shows a merged area's top-left cell only: that is where an answer must go."""
    if not merged:
        return rows
    moved: dict[int, dict[int, str | None]] = {}
    for row, columns in rows.items():
        for column, text in columns.items():
            area = next((a for a in merged if a.contains(row, column)), None)
            top, left = (area.first_row, area.first_column) if area else (row, column)
            moved.setdefault(top, {})[left] = text
    return moved


class _SharedStrings:
    """The workbook's shared strings, parsed only if an option cell must be inspected."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self._archive = archive
        self._strings: list[str] | None = None

    def __getitem__(self, index: int) -> str:
        if self._strings is None:
            self._strings = self._load()
        return self._strings[index] if 0 <= index < len(self._strings) else ""

    def _load(self) -> list[str]:
        part = "xl/sharedStrings.xml"
        if part not in self._archive.NameToInfo:
            return []
        root = ElementTree.fromstring(self._archive.read(part))
        return [_item_text(item) for item in root.iter(f"{{{MAIN_NS}}}si")]


def _item_text(item: Element) -> str:
    """A shared string's text: plain or rich-text runs, without phonetic guides (rPh)."""
    parts = []
    for child in item:
        if child.tag == f"{{{MAIN_NS}}}t":
            parts.append(child.text or "")
        elif child.tag == f"{{{MAIN_NS}}}r":
            parts.extend(text.text or "" for text in child.iter(f"{{{MAIN_NS}}}t"))
    return "".join(parts)


@dataclass
class _SheetEditor:
    """Splices new ``<c>`` elements into one sheet's XML; everything else is kept."""

    sheet: str
    strings: _SharedStrings
    problems: list[Problem]

    def patch(self, xml: bytes, rows: dict[int, dict[int, str | None]]) -> bytes:
        xml = re.sub(rb"<sheetData\s*/>", b"<sheetData></sheetData>", xml, count=1)
        start, end = self._sheet_data(xml)
        pieces, position, pending = [xml[:start]], start, deque(sorted(rows))
        for match in _ROW.finditer(xml, start, end):
            number = self._row_number(match.group(1))
            while pending and pending[0] < number:
                pieces += [xml[position : match.start()], self._new_row(pending[0], rows)]
                position = match.start()
                pending.popleft()
            if pending and pending[0] == number:
                closed = bool(match.group(2))
                row_end = match.end() if closed else xml.index(b"</row>", match.end()) + 6
                content = b"" if closed else xml[match.end() : row_end - 6]
                row = self._row(number, match.group(1), content, rows[number])
                pieces += [xml[position : match.start()], row]
                position = row_end
                pending.popleft()
        pieces.append(xml[position:end])
        pieces += [self._new_row(number, rows) for number in pending]
        pieces.append(xml[end:])
        return _with_dimension(b"".join(pieces), rows)

    def _sheet_data(self, xml: bytes) -> tuple[int, int]:
        """Where the rows start and end (prefixed or unusual XML is refused, not guessed)."""
        opening = re.search(rb"<sheetData\b[^>]*>", xml)
        if opening is None or b"</sheetData>" not in xml:
            raise refuse(
                self.sheet,
                "this sheet's XML cannot be edited safely (no plain <sheetData>); "
                "download the compliance matrix instead",
            )
        return opening.end(), xml.index(b"</sheetData>", opening.end())

    def _row_number(self, attributes: bytes) -> int:
        found = _R.search(attributes)
        if found is None:
            raise refuse(
                self.sheet,
                "a row without a number cannot be edited safely; "
                "download the compliance matrix instead",
            )
        return int(found.group(1))

    def _row(
        self, number: int, start_tag: bytes, content: bytes, writes: dict[int, str | None]
    ) -> bytes:
        """The row with its target cells replaced or inserted in column order."""
        pieces: list[bytes] = []
        position, pending = 0, deque(sorted(writes))
        for cell in _CELL.finditer(content):
            if not pending:
                break
            letters = cell.group(1)
            column = _column_of(letters) if letters else self._column(cell.group(2))
            while pending and pending[0] < column:
                pieces += [
                    content[position : cell.start()],
                    self._new_cell(number, pending[0], writes),
                ]
                position = cell.start()
                pending.popleft()
            if pending and pending[0] == column:
                replaced = self._replace(number, column, cell, writes[column])
                pieces += [content[position : cell.start()], replaced]
                position = cell.end()
                pending.popleft()
        pieces.append(content[position:])
        pieces += [self._new_cell(number, column, writes) for column in pending]
        return b"<row" + _SPANS.sub(b"", start_tag) + b">" + b"".join(pieces) + b"</row>"

    def _column(self, attributes: bytes) -> int:
        found = _R_LETTERS.search(attributes)
        if found is None:
            raise refuse(
                self.sheet,
                "a cell without a reference cannot be edited safely; "
                "download the compliance matrix instead",
            )
        return _column_of(found.group(1))

    def _new_row(self, number: int, rows: dict[int, dict[int, str | None]]) -> bytes:
        cells = b"".join(
            self._new_cell(number, column, rows[number]) for column in sorted(rows[number])
        )
        return b'<row r="%d">' % number + cells + b"</row>" if cells else b""

    def _new_cell(self, row: int, column: int, writes: dict[int, str | None]) -> bytes:
        text = writes[column]
        return b"" if text is None else _inline_cell(row, column, b"", text)

    def _replace(self, row: int, column: int, cell: re.Match[bytes], text: str | None) -> bytes:
        attributes, inner = cell.group(2), cell.group(3) or b""
        style = _S.search(attributes)
        style_attribute = b' s="' + style.group(1) + b'"' if style else b""
        if b"<f" in inner:
            self.problems.append(
                Problem(self.sheet, row, column, "the cell holds a formula; it was left unchanged")
            )
            return cell.group(0)
        if text is None:  # another option column of this row: remove its X, keep the rest
            if not is_cross(self._text(attributes, inner)):
                return cell.group(0)
            ref = f"{column_letters(column)}{row}".encode()
            return b'<c r="' + ref + b'"' + style_attribute + b"/>"
        return _inline_cell(row, column, style_attribute, text)

    def _text(self, attributes: bytes, inner: bytes) -> str:
        kind = _T.search(attributes)
        texts = re.findall(rb"<(?:t|v)\b[^>]*>(.*?)</(?:t|v)>", inner, re.S)
        value = html.unescape(b"".join(texts).decode())
        if kind is not None and kind.group(1) == b"s" and value.strip().isdigit():
            return self.strings[int(value)]
        return value


@lru_cache(maxsize=1024)
def _column_of(letters: bytes) -> int:
    return column_number(letters.decode())


def _inline_cell(row: int, column: int, style_attribute: bytes, text: str) -> bytes:
    ref = f"{column_letters(column)}{row}".encode()
    clean = escape(_ILLEGAL_XML.sub("", text)[:EXCEL_TEXT_LIMIT]).encode()
    return (
        b'<c r="'
        + ref
        + b'"'
        + style_attribute
        + b' t="inlineStr"><is><t xml:space="preserve">'
        + clean
        + b"</t></is></c>"
    )


def _with_dimension(xml: bytes, rows: dict[int, dict[int, str | None]]) -> bytes:
    """Grow ``<dimension ref>`` when an answer lands outside the used range."""
    found = re.search(rb'<dimension ref="([^"]*)"\s*/>', xml)
    written = [
        (row, column) for row, columns in rows.items() for column, text in columns.items() if text
    ]
    if found is None or not written:
        return xml
    try:
        area = parse_range(found.group(1).decode())
    except ValueError:
        return xml
    bottom = max(area.last_row, *(row for row, _ in written))
    right = max(area.last_column, *(column for _, column in written))
    if (bottom, right) == (area.last_row, area.last_column):
        return xml
    ref = f"{column_letters(area.first_column)}{area.first_row}:{column_letters(right)}{bottom}"
    return xml[: found.start(1)] + ref.encode() + xml[found.end(1) :]


# ---------------------------------------------------------------- .csv


def write_csv(original: bytes, file_name: str, plan: WritePlan) -> bytes:
    """The CSV with the answer cells filled, in its own encoding and delimiter.

    Written answers that start with = + - @ get a leading apostrophe, so a spreadsheet
    opening the file shows them as text instead of running them as formulas.
    """
    text = decode_text(original, file_name)
    delimiter = sniff_dialect(text[:65536]).delimiter
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = [list(values) for values in reader]
    for row, columns in plan.cells.get(csv_sheet_name(file_name), {}).items():
        while len(rows) < row:
            rows.append([])
        values = rows[row - 1]
        for column, answer in sorted(columns.items()):
            values.extend([""] * (column - len(values)))
            if answer is None:
                values[column - 1] = "" if is_cross(values[column - 1]) else values[column - 1]
            else:
                values[column - 1] = _csv_safe(answer)
    output = io.StringIO(newline="")
    terminator = "\r\n" if "\r\n" in text[:65536] else "\n"
    csv.writer(output, delimiter=delimiter, lineterminator=terminator).writerows(rows)
    return _encode_like(output.getvalue(), original)


def _csv_safe(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _encode_like(text: str, original: bytes) -> bytes:
    if original.startswith(b"\xef\xbb\xbf"):
        return text.encode("utf-8-sig")
    if original.startswith((b"\xff\xfe", b"\xfe\xff")):
        return text.encode("utf-16")
    try:
        original.decode("utf-8")
    except UnicodeDecodeError:
        return text.encode("gb18030")  # the file was GBK; GB18030 writes GBK's bytes for it
    return text.encode("utf-8")

"""Read a customer's workbook (.xlsx, .xlsm, .xls) or CSV into trimmed grids of values.

calamine does the reading: formula cells give their cached values, merged ranges and sheet
visibility come with it, and it ignores formatted empty cells, so a print sheet declared
A1:XFD847 or styled down to row 1,048,576 costs nothing extra. ``safety.check_upload`` runs
first and refuses anything that would make calamine allocate an absurd grid.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import PurePath

from python_calamine import (
    CalamineError,
    CalamineSheet,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from app.intake import detect, validations
from app.intake.safety import check_total_rows, check_upload, refuse
from app.intake.types import CellRange, CellValue, ParsedWorkbook, SheetData, SheetInfo
from app.zip_package import DAMAGED

_CSV_DELIMITERS = ",;\t|"


def read_workbook(data: bytes, file_name: str, *, max_bytes: int, max_rows: int) -> ParsedWorkbook:
    """Read every sheet's values; raise ``IntakeRefusedError`` for files refused whole.

    Hidden sheets are read too (a dropdown's list often lives on one) but marked hidden.
    Header blocks are detected here once, because the fingerprint is made of their texts.
    """
    check = check_upload(data, file_name, max_bytes=max_bytes, max_rows=max_rows)
    if check.kind == "csv":
        sheets: list[tuple[SheetData, bool]] = [(read_csv(data, file_name, max_rows), True)]
    else:
        sheets = _read_excel(data, file_name, max_rows=max_rows)
    if check.kind in {"xlsx", "xlsm"}:
        try:
            sheets = _with_validations(data, sheets)
        except (SyntaxError, KeyError, *DAMAGED) as error:  # ParseError is a SyntaxError
            raise refuse(file_name, f"a sheet's XML is damaged ({error})") from error
    infos = tuple(
        SheetInfo(sheet.name, index, visible, len(sheet.rows), max(map(len, sheet.rows), default=0))
        for index, (sheet, visible) in enumerate(sheets)
    )
    partial = ParsedWorkbook(file_name, check.kind, infos, "", tuple(s for s, _ in sheets))
    blocks = detect.detect_blocks(partial)
    return ParsedWorkbook(
        file_name=file_name,
        kind=check.kind,
        sheets=infos,
        fingerprint=detect.fingerprint(partial, blocks),
        data=partial.data,
        detected=blocks,
    )


def _read_excel(data: bytes, file_name: str, *, max_rows: int) -> list[tuple[SheetData, bool]]:
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError as error:
        raise refuse(
            file_name, "the workbook is password-protected; remove the password"
        ) from error
    except CalamineError as error:
        raise refuse(file_name, f"the workbook cannot be read ({error})") from error
    sheets = []
    with book:
        for index, meta in enumerate(book.sheets_metadata):
            if meta.typ != SheetTypeEnum.WorkSheet:
                continue  # chart and macro sheets hold no cells
            try:
                sheet = book.get_sheet_by_index(index)
            except CalamineError as error:
                raise refuse(file_name, f"sheet '{meta.name}' cannot be read ({error})") from error
            if sheet.height > max_rows:
                raise refuse(
                    file_name,
                    f"sheet '{meta.name}' has {sheet.height:,} rows; the limit is {max_rows:,}",
                )
            visible = meta.visible == SheetVisibleEnum.Visible
            sheets.append((_sheet_data(meta.name, sheet), visible))
            check_total_rows(file_name, sum(len(s.rows) for s, _ in sheets), max_rows=max_rows)
    return sheets


def _sheet_data(name: str, sheet: CalamineSheet) -> SheetData:
    merged = tuple(
        CellRange(top + 1, left + 1, bottom + 1, right + 1)
        for (top, left), (bottom, right) in sheet.merged_cell_ranges or ()
    )
    return SheetData(
        name=name, rows=trim_rows(sheet.to_python(skip_empty_area=False)), merged=merged
    )


def trim_rows(rows: Iterable[Sequence[object]]) -> tuple[tuple[CellValue, ...], ...]:
    """Values as Python scalars, each row without trailing blanks, no trailing blank rows.

    >>> trim_rows([["a", "", 2.0], ["", "  ", ""], ["", "", ""]])
    (('a', None, 2),)
    """
    trimmed = [_trim_row(row) for row in rows]
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    return tuple(trimmed)


def _trim_row(row: Sequence[object]) -> tuple[CellValue, ...]:
    values = [_scalar(value) for value in row]
    while values and values[-1] is None:
        values.pop()
    return tuple(values)


def _scalar(value: object) -> CellValue:
    """Whole floats become ints (IDs 1, 2, 3 read as "1"); dates become ISO text."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if value is None:
        return None
    return str(value)


def _with_validations(
    data: bytes, sheets: list[tuple[SheetData, bool]]
) -> list[tuple[SheetData, bool]]:
    by_name = {sheet.name: sheet for sheet, _ in sheets}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        found = validations.read_validations(archive, by_name)
    return [
        (SheetData(sheet.name, sheet.rows, sheet.merged, found.get(sheet.name, ())), visible)
        for sheet, visible in sheets
    ]


def read_csv(data: bytes, file_name: str, max_rows: int) -> SheetData:
    """A CSV file as one sheet named after the file; UTF-8 (with or without BOM) or GB18030."""
    text = decode_text(data, file_name)
    dialect = sniff_dialect(text[:65536])
    rows: list[tuple[CellValue, ...]] = []
    for values in csv.reader(io.StringIO(text, newline=""), dialect):
        if len(rows) == max_rows:
            raise refuse(file_name, f"the file has more than {max_rows:,} rows; that is the limit")
        rows.append(_trim_row(values))
    while rows and not rows[-1]:
        rows.pop()
    return SheetData(name=csv_sheet_name(file_name), rows=tuple(rows))


def csv_sheet_name(file_name: str) -> str:
    """A CSV file has one sheet; it is named after the file."""
    return PurePath(file_name).stem or "CSV"


def decode_text(data: bytes, file_name: str) -> str:
    """UTF-8 first (Excel's "CSV UTF-8" adds a BOM), then GB18030, a superset of GBK."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise refuse(file_name, "the CSV file is neither UTF-8 nor GBK/GB18030 text")


def sniff_dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    """The delimiter (, ; tab |) and quoting the file uses; Excel's comma if unclear."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=_CSV_DELIMITERS)
    except csv.Error:
        return csv.excel

"""Refuse a dangerous or unreadable upload before any parser sees it.

Everything here is cheap and bounded: the file's magic bytes say what it really is, the
zip's central directory says how big it claims to expand (checked by
``app.services.upload_guard`` before anything is decompressed), and one streaming pass over
the XML parts (1 MiB at a time, never more than each member's declared size) refuses entity
declarations and measures how far each sheet's values reach. That last number matters:
calamine allocates a dense grid of rows × columns, so one stray value in XFD100000 of a
two-cell sheet asks for 52 GB and aborts the process. Macro workbooks are data to us: the
VBA part is never executed, only carried along.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

from app.errors import ImportRejectedError
from app.intake.package import SheetPart, column_number, sheet_parts
from app.intake.types import IntakeRefusedError, column_letters
from app.services.upload_guard import check_xlsx_archive
from app.zip_package import CHUNK_BYTES, DAMAGED, OLE2_MAGIC, declares_entities

ZIP_MAGIC = b"PK\x03\x04"
# calamine keeps ~32 bytes per cell of the rectangle A1:<last value>; 8 M cells ≈ 256 MB.
MAX_GRID_CELLS = 8_000_000
_BINARY_SUFFIXES = (".bin", ".png", ".jpeg", ".jpg", ".gif", ".emf", ".wmf", ".tif", ".bmp")
_FOREIGN_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"{\\rtf", "an RTF document"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)
_WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xltx", ".xltm"}
# A value cell: its start tag (reference first, as Excel, LibreOffice and openpyxl write it)
# directly followed by a value, formula or inline string.
_VALUE_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*><[vfi]')
# Any row or cell start tag, any prefix and attribute order, for the rare other writers.
_ANY_TAG = re.compile(rb"<(?:\w+:)?(row|c)\b([^>]*?)(/?)>(<(?:\w+:)?[vfi])?")
_R_ATTRIBUTE = re.compile(rb'\sr="\$?([A-Za-z]{0,3})\$?([0-9]{1,7})"')


@dataclass
class SheetExtent:
    """How far a sheet's values reach: the last row and column holding anything."""

    rows: int = 0
    columns: int = 0

    def include(self, row: int, column: int) -> None:
        self.rows = max(self.rows, row)
        self.columns = max(self.columns, column)


@dataclass(frozen=True)
class UploadCheck:
    """What the upload turned out to be, and each worksheet part's value extent."""

    kind: str  # "xlsx" | "xlsm" | "xls" | "csv"
    extents: dict[str, SheetExtent] = field(default_factory=dict)


def refuse(file_name: str, reason: str) -> IntakeRefusedError:
    return IntakeRefusedError(f"{file_name}: {reason}")


def check_upload(data: bytes, file_name: str, *, max_bytes: int, max_rows: int) -> UploadCheck:
    """Say what the file is, or raise :class:`IntakeRefusedError` with the reason."""
    if len(data) > max_bytes:
        raise refuse(file_name, f"the file is {len(data):,} bytes; the limit is {max_bytes:,}")
    if not data:
        raise refuse(file_name, "the file is empty")
    if data.startswith(OLE2_MAGIC):
        return UploadCheck(kind=_ole2_kind(data, file_name))
    if data.startswith(ZIP_MAGIC):
        return _check_package(data, file_name, max_bytes=max_bytes, max_rows=max_rows)
    return UploadCheck(kind=_text_kind(data, file_name))


def sniff_kind(data: bytes, file_name: str) -> str:
    """The kind of a file already accepted once (for write-back): magic bytes only."""
    if data.startswith(OLE2_MAGIC):
        return _ole2_kind(data, file_name)
    if data.startswith(ZIP_MAGIC):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return _package_kind(archive, file_name)
    return _text_kind(data, file_name)


def _ole2_kind(data: bytes, file_name: str) -> str:
    """Legacy binary files: an .xls workbook, or an encrypted .xlsx in an OLE2 wrapper."""
    # Stream names sit in the directory sectors as UTF-16; a byte search finds them
    # without walking the sector chains.
    if "EncryptedPackage".encode("utf-16-le") in data:
        raise refuse(
            file_name,
            "the workbook is password-protected (encrypted); remove the password in Excel "
            "(File › Info › Protect Workbook) and upload it again",
        )
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return "xls"
    if "WordDocument".encode("utf-16-le") in data:
        raise refuse(file_name, "this is a Word document, not an Excel workbook")
    raise refuse(file_name, "this is an Office file of another kind, not an Excel workbook")


def _text_kind(data: bytes, file_name: str) -> str:
    for magic, what in _FOREIGN_MAGIC:
        if data.startswith(magic):
            raise refuse(file_name, f"this is {what} renamed, not an Excel workbook")
    head = data[:4096].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise refuse(file_name, "this is a web page saved under a workbook name")
    if PurePath(file_name).suffix.lower() in _WORKBOOK_SUFFIXES:
        raise refuse(file_name, "this is not an Excel workbook (it is not a zip package)")
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise refuse(file_name, "this is a binary file, neither a workbook nor a CSV file")
    return "csv"


def _check_package(data: bytes, file_name: str, *, max_bytes: int, max_rows: int) -> UploadCheck:
    _refuse_other_office_files(data, file_name)
    try:
        # The entity scan happens below, in the same pass that measures the sheets.
        check_xlsx_archive(data, file_name=file_name, max_bytes=max_bytes, scan_entities=False)
    except ImportRejectedError as error:
        raise refuse(file_name, error.problems[0].message) from error
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        try:
            kind = _package_kind(archive, file_name)
        except DAMAGED as error:
            raise refuse(file_name, f"the workbook package is damaged ({error})") from error
        extents = _scan_members(archive, file_name)
        parts = _sheet_parts_or_refuse(archive, file_name)
    for sheet in parts:
        extent = extents.get(sheet.part, SheetExtent())
        _check_extent(file_name, sheet.name, extent, max_rows=max_rows)
    check_total_rows(
        file_name, sum(extents.get(s.part, SheetExtent()).rows for s in parts), max_rows=max_rows
    )
    return UploadCheck(kind=kind, extents=extents)


def check_total_rows(file_name: str, rows: int, *, max_rows: int) -> None:
    """The row limit is for the whole workbook, not for each of its sheets."""
    if rows > max_rows:
        raise refuse(
            file_name,
            f"the workbook has {rows:,} rows across its sheets; the limit is {max_rows:,} rows",
        )


def _refuse_other_office_files(data: bytes, file_name: str) -> None:
    """A Word or PowerPoint file renamed .xlsx gets a message that says so."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.NameToInfo)
    except DAMAGED:
        return  # check_xlsx_archive words the refusal of a damaged package
    if "word/document.xml" in names:
        raise refuse(file_name, "this is a Word document renamed, not an Excel workbook")
    if "ppt/presentation.xml" in names:
        raise refuse(file_name, "this is a PowerPoint file renamed, not an Excel workbook")


def _package_kind(archive: zipfile.ZipFile, file_name: str) -> str:
    names = set(archive.NameToInfo)
    if "xl/workbook.bin" in names:
        raise refuse(file_name, "binary workbooks (.xlsb) are not supported; save it as .xlsx")
    content_types = archive.read("[Content_Types].xml")
    if b"macroEnabled" in content_types or "xl/vbaProject.bin" in names:
        return "xlsm"
    return "xlsx"


def _sheet_parts_or_refuse(archive: zipfile.ZipFile, file_name: str) -> list[SheetPart]:
    try:
        parts = sheet_parts(archive)
    except (KeyError, ValueError, SyntaxError) as error:
        raise refuse(file_name, f"the workbook's sheet list cannot be read ({error})") from error
    if not parts:
        raise refuse(file_name, "the workbook has no sheets")
    return parts


def _check_extent(file_name: str, sheet: str, extent: SheetExtent, *, max_rows: int) -> None:
    last_cell = f"{column_letters(extent.columns)}{extent.rows}"
    if extent.rows > max_rows:
        raise refuse(
            file_name,
            f"sheet '{sheet}' has values down to row {extent.rows:,} ({last_cell}); "
            f"the limit is {max_rows:,} rows. Split the list or delete the rows below the table",
        )
    if extent.rows * extent.columns > MAX_GRID_CELLS:
        raise refuse(
            file_name,
            f"sheet '{sheet}' has values reaching {last_cell}, a grid of "
            f"{extent.rows:,} × {extent.columns:,} cells; clear the cells outside the "
            "table and upload it again",
        )


def _scan_members(archive: zipfile.ZipFile, file_name: str) -> dict[str, SheetExtent]:
    """One streaming pass over every XML part: entities refused, sheet extents measured."""
    extents: dict[str, SheetExtent] = {}
    for info in archive.infolist():
        # Not info.is_dir(): it raises IndexError for a member with an empty name.
        if info.filename.endswith("/") or info.filename.lower().endswith(_BINARY_SUFFIXES):
            continue
        # Every XML part is measured, wherever the relationships put the sheets.
        is_sheet = info.filename.lower().endswith(".xml")
        try:
            extent = _scan_member(_chunks(archive, info), measure=is_sheet)
        except DAMAGED as error:
            raise refuse(file_name, f"the part {info.filename} is damaged ({error})") from error
        except _EntityDeclarationError as error:
            raise refuse(
                file_name,
                f"the part {info.filename} declares XML entities (<!DOCTYPE>/<!ENTITY>), "
                "which workbooks never need; refused as a possible XML bomb",
            ) from error
        if is_sheet:
            extents[info.filename] = extent
    return extents


class _EntityDeclarationError(Exception):
    pass


def _chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    # zipfile never yields more than the member's declared size and checks its CRC, so a
    # member that lies about its size fails here instead of inflating without bound.
    with archive.open(info) as stream:
        while chunk := stream.read(CHUNK_BYTES):
            yield chunk


def _scan_member(chunks: Iterator[bytes], *, measure: bool) -> SheetExtent:
    extent = SheetExtent()
    carry = b""
    state = _TagState()
    for chunk in chunks:
        window = carry[-32:] + chunk
        if declares_entities(window):
            raise _EntityDeclarationError
        if not measure:
            carry = chunk
            continue
        buffer = carry + chunk
        cut = _last_tag_start(buffer)
        _measure(buffer[:cut], extent, state)
        carry = buffer[cut:]
    if measure:
        _measure(carry, extent, state)
    return extent


def _last_tag_start(buffer: bytes) -> int:
    """Where the last row or cell start tag begins: the text after it may continue."""
    cut = max(buffer.rfind(b"<c "), buffer.rfind(b"<c>"), buffer.rfind(b"<row "))
    if cut < 0:
        cut = buffer.rfind(b"<")
        return max(cut, 0) if cut > len(buffer) - 64 else len(buffer)
    return cut


@dataclass
class _TagState:
    """Position of the last row and cell seen, for cells that omit their reference."""

    row: int = 0
    column: int = 0
    generic: bool | None = None


def _measure(text: bytes, extent: SheetExtent, state: _TagState) -> None:
    if not text:
        return
    if state.generic is None:
        state.generic = b"<worksheet" not in text[:4096] or b':c r="' in text[:65536]
    # "<c" also starts <cols> and <cfRule>; a mismatch only sends the text the exact way.
    if not state.generic and text.count(b"<c") == text.count(b'<c r="'):
        found = _VALUE_CELL.findall(text)
        if found:
            extent.include(
                max(int(row) for _, row in found),
                max(column_number(letters.decode()) for letters in {c for c, _ in found}),
            )
        return
    _measure_generic(text, extent, state)


def _measure_generic(text: bytes, extent: SheetExtent, state: _TagState) -> None:
    """Any prefix, attribute order or omitted reference: slower, but exact."""
    for match in _ANY_TAG.finditer(text):
        tag, attributes, closed, value = match.groups()
        reference = _R_ATTRIBUTE.search(attributes)
        if tag == b"row":
            state.row = int(reference.group(2)) if reference else state.row + 1
            state.column = 0
            continue
        if reference and reference.group(1):
            state.row = int(reference.group(2))
            state.column = column_number(reference.group(1).decode())
        else:
            state.column += 1
        if value and not closed:
            extent.include(state.row, state.column)

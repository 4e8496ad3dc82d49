"""The parts of an .xlsx/.xlsm package that intake reads without openpyxl.

Which zip member holds which sheet, the structure after a sheet's ``<sheetData>`` (merged
cells, data validations, the x14 extension list) and A1-style references. The cell data
itself is read by calamine; only these small pieces need the XML.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from defusedxml import ElementTree

from app.intake.types import CellRange

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
X14_NS = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
XM_NS = "http://schemas.microsoft.com/office/excel/2006/main"

_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")
_SHEET_DATA_END = re.compile(rb"</(?:\w+:)?sheetData>|<(?:\w+:)?sheetData\s*/>")
_ROOT_START = re.compile(rb"<(?:\w+:)?worksheet\b[^>]*>")


@dataclass(frozen=True)
class SheetPart:
    """A sheet as the workbook lists it: its name, zip member and visibility."""

    name: str
    part: str  # e.g. "xl/worksheets/sheet1.xml"
    visible: bool


def column_number(letters: str) -> int:
    """A → 1, AA → 27, XFD → 16384.

    >>> column_number("XFD")
    16384
    """
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def parse_ref(ref: str) -> tuple[int, int]:
    """``"C12"`` or ``"$C$12"`` → (row 12, column 3).

    >>> parse_ref("$AB$7")
    (7, 28)
    """
    match = _REF.match(ref.strip())
    if match is None:
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(match.group(2)), column_number(match.group(1))


def parse_range(text: str) -> CellRange:
    """``"A1:C3"`` or a single ``"B2"`` as a 1-based inclusive range."""
    first, _, last = text.partition(":")
    top, left = parse_ref(first)
    bottom, right = parse_ref(last) if last else (top, left)
    return CellRange(min(top, bottom), min(left, right), max(top, bottom), max(left, right))


def parse_sqref(text: str) -> tuple[CellRange, ...]:
    """A space-separated list of ranges, as in ``sqref="E3:E40 G3:G40"``."""
    return tuple(parse_range(piece) for piece in text.split() if piece)


def _rels(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    folder, name = posixpath.split(part)
    rels_part = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels_part not in archive.NameToInfo:
        return {}
    root = ElementTree.fromstring(archive.read(rels_part))
    targets: dict[str, str] = {}
    for rel in root.iter(f"{{{PACKAGE_REL_NS}}}Relationship"):
        target = rel.get("Target", "")
        resolved = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        targets[rel.get("Id", "")] = posixpath.normpath(resolved)
    return targets


def workbook_part(archive: zipfile.ZipFile) -> str:
    """The workbook's main part, found through the package relationships."""
    for target in _rels(archive, "").values():
        if target.endswith(".xml") and "workbook" in posixpath.basename(target).lower():
            return target
    return "xl/workbook.xml"


def sheet_parts(archive: zipfile.ZipFile) -> list[SheetPart]:
    """Every sheet in workbook order, with the zip member that holds it."""
    book = workbook_part(archive)
    root = ElementTree.fromstring(archive.read(book))
    targets = _rels(archive, book)
    sheets = []
    for sheet in root.iter(f"{{{MAIN_NS}}}sheet"):
        target = targets.get(sheet.get(f"{{{REL_NS}}}id", ""), "")
        state = sheet.get("state", "visible")
        sheets.append(SheetPart(sheet.get("name", ""), target, state == "visible"))
    return sheets


def defined_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Workbook-level defined names (``AnswerList`` → ``Lists!$A$1:$A$4``)."""
    root = ElementTree.fromstring(archive.read(workbook_part(archive)))
    return {
        name.get("name", ""): (name.text or "").strip()
        for name in root.iter(f"{{{MAIN_NS}}}definedName")
        if name.get("localSheetId") is None
    }


def sheet_tail(archive: zipfile.ZipFile, part: str) -> Element:
    """The worksheet element without its cell data: merged cells, validations, extLst.

    Streams the part and keeps only the root's start tag and what follows
    ``</sheetData>``, so a sheet of 100,000 rows costs one pass and little memory.
    """
    head = b""
    carry = b""
    tail: list[bytes] = []
    with archive.open(part) as stream:
        while chunk := stream.read(1 << 20):
            if tail:
                tail.append(chunk)
                continue
            carry += chunk
            if not head and (start := _ROOT_START.search(carry)):
                head = carry[start.start() : start.end()]
            if head and b"sheetData" in carry and (end := _SHEET_DATA_END.search(carry)):
                tail.append(carry[end.end() :])
            else:
                carry = carry[-64:] if head else carry
    if not head:
        raise ValueError(f"{part} has no <worksheet> element")
    if not tail:
        return Element(f"{{{MAIN_NS}}}worksheet")
    element: Element = ElementTree.fromstring(head + b"".join(tail))
    return element

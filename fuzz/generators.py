"""Hostile workbooks for the importer fuzzers: generated from scratch or mutated from real ones.

Shared by the hypothesis tests (``tests/security/test_importer_fuzz.py``) and the atheris
target (``fuzz/fuzz_importers.py``), which feeds them its own mutated bytes.
"""

import io
import random
import zipfile
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from app.services.catalog_excel import INFO_SHEET, ITEMS_SHEET
from app.services.history_import import SYNONYMS

# Header words the importers look for, so generated sheets get past the header search.
HEADER_WORDS = (
    "编码 Code",
    "名称 Name",
    "角色 Role",
    "乐观 Optimistic",
    "最可能 Most likely",
    "悲观 Pessimistic",
    "Requirement",
    "Req ID",
    "需求描述",
    "Compliance",
    "响应",
    "Remarks",
    *(words[0] for words in SYNONYMS.values()),
)
SHEET_NAMES = (ITEMS_SHEET, INFO_SHEET, "Requirements", "需求", "工时", "Sheet1", "'quoted'")
EDGE_TEXTS = (
    "",
    " ",
    "\u202etxt.exe",  # right-to-left override
    "\u200b\ufeff",
    "=1+1",
    '=HYPERLINK("http://x")',
    "@SUM(1)",
    "+1",
    "-1",
    "\t=cmd",
    "\r=cmd",
    "𠜎𠜱𠝹",  # outside the BMP
    "Ω≈ç√∫",
    "e\u0301",  # combining accent
    "NaN",
    "Infinity",
    "1e309",
    "-0",
    "１２３",  # full-width digits
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "x" * 32_767,  # Excel's cell limit
)


def clean_text(text: str) -> str:
    """What openpyxl can store: no control characters XML 1.0 forbids."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def random_value(rng: random.Random) -> Any:
    """One cell value: edge-case text, a header word, a number, a date, a formula, empty…"""
    alphabet = "abc 中文需求,;\"'\n\t<>&%$#@!0123456789.-+=/\\"
    kinds = (
        lambda: rng.choice(EDGE_TEXTS),
        lambda: rng.choice(HEADER_WORDS),
        lambda: rng.choice((0, -1, 1, 2**53, -(2**63), 10**20, 0.5, -1e308, 1e-320)),
        lambda: rng.choice((True, False, date(1900, 1, 1), datetime(9999, 12, 31, 23, 59))),
        lambda: rng.choice(("=A1", "=1/0", "=SUM(A1:XFD1048576)", "=#REF!", "=A1&B1")),
        lambda: None,
        lambda: rng.uniform(-1e6, 1e6),
        lambda: clean_text("".join(rng.choice(alphabet) for _ in range(rng.randrange(40)))),
    )
    return rng.choice(kinds)()


def random_workbook(rng: random.Random) -> bytes:
    """A workbook of 1-4 sheets: header-like first rows, values of every type, merged cells."""
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    names = rng.sample(SHEET_NAMES, rng.randint(1, 4))
    for name in names:
        sheet = workbook.create_sheet(name)
        if len(names) > 1 and name != names[0] and rng.random() < 0.3:
            sheet.sheet_state = "hidden"
        columns = rng.randint(1, 8)
        rows = rng.randint(0, 25)
        if rng.random() < 0.7:
            for column in range(1, columns + 1):
                sheet.cell(1, column, rng.choice(HEADER_WORDS))
        for row in range(2, rows + 2):
            for column in range(1, columns + 1):
                if rng.random() < 0.8:
                    sheet.cell(row, column, random_value(rng))
        for _ in range(rng.randrange(3)):
            top, left = rng.randint(1, rows + 2), rng.randint(1, columns)
            sheet.merge_cells(
                start_row=top,
                start_column=left,
                end_row=top + rng.randrange(3),
                end_column=left + rng.randrange(3),
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """Truncate, flip, splice or duplicate bytes of the whole file."""
    choice = rng.randrange(4)
    if choice == 0 or not data:
        return data[: rng.randrange(len(data) + 1)]
    buffer = bytearray(data)
    if choice == 1:
        for _ in range(rng.randint(1, 8)):
            buffer[rng.randrange(len(buffer))] = rng.randrange(256)
    elif choice == 2:
        start = rng.randrange(len(buffer))
        del buffer[start : start + rng.randrange(1, 512)]
    else:
        start = rng.randrange(len(buffer))
        buffer[start:start] = buffer[start : start + rng.randrange(1, 512)]
    return bytes(buffer)


def mutate_member(data: bytes, rng: random.Random) -> bytes:
    """A valid zip whose one XML part is damaged: the parsers, not the zip reader, get it."""
    try:
        source = zipfile.ZipFile(io.BytesIO(data))
        members = [info for info in source.infolist() if info.filename.endswith(".xml")]
    except (zipfile.BadZipFile, ValueError):
        return mutate_bytes(data, rng)
    if not members:
        return data
    target = rng.choice(members).filename
    output = io.BytesIO()
    with source, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as result:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == target:
                content = _mutate_xml(content, rng)
            result.writestr(info.filename, content)
    return output.getvalue()


def _mutate_xml(xml: bytes, rng: random.Random) -> bytes:
    choice = rng.randrange(5)
    if choice == 0:  # a reference far away, a huge or negative row, a bogus type
        swaps = ((b'r="A1"', b'r="XFD1048576"'), (b'r="B2"', b'r="A-1"'), (b't="s"', b't="q"'))
        for old, new in swaps:
            xml = xml.replace(old, new, 1)
        return xml
    if choice == 1:  # a shared-string index past the end
        return xml.replace(b"<v>0</v>", b"<v>99999999</v>", 1)
    if choice == 2:  # a merged range that runs backwards or off the sheet
        merge = b'</sheetData><mergeCells><mergeCell ref="Z9:A1"/></mergeCells>'
        return xml.replace(b"</sheetData>", merge, 1)
    return mutate_bytes(xml, rng)

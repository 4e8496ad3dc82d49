"""Hostile Office files, built in memory in well under a second each.

The zip bombs are real: their sheet or document part inflates to ``BOMB_BYTES`` of valid
XML. Deflate output is made once for a 16 MiB block of spaces and repeated (a full flush
makes each repetition independent), so a 2 GiB bomb costs one block's compression plus the
CRC over the expanded bytes.
"""

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from functools import cache

from docx import Document
from openpyxl import Workbook

from tests.intake import workbooks

BOMB_BYTES = 2 << 30  # 2 GiB
_BLOCK = 1 << 24
_SHEET_OPEN = (
    b'<?xml version="1.0"?><worksheet '
    b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_CLOSE = b"</sheetData></worksheet>"
_DOCUMENT_OPEN = (
    b'<?xml version="1.0"?><w:document '
    b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
)
_DOCUMENT_CLOSE = b"</w:body></w:document>"


@dataclass(frozen=True)
class _Member:
    name: str
    deflated: bytes
    crc: int
    size: int


def _deflated(content: bytes) -> _Member:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = compressor.compress(content) + compressor.flush()
    return _Member("", data, zlib.crc32(content), len(content))


def _bomb_member(name: str, opening: bytes, closing: bytes, expanded: int) -> _Member:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(opening) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = b" " * _BLOCK
    repeated = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    count = (expanded - len(opening) - len(closing)) // _BLOCK
    tail = compressor.compress(closing) + compressor.flush()
    crc = zlib.crc32(opening)
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(closing, crc)
    size = len(opening) + count * _BLOCK + len(closing)
    return _Member(name, head + repeated * count + tail, crc, size)


def _zip(members: list[_Member]) -> bytes:
    """A plain (non-zip64) archive; every declared size fits in 32 bits."""
    output = io.BytesIO()
    directory = io.BytesIO()
    for member in members:
        offset = output.tell()
        name = member.name.encode()
        fields = (20, 0, 8, 0, 0, member.crc, len(member.deflated), member.size, len(name), 0)
        output.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", *fields) + name + member.deflated)
        directory.write(
            struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, offset) + name
        )
    start, listing = output.tell(), directory.getvalue()
    output.write(listing)
    count = len(members)
    output.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(listing), start, 0))
    return output.getvalue()


def _with_part(package: bytes, part: str, member: _Member) -> bytes:
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        members = [
            _Member(info.filename, *_fields(source.read(info.filename)))
            for info in source.infolist()
            if info.filename != part
        ]
    return _zip([*members, _Member(part, member.deflated, member.crc, member.size)])


def _fields(content: bytes) -> tuple[bytes, int, int]:
    member = _deflated(content)
    return member.deflated, member.crc, member.size


@cache
def empty_workbook() -> bytes:
    return workbooks.save(Workbook())


@cache
def empty_document() -> bytes:
    buffer = io.BytesIO()
    Document().save(buffer)
    return buffer.getvalue()


@cache
def xlsx_zip_bomb() -> bytes:
    bomb = _bomb_member("", _SHEET_OPEN, _SHEET_CLOSE, BOMB_BYTES)
    return _with_part(empty_workbook(), "xl/worksheets/sheet1.xml", bomb)


@cache
def docx_zip_bomb() -> bytes:
    bomb = _bomb_member("", _DOCUMENT_OPEN, _DOCUMENT_CLOSE, BOMB_BYTES)
    return _with_part(empty_document(), "word/document.xml", bomb)


def _laughs(root: str, body: str) -> str:
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    return f'<?xml version="1.0"?><!DOCTYPE {root} [{"".join(levels)}]>{body}'


_EXTERNAL = '<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
_SST_BODY = (
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
    'uniqueCount="1"><si><t>{entity}</t></si></sst>'
)
_DOC_BODY = (
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>{entity}</w:t></w:r></w:p></w:body></w:document>"
)


def xlsx_with_shared_strings(xml: bytes) -> bytes:
    base = workbooks.with_shared_strings(workbooks.save(_one_cell()))
    return workbooks.rewrite_parts(base, {"xl/sharedStrings.xml": lambda _: xml})


def _one_cell() -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet["A1"] = "x"
    return workbook


def docx_with_document(xml: bytes) -> bytes:
    return _with_part(empty_document(), "word/document.xml", _deflated(xml))


def xlsx_billion_laughs(encoding: str = "utf-8") -> bytes:
    return xlsx_with_shared_strings(
        _laughs("sst", _SST_BODY.format(entity="&lol9;")).encode(encoding)
    )


def xlsx_external_entity() -> bytes:
    xml = _EXTERNAL.format(root="sst") + _SST_BODY.format(entity="&xxe;")
    return xlsx_with_shared_strings(xml.encode())


def docx_billion_laughs(encoding: str = "utf-8") -> bytes:
    xml = _laughs("w:document", _DOC_BODY.format(entity="&lol9;"))
    return docx_with_document(xml.encode(encoding))


def docx_external_entity() -> bytes:
    xml = _EXTERNAL.format(root="w:document") + _DOC_BODY.format(entity="&xxe;")
    return docx_with_document(xml.encode())

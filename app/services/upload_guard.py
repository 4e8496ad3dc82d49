"""Cheap checks on an uploaded Office file before any parser touches it.

A zip bomb is refused by reading the archive's central directory (declared sizes and
member count) without decompressing anything; a renamed non-workbook is refused because
it is not a zip or lacks the parts a workbook must have. Entity declarations (billion
laughs, external entities) are refused by one streaming pass over the XML parts, so no
parser ever sees them (defusedxml inside openpyxl would refuse them too, but only after
loading the workbook).
"""

import io
import zipfile
import zlib

from app.errors import CellProblem, ImportRejectedError

MAX_MEMBERS = 10_000
MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024
# Real workbooks compress 5-30x; a large package far beyond that is a bomb, not data.
MAX_COMPRESSION_RATIO = 200
RATIO_CHECK_FROM_BYTES = 64 * 1024 * 1024
CHUNK_BYTES = 1 << 20
ENTITY_MARKERS = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("ascii", "utf-16-le", "utf-16-be")
)
# What zipfile raises for a damaged directory or member (zip64 records, odd versions, CRC).
DAMAGED = (
    zipfile.BadZipFile,
    ValueError,
    NotImplementedError,
    RuntimeError,  # a member flagged as encrypted
    OSError,
    EOFError,
    zlib.error,
)


def _refuse(file_name: str, message: str) -> ImportRejectedError:
    return ImportRejectedError(
        [CellProblem(sheet=file_name, row=None, column=None, message=message)]
    )


def check_xlsx_archive(
    data: bytes, *, file_name: str, max_bytes: int, scan_entities: bool = True
) -> None:
    """Raise :class:`ImportRejectedError` unless ``data`` looks like a safe .xlsx package.

    ``scan_entities=False`` is for callers that stream the parts themselves (bid intake).
    """
    if len(data) > max_bytes:
        raise _refuse(file_name, f"file is {len(data):,} bytes; the limit is {max_bytes:,} bytes")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _refuse(
            file_name,
            "this is an encrypted workbook or a legacy .xls file; save it as an "
            "unprotected .xlsx and try again",
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise _refuse(file_name, "this is not an .xlsx workbook (not a zip package)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except DAMAGED as error:
        raise _refuse(file_name, f"the workbook package is damaged: {error}") from error
    if len(members) > MAX_MEMBERS:
        raise _refuse(file_name, f"the package holds {len(members):,} parts; refusing")
    declared = sum(member.file_size for member in members)
    compressed = sum(member.compress_size for member in members) or 1
    suspicious_ratio = (
        declared > RATIO_CHECK_FROM_BYTES and declared / compressed > MAX_COMPRESSION_RATIO
    )
    if declared > MAX_UNCOMPRESSED_BYTES or suspicious_ratio:
        raise _refuse(
            file_name,
            f"the package expands to {declared:,} bytes from {compressed:,}: refused as a "
            "likely zip bomb",
        )
    names = {member.filename for member in members}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise _refuse(file_name, "this zip file is not an .xlsx workbook")
    if scan_entities:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _refuse_entity_declarations(archive, file_name)


def _refuse_entity_declarations(archive: zipfile.ZipFile, file_name: str) -> None:
    """Stream every XML part (1 MiB at a time) looking for DOCTYPE or ENTITY declarations."""
    for info in archive.infolist():
        if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
            continue
        try:
            with archive.open(info) as stream:
                carry = b""
                while chunk := stream.read(CHUNK_BYTES):
                    window = carry + chunk
                    if b"!" in window and any(marker in window for marker in ENTITY_MARKERS):
                        raise _refuse(
                            file_name,
                            f"the part {info.filename} declares XML entities (<!DOCTYPE>/"
                            "<!ENTITY>), which workbooks never need; refused as a possible "
                            "XML bomb",
                        )
                    carry = chunk[-32:]
        except DAMAGED as error:
            raise _refuse(file_name, f"the part {info.filename} is damaged ({error})") from error

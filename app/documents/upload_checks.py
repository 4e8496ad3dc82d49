"""Cheap checks on an uploaded .docx template before any parser touches it.

Mirrors ``app/services/upload_guard.py`` (which guards .xlsx imports): size first, then the
zip's central directory (declared sizes, member count, ratio) without decompressing
anything, then the parts a Word document must have. XML parts are scanned for DOCTYPE and
entity declarations (billion laughs, external entities) once their declared sizes are
known to be small.
"""

import io
import zipfile
import zlib

from app.documents.errors import TemplateProblem, TemplateRejectedError

MAX_MEMBERS = 2_000
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
RATIO_CHECK_FROM_BYTES = 16 * 1024 * 1024
# What zipfile raises for a damaged directory or member (zip64 records, odd versions, CRC).
_DAMAGED = (
    zipfile.BadZipFile,
    ValueError,
    NotImplementedError,
    RuntimeError,  # a member flagged as encrypted
    OSError,
    EOFError,
    zlib.error,
)
# UTF-16 too: an XML part may declare that encoding and hide its DOCTYPE from a byte search.
_ENTITY_MARKERS = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("ascii", "utf-16-le", "utf-16-be")
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _refuse(message: str) -> TemplateRejectedError:
    return TemplateRejectedError([TemplateProblem(kind="file", message=message)])


def check_docx_archive(data: bytes, *, max_bytes: int) -> None:
    """Raise :class:`TemplateRejectedError` unless ``data`` looks like a safe .docx package."""
    if len(data) > max_bytes:
        raise _refuse(f"file is {len(data):,} bytes; the limit is {max_bytes:,} bytes")
    if data[:8] == _OLE_MAGIC:
        raise _refuse("this is a legacy .doc or an encrypted document; save it as .docx")
    if not data.startswith(b"PK") or not zipfile.is_zipfile(io.BytesIO(data)):
        raise _refuse("this is not a .docx document (not a zip package)")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except _DAMAGED as error:
        raise _refuse(f"the document package is damaged: {error}") from error
    with archive:
        if len(members) > MAX_MEMBERS:
            raise _refuse(f"the package holds {len(members):,} parts; refusing")
        declared = sum(member.file_size for member in members)
        compressed = sum(member.compress_size for member in members) or 1
        if declared > MAX_UNCOMPRESSED_BYTES or (
            declared > RATIO_CHECK_FROM_BYTES and declared / compressed > MAX_COMPRESSION_RATIO
        ):
            raise _refuse(
                f"the package expands to {declared:,} bytes from {compressed:,}: refused as a "
                "likely zip bomb"
            )
        names = {member.filename for member in members}
        if "[Content_Types].xml" not in names or "word/document.xml" not in names:
            raise _refuse("this zip file is not a Word .docx document")
        for member in members:
            if member.filename.endswith((".xml", ".rels")):
                try:
                    head = archive.read(member.filename)
                except _DAMAGED as error:
                    raise _refuse(f"the part {member.filename} is damaged: {error}") from error
                if any(marker in head for marker in _ENTITY_MARKERS):
                    raise _refuse(f"{member.filename} declares a DOCTYPE or entities; refusing")

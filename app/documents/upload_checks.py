"""Cheap checks on an uploaded .docx template before any parser touches it.

The checks of ``app.zip_package``, as the .xlsx imports use them, with a template's
tighter limits: size first, then the zip's central directory (declared sizes, member count,
ratio) without decompressing anything, then the parts a Word document must have; XML parts
are streamed looking for DOCTYPE and entity declarations (billion laughs, external
entities).
"""

from app.documents.errors import TemplateProblem, TemplateRejectedError
from app.zip_package import (
    OLE2_MAGIC,
    PackageLimits,
    package_members,
    refuse_entity_declarations,
)

TEMPLATE_LIMITS = PackageLimits(
    members=2_000,
    uncompressed_bytes=200 * 1024 * 1024,
    compression_ratio=100,
    ratio_from_bytes=16 * 1024 * 1024,
)


def _refuse(message: str) -> TemplateRejectedError:
    return TemplateRejectedError([TemplateProblem(kind="file", message=message)])


def check_docx_archive(data: bytes, *, max_bytes: int) -> None:
    """Raise :class:`TemplateRejectedError` unless ``data`` looks like a safe .docx package."""
    if len(data) > max_bytes:
        raise _refuse(f"file is {len(data):,} bytes; the limit is {max_bytes:,} bytes")
    if data[:8] == OLE2_MAGIC:
        raise _refuse("this is a legacy .doc or an encrypted document; save it as .docx")
    not_zip = "this is not a .docx document (not a zip package)"
    if not data.startswith(b"PK"):
        raise _refuse(not_zip)
    members = package_members(
        data, limits=TEMPLATE_LIMITS, refuse=_refuse, package="document", not_zip=not_zip
    )
    names = {member.filename for member in members}
    if "[Content_Types].xml" not in names or "word/document.xml" not in names:
        raise _refuse("this zip file is not a Word .docx document")
    refuse_entity_declarations(
        data,
        suffixes=(".xml", ".rels"),
        declaring=lambda part: _refuse(f"{part} declares a DOCTYPE or entities; refusing"),
        damaged=lambda part, error: _refuse(f"the part {part} is damaged: {error}"),
    )

"""Cheap checks on an uploaded Office file before any parser touches it.

A zip bomb is refused by reading the archive's central directory (declared sizes and
member count) without decompressing anything; a renamed non-workbook is refused because
it is not a zip or lacks the parts a workbook must have. Entity declarations (billion
laughs, external entities) are refused by one streaming pass over the XML parts, so no
parser ever sees them (defusedxml inside openpyxl would refuse them too, but only after
loading the workbook).

The package checks and the entity scan live in ``app.zip_package``, shared with the .docx
template check (``app.documents.upload_checks``) and bid intake (``app.intake.safety``).
"""

from app.errors import CellProblem, ImportRejectedError
from app.zip_package import (
    OLE2_MAGIC,
    PackageLimits,
    package_members,
    refuse_entity_declarations,
)

# Real workbooks compress 5-30x; a large package far beyond that is a bomb, not data.
WORKBOOK_LIMITS = PackageLimits(
    members=10_000,
    uncompressed_bytes=512 * 1024 * 1024,
    compression_ratio=200,
    ratio_from_bytes=64 * 1024 * 1024,
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
    if data[:8] == OLE2_MAGIC:
        raise _refuse(
            file_name,
            "this is an encrypted workbook or a legacy .xls file; save it as an "
            "unprotected .xlsx and try again",
        )

    def refuse(message: str) -> Exception:
        return _refuse(file_name, message)

    members = package_members(
        data,
        limits=WORKBOOK_LIMITS,
        refuse=refuse,
        package="workbook",
        not_zip="this is not an .xlsx workbook (not a zip package)",
    )
    names = {member.filename for member in members}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise refuse("this zip file is not an .xlsx workbook")
    if scan_entities:
        refuse_entity_declarations(
            data,
            suffixes=(".xml", ".rels", ".vml"),
            declaring=lambda part: refuse(
                f"the part {part} declares XML entities (<!DOCTYPE>/<!ENTITY>), which "
                "workbooks never need; refused as a possible XML bomb"
            ),
            damaged=lambda part, error: refuse(f"the part {part} is damaged ({error})"),
        )

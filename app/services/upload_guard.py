"""Cheap checks on an uploaded Office file before any parser touches it.

A zip bomb is refused by reading the archive's central directory (declared sizes and
member count) without decompressing anything; a renamed non-workbook is refused because
it is not a zip or lacks the parts a workbook must have. Entity declarations (billion
laughs, external entities) are refused by one streaming pass over the XML parts, so no
parser ever sees them (defusedxml inside openpyxl would refuse them too, but only after
loading the workbook).

The package checks and the entity scan are shared with the .docx template check
(``app.documents.upload_checks``) and bid intake (``app.intake.safety``).
"""

import io
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from app.errors import CellProblem, ImportRejectedError

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office, or an encrypted package
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


@dataclass(frozen=True)
class PackageLimits:
    members: int
    uncompressed_bytes: int
    # Beyond ``ratio_from_bytes`` declared, a package compressed more than this is a bomb.
    compression_ratio: float
    ratio_from_bytes: int


# Real workbooks compress 5-30x; a large package far beyond that is a bomb, not data.
WORKBOOK_LIMITS = PackageLimits(
    members=10_000,
    uncompressed_bytes=512 * 1024 * 1024,
    compression_ratio=200,
    ratio_from_bytes=64 * 1024 * 1024,
)

Refusal = Callable[[str], Exception]


def declares_entities(window: bytes) -> bool:
    """Whether ``window`` holds a DOCTYPE or ENTITY declaration (in UTF-8 or UTF-16);
    ``!`` is rare in Office XML, so one fast pass usually settles it."""
    return b"!" in window and any(marker in window for marker in ENTITY_MARKERS)


def package_members(
    data: bytes, *, limits: PackageLimits, refuse: Refusal, package: str, not_zip: str
) -> list[zipfile.ZipInfo]:
    """The zip's members, read from its central directory only; refuses a file that is
    not a zip, a damaged directory, too many members and a likely zip bomb."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise refuse(not_zip)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except DAMAGED as error:
        raise refuse(f"the {package} package is damaged: {error}") from error
    if len(members) > limits.members:
        raise refuse(f"the package holds {len(members):,} parts; refusing")
    declared = sum(member.file_size for member in members)
    compressed = sum(member.compress_size for member in members) or 1
    suspicious_ratio = (
        declared > limits.ratio_from_bytes and declared / compressed > limits.compression_ratio
    )
    if declared > limits.uncompressed_bytes or suspicious_ratio:
        raise refuse(
            f"the package expands to {declared:,} bytes from {compressed:,}: refused as a "
            "likely zip bomb"
        )
    return members


def refuse_entity_declarations(
    data: bytes,
    *,
    suffixes: tuple[str, ...],
    declaring: Callable[[str], Exception],
    damaged: Callable[[str, BaseException], Exception],
) -> None:
    """Stream every part named ``*suffixes`` (1 MiB at a time) looking for DOCTYPE or
    ENTITY declarations; ``declaring(part)`` or ``damaged(part, error)`` is raised."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if not info.filename.lower().endswith(suffixes):
                continue
            try:
                with archive.open(info) as stream:
                    carry = b""
                    while chunk := stream.read(CHUNK_BYTES):
                        if declares_entities(carry + chunk):
                            raise declaring(info.filename)
                        carry = chunk[-32:]
            except DAMAGED as error:
                raise damaged(info.filename, error) from error


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
